//! The AWS engine at scale, through a network that takes a region's time: the SDK clients
//! talk to the emulator through the loopback proxy (`claimdesk_bench::proxy`), which holds
//! every DynamoDB request for 5 ms and every SES send for 50 ms. Prints the wall time and
//! the requests of
//! - a lifecycle sweep of N due tickets (`--due`, 10,000),
//! - a burst of N mails delivered at a send rate (`--mails`, 10,000; `--send-rate`, 200 a
//!   second) as the table's stream hands them over, to two instances at once with the
//!   schedule's run beside them, counting any mail sent twice,
//! - N concurrent creates for one company (`--creates`, 1,000).
//!
//! The emulator answers every request itself, one at a time, so its own time (a few
//! milliseconds a request under load) comes on top of the proxy's: the wall times printed
//! are an upper bound of what a region would take.
//!
//! Usage: at-scale [--due 10000] [--mails 10000] [--send-rate 200] [--creates 1000]
//! Needs CLAIMDESK_AWS_ENDPOINT (bench/run.sh starts the emulator and sets it).

use async_trait::async_trait;
use chrono::{Duration, TimeZone, Utc};
use claimdesk_aws::Engine;
use claimdesk_bench::proxy::{FaultProxy, DYNAMODB, SES_SEND};
use claimdesk_bench::{argument, call, emulator_sdk, fresh_names, identity, seed_items, ENDPOINT_VARIABLE};
use claimdesk_core::domain::ids::TicketId;
use claimdesk_core::domain::roles::Role;
use claimdesk_core::mail::templates::MailKind;
use claimdesk_core::ports::{DeliveryError, Mail, Mailer, ManualClock, Write};
use claimdesk_core::services::mail::notify::Outbox;
use claimdesk_core::services::Settings;
use claimdesk_core::store;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

const DYNAMODB_DELAY: std::time::Duration = std::time::Duration::from_millis(5);
const SES_DELAY: std::time::Duration = std::time::Duration::from_millis(50);

/// One deployment's table, reached two ways: straight (for seeding) and through the proxy.
struct Stage {
    direct: Engine,
    slow: Engine,
    sdk: aws_config::SdkConfig,
    slow_sdk: aws_config::SdkConfig,
    proxy: FaultProxy,
    clock: Arc<ManualClock>,
    names: claimdesk_aws::config::Names,
    settings: Settings,
}

impl Stage {
    async fn new(endpoint: &str, settings: Settings) -> Stage {
        let proxy = FaultProxy::start(endpoint).await;
        proxy.delay(DYNAMODB[0], DYNAMODB_DELAY);
        proxy.delay(SES_SEND, SES_DELAY);
        let sdk = emulator_sdk(endpoint).await;
        let slow_sdk = emulator_sdk(&proxy.url()).await;
        let names = fresh_names();
        claimdesk_aws::provision::provision(&sdk, &names, &settings.mail_from)
            .await
            .expect("emulator resources");
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()));
        let slow = Engine::new(&slow_sdk, names.clone(), settings.clone(), clock.clone());
        // Its write units as DynamoDB charges them (the seeded items are made known to it).
        slow.dynamo.meter_old_images();
        Stage {
            direct: Engine::new(&sdk, names.clone(), settings.clone(), clock.clone()),
            slow,
            sdk,
            slow_sdk,
            proxy,
            clock,
            names,
            settings,
        }
    }

    /// Another function instance on the same table, through the proxy.
    fn another_instance(&self) -> Engine {
        Engine::new(
            &self.slow_sdk,
            self.names.clone(),
            self.settings.clone(),
            self.clock.clone(),
        )
    }

    async fn company(&self) {
        let agent = identity("agent@vendor.test", "VENDOR", Role::AgentL1);
        let company = json!({"code": "ACME", "name": "ACME Inc", "first_level_support_email": "support@acme.test"});
        let (status, answer) = call(&self.direct.api, Some(&agent), "POST", "/v1/companies", Some(company)).await;
        assert_eq!(status, 201, "{answer}");
    }

    /// Requests through the proxy since `from` (an index into its log).
    fn requests_since(&self, from: (usize, usize)) -> (usize, usize) {
        let (dynamo, ses) = self.requests();
        (dynamo - from.0, ses - from.1)
    }

    fn requests(&self) -> (usize, usize) {
        (self.proxy.calls(DYNAMODB[0]).len(), self.proxy.calls(SES_SEND).len())
    }
}

/// The emulator's own time per DynamoDB request: it serves them one at a time
/// (`scripts/emulator.py`), so a run's requests need at least this much each, whatever the
/// engine's concurrency. Measured with 200 sequential conditional puts straight to it.
async fn emulator_ms_per_request(stage: &Stage) -> f64 {
    use claimdesk_core::ports::{Item, Table};
    let started = Instant::now();
    for n in 0..200 {
        let item = Item::new(format!("CALIBRATE#{n}"), "META", json!({ "padding": "x".repeat(600) }));
        stage
            .direct
            .dynamo
            .write(vec![Write::create(item)])
            .await
            .expect("a put");
    }
    started.elapsed().as_secs_f64() * 1000.0 / 200.0
}

