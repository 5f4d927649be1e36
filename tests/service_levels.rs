//! Service levels (issue 17): the clocks of each case's promises on business hours, their
//! warnings and breaches through the sweep, a wait over a weekend and a new priority, on
//! both engines. The calendar is the seeds': 7:00–18:00 US Central, Monday to Friday.

use crate::common::*;
use chrono::{DateTime, TimeZone, Utc};
use claimdesk_core::ports::Clock;
use serde_json::{json, Value};

/// An instant of Central time in December 2026 (standard time, UTC−6).
fn central(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, minute, 0).unwrap() + chrono::Duration::hours(6)
}

fn text(at: DateTime<Utc>) -> Value {
    json!(at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// Moves the desk's clock to `when`, then runs the sweep and delivers the outbox.
async fn at(desk: &Desk, when: DateTime<Utc>) {
    let now = desk.clock.now();
    assert!(when >= now, "the walk goes forward");
    desk.advance_seconds((when - now).num_seconds()).await;
    desk.sweep_now().await;
    desk.deliver_now().await;
}

async fn view(desk: &Desk, token: &str, id: &str) -> Value {
    let (status, ticket) = desk.call("GET", &format!("/v1/tickets/{id}"), Some(token), None).await;
    assert_eq!(status, 200, "{ticket}");
    ticket
}

fn reasons(ticket: &Value) -> Vec<String> {
    ticket["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["reason"].as_str().unwrap().to_string())
        .collect()
}

async fn file(desk: &Desk, token: &str, priority: &str, subject: &str) -> Value {
    let mut body = ticket_body(Some("vendor"));
    body["priority"] = json!(priority);
    body["subject"] = json!(subject);
    file_ticket(desk, token, body).await
}

async fn sla_mails(desk: &Desk, kind: &str, subject: &str) -> Vec<String> {
    desk.mails_of(kind)
        .await
        .into_iter()
        .filter(|m| m.subject.contains(subject))
        .map(|m| m.to)
        .collect()
}

/// The walk: a High case filed on Friday at 17:30 Central is due at 10:30 on
/// Monday, is warned at 75 %, breached, answered late; an Urgent one filed on Saturday at
/// 03:00 is due at 04:00 that night; a case waits for its customer over a weekend without
/// its resolution clock moving; a new priority moves the targets.
async fn a_high_case_filed_on_friday_evening_is_warned_breached_and_answered_late(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let settings = &desk.core().settings;
    let (vendor_desk, on_call) = (settings.vendor_desk_email.clone(), settings.on_call_email.clone());

    at(&desk, central(4, 17, 30)).await;
    let high = file(&desk, &cast.admin, "high", "Friday evening").await;
    let high_id = high["id"].as_str().unwrap().to_string();
    let sla = &high["sla"];
    assert_eq!(sla["priority"], "high");
    assert_eq!(
        sla["first_response"]["target"],
        json!({"minutes": 240, "clock": "business"})
    );
    assert_eq!(sla["first_response"]["due_at"], text(central(7, 10, 30)), "{high}");
    assert_eq!(sla["first_response"]["warn_at"], text(central(7, 9, 30)));
    // Two business days of eleven hours: Tuesday 17:30.
    assert_eq!(sla["resolution"]["due_at"], text(central(8, 17, 30)));

    // Saturday 03:00: urgent work is around the clock, due within the hour.
    at(&desk, central(5, 3, 0)).await;
    let urgent = file(&desk, &cast.admin, "urgent", "Saturday night").await;
    assert_eq!(urgent["sla"]["first_response"]["due_at"], text(central(5, 4, 0)));
    assert_eq!(urgent["sla"]["first_response"]["target"]["clock"], "calendar");
    // The sweep after 04:00 finds the breach (the warning it swallowed is not sent late):
    // the desk and on-call hear of it once.
    at(&desk, central(5, 4, 1)).await;
    at(&desk, central(5, 4, 2)).await;
    let mut breached = sla_mails(&desk, "sla_breached", "Saturday night").await;
    breached.sort();
    let mut expected = vec![vendor_desk.clone(), on_call.clone()];
    expected.sort();
    assert_eq!(breached, expected);
    assert!(sla_mails(&desk, "sla_warning", "Saturday night").await.is_empty());
    let urgent_id = urgent["id"].as_str().unwrap();
    let urgent = view(&desk, &cast.agent, urgent_id).await;
    assert_eq!(urgent["sla"]["first_response"]["breached_at"], text(central(5, 4, 0)));
    assert!(reasons(&urgent)
        .iter()
        .any(|r| r.starts_with("first response target missed")));
    assert_consistent(&urgent);

    // Nothing about the Friday case over the weekend: the clock runs in business hours.
    at(&desk, central(7, 9, 29)).await;
    assert!(sla_mails(&desk, "sla_warning", "Friday evening").await.is_empty());
    // Monday 9:30, three of four hours gone: the warning goes to the queue (nobody has it).
    at(&desk, central(7, 9, 31)).await;
    assert_eq!(
        sla_mails(&desk, "sla_warning", "Friday evening").await,
        vec![vendor_desk.clone()]
    );
    let (status, body) = desk.act(&high_id, &cast.agent, "assign").await;
    assert_eq!(status, 200, "{body}");
    // 10:30: the breach goes to the agent who has it; the case's history says so.
    at(&desk, central(7, 10, 31)).await;
    at(&desk, central(7, 10, 45)).await;
    assert_eq!(sla_mails(&desk, "sla_warning", "Friday evening").await.len(), 1);
    assert_eq!(
        sla_mails(&desk, "sla_breached", "Friday evening").await,
        vec!["agent@vendor.test".to_string()]
    );
    let events = desk.published_events().await;
    let breach_events: Vec<&Value> = events
        .iter()
        .filter(|(kind, _, detail)| kind == "ticket.sla_breached" && detail["ticket"]["id"] == high_id.as_str())
        .map(|(_, _, detail)| detail)
        .collect();
    assert_eq!(breach_events.len(), 1, "{events:?}");
    assert_eq!(breach_events[0]["metric"], "first_response");

    // The agent answers at 11:00: met late, the breach stays on record.
    at(&desk, central(7, 11, 0)).await;
    let (status, body) = desk.say(&high_id, &cast.agent, "Which claim number fails?").await;
    assert_eq!(status, 201, "{body}");
    let high = view(&desk, &cast.admin, &high_id).await;
    assert_eq!(high["sla"]["first_response"]["met_at"], text(central(7, 11, 0)));
    assert_eq!(high["sla"]["first_response"]["breached_at"], text(central(7, 10, 30)));
    let history = reasons(&high);
    assert!(
        history.iter().any(|r| r.starts_with("first response due soon: 75 %")),
        "{history:?}"
    );
    assert!(
        history.iter().any(|r| r.starts_with("first response target missed")),
        "{history:?}"
    );
    assert_consistent(&high);

    // A Medium case filed Monday 11:05 waits for its customer from Friday 16:00 to Monday
    // 8:00: only three business hours of waiting, so its resolution moves by three hours.
    at(&desk, central(7, 11, 5)).await;
    let medium = file(&desk, &cast.admin, "medium", "Waits over a weekend").await;
    let medium_id = medium["id"].as_str().unwrap().to_string();
    assert_eq!(medium["sla"]["resolution"]["due_at"], text(central(14, 11, 5)));
    let (status, _) = desk.act(&medium_id, &cast.agent, "assign").await;
    assert_eq!(status, 200);
    at(&desk, central(11, 16, 0)).await;
    let (status, body) = desk.act(&medium_id, &cast.agent, "wait_for_customer").await;
    assert_eq!(status, 200, "{body}");
    for day in [12, 13] {
        at(&desk, central(day, 12, 0)).await;
        let waiting = view(&desk, &cast.admin, &medium_id).await;
        assert!(waiting["sla"]["resolution"].get("due_at").is_none(), "{waiting}");
    }
    let resolution_alarms_before = sla_mails(&desk, "sla_breached", "Waits over a weekend").await.len();
    at(&desk, central(14, 8, 0)).await;
    let (status, body) = desk.say(&medium_id, &cast.admin, "Here is the claim number.").await;
    assert_eq!(status, 201, "{body}");
    let medium = view(&desk, &cast.admin, &medium_id).await;
    assert_eq!(medium["status"], "pending_support");
    assert_eq!(medium["sla"]["resolution"]["due_at"], text(central(14, 14, 5)));
    assert_eq!(medium["sla"]["paused_seconds"], 3 * 3600);
    assert_eq!(
        sla_mails(&desk, "sla_breached", "Waits over a weekend").await.len(),
        resolution_alarms_before
    );

    // A Low case made Urgent: the targets count from its start.
    let low = file(&desk, &cast.admin, "low", "Made urgent").await;
    let low_id = low["id"].as_str().unwrap();
    // Two business days of first response: Monday 8:00 + 22 open hours = Wednesday 8:00.
    assert_eq!(low["sla"]["first_response"]["due_at"], text(central(16, 8, 0)));
    at(&desk, central(14, 8, 20)).await;
    let status_path = format!("/v1/tickets/{low_id}/status");
    let (status, body) = desk
        .call(
            "POST",
            &status_path,
            Some(&cast.admin),
            Some(json!({"action": "set_priority", "priority": "urgent"})),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_refused_on(
        &desk,
        "POST",
        &status_path,
        Some(&cast.agent),
        &json!({"action": "set_priority"}),
        "priority",
    )
    .await;
    let (status, body) = desk
        .call(
            "POST",
            &status_path,
            Some(&cast.agent),
            Some(json!({"action": "set_priority", "priority": "asap"})),
        )
        .await;
    assert_eq!((status, body["field"].as_str()), (400, Some("priority")), "{body}");
    let (status, body) = desk
        .call(
            "POST",
            &status_path,
            Some(&cast.agent),
            Some(json!({"action": "set_priority", "priority": "urgent"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ticket"]["priority"], "urgent");
    assert_eq!(
        body["ticket"]["sla"]["first_response"]["due_at"],
        text(central(14, 9, 0))
    );
    assert!(reasons(&body["ticket"]).contains(&"priority changed from low to urgent".to_string()));
    assert_consistent(&body["ticket"]);
    at(&desk, central(14, 8, 21)).await;
    assert_eq!(sla_mails(&desk, "urgent_ticket", "Made urgent").await, vec![on_call]);

    // The support side's work lists come soonest target first, overdue ones on top.
    let subjects = |page: &Value| -> Vec<(String, Value)> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["subject"].as_str().unwrap().to_string(),
                    t["service"]["next_due_at"].clone(),
                )
            })
            .collect()
    };
    let (_, queue) = desk
        .call("GET", "/v1/tickets?view=queue", Some(&cast.agent), None)
        .await;
    assert_eq!(
        subjects(&queue),
        vec![
            ("Saturday night".to_string(), text(central(5, 4, 0))),
            ("Made urgent".to_string(), text(central(14, 9, 0))),
        ]
    );
    let (_, mine) = desk.call("GET", "/v1/tickets?view=mine", Some(&cast.agent), None).await;
    assert_eq!(
        subjects(&mine),
        // The weekend case was never answered: its first response, overdue since Tuesday
        // 8:05, comes before the Friday case's resolution, overdue since Tuesday 17:30.
        vec![
            ("Waits over a weekend".to_string(), text(central(8, 8, 5))),
            ("Friday evening".to_string(), text(central(8, 17, 30))),
        ]
    );
    assert_eq!(mine["items"][1]["service"]["first_response"], "missed");
    assert_eq!(mine["items"][1]["service"]["resolution"], "missed");

    // The month's report, per priority: a late answer counts as missed; what still runs
    // (or waits) is open.
    let (status, report) = desk
        .call(
            "GET",
            "/v1/reports/service-levels?month=2026-12",
            Some(&cast.agent),
            None,
        )
        .await;
    assert_eq!(status, 200, "{report}");
    let row = |priority: &str| -> Vec<u64> {
        let row = report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["priority"] == priority)
            .unwrap();
        [
            "tickets",
            "first_response_met",
            "first_response_missed",
            "first_response_open",
            "resolution_met",
            "resolution_missed",
            "resolution_open",
        ]
        .iter()
        .map(|k| row[*k].as_u64().unwrap())
        .collect()
    };
    assert_eq!(row("urgent"), vec![2, 0, 1, 1, 0, 1, 1], "{report}");
    assert_eq!(row("high"), vec![1, 0, 1, 0, 0, 1, 0], "{report}");
    assert_eq!(row("medium"), vec![1, 0, 1, 0, 0, 0, 1], "{report}");
    assert_eq!(row("low"), vec![0; 7], "{report}");
    let (status, other_month) = desk
        .call(
            "GET",
            "/v1/reports/service-levels?month=2026-11&company=ACME",
            Some(&cast.agent),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(other_month["company"], "ACME");
    assert!(other_month["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["tickets"] == 0));
    let answer = desk
        .send(
            "GET",
            "/v1/reports/service-levels.csv?month=2026-12&company=acme",
            Some(&cast.agent),
            Vec::new(),
            None,
        )
        .await;
    assert_eq!(answer.status, 200);
    assert!(answer.header("content-type").unwrap().starts_with("text/csv"));
    let csv = String::from_utf8(answer.body.clone()).unwrap();
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines[0], "month,priority,tickets,first_response_met,first_response_missed,first_response_open,resolution_met,resolution_missed,resolution_open");
    assert_eq!(lines[1], "2026-12,urgent,2,0,1,1,0,1,1");
    assert_eq!(lines.len(), 5, "{csv}");
    // Clients see their cases' due times, never the report.
    let (status, _) = desk
        .call("GET", "/v1/reports/service-levels", Some(&cast.admin), None)
        .await;
    assert_eq!(status, 403);
}

/// Level 1 hands a case to level 2: it leaves level 1's queue for level 2's, sorted there
/// by its next target too, and someone of level 2 takes it by name.
async fn the_vendor_desk_hands_cases_between_levels(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let level2 = desk.token(
        "lee@vendor.test",
        "VENDOR",
        claimdesk_core::domain::roles::Role::AgentL2,
    );
    let urgent = file(&desk, &cast.admin, "urgent", "Needs level 2").await;
    let high = file(&desk, &cast.admin, "high", "Stays on level 1").await;
    let (urgent_id, high_id) = (urgent["id"].as_str().unwrap(), high["id"].as_str().unwrap());
    let status = |id: &str| format!("/v1/tickets/{id}/status");
    let subjects = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["subject"].as_str().unwrap().to_string())
            .collect()
    };
    let list = |token: String, view: &'static str| {
        let desk = &desk;
        async move {
            let (code, page) = desk
                .call("GET", &format!("/v1/tickets?view={view}"), Some(&token), None)
                .await;
            assert_eq!(code, 200, "{page}");
            page
        }
    };
    // Both start on level 1's queue, the urgent one (due soonest) first.
    assert_eq!(
        subjects(&list(cast.agent.clone(), "level").await),
        vec!["Needs level 2", "Stays on level 1"]
    );
    assert!(subjects(&list(level2.clone(), "level").await).is_empty());

    // An assignee or a level, not both; the customer's side assigns nothing.
    assert_refused_on(
        &desk,
        "POST",
        &status(urgent_id),
        Some(&cast.agent),
        &json!({"action": "assign", "assignee": "lee@vendor.test", "level": "l2"}),
        "level",
    )
    .await;
    let (code, _) = desk
        .call(
            "POST",
            &status(urgent_id),
            Some(&cast.admin),
            Some(json!({"action": "assign", "level": "l2"})),
        )
        .await;
    assert_eq!(code, 403);
    let (code, body) = desk
        .call(
            "POST",
            &status(urgent_id),
            Some(&cast.agent),
            Some(json!({"action": "assign", "level": "l2"})),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["ticket"]["level"], "l2");
    assert!(body["ticket"]["assignee"].is_null());
    assert!(reasons(&body["ticket"]).contains(&"handed to level 2 support".to_string()));
    assert_consistent(&body["ticket"]);
    assert_eq!(
        subjects(&list(cast.agent.clone(), "queue").await),
        vec!["Stays on level 1"]
    );
    assert_eq!(subjects(&list(level2.clone(), "level").await), vec!["Needs level 2"]);
    // Someone of level 2 takes it: off the level's queue, onto their own list.
    let (code, _) = desk
        .call(
            "POST",
            &status(urgent_id),
            Some(&level2),
            Some(json!({"action": "assign"})),
        )
        .await;
    assert_eq!(code, 200);
    assert!(subjects(&list(level2.clone(), "level").await).is_empty());
    assert_eq!(subjects(&list(level2.clone(), "mine").await), vec!["Needs level 2"]);
    let _ = high_id;

    // Levels are the vendor desk's: a company's internal case has none; clients have no level list.
    let internal = file_ticket(&desk, &cast.client, ticket_body(None)).await;
    let internal_id = internal["id"].as_str().unwrap();
    let internal_admin = desk.token("owner@acme.test", "ACME", claimdesk_core::domain::roles::Role::Owner);
    assert_refused_on(
        &desk,
        "POST",
        &status(internal_id),
        Some(&internal_admin),
        &json!({"action": "assign", "level": "l2"}),
        "level",
    )
    .await;
    let (code, _) = desk
        .call("GET", "/v1/tickets?view=level", Some(&cast.client), None)
        .await;
    assert_eq!(code, 403);
}

on_both_engines!(
    a_high_case_filed_on_friday_evening_is_warned_breached_and_answered_late,
    the_vendor_desk_hands_cases_between_levels,
);

/// A deployment's own calendar and targets (the local server's `--service-levels FILE`;
/// `SERVICE_LEVELS` on AWS, read by `claimdesk_aws::config`): a desk in Madrid open
/// 9:00–14:00 on weekdays, whose ACME answers High cases within one business hour. A file
/// that does not make sense stops the server before it serves anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_sets_its_own_calendar_and_targets() {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("service_levels.json");
    let mut levels: Value = serde_json::from_str(include_str!("../shared/core/service_levels.json")).unwrap();
    levels["time_zone"] = json!("Europe/Madrid");
    for day in ["monday", "tuesday", "wednesday", "thursday", "friday"] {
        levels["hours"][day] = json!({"open": "09:00", "close": "14:00"});
    }
    levels["companies"] = json!({"ACME": {"high": {
        "first_response": {"minutes": 60, "clock": "business"},
        "resolution": {"days": 2, "clock": "business"},
    }}});
    std::fs::write(&path, levels.to_string()).unwrap();
    let desk = Desk::local_with(|config| config.service_levels_file = Some(path.clone())).await;
    let cast = company_with_cast(&desk).await;
    // Day one, Monday 2 November 09:00 UTC, is 10:00 in Madrid.
    let high = file(&desk, &cast.admin, "high", "Madrid hours").await;
    assert_eq!(high["sla"]["first_response"]["due_at"], "2026-11-02T10:00:00Z");
    // Two business days of five hours: Monday 10:00–14:00, Tuesday 9:00–14:00, Wednesday 9:00–10:00.
    assert_eq!(high["sla"]["resolution"]["due_at"], "2026-11-04T09:00:00Z");

    std::fs::write(&path, levels.to_string().replace("Europe/Madrid", "Europe/Atlantis")).unwrap();
    let mut config = claimdesk::Config::new(folder.path(), "127.0.0.1:0".parse().unwrap());
    config.service_levels_file = Some(path.clone());
    let refused = claimdesk::start(config)
        .await
        .err()
        .expect("the server refuses a bad file");
    assert!(refused.to_string().contains("Europe/Atlantis"), "{refused}");
}
