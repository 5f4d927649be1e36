//! Mail as a test sees it: what either engine sent, parsed back; mail services taken down
//! and brought back; events published; addresses suppressed.

use super::*;
use claimdesk_core::mime::KIND_HEADER;
use serde_json::Value;
use std::sync::Arc;

impl Desk {
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

    /// A mailer and a publisher of this desk's engine, for a test that runs deliveries of
    /// its own beside the desk's (the local outbox folder and event log, or SES and
    /// EventBridge on the emulator).
    pub fn delivery_ports(
        &self,
    ) -> (
        Arc<dyn claimdesk_core::ports::Mailer>,
        Arc<dyn claimdesk_core::ports::Publisher>,
    ) {
        match &self.engine {
            Engine::Local { .. } => (
                Arc::new(claimdesk_local::EmlOutbox::new(&self.dir.path().join("outbox")).unwrap()),
                Arc::new(claimdesk_local::EventLog::new(&self.dir.path().join("events.jsonl"))),
            ),
            Engine::Aws(aws) => (aws.engine.mailer.clone(), aws.engine.publisher.clone()),
        }
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

    pub(super) async fn service(&mut self, service: Service, up: bool) {
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
                                claimdesk_aws::lazy::LazyClient::ready(aws_sdk_sesv2::Client::new(&sdk)),
                                aws.names.configuration_set.clone(),
                            ))
                        }
                        Service::Events => {
                            aws.engine.publisher = Arc::new(claimdesk_aws::events::BusPublisher::new(
                                claimdesk_aws::lazy::LazyClient::ready(aws_sdk_eventbridge::Client::new(&sdk)),
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

    /// The guest link of a ticket, from its receipt mail: the portal page it opens
    /// (`/portal/guest/{id}#key=…`).
    pub async fn guest_page(&self, number: &str) -> String {
        let receipt = self
            .mails_of("ticket_received")
            .await
            .into_iter()
            .find(|m| m.subject.contains(number))
            .expect("a receipt was mailed");
        let start = receipt
            .text
            .find("/portal/guest/")
            .expect("the receipt holds a guest link");
        receipt.text[start..].split_whitespace().next().unwrap().to_string()
    }

    /// The API path the guest page calls with the mailed key: `/v1/guest/tickets/{id}?key=…`.
    pub async fn guest_link(&self, number: &str) -> String {
        let page = self.guest_page(number).await;
        let (id, key) = page
            .trim_start_matches("/portal/guest/")
            .split_once("#key=")
            .expect("the guest page carries its key in the fragment");
        format!("/v1/guest/tickets/{id}?key={key}")
    }
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
    pub(super) fn parse(raw: &[u8]) -> SentMail {
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