/// What the emulator alone needs for `requests`, beside the wall time.
fn emulator_bound(requests: usize, ms_per_request: f64) -> String {
    format!(
        "the emulator alone needs {:.1} s for them at {ms_per_request:.1} ms each",
        requests as f64 * ms_per_request / 1000.0
    )
}

fn ticket_body() -> serde_json::Value {
    json!({
        "desk": "vendor", "ticket_type": "claim_issue", "module": "Claims", "subject": "Claim will not save",
        "description": "Saving claim CMS # 1001 fails with error E-17.", "priority": "high",
        "contact": {"name": "Olga Owner", "email": "owner@acme.test"}
    })
}

/// `due` tickets waiting for the customer, all due, swept once.
async fn sweep(endpoint: &str, due: usize) {
    let stage = Stage::new(endpoint, Settings::default()).await;
    stage.company().await;
    let agent = identity("agent@vendor.test", "VENDOR", Role::AgentL1);
    let owner = identity("owner@acme.test", "ACME", Role::Owner);
    let api = &stage.direct.api;
    let (_, ticket) = call(api, Some(&owner), "POST", "/v1/tickets", Some(ticket_body())).await;
    let path = format!("/v1/tickets/{}/status", ticket["id"].as_str().unwrap());
    for action in ["assign", "wait_for_customer"] {
        call(api, Some(&agent), "POST", &path, Some(json!({ "action": action }))).await;
    }
    let template_id = claimdesk_core::services::ticket_id(ticket["id"].as_str().unwrap()).unwrap();
    let template = stage.direct.core.load_ticket(&template_id).await.unwrap().record;
    let timers = stage.settings.timers;
    let copies = (1..due).map(|n| {
        let mut copy = template.clone();
        copy.id = TicketId::generate();
        copy.number = format!("ACME-w{n:07}");
        store::ticket_item(&copy, 1, &timers)
    });
    seed_items(&stage.sdk, &stage.slow.dynamo, copies).await;
    let ms = emulator_ms_per_request(&stage).await;
    // Four days later every waiting ticket resolves by itself.
    stage.clock.advance(Duration::days(4) + Duration::minutes(1));
    let usage = stage.slow.dynamo.usage();
    let requests = stage.requests();
    let started = Instant::now();
    let report = stage.slow.core.sweep().await.expect("sweep");
    let took = started.elapsed();
    let cost = stage.slow.dynamo.usage().since(&usage);
    let (dynamo, _) = stage.requests_since(requests);
    let per = |x: f64| x / report.changed.max(1) as f64;
    println!(
        "sweep: {} due tickets, {} changed, {} deferred in {:.1} s ({:.0} a second); {dynamo} DynamoDB requests ({}); \
         per ticket {:.1} requests, {:.1} RCU, {:.1} WCU",
        report.examined,
        report.changed,
        report.deferred,
        took.as_secs_f64(),
        report.changed as f64 / took.as_secs_f64(),
        emulator_bound(dynamo, ms),
        per(dynamo as f64),
        per(cost.read_units),
        per(cost.write_units),
    );
}

/// A mailer that records every mail id it was handed, in front of the real one.
struct Counting {
    inner: Arc<dyn Mailer>,
    sent: Arc<Mutex<HashMap<String, usize>>>,
}

#[async_trait]
impl Mailer for Counting {
    async fn send(&self, mail: &Mail) -> Result<(), DeliveryError> {
        let result = self.inner.send(mail).await;
        if result.is_ok() {
            *self.sent.lock().unwrap().entry(mail.id.clone()).or_default() += 1;
        }
        result
    }
}

