//! What the benchmarks and the tests share: a Lambda Runtime API on loopback, so a real
//! function binary can be run exactly as the Lambda service runs it, a proxy that plays the
//! network in front of the emulator (delays and faults), and the emulator's SDK
//! configuration.

pub mod proxy;
pub mod runtime_api;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;

/// The emulator's address, set by `scripts/test.sh` and `bench/run.sh`.
pub const ENDPOINT_VARIABLE: &str = "CLAIMDESK_AWS_ENDPOINT";

pub async fn emulator_sdk(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "emulator"))
        .load()
        .await
}

pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// One API call straight into the HTTP layer, as a verified caller (no adapter in between).
pub async fn call(
    api: &claimdesk_core::http::Api,
    who: Option<&claimdesk_core::domain::roles::Identity>,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    use claimdesk_core::http::{ApiRequest, Caller};
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let request = ApiRequest {
        method: method.to_string(),
        path: path.to_string(),
        query: query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.map(|b| b.to_string().into_bytes()).unwrap_or_default(),
        caller: who.map_or(Caller::Anonymous, |w| Caller::Verified(w.clone())),
        source: None,
        over_tls: false,
    };
    let response = api.handle(request).await;
    let value = serde_json::from_slice(&response.body).unwrap_or(serde_json::Value::Null);
    (response.status, value)
}

pub fn identity(
    email: &str,
    company: &str,
    role: claimdesk_core::domain::roles::Role,
) -> claimdesk_core::domain::roles::Identity {
    claimdesk_core::domain::roles::Identity {
        user_id: format!("u-{email}").into(),
        email: email.to_string().into(),
        name: Some(email.split('@').next().unwrap_or(email).to_string()),
        company: company.to_string().into(),
        roles: vec![role],
    }
}

/// Names for a fresh set of emulator resources.
pub fn fresh_names() -> claimdesk_aws::config::Names {
    use rand::RngCore;
    let mut raw = [0u8; 6];
    rand::thread_rng().fill_bytes(&mut raw);
    let run: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    claimdesk_aws::config::Names {
        table: format!("claimdesk-{run}"),
        bucket: format!("claimdesk-attachments-{run}"),
        bus: format!("claimdesk-{run}"),
        configuration_set: None,
        user_pool: None,
    }
}

/// The Lambda functions of `functions/src/bin`, by name, sorted.
pub fn function_binaries() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions/src/bin");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("functions/src/bin")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    names.sort();
    names
}

/// The value after `name` on the command line, or `default`.
pub fn argument(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_string())
}

/// Writes items straight into a table (BatchWriteItem, 25 at a time): how the benchmarks
/// seed thousands of records without paying for the API path.
pub async fn seed_items(
    sdk: &SdkConfig,
    table: &claimdesk_aws::table::DynamoTable,
    items: impl IntoIterator<Item = claimdesk_core::ports::Item>,
) {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    let client = aws_sdk_dynamodb::Client::new(sdk);
    let mut batch = Vec::new();
    let mut items = items.into_iter().peekable();
    while let Some(item) = items.next() {
        let attributes = claimdesk_aws::table::to_attributes(&item);
        // The table's meter learns the seeded items' index entries, as if it had written them.
        table.meter_seeded(&attributes);
        let put = PutRequest::builder()
            .set_item(Some(attributes))
            .build()
            .expect("a put request");
        batch.push(WriteRequest::builder().put_request(put).build());
        if batch.len() == 25 || items.peek().is_none() {
            client
                .batch_write_item()
                .request_items(table.name(), std::mem::take(&mut batch))
                .send()
                .await
                .expect("batch write");
        }
    }
}

