//! The lifecycle walks of issue 2, against the real local server with a controlled clock.

use crate::common::*;
use serde_json::json;

async fn an_internal_ticket_escalates_waits_resolves_on_day_five_closes_on_day_eight_and_a_reply_opens_a_new_case(
    desk: Desk,
) {
    let cast = company_with_cast(&desk).await;

    // Day 1: a client user files an internal ticket; it is routed to ACME's first level.
    let (status, ticket) = desk
        .call("POST", "/v1/tickets", Some(&cast.client), Some(ticket_body(None)))
        .await;
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_str().unwrap().to_string();
    assert_eq!(ticket["number"], "ACME-000001");
    assert_eq!(ticket["desk"], "internal");
    assert_eq!(
        ticket["links"]["claims"],
        json!([{"kind": "CMS #", "number": "1001"}, {"kind": "CMS #", "number": "1002"}])
    );
    desk.deliver_now().await;
    let routed = desk.mails_of("internal_ticket").await;
    assert_eq!(routed.len(), 1);
    assert_eq!(routed[0].to, "support@acme.test");
    assert!(routed[0].subject.starts_with("[ACME-000001]"), "{}", routed[0].subject);
    assert_eq!(desk.mails_of("ticket_received").await[0].to, "adjuster@acme.test");

    // A client user may not file to the vendor; the vendor's agent cannot see internal tickets.
    let (status, problem) = desk
        .call(
            "POST",
            "/v1/tickets",
            Some(&cast.client),
            Some(ticket_body(Some("vendor"))),
        )
        .await;
    assert_eq!(
        (status, problem["type"].as_str()),
        (403, Some("urn:claimdesk:problem:vendor-ticket-needs-admin"))
    );
    assert_eq!(
        desk.call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
            .await
            .0,
        404
    );

    // An attachment: ask for a URL, PUT the bytes there; the name loses its path.
    let (status, grant) = desk
        .call(
            "POST",
            &format!("/v1/tickets/{id}/attachments"),
            Some(&cast.client),
            Some(json!({"filename": "../../scan.pdf", "content_type": "application/pdf", "size": 11})),
        )
        .await;
    assert_eq!(status, 201, "{grant}");
    assert!(desk.upload(&grant, b"hello world".to_vec()).await);

    // The company admin escalates it to the vendor's help desk; it starts again at New.
    let (status, changed) = desk.act(&id, &cast.admin, "escalate").await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (changed["ticket"]["status"].as_str(), changed["ticket"]["desk"].as_str()),
        (Some("new"), Some("vendor"))
    );
    desk.deliver_now().await;
    assert_eq!(desk.mails_of("escalated").await[0].to, "helpdesk@claimdesk.local");

    // The agent takes it and asks the customer.
    for action in ["assign", "wait_for_customer"] {
        let (status, body) = desk.act(&id, &cast.agent, action).await;
        assert_eq!(status, 200, "{action}: {body}");
    }

    // Days 2–4: a reminder each day, still waiting.
    for day in 2..=4 {
        desk.advance_days(1).await;
        let (_, t) = desk
            .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.client), None)
            .await;
        assert_eq!(t["status"], "waiting_for_customer", "day {day}");
        assert_eq!(
            desk.mails_of("waiting_reminder").await.len(),
            (day - 1) as usize,
            "day {day}: {:?} {t}",
            desk.mails().await.iter().map(|m| &m.kind).collect::<Vec<_>>()
        );
    }
    // Day 5: resolved by itself.
    desk.advance_days(1).await;
    let (_, t) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.client), None)
        .await;
    assert_eq!(t["status"], "resolved");
    assert_eq!(t["history"].as_array().unwrap().last().unwrap()["by"], "system");
    // Day 6 nothing; day 7 the reminder before closing; day 8 closed.
    desk.advance_days(1).await;
    assert!(desk.mails_of("close_reminder").await.is_empty());
    desk.advance_days(1).await;
    assert_eq!(desk.mails_of("close_reminder").await.len(), 1);
    let (_, t) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.client), None)
        .await;
    assert_eq!(t["status"], "resolved");
    desk.advance_days(1).await;
    let (_, t) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.client), None)
        .await;
    assert_eq!(t["status"], "closed");
    assert_eq!(
        statuses(&t),
        ["new", "new", "assigned", "waiting_for_customer", "resolved", "closed"],
        "created, escalated, assigned, waiting, auto-resolved, auto-closed"
    );
    assert_eq!(t["attachments"][0]["filename"], "scan.pdf");
    // The sweep ran on days with nothing due too, and fired no timer twice.
    desk.advance_days(3).await;
    assert_eq!(desk.mails_of("waiting_reminder").await.len(), 3);
    assert_eq!(desk.mails_of("close_reminder").await.len(), 1);

    // A reply on the closed ticket opens a new case that references it.
    let (status, outcome) = desk.say(&id, &cast.client, "It broke again.").await;
    assert_eq!(status, 201, "{outcome}");
    assert_eq!(outcome["outcome"], "follow_up_opened");
    let follow_up = &outcome["follow_up"];
    assert_eq!(follow_up["follow_up_of"], id.as_str());
    assert_eq!(follow_up["number"], "ACME-000002");
    assert_eq!(follow_up["status"], "new");
    assert_eq!(follow_up["messages"][0]["body"], "It broke again.");
    // Its own service-level clocks start now, whatever the closed case's did.
    assert_eq!(follow_up["sla"]["started_at"], follow_up["created_at"]);
    assert!(
        follow_up["sla"]["first_response"].get("breached_at").is_none(),
        "{follow_up}"
    );
    let (_, old) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.client), None)
        .await;
    assert_eq!(old["status"], "closed");
}

