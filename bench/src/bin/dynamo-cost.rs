//! DynamoDB requests and capacity units per API call, and per lifecycle sweep of N due
//! tickets (each firing a lifecycle timer and a service-level breach) in tables of 1,000 and
//! 100,000 tickets, counted by the engine's meter
//! (`claimdesk_aws::metering`: DynamoDB's sizing rules applied to the real items) while the
//! real SDK talks to the emulator.
//!
//! Usage: dynamo-cost [--sizes 1000,100000] [--due 10]
//! Needs CLAIMDESK_AWS_ENDPOINT (bench/run.sh starts the emulator and sets it).

use chrono::{Duration, TimeZone, Utc};
use claimdesk_aws::metering::Usage;
use claimdesk_bench::{
    argument, call, emulator_sdk, fresh_names, identity, seed_items, stream_batch, ENDPOINT_VARIABLE,
};
use claimdesk_core::domain::ids::TicketId;
use claimdesk_core::domain::roles::Role;
use claimdesk_core::ports::ManualClock;
use claimdesk_core::services::mail::outbox::{DeliveryReport, STREAM_HOLD_SECONDS};
use claimdesk_core::services::Settings;
use claimdesk_core::store;
use serde_json::{json, Value};
use std::sync::Arc;

fn show(label: &str, usage: &Usage) {
    let operations: Vec<String> = usage.requests.iter().map(|(op, n)| format!("{op}×{n}")).collect();
    println!(
        "{:<34} {:>4} {:>7.1} {:>7.1} {:>7.1}  {}",
        label,
        usage.total_requests(),
        usage.read_units,
        usage.write_units,
        usage.write_units_blind,
        operations.join(" ")
    );
}

struct Bench {
    engine: claimdesk_aws::Engine,
    clock: Arc<ManualClock>,
    sdk: aws_config::SdkConfig,
    endpoint: String,
    /// How far `deliver-outbox` has read the table's stream.
    stream_read: std::sync::Mutex<Option<String>>,
}

impl Bench {
    async fn new(endpoint: &str) -> Bench {
        let sdk = emulator_sdk(endpoint).await;
        let names = fresh_names();
        let settings = Settings::default();
        claimdesk_aws::provision::provision(&sdk, &names, &settings.mail_from)
            .await
            .expect("emulator resources");
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()));
        let engine = claimdesk_aws::Engine::new(&sdk, names, settings, clock.clone());
        engine.dynamo.meter_old_images();
        Bench {
            engine,
            clock,
            sdk,
            endpoint: endpoint.to_string(),
            stream_read: Default::default(),
        }
    }

    /// `deliver-outbox` as the table's stream wakes it: the stream's records since the last
    /// call (read outside the meter: Lambda reads the stream, not the function).
    async fn deliver_stream(&self) -> DeliveryReport {
        let after = self.stream_read.lock().unwrap().clone();
        let (batch, last) = stream_batch(
            &self.sdk,
            &self.endpoint,
            self.engine.names.table.as_str(),
            after.as_deref(),
        )
        .await;
        *self.stream_read.lock().unwrap() = last;
        claimdesk_aws::lambda::handle_deliver(&self.engine, &batch)
            .await
            .unwrap()
    }

    /// Runs `step`, prints what it cost, returns its value.
    async fn metered<T>(&self, label: &str, step: impl std::future::Future<Output = T>) -> T {
        let before = self.engine.dynamo.usage();
        let value = step.await;
        show(label, &self.engine.dynamo.usage().since(&before));
        value
    }

    /// Copies of a stored ticket under new ids, written straight to the table in batches
    /// of 25 (they are background: the sweep must not touch them).
    async fn seed_copies(&self, template_id: &str, count: usize, prefix: &str) -> Vec<TicketId> {
        let template_id = claimdesk_core::services::ticket_id(template_id).unwrap();
        let template = self.engine.core.load_ticket(&template_id).await.unwrap().record;
        let timers = self.engine.core.settings.timers;
        let mut ids = Vec::with_capacity(count);
        let mut items = Vec::with_capacity(count);
        for n in 0..count {
            let mut ticket = template.clone();
            ticket.id = TicketId::generate();
            ticket.number = format!("ACME-{prefix}{n:07}");
            ids.push(ticket.id.clone());
            items.push(store::ticket_item(&ticket, 1, &timers));
        }
        seed_items(&self.sdk, &self.engine.dynamo, items).await;
        ids
    }
}