/// A table's stream as Lambda's event source mapping reads it: every record after
/// `after` (a sequence number; from the start when `None`), through the emulator's DynamoDB
/// Streams API (its own JSON protocol), as one event with the fields Lambda adds
/// (`eventSourceARN`, `awsRegion`) — the shape of `events/table-stream.json`. Also the last
/// record's sequence number, to go on from.
pub async fn stream_batch(
    sdk: &SdkConfig,
    endpoint: &str,
    table: &str,
    after: Option<&str>,
) -> (serde_json::Value, Option<String>) {
    use serde_json::{json, Value};
    let arn = aws_sdk_dynamodb::Client::new(sdk)
        .describe_table()
        .table_name(table)
        .send()
        .await
        .expect("the table")
        .table
        .and_then(|t| t.latest_stream_arn)
        .expect("the table has a stream");
    let http = reqwest::Client::new();
    let call = |target: &'static str, body: Value| {
        let request = http
            .post(endpoint)
            .header("x-amz-target", format!("DynamoDBStreams_20120810.{target}"))
            .header("content-type", "application/x-amz-json-1.0")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
            )
            .body(body.to_string());
        async move {
            let response = request.send().await.expect("the emulator answers");
            let status = response.status();
            let text = response.text().await.expect("an answer");
            let answer: Value = serde_json::from_str(&text).expect("JSON");
            assert!(status.is_success(), "{target}: {answer}");
            answer
        }
    };
    let stream = call("DescribeStream", json!({ "StreamArn": arn })).await;
    let shard = stream["StreamDescription"]["Shards"][0]["ShardId"]
        .as_str()
        .expect("a shard")
        .to_string();
    let request = match after {
        Some(sequence) => {
            json!({ "StreamArn": arn, "ShardId": shard, "ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": sequence })
        }
        None => json!({ "StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON" }),
    };
    let mut iterator = call("GetShardIterator", request).await["ShardIterator"]
        .as_str()
        .expect("an iterator")
        .to_string();
    let mut records: Vec<Value> = Vec::new();
    loop {
        let page = call("GetRecords", json!({ "ShardIterator": iterator, "Limit": 1000 })).await;
        let batch = page["Records"].as_array().cloned().unwrap_or_default();
        if batch.is_empty() {
            break;
        }
        records.extend(batch);
        iterator = page["NextShardIterator"].as_str().expect("a next iterator").to_string();
    }
    let last = records
        .last()
        .and_then(|r| r["dynamodb"]["SequenceNumber"].as_str().map(str::to_string))
        .or_else(|| after.map(str::to_string));
    for record in &mut records {
        record["eventSourceARN"] = json!(arn);
        record["awsRegion"] = json!("us-east-1");
    }
    (json!({ "Records": records }), last)
}

/// The core over the embedded engine in `dir` (a SQLite table that is also the search
/// index, file blobs, local accounts) on `clock`: what the local benchmarks measure without
/// HTTP. Also the table, for what only it has.
pub fn local_core(
    dir: &std::path::Path,
    clock: std::sync::Arc<claimdesk_core::ports::ManualClock>,
) -> (
    claimdesk_core::services::Core,
    std::sync::Arc<claimdesk_local::SqliteTable>,
) {
    use claimdesk_core::services::{Core, NumberPool, Pace, Settings};
    use std::sync::Arc;
    let sqlite = Arc::new(claimdesk_local::SqliteTable::open(&dir.join("bench.db"), clock.clone()).expect("a table"));
    let table: Arc<dyn claimdesk_core::ports::Table> = sqlite.clone();
    let settings = Settings::default();
    let core = Core {
        table: table.clone(),
        blobs: Arc::new(claimdesk_local::FileBlobs::new(&dir.join("files"), "http://127.0.0.1").expect("blobs")),
        accounts: Arc::new(claimdesk_local::LocalAccounts::new(
            table,
            clock.clone(),
            Arc::new(vec![7; 32]),
            claimdesk_core::http::auth::TokenRules::default(),
        )),
        search: sqlite.clone(),
        clock,
        numbers: NumberPool::new(settings.number_block_max),
        pace: Arc::new(Pace::new(settings.mail_send_rate)),
        settings: Arc::new(settings),
        catalogue: Arc::new(claimdesk_core::domain::catalogue::Catalogue::defaults()),
    };
    (core, sqlite)
}
