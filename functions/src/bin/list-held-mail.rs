//! list-held-mail: serves `GET /v1/held-mail`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_http("list-held-mail").await
}
