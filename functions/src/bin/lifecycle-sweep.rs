//! lifecycle-sweep: the scheduled lifecycle sweep (Waiting For Customer and Resolved timers).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_sweep().await
}