async fn a_reply_on_resolved_returns_the_ticket_to_pending_support(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let (_, ticket) = desk
        .call(
            "POST",
            "/v1/tickets",
            Some(&cast.admin),
            Some(ticket_body(Some("vendor"))),
        )
        .await;
    let id = ticket["id"].as_str().unwrap();
    for action in ["assign", "resolve"] {
        assert_eq!(desk.act(id, &cast.agent, action).await.0, 200);
    }
    desk.advance_days(1).await;
    let (status, outcome) = desk.say(id, &cast.client, "Still failing").await;
    assert_eq!(status, 201, "{outcome}");
    assert_eq!(outcome["ticket"]["status"], "pending_support");
    // The timers of Resolved are gone: nothing closes it now.
    desk.advance_days(10).await;
    let (_, t) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
        .await;
    assert_eq!(t["status"], "pending_support");
    assert_eq!(statuses(&t), ["new", "assigned", "resolved", "pending_support"]);
    // The agent hears of the reply.
    desk.deliver_now().await;
    assert!(desk.mails_of("reply").await.iter().any(|m| m.to == "agent@vendor.test"));
}

async fn a_restart_mid_walk_loses_nothing(mut desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let id = vendor_ticket(&desk, &cast).await;
    desk.act(&id, &cast.agent, "assign").await;
    desk.say(&id, &cast.agent, "Looking into it").await;
    desk.act(&id, &cast.agent, "wait_for_customer").await;

    desk.restart().await;

    let (status, t) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.admin), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(t["status"], "waiting_for_customer");
    assert_eq!(t["messages"][0]["body"], "Looking into it");
    // The timers survive the restart too: day 5 resolves it.
    desk.advance_days(4).await;
    let (_, t) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.admin), None)
        .await;
    assert_eq!(t["status"], "resolved");
    // Numbering goes on where it stopped.
    let (_, second) = desk
        .call(
            "POST",
            "/v1/tickets",
            Some(&cast.admin),
            Some(ticket_body(Some("vendor"))),
        )
        .await;
    assert_eq!(second["number"], "ACME-000002");
}

on_both_engines!(
    an_internal_ticket_escalates_waits_resolves_on_day_five_closes_on_day_eight_and_a_reply_opens_a_new_case,
    a_reply_on_resolved_returns_the_ticket_to_pending_support,
    a_restart_mid_walk_loses_nothing,
);

/// One server to a data folder: the embedded engine keeps company records in memory and
/// knows of every change only because its own writer makes them all, so a second server on
/// the same folder is refused while the first serves, and starts once it has stopped.
#[tokio::test]
async fn a_second_server_on_the_same_folder_is_refused_until_the_first_stops() {
    let folder = tempfile::tempdir().unwrap();
    let config = || claimdesk::Config::new(folder.path(), "127.0.0.1:0".parse().unwrap());
    let first = claimdesk::start(config()).await.expect("the first server starts");
    let refused = claimdesk::start(config()).await.err().expect("a second is refused");
    assert!(refused.to_string().contains("another claimdesk server"), "{refused}");
    first.stop().await;
    let again = claimdesk::start(config())
        .await
        .expect("it starts once the first has stopped");
    again.stop().await;
}
