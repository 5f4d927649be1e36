//! One test harness, two engines. `Desk::local()` starts the real local server on a free
//! port; `Desk::aws()` builds the AWS engine against the emulator (moto) that the test
//! command started, with tables, bucket, bus and SES identity of its own, and drives the
//! Lambda handlers with the `events/` payloads through `lambda_http` types. Tests are
//! written once against `Desk` and run on both with `on_both_engines!`.
#![allow(dead_code)]

mod network;
#[allow(unused_imports)]
pub use network::{Fault, FaultProxy, Relay, DYNAMODB, DYNAMODB_WRITES};

use aws_config::SdkConfig;
use chrono::{DateTime, Duration, TimeZone, Utc};
use claimdesk::{jwt_secret, start, Config, ServerHandle};
use claimdesk_aws::config::Names;
use claimdesk_core::domain::lifecycle::{allowed_transition, Status};
use claimdesk_core::domain::roles::{Identity, Role};
use claimdesk_core::http::auth::{issue_token, verified_claims, TokenRules};
use claimdesk_core::http::{lambda_functions, route_for, Deploy, Function, Route};
use claimdesk_core::mime::KIND_HEADER;
use claimdesk_core::ports::ManualClock;
use claimdesk_core::services::{Core, Settings};
use rand::RngCore;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Tests that load the machine (the schema fuzzer: a server and a Python process) or that
/// race against a time budget (fifty replies on AWS) take turns, so the one does not eat the
/// other's budget on a 2-core machine. Other tests go on beside either.
pub async fn heavy_turn() -> tokio::sync::MutexGuard<'static, ()> {
    static TURN: std::sync::LazyLock<tokio::sync::Mutex<()>> = std::sync::LazyLock::new(Default::default);
    TURN.lock().await
}

/// Runs each named `async fn(Desk)` as two tests, `local::<name>` and `aws::<name>`.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Desk::local().await).await
                }
            )*
        }
        mod aws {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Desk::aws().await).await
                }
            )*
        }
    };
}

pub use claimdesk_bench::{emulator_sdk, ENDPOINT_VARIABLE};

pub fn aws_endpoint() -> String {
    std::env::var(ENDPOINT_VARIABLE).unwrap_or_else(|_| {
        panic!(
            "{ENDPOINT_VARIABLE} is not set: run the suite with `bash scripts/test.sh`, which starts \
             the AWS emulator (moto) and sets it"
        )
    })
}

pub struct AwsDesk {
    pub engine: claimdesk_aws::Engine,
    pub sdk: SdkConfig,
    pub endpoint: String,
    pub names: Names,
    settings: Settings,
    /// Stand between SES's or EventBridge's client and the emulator once a test takes that
    /// service down.
    relays: HashMap<Service, Relay>,
    /// The JWT authorizer's key: tokens the harness issues are checked with it, as API
    /// Gateway checks Cognito's, and their claims reach the function as strings.
    secret: Vec<u8>,
    /// More warm instances of the functions (see `Desk::spread_over_instances`).
    instances: Vec<claimdesk_aws::Engine>,
    next_instance: std::sync::atomic::AtomicUsize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Mail,
    Events,
}

pub enum Engine {
    Local { server: Option<ServerHandle> },
    Aws(Box<AwsDesk>),
}

pub struct Desk {
    pub engine: Engine,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
    /// The local server's address (empty on AWS).
    pub base: String,
}

/// The receiving mail server a local test desk believes (`Settings::mail_authserv_id`).
pub const LOCAL_AUTHSERV_ID: &str = "mx.claimdesk.test";

/// Monday 2 November 2026, 09:00 UTC: "day 1" of the walks.
pub fn day_one() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

pub async fn boot(dir: &Path, clock: Arc<ManualClock>) -> ServerHandle {
    boot_with(dir, clock, |_| {}).await
}

/// Starts the local server; `adjust` changes its configuration first (rate limits…).
pub async fn boot_with(dir: &Path, clock: Arc<ManualClock>, adjust: impl FnOnce(&mut Config)) -> ServerHandle {
    let mut config = Config::new(dir, "127.0.0.1:0".parse().unwrap());
    config.clock = clock;
    // The test drives the sweep and the outbox itself; the timer only backs it up.
    config.tick = std::time::Duration::from_secs(3600);
    // The rate limiter runs on the server's clock, which tests hold still: a test that made
    // more calls than one burst would be refused for ever. `tests/trust/limits.rs` turns
    // the limits on with figures of its own.
    config.rate_limits = None;
    // The mail server in front of the test desk, whose Authentication-Results are believed.
    config.settings.mail_authserv_id = Some(LOCAL_AUTHSERV_ID.into());
    adjust(&mut config);
    start(config).await.expect("server starts")
}

