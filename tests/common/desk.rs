//! The desk a test drives: either engine behind one `call`, tokens, uploads, the clock,
//! the sweep and the outbox.

use super::*;
use chrono::{DateTime, Duration, TimeZone, Utc};
use claimdesk::{jwt_secret, start, Config, ServerHandle};
use claimdesk_core::domain::roles::{Identity, Role};
use claimdesk_core::http::auth::issue_token;
use claimdesk_core::ports::ManualClock;
use claimdesk_core::services::{Core, Settings};
use rand::RngCore;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

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

    pub(super) async fn aws_via(clients_endpoint: Option<String>) -> Desk {
        let endpoint = aws_endpoint();
        let sdk = emulator_sdk(&endpoint).await;
        let mut names = claimdesk_bench::fresh_names();
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
        let pool = claimdesk_aws::provision::provision_user_pool(&sdk, &names.table)
            .await
            .expect("the emulator's user pool");
        names.user_pool = Some(pool);
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
                stream_position: Default::default(),
                outbox_position: Default::default(),
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

    /// Runs `work` with no background run beside it (the local server's sweep and outbox
    /// worker wait; on AWS only what the test calls runs).
    pub async fn alone<T>(&self, work: impl std::future::Future<Output = T>) -> T {
        match &self.engine {
            Engine::Local { server } => server.as_ref().expect("running").while_workers_wait(work).await,
            Engine::Aws(_) => work.await,
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

    pub(super) fn token_from(&self, secret: &[u8], email: &str, company: &str, role: Role, issued_at: i64) -> String {
        let who = Identity {
            user_id: format!("u-{email}").into(),
            email: email.to_string().into(),
            name: Some(email.split('@').next().unwrap_or(email).to_string()),
            company: company.to_string().into(),
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
                let schedule: Value =
                    serde_json::from_str(&event_file("scheduled-sweep.json")).expect("a scheduled event");
                let _: aws_lambda_events::eventbridge::EventBridgeEvent<Value> =
                    serde_json::from_value(schedule.clone()).expect("a scheduled event");
                claimdesk_aws::lambda::handle_sweep(&aws.engine, &schedule)
                    .await
                    .expect("sweep");
            }
        }
    }

    /// The outbox: the local worker, or `deliver-outbox` as the table's stream wakes it
    /// (the new notices, held for it) and then as its schedule does (every shard: retries,
    /// and what a stream run left).
    pub async fn deliver_now(&self) {
        match &self.engine {
            Engine::Local { server } => server.as_ref().expect("running").deliver_now().await,
            Engine::Aws(aws) => {
                aws.deliver_stream().await;
                let schedule: Value =
                    serde_json::from_str(&event_file("scheduled-sweep.json")).expect("a scheduled event");
                claimdesk_aws::lambda::handle_deliver(&aws.engine, &schedule)
                    .await
                    .expect("delivery");
            }
        }
    }

    /// The search index caught up: locally it changes with each commit; on AWS the stream's
    /// records so far go to `search-indexer`.
    pub async fn index_now(&self) {
        if let Engine::Aws(aws) = &self.engine {
            aws.index_stream().await;
        }
    }

    /// Time passes (no sweep, no schedule's delivery). On AWS the stream's `deliver-outbox`
    /// run has come first, as it does within a second of a change: the notices written so
    /// far go before the clock moves past their hold (`desk.clock.advance` alone is time
    /// passing with that run late).
    pub async fn let_time_pass(&self, by: Duration) {
        if let Engine::Aws(aws) = &self.engine {
            aws.deliver_stream().await;
        }
        self.clock.advance(by);
    }

    pub async fn advance_seconds(&self, seconds: i64) {
        self.let_time_pass(Duration::seconds(seconds)).await;
    }

    pub async fn advance_days(&self, days: i64) {
        self.let_time_pass(Duration::days(days)).await;
        self.sweep_now().await;
        self.deliver_now().await;
    }
}
