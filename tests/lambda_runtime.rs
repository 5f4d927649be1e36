//! A release function binary run as a real Lambda: a minimal Lambda Runtime API on
//! loopback hands it an `events/` payload, exactly as the Lambda service would, and the
//! function answers it against the AWS emulator.

mod common;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use common::*;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::{mpsc, Mutex};

#[derive(Clone)]
struct Runtime {
    events: Arc<Mutex<mpsc::Receiver<Value>>>,
    answers: mpsc::Sender<(String, Value)>,
}

async fn next(State(runtime): State<Runtime>) -> (HeaderMap, String) {
    let event = runtime.events.lock().await.recv().await.expect("an event to hand out");
    let mut headers = HeaderMap::new();
    headers.insert("lambda-runtime-aws-request-id", "req-1".parse().unwrap());
    let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
    headers.insert("lambda-runtime-deadline-ms", deadline.to_string().parse().unwrap());
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:create-ticket"
            .parse()
            .unwrap(),
    );
    headers.insert(
        "lambda-runtime-trace-id",
        "Root=1-6743a1b2-0123456789abcdef01234567".parse().unwrap(),
    );
    (headers, event.to_string())
}

async fn answer(
    State(runtime): State<Runtime>,
    Path((id, kind)): Path<(String, String)>,
    body: String,
) -> &'static str {
    let value = serde_json::from_str(&body).unwrap_or(Value::String(body));
    runtime.answers.send((format!("{id}/{kind}"), value)).await.ok();
    ""
}

async fn init_error(State(runtime): State<Runtime>, body: String) -> &'static str {
    runtime
        .answers
        .send(("init/error".into(), Value::String(body)))
        .await
        .ok();
    ""
}

fn lambda_binary() -> std::path::PathBuf {
    match std::env::var("CLAIMDESK_LAMBDA_BINARY") {
        Ok(path) => path.into(),
        Err(_) => panic!(
            "CLAIMDESK_LAMBDA_BINARY is not set: `bash scripts/test.sh` builds \
             target/release/create-ticket and sets it"
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_release_create_ticket_binary_answers_its_recorded_event_under_a_lambda_runtime() {
    // The emulator's resources, and the company the recorded event's user belongs to.
    let desk = Desk::aws().await;
    let agent = desk.token(
        "agent@vendor.example",
        "VENDOR",
        claimdesk_core::domain::roles::Role::AgentL1,
    );
    let (status, _) = desk
        .call(
            "POST",
            "/v1/companies",
            Some(&agent),
            Some(
                json!({"code": "ACME", "name": "ACME Claims Inc", "first_level_support_email": "support@acme.example"}),
            ),
        )
        .await;
    assert_eq!(status, 201);

    let (event_tx, event_rx) = mpsc::channel(4);
    let (answer_tx, mut answer_rx) = mpsc::channel(4);
    let runtime = Runtime {
        events: Arc::new(Mutex::new(event_rx)),
        answers: answer_tx,
    };
    let app = axum::Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/{kind}", post(answer))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(runtime);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let aws = desk.aws_desk();
    let mut function = tokio::process::Command::new(lambda_binary())
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "create-ticket")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/create-ticket")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/24/[$LATEST]0123456789abcdef")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", &aws.endpoint)
        .env("TABLE_NAME", &aws.names.table)
        .env("BUCKET_NAME", &aws.names.bucket)
        .env("EVENT_BUS_NAME", &aws.names.bus)
        .kill_on_drop(true)
        .spawn()
        .expect("the release binary starts");

    let recorded: Value = serde_json::from_str(&event_file("api/create-ticket.json")).unwrap();
    event_tx.send(recorded).await.unwrap();
    let (kind, response) = tokio::select! {
        answered = answer_rx.recv() => answered.expect("an answer"),
        exited = function.wait() => panic!("the function exited before answering: {exited:?}"),
    };
    assert_eq!(kind, "req-1/response", "{response}");
    assert_eq!(response["statusCode"], 201, "{response}");
    let ticket: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(ticket["number"], "ACME-000001");
    assert_eq!(ticket["requester"]["email"], "owner@acme.example");

    // What the function wrote is in DynamoDB, read back through the SDK.
    let id = ticket["id"].as_str().unwrap();
    let stored = aws_sdk_dynamodb::Client::new(&aws.sdk)
        .get_item()
        .table_name(&aws.names.table)
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("TICKET#{id}")))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("META".into()))
        .send()
        .await
        .unwrap();
    assert!(stored.item.is_some());
    function.kill().await.ok();
}