async fn per_call(endpoint: &str) {
    let bench = Bench::new(endpoint).await;
    let api = &bench.engine.api;
    let agent = identity("agent@vendor.test", "VENDOR", Role::AgentL1);
    let owner = identity("owner@acme.test", "ACME", Role::Owner);
    println!(
        "\nper API call (requests, read units, write units; 'blind': the write units counted with no \
         old image, every put rewriting its index entries, as before 2026-12-04):"
    );
    println!(
        "{:<34} {:>4} {:>7} {:>7} {:>7}  operations",
        "call", "req", "RCU", "WCU", "blind"
    );
    let company = json!({"code": "ACME", "name": "ACME Inc", "first_level_support_email": "support@acme.test"});
    bench
        .metered(
            "create company",
            call(api, Some(&agent), "POST", "/v1/companies", Some(company)),
        )
        .await;
    let body = json!({
        "desk": "vendor", "ticket_type": "claim_issue", "module": "Claims", "subject": "Claim will not save",
        "description": "Saving claim CMS # 1001 fails with error E-17.", "priority": "high",
        "claim_numbers": "CMS # 1001; 1002",
        "contact": {"name": "Olga Owner", "email": "owner@acme.test", "phone": "555-0100"}
    });
    let (_, ticket) = bench
        .metered(
            "create ticket",
            call(api, Some(&owner), "POST", "/v1/tickets", Some(body)),
        )
        .await;
    let id = ticket["id"].as_str().unwrap().to_string();
    let path = format!("/v1/tickets/{id}");
    bench
        .metered("get ticket", call(api, Some(&owner), "GET", &path, None))
        .await;
    bench
        .metered(
            "list my open tickets",
            call(api, Some(&owner), "GET", "/v1/tickets?view=mine", None),
        )
        .await;
    bench
        .metered(
            "list the vendor queue",
            call(api, Some(&agent), "GET", "/v1/tickets?view=queue", None),
        )
        .await;
    let status = format!("{path}/status");
    let messages = format!("{path}/messages");
    bench
        .metered(
            "status: assign",
            call(api, Some(&agent), "POST", &status, Some(json!({"action": "assign"}))),
        )
        .await;
    bench
        .metered(
            "reply by the agent",
            call(
                api,
                Some(&agent),
                "POST",
                &messages,
                Some(json!({"body": "Which claim?"})),
            ),
        )
        .await;
    bench
        .metered(
            "status: wait for customer",
            call(
                api,
                Some(&agent),
                "POST",
                &status,
                Some(json!({"action": "wait_for_customer"})),
            ),
        )
        .await;
    bench
        .metered(
            "reply by the customer",
            call(
                api,
                Some(&owner),
                "POST",
                &messages,
                Some(json!({"body": "CMS # 1001."})),
            ),
        )
        .await;
    let number = ticket["number"].as_str().unwrap();
    // Sent to the reply address our mail gave the contact, as a mail client's "Reply" does
    // (the subject tag alone threads only a sender the receiving server authenticated).
    let settings = &bench.engine.core.settings;
    let reply_to = claimdesk_core::mail::address::reply_address(
        &settings.mail_secret,
        &settings.mail_domain,
        &id,
        "owner@acme.test",
    );
    let mailed = format!(
        "From: Olga Owner <owner@acme.test>\r\nTo: {reply_to}\r\nSubject: Re: [{number}] New reply\r\nMessage-ID: <cost-1@acme.test>\r\n\r\nIt fails again.\r\n\r\nOn Mon, 2 Nov 2026, Claimdesk wrote:\r\n> Which claim?\r\n"
    );
    bench
        .metered(
            "reply by mail (inbound-email)",
            bench.engine.core.receive_mail(mailed.as_bytes(), "inbound/cost-1"),
        )
        .await
        .unwrap();
    let grant = json!({"filename": "export.pdf", "content_type": "application/pdf", "size": 48213});
    let (_, grant) = bench
        .metered(
            "upload grant",
            call(api, Some(&owner), "POST", &format!("{path}/attachments"), Some(grant)),
        )
        .await;
    let attachment = grant["attachment"]["id"].as_str().unwrap().to_string();
    bench
        .engine
        .core
        .blobs
        .put(&format!("tickets/{id}/{attachment}"), &vec![0u8; 48213])
        .await
        .unwrap();
    bench
        .metered(
            "upload confirmed (S3 event)",
            bench
                .engine
                .core
                .confirm_upload(&claimdesk_core::services::ticket_id(&id).unwrap(), &attachment, 48213),
        )
        .await
        .unwrap();
    bench
        .metered(
            "download link",
            call(
                api,
                Some(&owner),
                "GET",
                &format!("{path}/attachments/{attachment}"),
                None,
            ),
        )
        .await;
    let before = bench.engine.dynamo.usage();
    let report = bench.deliver_stream().await;
    show_delivery(
        "deliver outbox, stream",
        report,
        &bench.engine.dynamo.usage().since(&before),
    );
    // What the stream's run does not reach in time (or a retry) the schedule's run claims
    // from the outbox index: two more replies' notices, their hold run out.
    for (who, body) in [(&agent, "One more thing."), (&owner, "Thanks.")] {
        let messages = format!("{path}/messages");
        call(api, Some(who), "POST", &messages, Some(json!({ "body": body }))).await;
    }
    // Its stream run comes too late: it puts the notices on the index.
    bench.clock.advance(Duration::seconds(STREAM_HOLD_SECONDS));
    bench
        .metered("stream run too late: to the index", bench.deliver_stream())
        .await;
    let before = bench.engine.dynamo.usage();
    let report = bench
        .engine
        .core
        .deliver_outbox(bench.engine.mailer.as_ref(), bench.engine.publisher.as_ref())
        .await
        .unwrap();
    show_delivery(
        "deliver outbox, index",
        report,
        &bench.engine.dynamo.usage().since(&before),
    );
    bench
        .metered("sweep, nothing due", bench.engine.core.sweep())
        .await
        .unwrap();
}

