//! Issue 4: mail users can trust, on both engines. The inbound corpus (`tests/mail/`), the
//! headers and templates of every outgoing kind, bounces and complaints, held mail, and an
//! outage of the mail service that loses nothing and sends nothing twice.

use crate::common::*;
use claimdesk_core::mail::address::{our_message, read_reply_address, ReplyAddress};
use claimdesk_core::mail::templates::REPLY_MARKER;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    file: String,
    setup: String,
    outcome: String,
    #[serde(default)]
    side: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    body_contains: Vec<String>,
    #[serde(default)]
    body_lacks: Vec<String>,
    #[serde(default)]
    attachments: Vec<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    suppressed: Option<String>,
    #[serde(default)]
    not_suppressed: Option<String>,
    #[serde(default)]
    held_listed: bool,
    #[serde(default)]
    no_ticket: bool,
    #[serde(default)]
    deliver_twice: bool,
    #[serde(default)]
    follow_up_body: Option<String>,
    #[serde(default)]
    mailed_html_is_escaped: bool,
    /// Texts the receipt's entry in the email history must show after a bounce (the whole
    /// diagnostic, however it was folded).
    #[serde(default)]
    bounce_detail_contains: Vec<String>,
}

const COLLABORATOR: &str = "colleague@acme.test";
const AGENT: &str = "agent@vendor.test";
const REQUESTER: &str = "adjuster@acme.test";
/// The contact of an `other_contact` ticket, so a bounce case can silence an address of its own.
const OTHER_CONTACT: &str = "bea@acme.test";

fn corpus_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mail")
}

/// A vendor ticket filed by ACME's owner for Ada (the contact), taken by the agent, then
/// brought to the state the case needs.
async fn ticket_for(desk: &Desk, cast: &Cast, setup: &str) -> (String, String) {
    let mut body = ticket_body(Some("vendor"));
    if setup == "other_contact" {
        body["contact"]["email"] = json!(OTHER_CONTACT);
    }
    let t = file_ticket(desk, &cast.admin, body).await;
    let id = t["id"].as_str().unwrap().to_string();
    let number = t["number"].as_str().unwrap().to_string();
    let (status, body) = desk.act(&id, &cast.agent, "assign").await;
    assert_eq!(status, 200, "{body}");
    let step = match setup {
        "open" | "other_contact" => None,
        "waiting" => Some((&cast.agent, "wait_for_customer")),
        "resolved" => Some((&cast.agent, "resolve")),
        "closed" => Some((&cast.admin, "close")),
        "collaborator" => {
            let (status, body) = desk.invite(&id, &cast.admin, COLLABORATOR).await;
            assert_eq!(status, 201, "{body}");
            None
        }
        // The customer wrote, so a mail went to the assignee with a reply address of its own.
        "answered" => {
            let (status, body) = desk.say(&id, &cast.admin, "Any news?").await;
            assert_eq!(status, 201, "{body}");
            // The case's own mail comes later, so the conversation's order is plain.
            desk.let_time_pass(chrono::Duration::minutes(1)).await;
            None
        }
        other => panic!("unknown setup {other}"),
    };
    if let Some((token, action)) = step {
        let (status, body) = desk.act(&id, token, action).await;
        assert_eq!(status, 200, "{action}: {body}");
    }
    desk.deliver_now().await;
    (id, number)
}

/// The receipt mailed for the ticket `number`: its Reply-To and Message-ID are what a
/// client would answer.
async fn receipt_of(desk: &Desk, number: &str) -> SentMail {
    desk.mails_of("ticket_received")
        .await
        .into_iter()
        .find(|m| m.subject.contains(number))
        .expect("a receipt was mailed")
}

async fn view(desk: &Desk, cast: &Cast, id: &str) -> Value {
    let (status, t) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
        .await;
    assert_eq!(status, 200, "{t}");
    t
}

async fn held_count(desk: &Desk, cast: &Cast) -> usize {
    let (status, held) = desk.call("GET", "/v1/held-mail", Some(&cast.agent), None).await;
    assert_eq!(status, 200, "{held}");
    held["items"].as_array().unwrap().len()
}

