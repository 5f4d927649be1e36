//! list-tickets: serves `GET /v1/tickets`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_http("list-tickets").await
}