/// A response as the harness sees it, whichever engine answered.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Desk {
    pub async fn local() -> Desk {
        Desk::local_with(|_| {}).await
    }

    /// The local server with its configuration changed by `adjust`.
    pub async fn local_with(adjust: impl FnOnce(&mut Config)) -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(day_one()));
        let server = boot_with(dir.path(), clock.clone(), adjust).await;
        let base = server.base_url();
        Desk {
            engine: Engine::Local { server: Some(server) },
            clock,
            dir,
            http: reqwest::Client::new(),
            base,
        }
    }

    pub async fn aws() -> Desk {
        Desk::aws_via(None).await
    }

    /// The AWS engine whose SDK clients reach the emulator through `proxy`, which can be
    /// told to answer with faults. Resources are made directly, without the proxy.
    pub async fn aws_through(proxy: &FaultProxy) -> Desk {
        Desk::aws_via(Some(proxy.url())).await
    }

    async fn aws_via(clients_endpoint: Option<String>) -> Desk {
        let endpoint = aws_endpoint();
        let sdk = emulator_sdk(&endpoint).await;
        let names = claimdesk_bench::fresh_names();
        let run = names.table.trim_start_matches("claimdesk-").to_string();
        let settings = Settings {
            // Each desk sends from its own address, so that its mail can be told apart in the
            // emulator's shared SES store.
            mail_from: format!("Claimdesk <support+{run}@claimdesk.test>"),
            public_base_url: "https://portal.claimdesk.test".into(),
            mail_authserv_id: Some(claimdesk_aws::config::SES_AUTHSERV_ID.into()),
            ..Settings::default()
        };
        claimdesk_aws::provision::provision(&sdk, &names, &settings.mail_from)
            .await
            .expect("emulator resources");
        let clock = Arc::new(ManualClock::new(day_one()));
        // The SDK's own retry settings (standard mode, three attempts with backoff) are those
        // a function gets from `aws_config::load_defaults`.
        let sdk = match clients_endpoint {
            Some(url) => emulator_sdk(&url).await,
            None => sdk,
        };
        let engine = claimdesk_aws::Engine::new(&sdk, names.clone(), settings.clone(), clock.clone());
        let mut secret = vec![0u8; 32];
        rand::thread_rng().fill_bytes(&mut secret);
        Desk {
            engine: Engine::Aws(Box::new(AwsDesk {
                engine,
                sdk,
                endpoint,
                names,
                settings,
                relays: HashMap::new(),
                secret,
                instances: Vec::new(),
                next_instance: Default::default(),
            })),
            clock,
            dir: tempfile::tempdir().unwrap(),
            http: reqwest::Client::new(),
            base: String::new(),
        }
    }

    pub fn is_aws(&self) -> bool {
        matches!(self.engine, Engine::Aws(_))
    }

    pub fn aws_desk(&self) -> &AwsDesk {
        match &self.engine {
            Engine::Aws(aws) => aws,
            Engine::Local { .. } => panic!("not the AWS engine"),
        }
    }

    pub fn core(&self) -> &Core {
        match &self.engine {
            Engine::Local { server } => &server.as_ref().expect("running").core,
            Engine::Aws(aws) => &aws.engine.core,
        }
    }

    /// Stops everything and starts again on the same data: the local server on its folder,
    /// or fresh function instances (new clients, a cold start) on the same AWS resources.
    pub async fn restart(&mut self) {
        match &mut self.engine {
            Engine::Local { server } => {
                if let Some(running) = server.take() {
                    running.stop().await;
                }
                let started = boot(self.dir.path(), self.clock.clone()).await;
                self.base = started.base_url();
                *server = Some(started);
            }
            Engine::Aws(aws) => {
                aws.engine =
                    claimdesk_aws::Engine::new(&aws.sdk, aws.names.clone(), aws.settings.clone(), self.clock.clone());
            }
        }
    }

    /// On AWS, API requests are spread over `n` function instances, each with clients and
    /// state of its own, as Lambda spreads a burst over warm instances: their writes to one
    /// ticket race through DynamoDB's conditions, not one process's queue. (Locally there
    /// is one server.)
    pub fn spread_over_instances(&mut self, n: usize) {
        if let Engine::Aws(aws) = &mut self.engine {
            aws.instances = (1..n)
                .map(|_| {
                    claimdesk_aws::Engine::new(&aws.sdk, aws.names.clone(), aws.settings.clone(), self.clock.clone())
                })
                .collect();
        }
    }

    /// The key tokens are signed with (the local server's, or the test's API Gateway's).
    pub fn secret(&self) -> Vec<u8> {
        match &self.engine {
            Engine::Local { .. } => jwt_secret(self.dir.path()).unwrap(),
            Engine::Aws(aws) => aws.secret.clone(),
        }
    }

    pub fn token(&self, email: &str, company: &str, role: Role) -> String {
        self.token_from(&self.secret(), email, company, role, Utc::now().timestamp())
    }

    /// A token that expired an hour ago.
    pub fn expired_token(&self, email: &str, company: &str, role: Role) -> String {
        self.token_from(&self.secret(), email, company, role, Utc::now().timestamp() - 2 * 3600)
    }

    /// A well-formed token signed with some other key.
    pub fn forged_token(&self, email: &str, company: &str, role: Role) -> String {
        let mut other = vec![0u8; 32];
        rand::thread_rng().fill_bytes(&mut other);
        self.token_from(&other, email, company, role, Utc::now().timestamp())
    }

    fn token_from(&self, secret: &[u8], email: &str, company: &str, role: Role, issued_at: i64) -> String {
        let who = Identity {
            user_id: format!("u-{email}"),
            email: email.to_string(),
            name: Some(email.split('@').next().unwrap_or(email).to_string()),
            company: company.to_string(),
            roles: vec![role],
        };
        issue_token(secret, &who, issued_at, 3600)
    }

    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
        self.call_with(method, path, token, body, None).await
    }

    pub async fn call_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        idempotency_key: Option<&str>,
    ) -> (u16, Value) {
        let mut headers = Vec::new();
        if let Some(k) = idempotency_key {
            headers.push(("idempotency-key".to_string(), k.to_string()));
        }
        let body = body.map(|b| b.to_string().into_bytes());
        if body.is_some() {
            headers.push(("content-type".to_string(), "application/json".to_string()));
        }
        let answer = self.send(method, path, token, headers, body).await;
        let text = String::from_utf8_lossy(&answer.body).to_string();
        let gateway_refusal = answer.header("x-test-gateway").is_some();
        if answer.status >= 400 && !gateway_refusal {
            assert_eq!(
                answer.header("content-type"),
                Some("application/problem+json"),
                "{} {text}",
                answer.status
            );
        }
        (
            answer.status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Any request, raw: the local server over HTTP, or on AWS the function that API
    /// Gateway would route it to, with an API Gateway v2 event built from `events/api/`.
    pub async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        token: Option<&str>,
        headers: Vec<(String, String)>,
        body: Option<Vec<u8>>,
    ) -> Answer {
        match &self.engine {
            Engine::Local { .. } => {
                let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
                let mut request = self.http.request(method, format!("{}{path_and_query}", self.base));
                if let Some(t) = token {
                    request = request.bearer_auth(t);
                }
                for (name, value) in headers {
                    request = request.header(name, value);
                }
                if let Some(b) = body {
                    request = request.body(b);
                }
                let response = request.send().await.expect("request sent");
                Answer {
                    status: response.status().as_u16(),
                    headers: response
                        .headers()
                        .iter()
                        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
                        .collect(),
                    body: response.bytes().await.unwrap_or_default().to_vec(),
                }
            }
            Engine::Aws(aws) => aws.invoke(method, path_and_query, token, headers, body).await,
        }
    }

    /// Sends an attachment's bytes where the upload grant says, as a browser would. On AWS
    /// that is S3 (the emulator); S3 then reports ObjectCreated to `attachment-confirmed`,
    /// which the harness does with the `events/` payload. True when the file was accepted.
    pub async fn upload(&self, grant: &Value, bytes: Vec<u8>) -> bool {
        let size = bytes.len();
        let status = self.put_upload(grant, bytes).await;
        match &self.engine {
            Engine::Local { .. } => status == 200,
            Engine::Aws(_) => {
                assert_eq!(status, 200, "S3 took the object");
                self.confirm_upload(grant, size).await
            }
        }
    }

    /// The PUT of an upload alone, with the headers the grant lists: its HTTP status.
    pub async fn put_upload(&self, grant: &Value, bytes: Vec<u8>) -> u16 {
        let target = &grant["upload"];
        let method = reqwest::Method::from_bytes(target["method"].as_str().unwrap().as_bytes()).unwrap();
        let mut request = self.http.request(method, target["url"].as_str().unwrap());
        for header in target["headers"].as_array().into_iter().flatten() {
            let (name, value) = (header[0].as_str().unwrap(), header[1].as_str().unwrap());
            if name != "content-length" {
                request = request.header(name, value);
            }
        }
        request.body(bytes).send().await.expect("upload sent").status().as_u16()
    }

    /// On AWS, S3's ObjectCreated event for the grant's object of `size` bytes, delivered to
    /// `attachment-confirmed`: true when the file was stored.
    pub async fn confirm_upload(&self, grant: &Value, size: usize) -> bool {
        let Engine::Aws(aws) = &self.engine else {
            panic!("only S3 reports uploads");
        };
        let key = grant["upload"]["url"]
            .as_str()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .split(&format!("/{}/", aws.names.bucket))
            .nth(1)
            .expect("a path-style URL")
            .to_string();
        aws.object_created(&key, size).await.stored == 1
    }

    /// Downloads an attachment as a browser would, following the redirect to S3 on AWS.
    pub async fn download(&self, path: &str, token: &str) -> (u16, Vec<u8>) {
        let answer = self.send("GET", path, Some(token), Vec::new(), None).await;
        match (answer.status, answer.header("location")) {
            (302, Some(location)) => {
                let response = self.http.get(location).send().await.expect("download");
                (response.status().as_u16(), response.bytes().await.unwrap().to_vec())
            }
            _ => (answer.status, answer.body),
        }
    }

    /// A status change on a ticket: assign, wait_for_customer, resolve, close, escalate …
    pub async fn act(&self, id: &str, token: &str, action: &str) -> (u16, Value) {
        let path = format!("/v1/tickets/{id}/status");
        self.call("POST", &path, Some(token), Some(json!({ "action": action })))
            .await
    }

    /// A public reply on a ticket.
    pub async fn say(&self, id: &str, token: &str, body: &str) -> (u16, Value) {
        self.post_message(id, token, json!({ "body": body })).await
    }

    /// A message with more than its text (internal, attachment ids …).
    pub async fn post_message(&self, id: &str, token: &str, message: Value) -> (u16, Value) {
        let path = format!("/v1/tickets/{id}/messages");
        self.call("POST", &path, Some(token), Some(message)).await
    }

    /// Adds a collaborator to a ticket by e-mail.
    pub async fn invite(&self, id: &str, token: &str, email: &str) -> (u16, Value) {
        let path = format!("/v1/tickets/{id}/collaborators");
        self.call("POST", &path, Some(token), Some(json!({ "email": email })))
            .await
    }

    /// Revokes every guest key of a ticket.
    pub async fn revoke_guest_keys(&self, id: &str, token: &str) -> (u16, Value) {
        let path = format!("/v1/tickets/{id}/guest-keys/revoke");
        self.call("POST", &path, Some(token), None).await
    }

    /// The lifecycle sweep: the local server's worker, or the `lifecycle-sweep` function
    /// with the scheduled event of `events/`.
    pub async fn sweep_now(&self) {
        match &self.engine {
            Engine::Local { server } => server.as_ref().expect("running").sweep_now().await,
            Engine::Aws(aws) => {
                let _schedule: aws_lambda_events::eventbridge::EventBridgeEvent<Value> =
                    serde_json::from_str(&event_file("scheduled-sweep.json")).expect("a scheduled event");
                claimdesk_aws::lambda::handle_sweep(&aws.engine).await.expect("sweep");
            }
        }
    }

    /// The outbox: the local worker, or `deliver-outbox` as the table stream would wake it.
    pub async fn deliver_now(&self) {
        match &self.engine {
            Engine::Local { server } => server.as_ref().expect("running").deliver_now().await,
            Engine::Aws(aws) => {
                let stream: Value = serde_json::from_str(&event_file("outbox-stream.json")).expect("a stream event");
                assert_eq!(stream["Records"][0]["eventSource"], "aws:dynamodb");
                claimdesk_aws::lambda::handle_deliver(&aws.engine)
                    .await
                    .expect("delivery");
            }
        }
    }

    pub async fn advance_days(&self, days: i64) {
        self.clock.advance(Duration::days(days));
        self.sweep_now().await;
        self.deliver_now().await;
    }

    /// Every delivered mail, parsed back from its bytes: the local outbox folder, or what
    /// SES (the emulator) accepted from this desk's sender.
    pub async fn mails(&self) -> Vec<SentMail> {
        let raws: Vec<Vec<u8>> = match &self.engine {
            Engine::Local { .. } => {
                let dir = self.dir.path().join("outbox");
                let mut raws = Vec::new();
                for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                    let name = entry.file_name().to_string_lossy().to_string();
                    if name.ends_with(".eml") && !name.starts_with('.') {
                        raws.push(std::fs::read(entry.path()).unwrap());
                    }
                }
                raws
            }
            Engine::Aws(aws) => aws.sent_mail(&self.http).await,
        };
        raws.iter().map(|raw| SentMail::parse(raw)).collect()
    }

    pub async fn mails_of(&self, kind: &str) -> Vec<SentMail> {
        self.mails().await.into_iter().filter(|m| m.kind == kind).collect()
    }

    /// Hands one raw mail to Claimdesk as its engine receives mail: the local server's intake
    /// endpoint, or the raw message stored in S3 and the `inbound-email` handler run with the
    /// ObjectCreated event of `events/`. Answers what the mail led to.
    pub async fn receive_mail(&self, raw: &[u8]) -> Value {
        match &self.engine {
            Engine::Local { .. } => {
                let answer = self
                    .send(
                        "POST",
                        "/v1/inbound-email",
                        None,
                        vec![("content-type".into(), "message/rfc822".into())],
                        Some(raw.to_vec()),
                    )
                    .await;
                assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
                serde_json::from_slice(&answer.body).unwrap()
            }
            Engine::Aws(aws) => {
                let batch = aws.inbound_email(raw).await;
                assert_eq!(batch.reports.len(), 1);
                serde_json::to_value(&batch.reports[0]).unwrap()
            }
        }
    }

    /// Takes the mail service down or brings it back: on AWS, SES's endpoint stops accepting
    /// connections (a relay on loopback in front of the emulator, closed or open); locally,
    /// the outbox folder cannot be written.
    pub async fn mail_service(&mut self, up: bool) {
        self.service(Service::Mail, up).await
    }

    /// The same for the event bus: EventBridge's endpoint, or the local event log.
    pub async fn event_bus(&mut self, up: bool) {
        self.service(Service::Events, up).await
    }

    async fn service(&mut self, service: Service, up: bool) {
        let (name, is_folder) = match service {
            Service::Mail => ("outbox", true),
            Service::Events => ("events.jsonl", false),
        };
        let place = self.dir.path().join(name);
        match &mut self.engine {
            Engine::Local { .. } => {
                // What the worker writes to is replaced by something it cannot write to: a
                // file where a folder was, or a folder where the log was.
                let away = self.dir.path().join(format!("{name}.away"));
                if up {
                    if is_folder {
                        std::fs::remove_file(&place).unwrap();
                    } else {
                        std::fs::remove_dir(&place).unwrap();
                    }
                    if away.exists() {
                        std::fs::rename(&away, &place).unwrap();
                    }
                } else {
                    if is_folder {
                        std::fs::create_dir_all(&place).unwrap();
                    }
                    if place.exists() {
                        std::fs::rename(&place, &away).unwrap();
                    }
                    if is_folder {
                        std::fs::write(&place, b"not a folder").unwrap();
                    } else {
                        std::fs::create_dir(&place).unwrap();
                    }
                }
            }
            Engine::Aws(aws) => {
                if !aws.relays.contains_key(&service) {
                    let relay = Relay::reserve(aws.endpoint.trim_start_matches("http://"));
                    // The SDK's own retries would only slow the test down: the outbox retries.
                    let sdk = emulator_sdk(&relay.url())
                        .await
                        .into_builder()
                        .retry_config(aws_config::retry::RetryConfig::disabled())
                        .build();
                    match service {
                        Service::Mail => {
                            aws.engine.mailer = Arc::new(claimdesk_aws::mail::SesMailer::new(
                                aws_sdk_sesv2::Client::new(&sdk),
                                aws.names.configuration_set.clone(),
                            ))
                        }
                        Service::Events => {
                            aws.engine.publisher = Arc::new(claimdesk_aws::events::BusPublisher::new(
                                aws_sdk_eventbridge::Client::new(&sdk),
                                &aws.names.bus,
                            ))
                        }
                    }
                    aws.relays.insert(service, relay);
                }
                let relay = aws.relays.get_mut(&service).unwrap();
                if up {
                    relay.up().await;
                } else {
                    relay.down();
                }
            }
        }
    }

    /// The domain events that reached the bus, oldest first, as (detail-type, event id,
    /// detail): the local event log, or what the emulator's EventBridge accepted for this
    /// desk's bus.
    pub async fn published_events(&self) -> Vec<(String, String, Value)> {
        match &self.engine {
            Engine::Local { .. } => std::fs::read_to_string(self.dir.path().join("events.jsonl"))
                .unwrap_or_default()
                .lines()
                .map(|line| {
                    let event: Value = serde_json::from_str(line).unwrap();
                    (
                        event["detail_type"].as_str().unwrap().to_string(),
                        event["id"].as_str().unwrap().to_string(),
                        event["detail"].clone(),
                    )
                })
                .collect(),
            Engine::Aws(aws) => {
                let events: Vec<Value> = self
                    .http
                    .get(format!("{}/_claimdesk/events", aws.endpoint))
                    .query(&[("bus", aws.names.bus.as_str())])
                    .send()
                    .await
                    .expect("emulator reachable")
                    .json()
                    .await
                    .expect("a list of events");
                events
                    .iter()
                    .map(|e| {
                        let detail: Value = serde_json::from_str(e["detail"].as_str().unwrap()).unwrap();
                        (
                            e["detail_type"].as_str().unwrap().to_string(),
                            detail["event_id"].as_str().unwrap().to_string(),
                            detail,
                        )
                    })
                    .collect()
            }
        }
    }

    /// Whether mail to this address is suppressed (after a bounce or complaint).
    pub async fn suppressed(&self, address: &str) -> bool {
        self.core().suppression(address).await.unwrap().is_some()
    }

    /// The guest link of a ticket (path and query), from its receipt mail.
    pub async fn guest_link(&self, number: &str) -> String {
        let receipt = self
            .mails_of("ticket_received")
            .await
            .into_iter()
            .find(|m| m.subject.contains(number))
            .expect("a receipt was mailed");
        let start = receipt.text.find("/v1/guest/").expect("the receipt holds a guest link");
        receipt.text[start..].split_whitespace().next().unwrap().to_string()
    }
}

