//! Retries and races, on both engines: people against the scheduled sweep, many replies
//! on one ticket, creates racing for the companies' counters. (Concurrent retries with
//! one Idempotency-Key are in `tests/rules.rs`.)

use crate::common::*;
use chrono::Duration;
use claimdesk_core::domain::ids::TicketId;
use claimdesk_core::domain::ticket::human_number;
use claimdesk_core::ports::Write;
use claimdesk_core::services::item_of;
use claimdesk_core::services::tickets::NumberRecord;
use claimdesk_core::store;
use std::collections::{BTreeSet, HashMap};

/// A customer replies just as the Waiting For Customer timer fires, while two sweeps run
/// at once. Whichever lands first, the ticket ends in Pending Support (reply first: the
/// sweep finds nothing due; sweep first: the reply reopens the resolved ticket) with a
/// consistent history in which the timer fired at most once.
async fn a_reply_and_two_sweeps_racing_on_a_waiting_ticket_always_end_consistent(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    for run in 0..12 {
        let id = vendor_ticket(&desk, &cast).await;
        desk.act(&id, &cast.agent, "assign").await;
        desk.act(&id, &cast.agent, "wait_for_customer").await;
        desk.let_time_pass(Duration::days(4) + Duration::minutes(1)).await;
        let (reply, (), ()) = tokio::join!(
            desk.say(&id, &cast.admin, "Here is the export you asked for."),
            desk.sweep_now(),
            desk.sweep_now(),
        );
        assert_eq!(reply.0, 201, "run {run}: {}", reply.1);
        let (_, ticket) = desk
            .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
            .await;
        assert_eq!(ticket["status"], "pending_support", "run {run}");
        assert_consistent(&ticket);
        let resolved = statuses(&ticket).iter().filter(|s| *s == "resolved").count();
        assert!(resolved <= 1, "run {run}: the timer fired twice");
        // Nothing is left due for this ticket: another sweep changes nothing.
        desk.sweep_now().await;
        let (_, again) = desk
            .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
            .await;
        assert_eq!(again["history"], ticket["history"], "run {run}");
    }
}

