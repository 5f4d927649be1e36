//! upload-attachment: serves `POST /v1/tickets/{id}/attachments`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_http("upload-attachment").await
}
