//! register-warranty: serves `POST /v1/warranties`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_http("register-warranty").await
}
