//! mail-feedback: records SES bounce and complaint events and suppresses those addresses.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_mail_feedback().await
}
