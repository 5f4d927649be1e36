//! guest-ticket: serves `GET /v1/guest/tickets/{id}` and `POST /v1/guest/tickets/{id}/messages`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_http("guest-ticket").await
}
