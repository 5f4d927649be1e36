//! Cold start and memory of every function, run as the Lambda service runs it: each release
//! binary under a local Lambda Runtime API, against the AWS emulator, answering its
//! `events/` payload (with ids of a real ticket filled in). Prints, per function: the median
//! init (process start → its first request for an event) and cold start (process start →
//! first event answered) over several runs, each with its ratio to a
//! hello-world `lambda_runtime` binary of the same profile; the median warm invocation; the
//! peak RSS over the warm invocations.
//!
//! Usage: lambda-bench [--bin-dir target/release] [--runs 5] [--warm 1000] [--only f1,f2]
//! (`--only`: just these functions, beside the hello-world baseline)
//! Needs CLAIMDESK_AWS_ENDPOINT (bench/run.sh starts the emulator and sets it).

use claimdesk_bench::runtime_api::RuntimeApi;
use claimdesk_bench::{
    argument, call, emulator_sdk, fresh_names, function_binaries, identity, median, ENDPOINT_VARIABLE,
};
use claimdesk_core::domain::roles::Role;
use claimdesk_core::http::auth::identity_from_claims;
use claimdesk_core::ports::SystemClock;
use claimdesk_core::services::Settings;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

const EXAMPLE_TICKET: &str = "t_01JEXAMPLE0000000000000000";
const EXAMPLE_ATTACHMENT: &str = "att_01JEXAMPLE000000000000000";

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// `api/<function>.json`, or for a function of several routes the first of its
/// `api/<function>-<method>-<route>.json` events.
fn own_event(function: &str) -> String {
    let single = format!("api/{function}.json");
    if events_dir().join(&single).exists() {
        return single;
    }
    let prefix = format!("{function}-");
    let mut routes: Vec<String> = std::fs::read_dir(events_dir().join("api"))
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                .filter(|name| name.starts_with(&prefix) && name.ends_with(".json"))
                .collect()
        })
        .unwrap_or_default();
    routes.sort();
    routes.first().map_or(single, |name| format!("api/{name}"))
}