fn fill(template: &str, values: &HashMap<&str, String>) -> Vec<u8> {
    let mut raw = template.to_string();
    for (name, value) in values {
        raw = raw.replace(&format!("{{{{{name}}}}}", name = name), value);
    }
    assert!(!raw.contains("{{"), "unfilled placeholder in {raw}");
    raw.into_bytes()
}

/// The newest mail of ticket `number` that went to `to`, if any: its reply address and
/// Message-ID are what that recipient's client would answer with.
async fn mail_to(desk: &Desk, number: &str, to: &str) -> Option<SentMail> {
    desk.mails()
        .await
        .into_iter()
        .rev()
        .find(|m| m.subject.contains(number) && m.to.eq_ignore_ascii_case(to))
}

async fn the_inbound_corpus_lands_as_each_case_expects(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let cases: Vec<Case> =
        serde_json::from_str(&std::fs::read_to_string(corpus_dir().join("expected.json")).unwrap()).unwrap();
    assert!(cases.len() >= 20, "the corpus holds at least 20 messages");
    let on_disk: BTreeSet<String> = std::fs::read_dir(corpus_dir().join("corpus"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    let listed: BTreeSet<String> = cases.iter().map(|c| c.file.clone()).collect();
    assert_eq!(
        on_disk, listed,
        "every corpus file has an expected outcome, and only those"
    );
    let support = claimdesk_core::mime::address_of(&desk.core().settings.mail_from);
    let domain = desk.core().settings.mail_domain.clone();
    for case in &cases {
        let name = &case.file;
        let (id, number) = ticket_for(&desk, &cast, &case.setup).await;
        let receipt = receipt_of(&desk, &number).await;
        let mut tampered = receipt.reply_to.clone();
        let at = tampered.find('@').unwrap();
        let bent = if &tampered[at - 1..at] == "a" { "b" } else { "a" };
        tampered.replace_range(at - 1..at, bent);
        let mut values = HashMap::from([
            ("REPLY_TO", receipt.reply_to.clone()),
            ("TAMPERED_TO", tampered),
            (
                "AUTHSERV",
                desk.core()
                    .settings
                    .mail_authserv_id
                    .clone()
                    .expect("a trusted mail server"),
            ),
            ("MESSAGE_ID", receipt.message_id.clone()),
            ("THREAD", receipt.references.clone()),
            ("NUMBER", number.clone()),
            ("SUBJECT", "Claim will not save".to_string()),
            ("SUPPORT", support.clone()),
            ("REQUESTER", REQUESTER.to_string()),
            ("CONTACT", receipt.to.clone()),
            ("COLLABORATOR", COLLABORATOR.to_string()),
            ("AGENT", AGENT.to_string()),
            ("FORGED_TO", format!("reply+{id}.aaaaaaaaaaaaaaaa@{domain}")),
        ]);
        let answered_by = [
            (COLLABORATOR, "COLLABORATOR_REPLY_TO", "COLLABORATOR_MESSAGE_ID"),
            (AGENT, "AGENT_REPLY_TO", "AGENT_MESSAGE_ID"),
        ];
        for (address, reply_to, message_id) in answered_by {
            if let Some(mail) = mail_to(&desk, &number, address).await {
                values.insert(reply_to, mail.reply_to);
                values.insert(message_id, mail.message_id);
            }
        }
        let raw = fill(
            &std::fs::read_to_string(corpus_dir().join("corpus").join(name)).unwrap(),
            &values,
        );
        let before = view(&desk, &cast, &id).await;
        let messages_before = before["messages"].as_array().unwrap().len();
        let held_before = held_count(&desk, &cast).await;

        let report = desk.receive_mail(&raw).await;
        assert_eq!(report["outcome"], case.outcome, "{name}: {report}");
        if case.deliver_twice {
            let again = desk.receive_mail(&raw).await;
            assert_eq!(again["outcome"], "duplicate", "{name} delivered twice: {again}");
        }
        if case.no_ticket {
            assert!(report["ticket_id"].is_null(), "{name}: {report}");
        } else {
            assert_eq!(report["ticket_id"], id.as_str(), "{name}: {report}");
        }

        let after = view(&desk, &cast, &id).await;
        let messages = after["messages"].as_array().unwrap();
        if case.outcome == "added" {
            assert_eq!(messages.len(), messages_before + 1, "{name}: exactly one message added");
            let last = messages.last().unwrap();
            let body = last["body"].as_str().unwrap();
            if let Some(expected) = &case.body {
                assert_eq!(body, expected, "{name}");
            }
            for part in &case.body_contains {
                assert!(body.contains(part.as_str()), "{name}: {part:?} missing from {body:?}");
            }
            for part in &case.body_lacks {
                assert!(!body.contains(part.as_str()), "{name}: {part:?} kept in {body:?}");
            }
            if let Some(side) = &case.side {
                assert_eq!(last["side"], side.as_str(), "{name}");
            }
            assert!(!body.contains(REPLY_MARKER), "{name}: the quoted history was kept");
        } else {
            assert_eq!(
                messages.len(),
                messages_before,
                "{name}: the conversation must not change"
            );
        }
        if let Some(status) = &case.status {
            assert_eq!(after["status"], status.as_str(), "{name}");
        }
        let names: BTreeSet<String> = after["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["filename"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, case.attachments.iter().cloned().collect(), "{name}");
        for attachment in after["attachments"].as_array().unwrap() {
            let path = format!("/v1/tickets/{id}/attachments/{}", attachment["id"].as_str().unwrap());
            let (status, bytes) = desk.download(&path, &cast.agent).await;
            assert_eq!(status, 200, "{name}");
            assert_eq!(bytes.len() as u64, attachment["size"].as_u64().unwrap(), "{name}");
        }
        if !case.no_ticket {
            // The ticket's email history lists the mail and what it led to.
            let inbound: Vec<&Value> = after["emails"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["direction"] == "inbound")
                .collect();
            assert_eq!(inbound.len(), 1, "{name}: {inbound:?}");
            assert_eq!(inbound[0]["state"], case.outcome.as_str(), "{name}");
        }
        if let Some(follow_up_body) = &case.follow_up_body {
            let follow_up = view(&desk, &cast, report["follow_up_id"].as_str().unwrap()).await;
            assert_eq!(follow_up["follow_up_of"], id.as_str(), "{name}");
            assert_eq!(follow_up["messages"][0]["body"], follow_up_body.as_str(), "{name}");
        }
        assert_eq!(
            held_count(&desk, &cast).await,
            held_before + usize::from(case.held_listed),
            "{name}: held for review"
        );
        if let Some(address) = &case.suppressed {
            assert!(desk.suppressed(address).await, "{name}");
            // The receipt shows why, and the next mail to the address is not sent.
            let (status, body) = desk.say(&id, &cast.agent, "Could you check your address?").await;
            assert_eq!(status, 201, "{body}");
            desk.deliver_now().await;
            let emails = view(&desk, &cast, &id).await["emails"].as_array().unwrap().clone();
            let receipt_state = emails.iter().find(|e| e["kind"] == "ticket_received").unwrap();
            assert_eq!(receipt_state["state"], "bounced", "{name}: {receipt_state}");
            for part in &case.bounce_detail_contains {
                assert!(
                    receipt_state["detail"].as_str().unwrap().contains(part.as_str()),
                    "{name}: {part:?} missing from {receipt_state}"
                );
            }
            assert!(
                receipt_state["detail"].as_str().unwrap().contains("5.1.1"),
                "{receipt_state}"
            );
            let reply = emails
                .iter()
                .find(|e| e["kind"] == "reply" && e["to"] == address.as_str())
                .unwrap();
            assert_eq!(reply["state"], "suppressed", "{name}: {reply}");
            assert!(reply["detail"].as_str().unwrap().contains(address.as_str()));
        }
        if let Some(address) = &case.not_suppressed {
            assert!(
                !desk.suppressed(address).await,
                "{name}: a forged bounce silenced {address}"
            );
        }
        if case.mailed_html_is_escaped {
            desk.deliver_now().await;
            let onward = desk
                .mails_of("reply")
                .await
                .into_iter()
                .find(|m| m.subject.contains(&number))
                .expect("the reply went on to the agent");
            assert!(!onward.html.contains("<script"), "{}", onward.html);
            assert!(!onward.html.contains("<img src=x"), "{}", onward.html);
            assert!(onward.html.contains("&lt;script&gt;"), "{}", onward.html);
            assert!(onward.text.contains("<script>alert(document.cookie)</script>"));
        }
    }
}

/// Every kind of mail: the ticket's number in the subject, a reply address with the
/// ticket's token, threading headers, one recipient per mail, the reply marker.
async fn every_outgoing_kind_threads_and_names_its_ticket(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    // Internal ticket by the adjuster, escalated by the owner.
    let (status, internal) = desk
        .call("POST", "/v1/tickets", Some(&cast.client), Some(ticket_body(None)))
        .await;
    assert_eq!(status, 201, "{internal}");
    let internal_id = internal["id"].as_str().unwrap().to_string();
    let (status, body) = desk.act(&internal_id, &cast.admin, "escalate").await;
    assert_eq!(status, 200, "{body}");
    // An urgent vendor ticket with a collaborator, a reply, a wait and a resolution.
    let mut urgent = ticket_body(Some("vendor"));
    urgent["priority"] = json!("urgent");
    let t = file_ticket(&desk, &cast.admin, urgent).await;
    let id = t["id"].as_str().unwrap().to_string();
    let (status, body) = desk.invite(&id, &cast.admin, COLLABORATOR).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = desk.act(&id, &cast.agent, "assign").await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = desk.say(&id, &cast.agent, "We are on it.").await;
    assert_eq!(status, 201, "{body}");
    desk.deliver_now().await;
    // The contact mails an empty file: it is not kept, and they are told so.
    let receipt = receipt_of(&desk, t["number"].as_str().unwrap()).await;
    let raw = format!(
        "From: Ada <{REQUESTER}>\r\nTo: {}\r\nSubject: Re: file\r\nMessage-ID: <empty-file@acme.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe log is attached.\r\n--b\r\nContent-Type: text/plain; name=\"empty.log\"\r\nContent-Disposition: attachment; filename=\"empty.log\"\r\n\r\n\r\n--b--\r\n",
        receipt.reply_to
    );
    assert_eq!(desk.receive_mail(raw.as_bytes()).await["outcome"], "added");
    let (status, body) = desk.act(&id, &cast.agent, "wait_for_customer").await;
    assert_eq!(status, 200, "{body}");
    desk.advance_days(1).await;
    let (status, body) = desk.say(&id, &cast.admin, "It works again, thanks.").await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = desk.act(&id, &cast.agent, "resolve").await;
    assert_eq!(status, 200, "{body}");
    desk.deliver_now().await;
    for _ in 0..8 {
        if !desk.mails_of("close_reminder").await.is_empty() {
            break;
        }
        desk.let_time_pass(chrono::Duration::hours(12)).await;
        desk.sweep_now().await;
        desk.deliver_now().await;
    }

    let settings = desk.core().settings.clone();
    let mails = desk.mails().await;
    let kinds: BTreeSet<&str> = mails.iter().map(|m| m.kind.as_str()).collect();
    // Account mail (invitations, resets, access requests) is the people tests' business.
    let ticket_kinds = claimdesk_core::mail::templates::MailKind::ALL
        .iter()
        .filter(|k| k.is_about_a_ticket());
    for kind in ticket_kinds.map(|k| k.slug()) {
        assert!(kinds.contains(kind), "no {kind} mail among {kinds:?}");
    }
    for mail in &mails {
        let parsed = mail_parser::MessageParser::default().parse(&mail.raw).unwrap();
        assert_eq!(parsed.to().unwrap().iter().count(), 1, "{}: one recipient", mail.kind);
        assert!(parsed.cc().is_none() && parsed.bcc().is_none(), "{}", mail.kind);
        let address = read_reply_address(&settings.mail_secret, &settings.mail_domain, &mail.reply_to);
        let ReplyAddress::Ticket { ticket_id: ticket, .. } = &address else {
            panic!("{}: reply address {} holds no valid token", mail.kind, mail.reply_to)
        };
        // Each recipient's reply address is their own.
        assert!(
            address.issued_to(&settings.mail_secret, &mail.to),
            "{}: the reply address is not bound to {}",
            mail.kind,
            mail.to
        );
        let ticket = ticket.clone();
        let number = if ticket == id {
            t["number"].as_str().unwrap()
        } else {
            internal["number"].as_str().unwrap()
        };
        assert!(
            mail.subject.starts_with(&format!("[{number}] ")),
            "{}: {}",
            mail.kind,
            mail.subject
        );
        let ours = our_message(&mail.message_id, &settings.mail_domain).expect("our Message-ID");
        assert_eq!(ours.ticket_id, ticket, "{}", mail.kind);
        assert_eq!(mail.in_reply_to, mail.references, "{}", mail.kind);
        assert_eq!(
            our_message(&mail.in_reply_to, &settings.mail_domain).unwrap().ticket_id,
            ticket
        );
        assert!(mail.text.starts_with(REPLY_MARKER), "{}", mail.kind);
        assert!(mail.html.contains(REPLY_MARKER), "{}", mail.kind);
    }
    // The agent's reply went to the contact, the collaborator and the owner, who filed the
    // case for the contact and so follows it: one mail each, naming nobody else (the
    // owner's own answer went to the agent alone).
    let replies: Vec<&SentMail> = mails
        .iter()
        .filter(|m| m.kind == "reply" && m.to != AGENT && m.text.contains("We are on it."))
        .collect();
    let to: BTreeSet<&str> = replies.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(to, BTreeSet::from([REQUESTER, COLLABORATOR, "owner@acme.test"]));
    assert_eq!(replies.len(), 3);
    for mail in &replies {
        let raw = String::from_utf8_lossy(&mail.raw);
        for other in [REQUESTER, COLLABORATOR, "owner@acme.test"]
            .iter()
            .filter(|o| **o != mail.to)
        {
            assert!(!raw.contains(other), "{} was shown {other}", mail.to);
        }
    }
    // The support side sees every mail on the ticket's history.
    let history: Vec<Value> = view(&desk, &cast, &id).await["emails"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["direction"] == "outbound")
        .cloned()
        .collect();
    let mailed = mails
        .iter()
        .filter(|m| m.subject.contains(t["number"].as_str().unwrap()))
        .count();
    assert_eq!(history.len(), mailed);
    assert!(history
        .iter()
        .all(|e| e["state"] == "sent" && e["direction"] == "outbound"));
    // The customer's side does not see the email history.
    let (_, as_customer) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.admin), None)
        .await;
    assert!(as_customer.get("emails").is_none());
}

async fn held_mail_is_for_support_staff_only(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    for token in [&cast.client, &cast.admin, &cast.other_admin] {
        let (status, body) = desk.call("GET", "/v1/held-mail", Some(token), None).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(
            body["type"].as_str().map(|t| t.ends_with("staff-only")),
            Some(true),
            "{body}"
        );
    }
    let (status, _) = desk.call("GET", "/v1/held-mail", None, None).await;
    assert_eq!(status, 401);
}

/// The mail service is down while tickets are filed and answered; nothing is lost, and once
/// it is back every mail goes exactly once.
async fn an_outage_of_the_mail_service_loses_nothing_and_doubles_nothing(mut desk: Desk) {
    let cast = company_with_cast(&desk).await;
    desk.mail_service(false).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let id = vendor_ticket(&desk, &cast).await;
        desk.act(&id, &cast.agent, "assign").await;
        let (status, body) = desk.say(&id, &cast.agent, &format!("Looking at it ({n}).")).await;
        assert_eq!(status, 201, "{body}");
        ids.push(id);
    }
    desk.deliver_now().await;
    assert!(
        desk.mails().await.is_empty(),
        "nothing can be sent while the service is down"
    );
    let mut expected = BTreeSet::new();
    for id in &ids {
        let emails = view(&desk, &cast, id).await["emails"].as_array().unwrap().clone();
        assert!(!emails.is_empty());
        for e in &emails {
            assert_eq!(e["state"], "pending", "{e}");
            assert!(
                e["detail"].as_str().is_some_and(|d| !d.is_empty()),
                "the failure is shown: {e}"
            );
            expected.insert(e["id"].as_str().unwrap().to_string());
        }
    }
    // Still down after a retry or two; then back.
    desk.let_time_pass(chrono::Duration::minutes(3)).await;
    desk.deliver_now().await;
    desk.mail_service(true).await;
    desk.let_time_pass(chrono::Duration::hours(2)).await;
    desk.deliver_now().await;
    desk.deliver_now().await;

    let sent = desk.mails().await;
    let mut seen = BTreeSet::new();
    for mail in &sent {
        let ours = our_message(&mail.message_id, &desk.core().settings.mail_domain).unwrap();
        let id = ours.mail_id.unwrap();
        assert!(seen.insert(id.clone()), "mail {id} was sent twice");
    }
    assert_eq!(seen, expected, "every queued mail was sent once");
    for id in &ids {
        let emails = view(&desk, &cast, id).await["emails"].as_array().unwrap().clone();
        assert!(emails.iter().all(|e| e["state"] == "sent"), "{emails:?}");
    }
}