/// Fifty replies at once on one ticket, from both sides: every one lands, once, and the
/// ticket's version and history tell one consistent story. On AWS they are spread over
/// eight function instances, whose writes race through DynamoDB's conditions.
async fn fifty_concurrent_replies_all_land_with_a_consistent_version_and_history(mut desk: Desk) {
    let _turn = heavy_turn().await;
    desk.spread_over_instances(8);
    let cast = company_with_cast(&desk).await;
    let id = vendor_ticket(&desk, &cast).await;
    desk.act(&id, &cast.agent, "assign").await;
    let (_, before) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
        .await;
    let desk = &desk;
    let replies = (0..50).map(|n| {
        let token = if n % 2 == 0 { &cast.agent } else { &cast.admin };
        let body = format!("Reply number {n}");
        let id = id.clone();
        async move { (n, desk.say(&id, token, &body).await) }
    });
    let started = std::time::Instant::now();
    let results = futures::future::join_all(replies).await;
    println!(
        "50 concurrent replies: {} landed in {:?}",
        results.iter().filter(|(_, (s, _))| *s == 201).count(),
        started.elapsed()
    );
    for (n, (status, body)) in &results {
        assert_eq!(*status, 201, "reply {n}: {body}");
    }
    let (_, after) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
        .await;
    let bodies: Vec<&str> = after["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    let unique: BTreeSet<&str> = bodies.iter().copied().collect();
    assert_eq!((bodies.len(), unique.len()), (50, 50), "each reply once");
    for n in 0..50 {
        assert!(unique.contains(format!("Reply number {n}").as_str()));
    }
    // Each reply was one committed change of the ticket.
    assert_eq!(
        after["version"].as_u64().unwrap(),
        before["version"].as_u64().unwrap() + 50,
        "{}",
        after["version"]
    );
    assert_consistent(&after);
}

/// Two companies file at once: each company's numbers run 1..N with no gap or repeat.
async fn concurrent_creates_in_two_companies_number_each_without_gaps_or_repeats(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let creates = (0..30).map(|n| {
        let token = if n % 2 == 0 { &cast.client } else { &cast.other_user };
        desk.call("POST", "/v1/tickets", Some(token), Some(ticket_body(None)))
    });
    let mut per_company: HashMap<String, Vec<String>> = HashMap::new();
    for (status, ticket) in futures::future::join_all(creates).await {
        assert_eq!(status, 201, "{ticket}");
        let number = ticket["number"].as_str().unwrap().to_string();
        let company = number.split('-').next().unwrap().to_string();
        per_company.entry(company).or_default().push(number);
    }
    for (company, mut numbers) in per_company {
        numbers.sort();
        let expected: Vec<String> = (1..=15).map(|n| format!("{company}-{n:06}")).collect();
        assert_eq!(numbers, expected);
    }
}

/// A create took a number and its commit landed, but its caller went away before hearing
/// so (a client that hung up mid-request, a reply that timed out), so the number went back
/// to the pool. The next create takes that number and loses on its record: the number is
/// spent then, not handed back to be taken and lost on by every create in turn (each would
/// re-plan until it gave up with 409).
async fn a_number_given_back_after_its_create_landed_blocks_no_later_create(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let first = file_ticket(&desk, &cast.admin, ticket_body(Some("vendor"))).await;
    assert_eq!(first["number"], "ACME-000001");
    let core = desk.core();
    let lease = core.next_number("ACME").await.unwrap();
    let landed = human_number("ACME", lease.number());
    let record = NumberRecord {
        ticket_id: TicketId::parse(first["id"].as_str().unwrap()).unwrap(),
    };
    core.table
        .write(vec![Write::create(item_of(
            store::company_pk("ACME"),
            store::number_sk(&landed),
            &record,
        ))])
        .await
        .unwrap();
    drop(lease);
    let mut numbers = BTreeSet::new();
    for _ in 0..3 {
        let ticket = file_ticket(&desk, &cast.admin, ticket_body(Some("vendor"))).await;
        numbers.insert(ticket["number"].as_str().unwrap().to_string());
    }
    assert!(!numbers.contains(&landed), "{landed} is spent: {numbers:?}");
    assert_eq!(numbers.len(), 3);
}

/// Outbox runs overlap: the desk's own (on AWS the stream's run with the new notices, held
/// for it, then the schedule's; locally the worker) and two more from the outbox index (the
/// retry schedule, or other instances). Each notice is taken by one of them, and every mail
/// goes exactly once; then again for notices whose hold ran out before any stream run came.
async fn overlapping_deliveries_send_each_mail_once(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let (mailer, publisher) = desk.delivery_ports();
    let core = desk.core();
    for hold_ran_out in [false, true] {
        for _ in 0..6 {
            vendor_ticket(&desk, &cast).await;
        }
        if hold_ran_out {
            // No stream run came (on AWS): time passes past the notices' hold.
            desk.clock.advance(Duration::seconds(
                claimdesk_core::services::mail::outbox::STREAM_HOLD_SECONDS,
            ));
        }
        let (a, b, ()) = tokio::join!(
            core.deliver_outbox(mailer.as_ref(), publisher.as_ref()),
            core.deliver_outbox(mailer.as_ref(), publisher.as_ref()),
            desk.deliver_now(),
        );
        a.unwrap();
        b.unwrap();
    }
    desk.deliver_now().await;
    let mails = desk.mails().await;
    assert!(mails.len() >= 24, "two mails a ticket: {}", mails.len());
    let ids: BTreeSet<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), mails.len(), "a mail went twice");
}

/// Three sweeps at once when a service-level warning and breach fall due: each alarm is
/// marked on the ticket by a version-checked write, so each mail and event goes once.
async fn concurrent_sweeps_fire_each_service_level_alarm_once(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(vendor_ticket(&desk, &cast).await);
    }
    // Day one is Monday 03:00 Central: a High case is warned at 10:00 and breached at 11:00.
    desk.advance_seconds(7 * 3600 + 60).await;
    let _ = tokio::join!(desk.sweep_now(), desk.sweep_now(), desk.sweep_now());
    desk.advance_seconds(3600).await;
    let _ = tokio::join!(desk.sweep_now(), desk.sweep_now(), desk.sweep_now());
    desk.deliver_now().await;
    assert_eq!(desk.mails_of("sla_warning").await.len(), 5);
    assert_eq!(desk.mails_of("sla_breached").await.len(), 5);
    let events = desk.published_events().await;
    for kind in ["ticket.sla_warning", "ticket.sla_breached"] {
        assert_eq!(events.iter().filter(|(k, _, _)| k == kind).count(), 5, "{kind}");
    }
    for id in &ids {
        let (_, ticket) = desk
            .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
            .await;
        let notes = ticket["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["note"] == true)
            .count();
        assert_eq!(notes, 2, "{ticket}");
        assert_consistent(&ticket);
    }
}

on_both_engines!(
    concurrent_sweeps_fire_each_service_level_alarm_once,
    overlapping_deliveries_send_each_mail_once,
    a_reply_and_two_sweeps_racing_on_a_waiting_ticket_always_end_consistent,
    fifty_concurrent_replies_all_land_with_a_consistent_version_and_history,
    concurrent_creates_in_two_companies_number_each_without_gaps_or_repeats,
    a_number_given_back_after_its_create_landed_blocks_no_later_create,
);
