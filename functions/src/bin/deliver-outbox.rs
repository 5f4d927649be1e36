//! deliver-outbox: delivers the outbox (mail to SES, events to EventBridge) when the table stream or the retry schedule wakes it.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_deliver().await
}
