//! A real local server on a free port, with a temporary data folder and a clock the test
//! moves, plus a small client that speaks to it as a user would.
#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use claimdesk::{jwt_secret, start, Config, ServerHandle};
use claimdesk_core::domain::roles::{Identity, Role};
use claimdesk_core::http::auth::issue_token;
use claimdesk_core::ports::ManualClock;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct Desk {
    pub server: Option<ServerHandle>,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
    pub base: String,
}

/// Monday 2 November 2026, 09:00 UTC: "day 1" of the walks.
pub fn day_one() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

pub async fn boot(dir: &Path, clock: Arc<ManualClock>) -> ServerHandle {
    let mut config = Config::new(dir, "127.0.0.1:0".parse().unwrap());
    config.clock = clock;
    // The test drives the sweep and the outbox itself; the timer only backs it up.
    config.tick = std::time::Duration::from_secs(3600);
    start(config).await.expect("server starts")
}

impl Desk {
    pub async fn new() -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(day_one()));
        let server = boot(dir.path(), clock.clone()).await;
        let base = server.base_url();
        Desk {
            server: Some(server),
            clock,
            dir,
            http: reqwest::Client::new(),
            base,
        }
    }

    pub fn server(&self) -> &ServerHandle {
        self.server.as_ref().expect("running")
    }

    /// Stops the server and starts a new one on the same folder.
    pub async fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        let server = boot(self.dir.path(), self.clock.clone()).await;
        self.base = server.base_url();
        self.server = Some(server);
    }

    pub fn token(&self, email: &str, company: &str, role: Role) -> String {
        let who = Identity {
            user_id: format!("u-{email}"),
            email: email.to_string(),
            name: Some(email.split('@').next().unwrap_or(email).to_string()),
            company: company.to_string(),
            roles: vec![role],
        };
        let secret = jwt_secret(self.dir.path()).unwrap();
        issue_token(&secret, &who, Utc::now().timestamp(), 3600)
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
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(k) = idempotency_key {
            request = request.header("idempotency-key", k);
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = response.text().await.unwrap_or_default();
        if status >= 400 {
            assert_eq!(content_type, "application/problem+json", "{status} {text}");
        }
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// A status change on a ticket: assign, wait_for_customer, resolve, close, escalate …
    pub async fn act(&self, id: &str, token: &str, action: &str) -> (u16, Value) {
        let path = format!("/v1/tickets/{id}/status");
        self.call("POST", &path, Some(token), Some(json!({ "action": action })))
            .await
    }

    /// A public reply on a ticket.
    pub async fn say(&self, id: &str, token: &str, body: &str) -> (u16, Value) {
        let path = format!("/v1/tickets/{id}/messages");
        self.call("POST", &path, Some(token), Some(json!({ "body": body })))
            .await
    }

    pub async fn advance_days(&self, days: i64) {
        self.clock.advance(Duration::days(days));
        self.server().sweep_now().await;
        self.server().deliver_now().await;
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.dir.path().join("outbox")
    }

    /// Every delivered mail: (kind, to, subject, text body).
    pub fn mails(&self) -> Vec<SentMail> {
        let mut out = Vec::new();
        let Ok(entries) = std::fs::read_dir(self.outbox_dir()) else {
            return out;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if !name.ends_with(".eml") || name.starts_with('.') {
                continue;
            }
            let raw = std::fs::read(entry.path()).unwrap();
            let parsed = mail_parser::MessageParser::default().parse(&raw).expect("mail parses");
            out.push(SentMail {
                kind: name.split('-').next().unwrap_or("").to_string(),
                to: parsed
                    .to()
                    .and_then(|a| a.first())
                    .and_then(|a| a.address())
                    .unwrap_or("")
                    .to_string(),
                subject: parsed.subject().unwrap_or("").to_string(),
                text: parsed.body_text(0).map(|t| t.to_string()).unwrap_or_default(),
                html: parsed.body_html(0).map(|t| t.to_string()).unwrap_or_default(),
            });
        }
        out
    }

    pub fn mails_of(&self, kind: &str) -> Vec<SentMail> {
        self.mails().into_iter().filter(|m| m.kind == kind).collect()
    }

    /// The guest link of a ticket, from its receipt mail.
    pub fn guest_link(&self, number: &str) -> String {
        let receipt = self
            .mails_of("ticket_received")
            .into_iter()
            .find(|m| m.subject.contains(number))
            .expect("a receipt was mailed");
        let start = receipt.text.find("/v1/guest/").expect("the receipt holds a guest link");
        receipt.text[start..].split_whitespace().next().unwrap().to_string()
    }
}

#[derive(Debug, Clone)]
pub struct SentMail {
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
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

pub fn statuses(ticket: &Value) -> Vec<String> {
    ticket["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap().to_string())
        .collect()
}