impl AwsDesk {
    async fn invoke(
        &self,
        method: &str,
        path_and_query: &str,
        token: Option<&str>,
        headers: Vec<(String, String)>,
        body: Option<Vec<u8>>,
    ) -> Answer {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        // On AWS the local server's own routes do not exist: API Gateway has no such route.
        let Some((function, route)) = route_for(method, path).filter(|(f, _)| f.deploy == Deploy::Lambda) else {
            return gateway_refusal(404, "Not Found");
        };
        // API Gateway's JWT authorizer: no valid token, no call.
        let claims = match (route.public(), token) {
            (true, _) => None,
            (false, None) => return gateway_refusal(401, "Unauthorized"),
            (false, Some(token)) => match verified_claims(&self.secret, token, &TokenRules::default()) {
                Ok(claims) => Some(claims),
                Err(_) => return gateway_refusal(401, "Unauthorized"),
            },
        };
        let event = api_event(function, route, path, query, claims, headers, body);
        let request = lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway event");
        let n = self.next_instance.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % (1 + self.instances.len());
        let engine = if n == 0 { &self.engine } else { &self.instances[n - 1] };
        let response = claimdesk_aws::lambda::handle_http(engine, function, request).await;
        Answer {
            status: response.status().as_u16(),
            headers: response
                .headers()
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect(),
            body: response.body().to_vec(),
        }
    }

