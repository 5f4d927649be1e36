//! Races between people and the scheduled sweep, on both engines.

mod common;

use chrono::Duration;
use claimdesk_core::domain::lifecycle::{allowed_transition, Status};
use common::*;
use serde_json::Value;

fn status_of(text: &Value) -> Status {
    serde_json::from_value(text.clone()).expect("a status")
}

/// The history is one chain of allowed steps that ends in the ticket's status.
fn assert_consistent(ticket: &Value) {
    let history = ticket["history"].as_array().unwrap();
    let mut previous: Option<Status> = None;
    for step in history {
        let from = (!step["from"].is_null()).then(|| status_of(&step["from"]));
        let to = status_of(&step["to"]);
        assert_eq!(from, previous, "each step starts where the last ended: {ticket}");
        if let Some(from) = from {
            assert!(allowed_transition(from, to), "{from:?} → {to:?} is not in the table");
        }
        previous = Some(to);
    }
    assert_eq!(previous, Some(status_of(&ticket["status"])));
}

/// A customer replies just as the Waiting For Customer timer fires, while two sweeps run
/// at once. Whichever lands first, the ticket ends in Pending Support (reply first: the
/// sweep finds nothing due; sweep first: the reply reopens the resolved ticket) with a
/// consistent history in which the timer fired at most once.
async fn a_reply_and_two_sweeps_racing_on_a_waiting_ticket_always_end_consistent(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    for run in 0..12 {
        let (status, ticket) = desk
            .call(
                "POST",
                "/v1/tickets",
                Some(&cast.admin),
                Some(ticket_body(Some("vendor"))),
            )
            .await;
        assert_eq!(status, 201, "{ticket}");
        let id = ticket["id"].as_str().unwrap().to_string();
        desk.act(&id, &cast.agent, "assign").await;
        desk.act(&id, &cast.agent, "wait_for_customer").await;
        desk.clock.advance(Duration::days(4) + Duration::minutes(1));
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

on_both_engines!(a_reply_and_two_sweeps_racing_on_a_waiting_ticket_always_end_consistent);
