//! attachment-confirmed: confirms uploads when S3 reports an ObjectCreated event.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_object_created().await
}
