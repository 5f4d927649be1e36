//! add-collaborator: serves `POST /v1/tickets/{id}/collaborators`.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    claimdesk_aws::lambda::run_http("add-collaborator").await
}
