//! get-ticket: serves `GET /v1/tickets/{id}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_http("get-ticket").await
}
