//! revoke-guest-keys: serves `POST /v1/tickets/{id}/guest-keys/revoke`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_http("revoke-guest-keys").await
}