/// A sweep of `due` due tickets in a table of `size` tickets.
async fn sweep_cost(endpoint: &str, size: usize, due: usize) {
    let bench = Bench::new(endpoint).await;
    let api = &bench.engine.api;
    let agent = identity("agent@vendor.test", "VENDOR", Role::AgentL1);
    let owner = identity("owner@acme.test", "ACME", Role::Owner);
    let company = json!({"code": "ACME", "name": "ACME Inc", "first_level_support_email": "support@acme.test"});
    call(api, Some(&agent), "POST", "/v1/companies", Some(company)).await;
    let body = json!({
        "desk": "vendor", "ticket_type": "claim_issue", "module": "Claims", "subject": "Claim will not save",
        "description": "Saving fails.", "priority": "high",
        "contact": {"name": "Olga Owner", "email": "owner@acme.test"}
    });
    // The background: Low, answered, so no service-level alarm falls in the four days the
    // bench moves on. The due ones: High, never answered, waiting for the customer: each
    // fires its auto-resolve and its first-response breach in the same sweep.
    let mut background_body = body.clone();
    background_body["priority"] = json!("low");
    let mut templates: Vec<Value> = Vec::new();
    for body in [background_body, body] {
        let (status, ticket) = call(api, Some(&owner), "POST", "/v1/tickets", Some(body)).await;
        assert_eq!(status, 201, "{ticket}");
        templates.push(ticket);
    }
    let background = templates[0]["id"].as_str().unwrap().to_string();
    let waiting = templates[1]["id"].as_str().unwrap().to_string();
    let status = |id: &str| format!("/v1/tickets/{id}/status");
    call(
        api,
        Some(&agent),
        "POST",
        &status(&background),
        Some(json!({"action": "assign"})),
    )
    .await;
    call(
        api,
        Some(&agent),
        "POST",
        &status(&waiting),
        Some(json!({"action": "assign"})),
    )
    .await;
    let (answered, _) = call(
        api,
        Some(&agent),
        "POST",
        &format!("/v1/tickets/{background}/messages"),
        Some(json!({"body": "Looking into it."})),
    )
    .await;
    assert_eq!(answered, 201);
    call(
        api,
        Some(&agent),
        "POST",
        &status(&waiting),
        Some(json!({"action": "wait_for_customer"})),
    )
    .await;
    bench.deliver_stream().await;
    bench.seed_copies(&background, size - due - 2, "b").await;
    bench.seed_copies(&waiting, due - 1, "w").await;
    // Four days later every waiting ticket resolves by itself.
    bench.clock.advance(Duration::days(4) + Duration::minutes(1));
    let items_before = claimdesk_core::ports::Table::items_read(bench.engine.dynamo.as_ref());
    let before = bench.engine.dynamo.usage();
    let report = bench.engine.core.sweep().await.unwrap();
    let usage = bench.engine.dynamo.usage().since(&before);
    let items = claimdesk_core::ports::Table::items_read(bench.engine.dynamo.as_ref()) - items_before;
    show(
        &format!("sweep: {} of {size} due, {} changed", report.examined, report.changed),
        &usage,
    );
    println!("{:<34} {items} items read", "");
}

/// A delivery's cost, whole and per mail or event handed over.
fn show_delivery(label: &str, report: DeliveryReport, delivered: &Usage) {
    show(&format!("{label} ({} entries)", report.sent), delivered);
    let per = |x: f64| x / report.sent.max(1) as f64;
    println!(
        "{:<34} {:>4.1} {:>7.1} {:>7.1} {:>7.1}",
        "  … per mail or event",
        per(delivered.total_requests() as f64),
        per(delivered.read_units),
        per(delivered.write_units),
        per(delivered.write_units_blind)
    );
}

#[tokio::main]
async fn main() {
    let endpoint = std::env::var(ENDPOINT_VARIABLE).expect("CLAIMDESK_AWS_ENDPOINT (bench/run.sh sets it)");
    let sizes: Vec<usize> = argument("--sizes", "1000,100000")
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let due: usize = argument("--due", "10").parse().unwrap();
    per_call(&endpoint).await;
    println!("\nlifecycle sweep (requests, read units, write units, blind):");
    println!(
        "{:<34} {:>4} {:>7} {:>7} {:>7}  operations",
        "sweep", "req", "RCU", "WCU", "blind"
    );
    for size in sizes {
        let started = std::time::Instant::now();
        sweep_cost(&endpoint, size, due).await;
        eprintln!("  (table of {size} seeded and swept in {:.0?})", started.elapsed());
    }
}
