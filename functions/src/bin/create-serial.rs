//! create-serial: serves `POST /v1/serials`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_http("create-serial").await
}
