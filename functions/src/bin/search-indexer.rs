//! search-indexer: keeps the search index current from the table's stream (one at a time).

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_index().await
}