    pub async fn object_created(&self, key: &str, size: usize) -> claimdesk_aws::lambda::ConfirmReport {
        let mut event: Value = serde_json::from_str(&event_file("s3-object-created.json")).unwrap();
        let object = &mut event["Records"][0]["s3"];
        object["bucket"]["name"] = json!(self.names.bucket);
        object["bucket"]["arn"] = json!(format!("arn:aws:s3:::{}", self.names.bucket));
        object["object"]["key"] = json!(key);
        object["object"]["size"] = json!(size);
        let event = serde_json::from_value(event).expect("an S3 event");
        claimdesk_aws::lambda::handle_object_created(&self.engine, event)
            .await
            .expect("confirmation")
    }

    /// The inbound bucket SES would write to: this desk's attachment bucket's name with
    /// `-mail`, made on first use.
    pub async fn inbound_email(&self, raw: &[u8]) -> claimdesk_aws::lambda::InboundBatch {
        let s3 = aws_sdk_s3::Client::new(&self.sdk);
        let bucket = format!("{}-mail", self.names.bucket);
        // Already there after the first mail; any other failure shows in the put below.
        let _ = s3.create_bucket().bucket(&bucket).send().await;
        let message_id = format!("{:032x}", rand::random::<u128>());
        let key = format!("inbound/{message_id}");
        s3.put_object()
            .bucket(&bucket)
            .key(&key)
            .body(raw.to_vec().into())
            .send()
            .await
            .expect("the emulator stores the raw mail");
        let mut event: Value = serde_json::from_str(&event_file("s3-inbound-email.json")).unwrap();
        let object = &mut event["Records"][0]["s3"];
        object["bucket"]["name"] = json!(bucket);
        object["bucket"]["arn"] = json!(format!("arn:aws:s3:::{bucket}"));
        object["object"]["key"] = json!(key);
        object["object"]["size"] = json!(raw.len());
        let event = serde_json::from_value(event).expect("an S3 event");
        claimdesk_aws::lambda::handle_inbound_email(&self.engine, event)
            .await
            .expect("the inbound function handles the mail")
    }

