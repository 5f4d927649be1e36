//! Faults between Claimdesk and its services. DynamoDB throttling and server errors are
//! injected by a proxy on loopback between the real SDK clients and the emulator; the
//! local engine's database is locked by another writer; the mail service and the event
//! bus go away and come back.

use crate::common::*;
use serde_json::Value;
use std::collections::HashMap;

const TRANSACT: &str = "DynamoDB_20120810.TransactWriteItems";

async fn numbers(desk: &Desk, token: &str) -> Vec<String> {
    let (status, list) = desk.call("GET", "/v1/tickets?view=company", Some(token), None).await;
    assert_eq!(status, 200, "{list}");
    let mut numbers: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["number"].as_str().unwrap().to_string())
        .collect();
    numbers.sort();
    numbers
}

/// The answer to a refused write: 503, problem+json, and a Retry-After to honour.
fn assert_retry_later(answer: &Answer) {
    let text = String::from_utf8_lossy(&answer.body);
    assert_eq!(answer.status, 503, "{text}");
    assert_eq!(answer.header("content-type"), Some("application/problem+json"));
    let wait: u32 = answer.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!(wait >= 1);
    let problem: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(problem["type"], "urn:claimdesk:problem:unavailable");
}

async fn post(desk: &Desk, path: &str, token: &str, body: Value) -> Answer {
    desk.send(
        "POST",
        path,
        Some(token),
        vec![("content-type".into(), "application/json".into())],
        Some(body.to_string().into_bytes()),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_a_throttled_or_failing_table_is_retried_with_backoff_and_the_write_lands_once() {
    let proxy = FaultProxy::start(&aws_endpoint()).await;
    let desk = Desk::aws_through(&proxy).await;
    let cast = company_with_cast(&desk).await;
    for (n, fault) in [Fault::Throttle, Fault::ServerError].into_iter().enumerate() {
        proxy.forget_calls();
        proxy.fail(&[TRANSACT], fault, Some(2));
        let (status, ticket) = desk
            .call("POST", "/v1/tickets", Some(&cast.client), Some(ticket_body(None)))
            .await;
        assert_eq!(status, 201, "{fault:?}: {ticket}");
        assert_eq!(ticket["number"], format!("ACME-{:06}", n + 1));
        let attempts = proxy.calls(TRANSACT);
        let failed: Vec<bool> = attempts.iter().map(|(_, failed)| *failed).collect();
        assert_eq!(
            failed,
            [true, true, false],
            "{fault:?}: two refusals, then the SDK's third try lands"
        );
        let pauses: Vec<u128> = attempts.windows(2).map(|w| (w[1].0 - w[0].0).as_millis()).collect();
        println!("{fault:?}: the SDK waited {pauses:?} ms between its attempts");
    }
    proxy.heal();
    assert_eq!(numbers(&desk, &cast.admin).await, ["ACME-000001", "ACME-000002"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_persistent_throttling_is_a_503_with_retry_after_and_nothing_half_written() {
    let proxy = FaultProxy::start(&aws_endpoint()).await;
    let desk = Desk::aws_through(&proxy).await;
    let cast = company_with_cast(&desk).await;
    let id = vendor_ticket(&desk, &cast).await;
    let (_, before) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
        .await;

    proxy.fail(DYNAMODB_WRITES, Fault::Throttle, None);
    assert_retry_later(&post(&desk, "/v1/tickets", &cast.client, ticket_body(None)).await);
    assert_retry_later(
        &post(
            &desk,
            &format!("/v1/tickets/{id}/messages"),
            &cast.agent,
            serde_json::json!({"body": "On it"}),
        )
        .await,
    );
    assert_retry_later(
        &post(
            &desk,
            &format!("/v1/tickets/{id}/status"),
            &cast.agent,
            serde_json::json!({"action": "assign"}),
        )
        .await,
    );
    // Reads fail the same way when the table itself is failing.
    proxy.fail(DYNAMODB, Fault::ServerError, None);
    let answer = desk
        .send("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), Vec::new(), None)
        .await;
    assert_retry_later(&answer);

    proxy.heal();
    let (_, after) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
        .await;
    assert_eq!(after["history"], before["history"]);
    assert_eq!(after["messages"], before["messages"]);
    assert_eq!(after["version"], before["version"]);
    // The refused create took no number: the next one gets the next free number.
    let (status, next) = desk
        .call("POST", "/v1/tickets", Some(&cast.client), Some(ticket_body(None)))
        .await;
    assert_eq!((status, next["number"].as_str()), (201, Some("ACME-000002")));
    assert_eq!(numbers(&desk, &cast.admin).await, ["ACME-000001", "ACME-000002"]);
}

/// The scheduled sweep and the outbox meet a failing table: the run fails (Lambda retries
/// it, or the next schedule does) having changed nothing; once the table is back, the
/// timer fires once and each mail goes once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_the_sweep_and_the_outbox_survive_a_failing_table_and_finish_once_it_is_back() {
    let proxy = FaultProxy::start(&aws_endpoint()).await;
    let desk = Desk::aws_through(&proxy).await;
    let Engine::Aws(aws) = &desk.engine else { unreachable!() };
    let cast = company_with_cast(&desk).await;
    let id = vendor_ticket(&desk, &cast).await;
    desk.act(&id, &cast.agent, "assign").await;
    desk.act(&id, &cast.agent, "resolve").await;
    desk.deliver_now().await;
    let mails_before = desk.mails().await.len();
    let (_, before) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
        .await;
    // Three days on, the Resolved ticket is due to close.
    desk.let_time_pass(chrono::Duration::days(3) + chrono::Duration::minutes(1))
        .await;
    proxy.fail(DYNAMODB_WRITES, Fault::Throttle, None);
    let swept = claimdesk_aws::lambda::handle_sweep(&aws.engine, &serde_json::json!({})).await;
    println!("sweep against a throttled table: {swept:?}");
    proxy.fail(DYNAMODB, Fault::ServerError, None);
    assert!(claimdesk_aws::lambda::handle_sweep(&aws.engine, &serde_json::json!({}))
        .await
        .is_err());
    assert!(
        claimdesk_aws::lambda::handle_deliver(&aws.engine, &serde_json::json!({}))
            .await
            .is_err()
    );
    proxy.heal();
    let (_, unchanged) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
        .await;
    assert_eq!(unchanged["history"], before["history"]);
    desk.sweep_now().await;
    desk.sweep_now().await;
    desk.deliver_now().await;
    let (_, after) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
        .await;
    assert_eq!(after["status"], "closed");
    assert_eq!(statuses(&after).iter().filter(|s| *s == "closed").count(), 1);
    assert_consistent(&after);
    let mails = desk.mails().await;
    // Once to each: the contact, and the owner who filed it for them (and so follows it).
    let closed_mails: Vec<&str> = mails[mails_before..]
        .iter()
        .filter(|m| m.kind == "status_changed" && m.text.contains("Closed"))
        .map(|m| m.to.as_str())
        .collect();
    assert_eq!(
        closed_mails.len(),
        closed_mails.iter().collect::<std::collections::BTreeSet<_>>().len()
    );
    assert_eq!(
        closed_mails.len(),
        2,
        "{:?}",
        mails[mails_before..].iter().map(|m| &m.kind).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_a_database_locked_by_another_writer_is_a_503_and_nothing_half_written() {
    let desk = Desk::local().await;
    let cast = company_with_cast(&desk).await;
    let other_writer = rusqlite::Connection::open(desk.dir.path().join("claimdesk.db")).unwrap();
    other_writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    // Reads go on (WAL); the write waits out the busy timeout and is refused.
    assert_eq!(numbers(&desk, &cast.admin).await, Vec::<String>::new());
    assert_retry_later(&post(&desk, "/v1/tickets", &cast.client, ticket_body(None)).await);
    other_writer.execute_batch("ROLLBACK").unwrap();
    let (status, ticket) = desk
        .call("POST", "/v1/tickets", Some(&cast.client), Some(ticket_body(None)))
        .await;
    assert_eq!((status, ticket["number"].as_str()), (201, Some("ACME-000001")));
    assert_eq!(numbers(&desk, &cast.admin).await, ["ACME-000001"]);
}

/// The event bus is down while tickets are filed and answered: every event waits in the
/// outbox, and once the bus is back each reaches it exactly once.
async fn an_outage_of_the_event_bus_loses_no_event_and_doubles_none(mut desk: Desk) {
    let cast = company_with_cast(&desk).await;
    desk.deliver_now().await;
    let before = desk.published_events().await.len();
    desk.event_bus(false).await;
    for n in 0..3 {
        let id = vendor_ticket(&desk, &cast).await;
        desk.act(&id, &cast.agent, "assign").await;
        desk.say(&id, &cast.agent, &format!("Looking at it ({n}).")).await;
    }
    desk.deliver_now().await;
    desk.deliver_now().await;
    assert_eq!(
        desk.published_events().await.len(),
        before,
        "nothing reaches a bus that is down"
    );

    desk.event_bus(true).await;
    // The outbox retries on a backoff: let its next attempt come due.
    desk.let_time_pass(chrono::Duration::hours(1)).await;
    desk.deliver_now().await;
    let events = desk.published_events().await;
    let mut per_type: HashMap<&str, usize> = HashMap::new();
    for (kind, _, _) in &events[before..] {
        *per_type.entry(kind.as_str()).or_default() += 1;
    }
    assert_eq!(per_type.get("ticket.created"), Some(&3), "{per_type:?}");
    // Each assignment moved a ticket from New to Assigned.
    assert_eq!(per_type.get("ticket.status_changed"), Some(&3), "{per_type:?}");
    let mut ids: Vec<&str> = events.iter().map(|(_, id, _)| id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), events.len(), "no event twice");
    desk.let_time_pass(chrono::Duration::hours(1)).await;
    desk.deliver_now().await;
    assert_eq!(desk.published_events().await.len(), events.len());
}

on_both_engines!(an_outage_of_the_event_bus_loses_no_event_and_doubles_none);
