//! inbound-email: reads each mail SES stored in the inbound bucket and adds it to its ticket.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_inbound_email().await
}