    /// Raw messages SES accepted from this desk's sender, read from the emulator (see
    /// `scripts/emulator.py`).
    async fn sent_mail(&self, http: &reqwest::Client) -> Vec<Vec<u8>> {
        let sender = claimdesk_core::mime::address_of(&self.settings.mail_from);
        let raws: Vec<String> = http
            .get(format!("{}/_claimdesk/ses-raw", self.endpoint))
            .query(&[("sender", sender)])
            .send()
            .await
            .expect("emulator reachable")
            .json()
            .await
            .expect("a list of raw messages");
        raws.into_iter().map(String::into_bytes).collect()
    }
}

fn gateway_refusal(status: u16, message: &str) -> Answer {
    Answer {
        status,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-test-gateway".into(), "refused".into()),
        ],
        body: json!({ "message": message }).to_string().into_bytes(),
    }
}

pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("events")
}

pub fn event_file(name: &str) -> String {
    std::fs::read_to_string(events_dir().join(name)).unwrap_or_else(|e| panic!("events/{name}: {e}"))
}

/// The `events/api/` file of a route (`claimdesk_aws::generate::event_file`).
pub fn api_event_file(function: &Function, route: &Route) -> String {
    claimdesk_aws::generate::event_file(function, route)
}

/// Every route served by a Lambda function, with its function.
pub fn lambda_routes() -> impl Iterator<Item = (&'static Function, &'static Route)> {
    lambda_functions().flat_map(|f| f.routes.iter().map(move |r| (f, r)))
}

