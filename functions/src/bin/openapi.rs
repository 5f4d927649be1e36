//! openapi: serves `GET /v1/openapi.json`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_http("openapi").await
}