/// A run that claimed a ticket's notices and died holds them for its lease: other runs
/// pass them by and deliver what lies behind them, then take them over once the lease has
/// run out. Every mail goes once.
async fn notices_held_by_a_run_that_died_wait_for_the_lease_and_go_once(mut desk: Desk) {
    use claimdesk_core::ports::{Clock, Index, Query, SortKey, Write};
    use claimdesk_core::services::mail::notify::Notice;
    use claimdesk_core::store;
    let cast = company_with_cast(&desk).await;
    // Filed while the mail service is down, so that every notice waits, still, for its
    // first retry (the local server's own worker delivers as soon as it can).
    desk.mail_service(false).await;
    let held = vendor_ticket(&desk, &cast).await;
    let free = vendor_ticket(&desk, &cast).await;
    desk.deliver_now().await;
    let core = desk.core();
    // The dead run's claims, as `deliver_notice` writes them: the attempt counted, the lease
    // in the record, the outbox key where it was.
    let mut query = Query::new(Index::Table, store::ticket_pk(&held));
    query.sort = SortKey::BeginsWith(store::MAIL_PREFIX.to_string());
    let notices = core.table.query(&query).await.unwrap().items;
    assert!(!notices.is_empty());
    for item in notices {
        let mut notice: Notice = store::from_item(&item).unwrap();
        notice.attempts += 1;
        notice.leased_until = Some(desk.clock.now() + chrono::Duration::minutes(5));
        let mut claimed = item.clone();
        claimed.data = store::to_data(&notice);
        core.table
            .write(vec![Write::replace(claimed, item.version)])
            .await
            .unwrap();
    }
    desk.mail_service(true).await;
    // Past the first retry's backoff, within the lease.
    desk.let_time_pass(chrono::Duration::minutes(2)).await;
    let states = |id: String| {
        let (desk, cast) = (&desk, &cast);
        async move {
            let emails = view(desk, cast, &id).await["emails"].as_array().unwrap().clone();
            assert!(!emails.is_empty());
            emails
                .iter()
                .map(|e| e["state"].as_str().unwrap().to_string())
                .collect::<BTreeSet<_>>()
        }
    };
    desk.deliver_now().await;
    assert_eq!(states(free.clone()).await, BTreeSet::from(["sent".to_string()]));
    assert_eq!(
        states(held.clone()).await,
        BTreeSet::from(["pending".to_string()]),
        "leased by the run that died"
    );
    desk.let_time_pass(chrono::Duration::minutes(4)).await;
    desk.deliver_now().await;
    assert_eq!(states(held.clone()).await, BTreeSet::from(["sent".to_string()]));
    let mut seen = BTreeSet::new();
    for mail in desk.mails().await {
        let ours = our_message(&mail.message_id, &desk.core().settings.mail_domain).unwrap();
        let id = ours.mail_id.unwrap();
        assert!(seen.insert(id.clone()), "mail {id} was sent twice");
    }
}

