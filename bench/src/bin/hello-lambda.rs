//! The baseline of the cold-start benchmark: a hello-world `lambda_runtime` function built
//! with the same profile as ours. Our figure is the ratio to it.

use lambda_http::lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    run(service_fn(|event: LambdaEvent<serde_json::Value>| async move {
        Ok::<_, Error>(serde_json::json!({ "hello": event.payload }))
    }))
    .await
}