fn templates() -> &'static HashMap<String, Value> {
    static TEMPLATES: OnceLock<HashMap<String, Value>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        lambda_routes()
            .map(|(f, r)| {
                let file = api_event_file(f, r);
                (file.clone(), serde_json::from_str(&event_file(&file)).unwrap())
            })
            .collect()
    })
}

/// The route's `events/api/` payload with this request's path, query, headers, body and
/// the authorizer's claims (as strings, the way API Gateway passes JWT claims on).
fn api_event(
    function: &Function,
    route: &Route,
    path: &str,
    query: &str,
    claims: Option<serde_json::Map<String, Value>>,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
) -> Value {
    let mut event = templates()[&api_event_file(function, route)].clone();
    event["rawPath"] = json!(path);
    event["rawQueryString"] = json!(query);
    let parameters: serde_json::Map<String, Value> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .map(|(k, v)| (k, json!(v)))
        .collect();
    event["queryStringParameters"] = Value::Object(parameters);
    let path_parameters: serde_json::Map<String, Value> = route
        .path
        .split('/')
        .zip(path.split('/'))
        .filter(|(pattern, _)| pattern.starts_with('{'))
        .map(|(pattern, value)| (pattern.trim_matches(['{', '}']).to_string(), json!(value)))
        .collect();
    event["pathParameters"] = Value::Object(path_parameters);
    let mut header_map = event["headers"].as_object().cloned().unwrap_or_default();
    header_map.remove("idempotency-key");
    header_map.remove("content-type");
    for (name, value) in headers {
        header_map.insert(name.to_ascii_lowercase(), json!(value));
    }
    match &body {
        Some(bytes) => {
            header_map.insert("content-length".into(), json!(bytes.len().to_string()));
            match std::str::from_utf8(bytes) {
                Ok(text) => {
                    event["body"] = json!(text);
                    event["isBase64Encoded"] = json!(false);
                }
                Err(_) => {
                    use base64::Engine as _;
                    event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(bytes));
                    event["isBase64Encoded"] = json!(true);
                }
            }
        }
        None => {
            header_map.insert("content-length".into(), json!("0"));
            event.as_object_mut().unwrap().remove("body");
            event["isBase64Encoded"] = json!(false);
        }
    }
    event["headers"] = Value::Object(header_map);
    let context = &mut event["requestContext"];
    context["http"]["path"] = json!(path);
    let mut id = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut id);
    context["requestId"] = json!(id.iter().map(|b| format!("{b:02x}")).collect::<String>());
    match claims {
        Some(claims) => {
            let as_strings: serde_json::Map<String, Value> = claims
                .into_iter()
                .map(|(name, value)| {
                    let text = match value {
                        Value::String(s) => s,
                        // API Gateway flattens arrays to "[a b]".
                        Value::Array(items) => format!(
                            "[{}]",
                            items
                                .iter()
                                .map(|i| i.as_str().map(str::to_string).unwrap_or_else(|| i.to_string()))
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                        other => other.to_string(),
                    };
                    (name, json!(text))
                })
                .collect();
            context["authorizer"] = json!({ "jwt": { "claims": as_strings, "scopes": null } });
        }
        None => {
            context.as_object_mut().unwrap().remove("authorizer");
        }
    }
    event
}