/// Files that come by mail count against the ticket's 20 MB like uploads: what fits is kept,
/// what does not is named in the message, and nothing is stored for it.
async fn mailed_files_come_all_or_none_and_the_sender_is_told_which_were_not_kept(desk: Desk) {
    use base64::Engine as _;
    let cast = company_with_cast(&desk).await;
    let (id, number) = ticket_for(&desk, &cast, "open").await;
    let limit = desk.core().settings.attachment_limit_bytes;
    let big = limit - 1_000;
    let (status, grant) = desk
        .call(
            "POST",
            &format!("/v1/tickets/{id}/attachments"),
            Some(&cast.admin),
            Some(json!({"filename": "export.csv", "content_type": "text/csv", "size": big})),
        )
        .await;
    assert_eq!(status, 201, "{grant}");
    assert!(desk.upload(&grant, vec![b'x'; big as usize]).await);
    let receipt = receipt_of(&desk, &number).await;
    let part = |name: &str, size: usize| {
        let data = base64::engine::general_purpose::STANDARD.encode(vec![b'y'; size]);
        format!(
            "--b\r\nContent-Type: text/plain; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{data}\r\n"
        )
    };
    let raw = format!(
        "From: Ada <{REQUESTER}>\r\nTo: {}\r\nSubject: Re: [{number}] files\r\nMessage-ID: <files@acme.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nTwo more files.\r\n{}{}--b--\r\n",
        receipt.reply_to,
        part("fits.txt", 500),
        part("too-big.txt", 4_000)
    );
    let report = desk.receive_mail(raw.as_bytes()).await;
    assert_eq!(report["outcome"], "added", "{report}");
    let t = view(&desk, &cast, &id).await;
    // All or none: the two files together do not fit, so neither is kept.
    let names: BTreeSet<&str> = t["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, BTreeSet::from(["export.csv"]));
    assert_eq!(t["attachment_bytes"], big);
    // The sender's words are stored as written; the sender is told by mail what was not kept.
    let body = t["messages"].as_array().unwrap().last().unwrap()["body"]
        .as_str()
        .unwrap();
    assert_eq!(body, "Two more files.");
    desk.deliver_now().await;
    let told = desk.mails_of("files_not_kept").await;
    let told: Vec<&SentMail> = told.iter().filter(|m| m.subject.contains(&number)).collect();
    assert_eq!(told.len(), 1, "one mail to the sender");
    assert_eq!(told[0].to, REQUESTER);
    for name in ["fits.txt", "too-big.txt"] {
        assert!(told[0].text.contains(name), "{}", told[0].text);
    }
    assert!(told[0].text.contains(&format!("/v1/tickets/{id}")), "{}", told[0].text);
}

on_both_engines!(
    mailed_files_come_all_or_none_and_the_sender_is_told_which_were_not_kept,
    the_inbound_corpus_lands_as_each_case_expects,
    every_outgoing_kind_threads_and_names_its_ticket,
    held_mail_is_for_support_staff_only,
    an_outage_of_the_mail_service_loses_nothing_and_doubles_nothing,
    notices_held_by_a_run_that_died_wait_for_the_lease_and_go_once,
);

/// The table's stream hands each new notice to `deliver-outbox`, held for that run.
mod aws_stream {
    use super::*;
    use claimdesk_core::services::mail::outbox::STREAM_HOLD_SECONDS;

    /// A new notice is held for the stream's run: the schedule's run passes it by, the
    /// stream's run delivers it with no claim, a batch handed over again (Lambda retries a
    /// failed batch whole) sends nothing twice, and a notice whose hold ran out before any
    /// stream run came is the schedule's.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn new_notices_go_by_the_streams_run_and_the_schedule_takes_what_it_left() {
        let desk = Desk::aws().await;
        let aws = desk.aws_desk();
        let cast = company_with_cast(&desk).await;
        let every_shard = json!({});
        let schedule = || claimdesk_aws::lambda::handle_deliver(&aws.engine, &every_shard);
        aws.deliver_stream().await;
        let (_, start) = claimdesk_bench::stream_batch(&aws.sdk, &aws.endpoint, &aws.names.table, None).await;
        let already = desk.mails().await.len();
        vendor_ticket(&desk, &cast).await;
        assert_eq!(schedule().await.unwrap().sent, 0, "held for the stream's run");
        assert_eq!(desk.mails().await.len(), already);
        let (batch, _) =
            claimdesk_bench::stream_batch(&aws.sdk, &aws.endpoint, &aws.names.table, start.as_deref()).await;
        let first = claimdesk_aws::lambda::handle_deliver(&aws.engine, &batch)
            .await
            .unwrap();
        assert!(first.sent >= 3, "the receipt, the desk's mail and the event: {first:?}");
        let again = claimdesk_aws::lambda::handle_deliver(&aws.engine, &batch)
            .await
            .unwrap();
        assert_eq!(again, Default::default(), "a batch handed over again");
        let sent = desk.mails().await.len();
        assert!(sent > already);

        // The stream's run comes too late (or never): the hold runs out and the schedule's
        // run claims the notice.
        aws.deliver_stream().await;
        vendor_ticket(&desk, &cast).await;
        desk.clock.advance(chrono::Duration::seconds(STREAM_HOLD_SECONDS - 60));
        assert_eq!(aws.deliver_stream().await.sent, 0, "too little of the hold is left");
        assert_eq!(schedule().await.unwrap().sent, 0, "still held");
        desk.clock.advance(chrono::Duration::seconds(60));
        assert!(schedule().await.unwrap().sent >= 3);
        let mails = desk.mails().await;
        assert!(mails.len() > sent);
        let ids: BTreeSet<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
        assert_eq!(ids.len(), mails.len(), "a mail went twice");
    }
}

