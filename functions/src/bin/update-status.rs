//! update-status: serves `POST /v1/tickets/{id}/status`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_http("update-status").await
}