#[derive(Debug, Clone)]
pub struct SentMail {
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub reply_to: String,
    /// With angle brackets, as a client would quote it in In-Reply-To.
    pub message_id: String,
    pub in_reply_to: String,
    pub references: String,
    pub raw: Vec<u8>,
}

impl SentMail {
    fn parse(raw: &[u8]) -> SentMail {
        let parsed = mail_parser::MessageParser::default().parse(raw).expect("mail parses");
        SentMail {
            kind: parsed
                .header_raw(KIND_HEADER)
                .map(|v| v.trim().to_string())
                .unwrap_or_default(),
            to: parsed
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or("")
                .to_string(),
            subject: parsed.subject().unwrap_or("").to_string(),
            text: parsed.body_text(0).map(|t| t.to_string()).unwrap_or_default(),
            html: parsed.body_html(0).map(|t| t.to_string()).unwrap_or_default(),
            reply_to: parsed
                .reply_to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or("")
                .to_string(),
            message_id: parsed.message_id().map(|id| format!("<{id}>")).unwrap_or_default(),
            in_reply_to: parsed.header_raw("In-Reply-To").unwrap_or("").trim().to_string(),
            references: parsed.header_raw("References").unwrap_or("").trim().to_string(),
            raw: raw.to_vec(),
        }
    }
}

