//! create-company: serves `POST /v1/companies`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_http("create-company").await
}