/// SES's own bounce and complaint events (configuration set → EventBridge → `mail-feedback`).
mod aws_feedback {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ses_bounce_and_complaint_events_suppress_the_address_and_show_on_the_ticket() {
        let desk = Desk::aws().await;
        let cast = company_with_cast(&desk).await;
        let (id, number) = ticket_for(&desk, &cast, "open").await;
        let receipt = receipt_of(&desk, &number).await;
        let mail_id = our_message(&receipt.message_id, &desk.core().settings.mail_domain)
            .unwrap()
            .mail_id
            .unwrap();
        for (file, address, state) in [
            ("ses-bounce.json", REQUESTER, "bounced"),
            ("ses-complaint.json", "owner@acme.test", "complained"),
        ] {
            let mut event: Value = serde_json::from_str(&event_file(file)).unwrap();
            assert_eq!(event["source"], "aws.ses");
            let detail = &mut event["detail"];
            detail["mail"]["tags"]["claimdesk-mail"] = json!([mail_id]);
            detail["mail"]["tags"]["claimdesk-ticket"] = json!([id]);
            for list in ["bouncedRecipients", "complainedRecipients"] {
                for key in ["bounce", "complaint"] {
                    if let Some(recipients) = detail[key][list].as_array_mut() {
                        recipients[0]["emailAddress"] = json!(address);
                    }
                }
            }
            let event = serde_json::from_value(event).unwrap();
            let recorded = claimdesk_aws::lambda::handle_mail_feedback(&desk.aws_desk().engine, event)
                .await
                .unwrap();
            assert_eq!(recorded, 1, "{file}");
            assert!(desk.suppressed(address).await, "{file}");
            let emails = view(&desk, &cast, &id).await["emails"].as_array().unwrap().clone();
            let receipt = emails.iter().find(|e| e["id"] == mail_id.as_str()).unwrap();
            assert_eq!(receipt["state"], state, "{receipt}");
        }
        // No more mail to the bounced address; the ticket says why.
        let (status, body) = desk.say(&id, &cast.agent, "Please confirm your address.").await;
        assert_eq!(status, 201, "{body}");
        desk.deliver_now().await;
        let emails = view(&desk, &cast, &id).await["emails"].as_array().unwrap().clone();
        let reply = emails
            .iter()
            .find(|e| e["kind"] == "reply" && e["to"] == REQUESTER)
            .unwrap();
        assert_eq!(reply["state"], "suppressed", "{reply}");
        assert!(reply["detail"].as_str().unwrap().contains("550 5.1.1"), "{reply}");
        assert!(!desk
            .mails()
            .await
            .iter()
            .any(|m| m.kind == "reply" && m.to == REQUESTER));
        // A delivery event is not feedback.
        let mut delivery: Value = serde_json::from_str(&event_file("ses-bounce.json")).unwrap();
        delivery["detail"]["eventType"] = json!("Delivery");
        let delivery = serde_json::from_value(delivery).unwrap();
        let recorded = claimdesk_aws::lambda::handle_mail_feedback(&desk.aws_desk().engine, delivery)
            .await
            .unwrap();
        assert_eq!(recorded, 0);
    }
}