/// The event each function answers, with a real ticket's ids in place of the recorded ones.
fn event_for(function: &str, ticket: &str, attachment: &str) -> Value {
    let file = match function {
        "hello-lambda" => return json!({ "ping": 1 }),
        "attachment-confirmed" => "s3-object-created.json".to_string(),
        "deliver-outbox" => "outbox-stream.json".to_string(),
        "lifecycle-sweep" => "scheduled-sweep.json".to_string(),
        "inbound-email" => "s3-inbound-email.json".to_string(),
        "mail-feedback" => "ses-bounce.json".to_string(),
        "guest-ticket" => "api/guest-ticket-get.json".to_string(),
        // A refresh with a session nobody has: Cognito's answer, without a password to hash.
        "sessions" => "api/sessions-post-refresh.json".to_string(),
        "search-indexer" => "table-stream.json".to_string(),
        other => own_event(other),
    };
    let text = std::fs::read_to_string(events_dir().join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut event: Value = serde_json::from_str(
        &text
            .replace(EXAMPLE_TICKET, ticket)
            .replace(EXAMPLE_ATTACHMENT, attachment),
    )
    .unwrap();
    // Warm runs repeat the event: without the recorded key each create is a real create.
    if let Some(headers) = event["headers"].as_object_mut() {
        headers.remove("idempotency-key");
    }
    event
}

struct Figures {
    /// Process start to its first request for an event.
    init_ms: f64,
    /// Process start to its first answer.
    cold_ms: f64,
    warm_ms: f64,
    peak_rss_mb: f64,
    status: String,
}

fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn status_of(answer: &Value) -> String {
    match answer.get("statusCode") {
        Some(code) => code.to_string(),
        None => "ok".into(),
    }
}

async fn spawn(binary: &Path, runtime: &RuntimeApi, function: &str, env: &[(String, String)]) -> tokio::process::Child {
    tokio::process::Command::new(binary)
        .env_clear()
        .envs(runtime.lambda_environment(function))
        .envs(env.iter().cloned())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", binary.display()))
}

async fn measure(
    binary: &Path,
    function: &str,
    event: &Value,
    env: &[(String, String)],
    runs: usize,
    warm: usize,
) -> Figures {
    let mut colds = Vec::new();
    let mut inits = Vec::new();
    let mut status = String::new();
    for _ in 0..runs {
        let mut runtime = RuntimeApi::start(function).await.unwrap();
        runtime.invoke(event.clone()).await;
        let started = Instant::now();
        let mut child = spawn(binary, &runtime, function, env).await;
        let answer = runtime.answer().await.expect("an answer");
        colds.push((answer.at - started).as_secs_f64() * 1000.0);
        if let Some(polled) = runtime.first_poll() {
            inits.push((polled - started).as_secs_f64() * 1000.0);
        }
        status = format!("{} {}", answer.kind, status_of(&answer.body));
        child.kill().await.ok();
    }
    let mut runtime = RuntimeApi::start(function).await.unwrap();
    let mut child = spawn(binary, &runtime, function, env).await;
    let mut warms = Vec::new();
    for _ in 0..warm {
        let started = Instant::now();
        runtime.invoke(event.clone()).await;
        let answer = runtime.answer().await.expect("an answer");
        warms.push((answer.at - started).as_secs_f64() * 1000.0);
    }
    let peak = child.id().map_or(f64::NAN, peak_rss_mb);
    child.kill().await.ok();
    Figures {
        cold_ms: median(&mut colds),
        init_ms: median(&mut inits),
        warm_ms: median(&mut warms),
        peak_rss_mb: peak,
        status,
    }
}

#[tokio::main]
async fn main() {
    let bin_dir = PathBuf::from(argument("--bin-dir", "target/release"));
    let runs: usize = argument("--runs", "5").parse().unwrap();
    let warm: usize = argument("--warm", "1000").parse().unwrap();
    let only = argument("--only", "");
    let endpoint = std::env::var(ENDPOINT_VARIABLE).expect("CLAIMDESK_AWS_ENDPOINT (bench/run.sh sets it)");
    let sdk = emulator_sdk(&endpoint).await;
    let mut names = fresh_names();
    let settings = Settings::default();
    claimdesk_aws::provision::provision(&sdk, &names, &settings.mail_from)
        .await
        .expect("emulator resources");
    let pool = claimdesk_aws::provision::provision_user_pool(&sdk, &names.table)
        .await
        .expect("the emulator's user pool");
    names.user_pool = Some(pool.clone());
    let engine = claimdesk_aws::Engine::new(&sdk, names.clone(), settings, Arc::new(SystemClock));

    // The recorded events' user, a company for them, a ticket and a stored attachment.
    let recorded: Value =
        serde_json::from_str(&std::fs::read_to_string(events_dir().join("api/get-ticket.json")).unwrap()).unwrap();
    let owner = identity_from_claims(
        recorded["requestContext"]["authorizer"]["jwt"]["claims"]
            .as_object()
            .unwrap(),
    )
    .unwrap();
    let agent = identity("agent@vendor.example", "VENDOR", Role::AgentL1);
    let company =
        json!({"code": "ACME", "name": "ACME Claims Inc", "first_level_support_email": "support@acme.example"});
    call(&engine.api, Some(&agent), "POST", "/v1/companies", Some(company)).await;
    let created: Value =
        serde_json::from_str(recorded_body("create-ticket").as_str().unwrap_or("{}")).unwrap_or(json!({}));
    let (status, ticket) = call(&engine.api, Some(&owner), "POST", "/v1/tickets", Some(created)).await;
    assert_eq!(status, 201, "{ticket}");
    let ticket_id = claimdesk_core::services::ticket_id(ticket["id"].as_str().unwrap()).unwrap();
    let grant = json!({"filename": "claim-export.pdf", "content_type": "application/pdf", "size": 48213});
    let (_, grant) = call(
        &engine.api,
        Some(&owner),
        "POST",
        &format!("/v1/tickets/{ticket_id}/attachments"),
        Some(grant),
    )
    .await;
    let attachment_id = grant["attachment"]["id"].as_str().unwrap().to_string();
    let key = format!("tickets/{ticket_id}/{attachment_id}");
    engine.core.blobs.put(&key, &vec![0u8; 48213]).await.unwrap();
    engine
        .core
        .confirm_upload(&ticket_id, &attachment_id, 48213)
        .await
        .unwrap();

    // The raw mail the recorded inbound event names: the owner's reply, found by its subject
    // tag. Warm runs repeat the event, so after the first they measure the duplicate check.
    let inbound: Value =
        serde_json::from_str(&std::fs::read_to_string(events_dir().join("s3-inbound-email.json")).unwrap()).unwrap();
    let inbound_object = &inbound["Records"][0]["s3"];
    let s3 = engine.s3.get();
    let inbound_bucket = inbound_object["bucket"]["name"].as_str().unwrap();
    // The bucket outlives one run of the bench on a long-lived emulator: "already owned" is fine.
    let _ = s3.create_bucket().bucket(inbound_bucket).send().await;
    let raw = format!(
        "From: {} <{}>\r\nTo: support@claimdesk.local\r\nSubject: Re: [{}] New ticket\r\nMessage-ID: <bench-{}@acme.example>\r\n\r\nStill failing after the update.\r\n",
        owner.display_name(),
        owner.email,
        ticket["number"].as_str().unwrap(),
        names.table
    );
    s3.put_object()
        .bucket(inbound_bucket)
        .key(inbound_object["object"]["key"].as_str().unwrap())
        .body(raw.into_bytes().into())
        .send()
        .await
        .expect("the emulator stores the raw mail");

    let env: Vec<(String, String)> = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("TABLE_NAME", names.table.as_str()),
        ("BUCKET_NAME", names.bucket.as_str()),
        ("EVENT_BUS_NAME", names.bus.as_str()),
        ("MAIL_FROM", "Claimdesk <support@claimdesk.local>"),
        ("MAIL_SECRET", "lambda-bench-secret-0123456789abcdef"),
        ("RUST_LOG", "warn"),
        ("USER_POOL_ID", pool.id.as_str()),
        ("USER_POOL_CLIENT_ID", pool.client_id.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();

    // The outbox and the sweep go first, while only the setup's few mails wait: after a
    // thousand creates and replies they would measure the emulator's SES draining a backlog
    // of thousands (moto slows down as its sent-mail store grows), not one wake-up.
    let mut functions = vec![
        "hello-lambda".to_string(),
        "deliver-outbox".to_string(),
        "lifecycle-sweep".to_string(),
    ];
    let rest: Vec<String> = function_binaries()
        .into_iter()
        .filter(|f| !functions.contains(f))
        .collect();
    functions.extend(rest);
    if !only.is_empty() {
        let wanted: Vec<&str> = only.split(',').map(str::trim).collect();
        functions.retain(|f| f == "hello-lambda" || wanted.contains(&f.as_str()));
    }

    println!(
        "lambda-bench: {runs} cold starts (median) and {warm} warm invocations per function, binaries from {}",
        bin_dir.display()
    );
    println!(
        "{:<22} {:>8} {:>8} {:>10} {:>8} {:>10} {:>10}  answer",
        "function", "init ms", "× hello", "cold ms", "× hello", "warm ms", "peak MB"
    );
    let mut hello_cold = f64::NAN;
    let mut hello_init = f64::NAN;
    for function in &functions {
        let binary = bin_dir.join(function);
        let event = event_for(function, &ticket_id, &attachment_id);
        let figures = measure(&binary, function, &event, &env, runs, warm).await;
        if function == "hello-lambda" {
            hello_cold = figures.cold_ms;
            hello_init = figures.init_ms;
        }
        println!(
            "{:<22} {:>8.1} {:>8.1} {:>10.1} {:>8.1} {:>10.2} {:>10.1}  {}",
            function,
            figures.init_ms,
            figures.init_ms / hello_init,
            figures.cold_ms,
            figures.cold_ms / hello_cold,
            figures.warm_ms,
            figures.peak_rss_mb,
            figures.status
        );
    }
}

fn recorded_body(function: &str) -> Value {
    let event: Value =
        serde_json::from_str(&std::fs::read_to_string(events_dir().join(format!("api/{function}.json"))).unwrap())
            .unwrap();
    event["body"].clone()
}
