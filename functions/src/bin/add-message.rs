//! add-message: serves `POST /v1/tickets/{id}/messages`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_http("add-message").await
}
