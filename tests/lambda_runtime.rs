//! A release function binary run as a real Lambda: a minimal Lambda Runtime API on
//! loopback hands it an `events/` payload, exactly as the Lambda service would, and the
//! function answers it against the AWS emulator.

use crate::common::*;
use claimdesk_bench::runtime_api::RuntimeApi;
use serde_json::{json, Value};

fn lambda_binary() -> std::path::PathBuf {
    match std::env::var("CLAIMDESK_LAMBDA_BINARY") {
        Ok(path) => path.into(),
        Err(_) => panic!(
            "CLAIMDESK_LAMBDA_BINARY is not set: `bash scripts/test.sh` builds \
             target/local/create-ticket and sets it"
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

    let mut runtime = RuntimeApi::start("create-ticket").await.unwrap();
    let aws = desk.aws_desk();
    let mut function = tokio::process::Command::new(lambda_binary())
        .env_clear()
        .envs(runtime.lambda_environment("create-ticket"))
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", &aws.endpoint)
        .env("TABLE_NAME", &aws.names.table)
        .env("BUCKET_NAME", &aws.names.bucket)
        .env("EVENT_BUS_NAME", &aws.names.bus)
        .env("MAIL_SECRET", "lambda-runtime-test-secret-0123456789")
        .kill_on_drop(true)
        .spawn()
        .expect("the release binary starts");

    let recorded: Value = serde_json::from_str(&event_file("api/create-ticket.json")).unwrap();
    let request_id = runtime.invoke(recorded).await;
    let answer = tokio::select! {
        answered = runtime.answer() => answered.expect("an answer"),
        exited = function.wait() => panic!("the function exited before answering: {exited:?}"),
    };
    let response = answer.body;
    assert_eq!(
        (answer.request_id.as_str(), answer.kind.as_str()),
        (request_id.as_str(), "response"),
        "{response}"
    );
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