/// The cast of the walks: the vendor's agent, ACME's owner and adjuster, and OTHER's users.
pub struct Cast {
    pub agent: String,
    pub admin: String,
    pub client: String,
    pub other_user: String,
    pub other_admin: String,
}

pub async fn company_with_cast(desk: &Desk) -> Cast {
    let cast = Cast {
        agent: desk.token("agent@vendor.test", "VENDOR", Role::AgentL1),
        admin: desk.token("owner@acme.test", "ACME", Role::Owner),
        client: desk.token("adjuster@acme.test", "ACME", Role::Adjuster),
        other_user: desk.token("eve@other.test", "OTHER", Role::Adjuster),
        other_admin: desk.token("boss@other.test", "OTHER", Role::Administrator),
    };
    for (code, support) in [("ACME", "support@acme.test"), ("OTHER", "help@other.test")] {
        let (status, body) = desk
            .call(
                "POST",
                "/v1/companies",
                Some(&cast.agent),
                Some(json!({"code": code, "name": format!("{code} Inc"), "first_level_support_email": support})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    cast
}

pub fn ticket_body(desk: Option<&str>) -> Value {
    let mut body = json!({
        "ticket_type": "claim_issue",
        "module": "Claims",
        "subject": "Claim will not save",
        "description": "Saving claim fails with an error.",
        "priority": "high",
        "claim_numbers": "CMS # 1001; 1002",
        "contact": {"name": "Ada Adjuster", "email": "adjuster@acme.test", "phone": "555-0100"}
    });
    if let Some(d) = desk {
        body["desk"] = json!(d);
    }
    body
}

fn lifecycle_status(text: &Value) -> Status {
    serde_json::from_value(text.clone()).expect("a status")
}

/// The history is one chain of allowed steps that ends in the ticket's status.
pub fn assert_consistent(ticket: &Value) {
    let history = ticket["history"].as_array().unwrap();
    let mut previous: Option<Status> = None;
    for step in history {
        let from = (!step["from"].is_null()).then(|| lifecycle_status(&step["from"]));
        let to = lifecycle_status(&step["to"]);
        assert_eq!(from, previous, "each step starts where the last ended: {ticket}");
        if let Some(from) = from {
            assert!(allowed_transition(from, to), "{from:?} → {to:?} is not in the table");
        }
        previous = Some(to);
    }
    assert_eq!(previous, Some(lifecycle_status(&ticket["status"])));
}

/// Files a ticket as `token`, asserting it was filed; the ticket as the API answered.
pub async fn file_ticket(desk: &Desk, token: &str, body: Value) -> Value {
    let (status, ticket) = desk.call("POST", "/v1/tickets", Some(token), Some(body)).await;
    assert_eq!(status, 201, "{ticket}");
    ticket
}

/// ACME's owner files a vendor-desk ticket; its id.
pub async fn vendor_ticket(desk: &Desk, cast: &Cast) -> String {
    let ticket = file_ticket(desk, &cast.admin, ticket_body(Some("vendor"))).await;
    ticket["id"].as_str().unwrap().to_string()
}

/// Attaches a text file to a ticket as `token` would (grant, then upload); its id.
pub async fn attach_text(desk: &Desk, id: &str, token: &str, filename: &str, bytes: &[u8]) -> String {
    let (status, grant) = desk
        .call(
            "POST",
            &format!("/v1/tickets/{id}/attachments"),
            Some(token),
            Some(json!({"filename": filename, "content_type": "text/plain", "size": bytes.len()})),
        )
        .await;
    assert_eq!(status, 201, "{grant}");
    assert!(desk.upload(&grant, bytes.to_vec()).await, "the upload was accepted");
    grant["attachment"]["id"].as_str().unwrap().to_string()
}

pub fn statuses(ticket: &Value) -> Vec<String> {
    ticket["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap().to_string())
        .collect()
}
