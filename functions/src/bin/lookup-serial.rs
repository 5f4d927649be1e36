//! lookup-serial: serves `GET /v1/serials/{serial}`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_http("lookup-serial").await
}