/// `mails` notices of one mail each, written at once, delivered as the table's stream
/// hands them over: in batches of 100 (the template's batch size) to two instances at once
/// (two stream shards, or a parallelisation factor of two) that share the account's send
/// rate, while the schedule's run reads the outbox index beside them (it must pass the
/// held notices by). Counts any mail sent twice.
async fn mail_burst(endpoint: &str, mails: usize, send_rate: f64) {
    let settings = Settings {
        mail_send_rate: send_rate / 2.0,
        ..Settings::default()
    };
    let stage = Stage::new(endpoint, settings).await;
    stage.company().await;
    let owner = identity("owner@acme.test", "ACME", Role::Owner);
    let mut tickets = Vec::new();
    for _ in 0..100.min(mails) {
        let (_, ticket) = call(
            &stage.direct.api,
            Some(&owner),
            "POST",
            "/v1/tickets",
            Some(ticket_body()),
        )
        .await;
        let id = claimdesk_core::services::ticket_id(ticket["id"].as_str().unwrap()).unwrap();
        tickets.push(stage.direct.core.load_ticket(&id).await.unwrap().record);
    }
    // The tickets' own notices are held for stream runs this benchmark does not make: only
    // the burst is delivered.
    let notices: Vec<_> = (0..mails)
        .flat_map(|n| {
            let mut outbox = Outbox::new(&stage.direct.core);
            let text = json!({ "author": "Sam Support", "body": format!("Reply number {n}.") });
            outbox.mail(
                &tickets[n % tickets.len()],
                MailKind::Reply,
                &format!("customer{n}@acme.test"),
                text,
            );
            outbox.into_writes().into_iter().filter_map(|write| match write {
                Write::Put { item, .. } => Some(item),
                Write::Delete { .. } => None,
            })
        })
        .collect();
    let batches: Vec<Vec<(String, String)>> = notices
        .chunks(100)
        .map(|batch| batch.iter().map(|item| (item.pk.clone(), item.sk.clone())).collect())
        .collect();
    seed_items(&stage.sdk, &stage.slow.dynamo, notices).await;
    let ms = emulator_ms_per_request(&stage).await;
    let sent = Arc::new(Mutex::new(HashMap::new()));
    let counting = |engine: &Engine| Counting {
        inner: engine.mailer.clone(),
        sent: sent.clone(),
    };
    let runs: Vec<Engine> = vec![stage.slow.clone(), stage.another_instance()];
    let requests = stage.requests();
    let started = Instant::now();
    let stream_runs: Vec<_> = runs
        .iter()
        .enumerate()
        .map(|(n, engine)| {
            let (mailer, engine) = (counting(engine), engine.clone());
            let theirs: Vec<_> = batches.iter().skip(n).step_by(runs.len()).cloned().collect();
            tokio::spawn(async move {
                let mut sent = 0;
                for batch in theirs {
                    let report = engine
                        .core
                        .deliver_notices(&mailer, engine.publisher.as_ref(), &batch)
                        .await
                        .expect("delivery");
                    sent += report.sent;
                }
                sent
            })
        })
        .collect();
    let schedule = {
        let (mailer, engine) = (counting(&stage.slow), stage.another_instance());
        tokio::spawn(async move {
            engine
                .core
                .deliver_outbox(&mailer, engine.publisher.as_ref())
                .await
                .expect("delivery")
                .sent
        })
    };
    let mut by_stream = Vec::new();
    for run in stream_runs {
        by_stream.push(run.await.unwrap());
    }
    let by_schedule = schedule.await.unwrap();
    let took = started.elapsed();
    let (dynamo, ses) = stage.requests_since(requests);
    let sent = sent.lock().unwrap();
    let twice = sent.values().filter(|n| **n > 1).count();
    println!(
        "mail: {} of {mails} mails sent by two stream runs ({} + {}) and the schedule's beside them ({}) in {:.1} s \
         at a send rate of {send_rate} a second; {twice} sent twice; {ses} SES sends, {dynamo} DynamoDB requests ({})",
        sent.len(),
        by_stream[0],
        by_stream[1],
        by_schedule,
        took.as_secs_f64(),
        emulator_bound(dynamo, ms),
    );
}

/// `creates` tickets filed at once for one company.
async fn creates(endpoint: &str, creates: usize) {
    let stage = Stage::new(endpoint, Settings::default()).await;
    stage.company().await;
    let owner = identity("owner@acme.test", "ACME", Role::Owner);
    let ms = emulator_ms_per_request(&stage).await;
    let requests = stage.requests();
    let started = Instant::now();
    let filing: Vec<_> = (0..creates)
        .map(|_| {
            let api = stage.slow.api.clone();
            let owner = owner.clone();
            tokio::spawn(async move {
                let began = Instant::now();
                let (status, _) = call(&api, Some(&owner), "POST", "/v1/tickets", Some(ticket_body())).await;
                (status, began.elapsed())
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut refused = 0;
    for one in filing {
        let (status, took) = one.await.unwrap();
        if status != 201 {
            refused += 1;
        }
        latencies.push(took.as_secs_f64() * 1000.0);
    }
    let took = started.elapsed();
    let (dynamo, _) = stage.requests_since(requests);
    latencies.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "creates: {creates} at once for one company in {:.1} s, {refused} refused; latency p50 {:.0} ms, p99 {:.0} ms; \
         {dynamo} DynamoDB requests, {:.1} a create ({})",
        took.as_secs_f64(),
        at(0.5),
        at(0.99),
        dynamo as f64 / creates as f64,
        emulator_bound(dynamo, ms),
    );
}

#[tokio::main]
async fn main() {
    let endpoint = std::env::var(ENDPOINT_VARIABLE).expect("CLAIMDESK_AWS_ENDPOINT (bench/run.sh sets it)");
    let due: usize = argument("--due", "10000").parse().unwrap();
    let mails: usize = argument("--mails", "10000").parse().unwrap();
    let send_rate: f64 = argument("--send-rate", "200").parse().unwrap();
    let create_count: usize = argument("--creates", "1000").parse().unwrap();
    println!(
        "(through the loopback proxy: {} ms per DynamoDB request, {} ms per SES send)",
        DYNAMODB_DELAY.as_millis(),
        SES_DELAY.as_millis()
    );
    creates(&endpoint, create_count).await;
    sweep(&endpoint, due).await;
    mail_burst(&endpoint, mails, send_rate).await;
}
