//! The access matrix: every route × every kind of caller, with the outcome each must get,
//! from the one table below, on both engines. Every row gets a fresh ACME vendor ticket
//! (with a file, a collaborator and guest keys), so what one caller does cannot change
//! what the next one meets. Around the table:
//! - callers with no business on the ticket never see a byte of it (its subject carries a
//!   random canary that must not appear in anything they get back) and change nothing
//!   (the ticket's version is the same after all their attempts);
//! - an unknown ticket id answers exactly like a foreign one: 404, never 403;
//! - no answer shows where a file's bytes are kept or the hash of its upload token;
//! - nothing of an internal note reaches anyone off the support side: not its text, not its
//!   file's name or id, not the file's bytes (every row's ticket has such a note, and the
//!   download route is tried with its file by every caller).

use crate::common::*;
use claimdesk_core::domain::roles::Role;
use claimdesk_core::http::{route_for, routes, Deploy};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    /// ACME's adjuster: a customer on ACME's tickets.
    ClientUser,
    /// ACME's owner, who filed the vendor ticket.
    ClientAdmin,
    /// The vendor's support agent.
    Agent,
    /// OTHER's adjuster.
    OtherUser,
    /// OTHER's administrator.
    OtherAdmin,
    /// A broker's user added to the ticket by email.
    Collaborator,
    /// Holds the ticket's live guest key (and no token).
    Guest,
    /// Holds a guest key of the ticket issued 100 days ago (keys last 90).
    ExpiredGuest,
    /// Holds the receipt's guest key, revoked by the owner.
    RevokedGuest,
    NoToken,
    /// A well-formed token signed with another key.
    BadSignature,
    ExpiredToken,
}
use Actor::*;

const ACTORS: [Actor; 12] = [
    ClientUser,
    ClientAdmin,
    Agent,
    OtherUser,
    OtherAdmin,
    Collaborator,
    Guest,
    ExpiredGuest,
    RevokedGuest,
    NoToken,
    BadSignature,
    ExpiredToken,
];

impl Actor {
    /// Whether this caller may know the fixture ticket exists.
    fn on_the_ticket(self) -> bool {
        matches!(self, ClientUser | ClientAdmin | Agent | Collaborator | Guest)
    }
}

/// The table. Columns in `ACTORS` order:
/// CU client user · CA client admin · AG agent · OU other user · OA other admin ·
/// CO collaborator · GU guest key · GX expired key · GR revoked key · NT no token ·
/// BS bad signature · XT expired token.
/// 2xx: allowed (a download is 200 with the bytes locally, 302 to S3 on AWS); 401: sign
/// in; 403: on the ticket (or signed in) but not allowed; 404: not yours, or not there;
/// 422: allowed to ask, but the request names something that is not theirs (an agent
/// must say which company a ticket is for; the broker is no registered company; a serial
/// another dealer holds is unknown to them).
#[rustfmt::skip]
const MATRIX: &[(&str, &str, [u16; 12])] = &[
    //                                                          CU   CA   AG   OU   OA   CO   GU   GX   GR   NT   BS   XT
    ("GET",  "/v1/openapi.json",                              [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    // Signing in takes no token: whoever calls, wrong credentials and unknown sessions are 401.
    ("POST", "/v1/sessions",                                  [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/sessions/refresh",                          [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/sessions/sign-out",                         [401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/me",                                        [200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/tickets",                                   [201, 201, 422, 201, 201, 422, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/tickets",                                   [200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/tickets/{id}",                              [200, 200, 200, 404, 404, 200, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/tickets/{id}/messages",                     [201, 201, 201, 404, 404, 201, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/tickets/{id}/status",                       [403, 403, 200, 404, 404, 403, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/ticket-types",                              [200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401]),
    // The service-level report is the vendor staff's; clients see their own cases' due times only.
    ("GET",  "/v1/reports/service-levels",                    [403, 403, 200, 403, 403, 403, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/reports/service-levels.csv",                [403, 403, 200, 403, 403, 403, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/tickets/{id}/attachments",                  [201, 201, 201, 404, 404, 201, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/tickets/{id}/attachments/{attachment_id}",  [200, 200, 200, 404, 404, 200, 401, 401, 401, 401, 401, 401]),
    ("PUT",  "/v1/uploads/{id}/{attachment_id}",              [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("POST", "/v1/tickets/{id}/collaborators",                [201, 201, 201, 404, 404, 403, 401, 401, 401, 401, 401, 401]),
    // Whoever may read the case may follow it (guests have no account to be told through).
    ("PUT",  "/v1/tickets/{id}/following",                    [200, 200, 200, 404, 404, 200, 401, 401, 401, 401, 401, 401]),
    ("DELETE", "/v1/tickets/{id}/following",                  [200, 200, 200, 404, 404, 200, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/tickets/{id}/guest-keys/revoke",            [200, 200, 200, 404, 404, 403, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/guest/tickets/{id}",                        [404, 404, 404, 404, 404, 404, 200, 404, 404, 404, 404, 404]),
    ("POST", "/v1/guest/tickets/{id}/messages",               [404, 404, 404, 404, 404, 404, 201, 404, 404, 404, 404, 404]),
    ("POST", "/v1/companies",                                 [403, 403, 201, 403, 403, 403, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/products",                                  [403, 403, 201, 403, 403, 403, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/serials",                                   [403, 403, 201, 403, 403, 403, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/serials/{serial}",                          [200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/warranties",                                [201, 201, 422, 422, 422, 422, 401, 401, 401, 401, 401, 401]),
    // A dealer's units pending registration: each company lists its own; staff must name
    // the dealer (this row names none: 422 `dealer`).
    ("GET",  "/v1/pending-registrations",                     [200, 200, 422, 200, 200, 200, 401, 401, 401, 401, 401, 401]),
    // Warranty claims: a dealer's people draft on their own units (another company's serial
    // is unknown to it: 422); staff never draft; a claim is its dealer's and staff's (404
    // for anyone else); `take` is the support side's, and a draft cannot be taken (409).
    ("POST", "/v1/warranty-claims",                           [201, 201, 403, 422, 422, 422, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/warranty-claims",                           [200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/warranty-claims/{id}",                      [200, 200, 200, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/adjustment-reasons",                        [200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401]),
    ("PATCH", "/v1/warranty-claims/{id}",                     [200, 200, 403, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/warranty-claims/{id}/actions",              [403, 403, 409, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    // Exports: everyone signed in exports their own company's claims (staff: the queue).
    ("GET",  "/v1/exports/warranty-claims",                   [200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/exports/rmas",                              [200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401]),
    // RMAs: the support side issues them from a claim under way (the fixture's is a draft:
    // 409); they are their dealer's and staff's. The dealer ships (the first of ACME's
    // people does; then it is shipped: 409); the support side cannot ship (403).
    ("POST", "/v1/warranty-claims/{id}/rmas",                 [403, 403, 409, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/rmas",                                      [200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/rmas/{id}",                                 [200, 200, 200, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/rmas/{id}/actions",                         [200, 409, 403, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    // Help resources. The row's article is published for staff only, and carries the
    // internal note's secret: nobody but the agent may see a byte of it through any route
    // (list, get, vote, change, search, suggestions). Search looks for the secret and the
    // ticket's canary; suggestions are asked with both. The fixture's case is not resolved,
    // so publishing its solution is 409 for the agent, and it has none to read.
    ("POST", "/v1/articles",                                  [403, 403, 201, 403, 403, 403, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/articles",                                  [200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/articles/{id}",                             [404, 404, 200, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    ("PATCH", "/v1/articles/{id}",                            [404, 404, 200, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/articles/{id}/votes",                       [404, 404, 200, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    // The article's file is named after the secret: only staff learn of it or get it.
    ("POST", "/v1/articles/{id}/attachments",                 [404, 404, 201, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/articles/{id}/attachments/{attachment_id}", [404, 404, 200, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    ("DELETE", "/v1/articles/{id}/attachments/{attachment_id}", [404, 404, 200, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    ("PUT",  "/v1/uploads/articles/{id}/{attachment_id}",     [404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404]),
    ("PUT",  "/v1/tickets/{id}/solution",                     [403, 403, 409, 404, 404, 403, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/solutions/{id}",                            [404, 404, 404, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/search",                                    [200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/suggestions",                               [200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401]),
    // Announcements: the row's is for ACME's people (so not for staff's banner, nor OTHER's,
    // nor the broker's collaborator, who is no ACME user).
    ("POST", "/v1/announcements",                             [403, 403, 201, 403, 403, 403, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/announcements",                             [200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401]),
    ("PATCH", "/v1/announcements/{id}",                       [403, 403, 200, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/announcements/{id}/dismiss",                [200, 200, 404, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    // Notifications are each person's own: the row's is the client user's (the contact,
    // told of the agent's reply); nobody else can see or mark it.
    ("GET",  "/v1/notifications",                             [200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/notifications/count",                       [200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/notifications/{id}/seen",                   [200, 404, 404, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/notifications/seen-all",                    [200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/held-mail",                                 [403, 403, 200, 403, 403, 403, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/inbound-email",                             [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200]),
    // People. The owner and OTHER's administrator manage their own company's accounts;
    // staff see every company's, and only the staff admin changes them; `{id}` is an ACME
    // user. The public forms answer everyone alike; a set-password link that is none is 422.
    ("POST", "/v1/users",                                     [403, 201, 403, 403, 201, 403, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/users",                                     [403, 200, 200, 403, 200, 403, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/users/{id}",                                [404, 200, 200, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    ("PATCH", "/v1/users/{id}",                               [404, 200, 403, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    ("GET",  "/v1/account-changes",                           [403, 200, 200, 403, 200, 403, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/password-resets",                           [202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202]),
    ("POST", "/v1/passwords",                                 [422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422]),
    ("POST", "/v1/access-requests",                           [202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202, 202]),
    ("GET",  "/v1/access-requests",                           [403, 200, 200, 403, 200, 403, 401, 401, 401, 401, 401, 401]),
    // An approval naming no real role: refused by field once the caller may decide.
    ("POST", "/v1/access-requests/{id}/decision",             [404, 422, 422, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    // Companies: staff list them; only the staff admin (none in this cast) changes one.
    ("GET",  "/v1/companies",                                 [403, 403, 200, 403, 403, 403, 401, 401, 401, 401, 401, 401]),
    ("PATCH", "/v1/companies/{code}",                         [403, 403, 403, 403, 403, 403, 401, 401, 401, 401, 401, 401]),
    // One's own profile: this cast's tokens are scripts' (no account of their own: 404);
    // `tests/directory.rs` walks them with people who signed in.
    ("PATCH", "/v1/me",                                       [404, 404, 404, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/me/password",                               [404, 404, 404, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/me/email",                                  [404, 404, 404, 404, 404, 404, 401, 401, 401, 401, 401, 401]),
    ("POST", "/v1/email-confirmations",                       [422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422, 422]),
];

struct Tokens {
    cast: Cast,
    /// An ACME user the owner invited, and a pending access request to ACME.
    member_id: String,
    request_id: String,
    collaborator: String,
    forged: String,
    expired: String,
}

/// One row's ticket and what opens it.
#[derive(Clone)]
struct Fixture {
    id: String,
    number: String,
    canary: String,
    attachment: String,
    /// A file the agent attached to an internal note, whose name and note carry `secret`.
    internal_attachment: String,
    secret: String,
    guest_key: String,
    expired_key: String,
    revoked_key: String,
    /// The ACME user and the access request of the people rows (unknown ones in the check
    /// that unknown ids answer like foreign ones).
    user_id: String,
    request_id: String,
    /// A product, and one serial of it per actor, for the rows about serials and warranties.
    sku: String,
    serials: Vec<String>,
    /// A claim ACME's adjuster drafted on the first serial (warranty rows only).
    claim_id: String,
    /// An RMA issued on a claim on the last serial (RMA rows only).
    rma_id: String,
    /// A staff-only published article that names `secret` (help-resource rows only).
    article_id: String,
    /// A file of that article, named after `secret` (article file rows only).
    article_file: String,
    /// An announcement for ACME's people (announcement rows only).
    announcement_id: String,
    /// The client user's notification of the agent's reply (notification rows only).
    notification_id: String,
}

const COLLABORATOR: &str = "partner@broker.test";

/// An RMA of the part line of a claim ACME's owner filed on `serial`, submitted, taken and
/// decided as its check suggests.
async fn issued_rma(desk: &Desk, cast: &Cast, serial: &str) -> String {
    let id = &drafted_claim(desk, &cast.admin, serial).await;
    for (token, action) in [(&cast.admin, "submit"), (&cast.agent, "take"), (&cast.agent, "decide")] {
        let path = format!("/v1/warranty-claims/{id}/actions");
        let (status, body) = desk
            .call("POST", &path, Some(token), Some(json!({ "action": action })))
            .await;
        assert_eq!(status, 200, "{action}: {body}");
    }
    let (status, rma) = desk
        .call(
            "POST",
            &format!("/v1/warranty-claims/{id}/rmas"),
            Some(&cast.agent),
            Some(json!({"lines": [{"line": "l1", "quantity": 1}]})),
        )
        .await;
    assert_eq!(status, 201, "{rma}");
    rma["id"].as_str().unwrap().to_string()
}

async fn fixture(
    desk: &Desk,
    tokens: &Tokens,
    row: usize,
    with_serials: bool,
    with_rma: bool,
    with_knowledge: bool,
    // The row's path: the fixture makes only what its row needs.
    extras: &str,
) -> Fixture {
    let cast = &tokens.cast;
    let canary = format!("Canary{:016x}", rand::random::<u64>());
    let mut body = ticket_body(Some("vendor"));
    body["subject"] = json!(format!("Claim will not save {canary}"));
    let ticket = file_ticket(desk, &cast.admin, body).await;
    let id = ticket["id"].as_str().unwrap().to_string();
    let number = ticket["number"].as_str().unwrap().to_string();
    let attachment = attach_text(desk, &id, &cast.admin, "eob.txt", b"EOB!").await;
    let secret = format!("Internal{:016x}", rand::random::<u64>());
    let internal_attachment = attach_text(desk, &id, &cast.agent, &format!("{secret}.txt"), b"notes").await;
    let note =
        json!({"body": format!("Between us: {secret}"), "internal": true, "attachment_ids": [internal_attachment]});
    let (status, body) = desk.post_message(&id, &cast.agent, note).await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = desk.invite(&id, &cast.admin, COLLABORATOR).await;
    assert_eq!(status, 201);
    // The receipt's key, revoked by the owner with one issued 100 days ago; then a live one.
    desk.deliver_now().await;
    let link = desk.guest_link(&number).await;
    let revoked_key = link.split("key=").nth(1).unwrap().to_string();
    desk.clock.advance(chrono::Duration::days(-100));
    let ticket_id = claimdesk_core::services::ticket_id(&id).unwrap();
    let expired_key = desk.core().issue_guest_key(&ticket_id).await.unwrap();
    desk.clock.advance(chrono::Duration::days(100));
    let (status, _) = desk.revoke_guest_keys(&id, &cast.admin).await;
    assert_eq!(status, 200);
    let guest_key = desk.core().issue_guest_key(&ticket_id).await.unwrap();
    let mut serials = Vec::new();
    let sku = format!("SKU-{row}");
    if with_serials {
        let (status, _) = desk
            .call(
                "POST",
                "/v1/products",
                Some(&cast.agent),
                Some(json!({"sku": sku, "name": "Pump", "warranty_months": 24})),
            )
            .await;
        assert_eq!(status, 201);
        for n in 0..ACTORS.len() {
            let serial = format!("SN-{row}-{n}");
            let (status, _) = desk
                .call(
                    "POST",
                    "/v1/serials",
                    Some(&cast.agent),
                    Some(json!({"serial": serial, "sku": sku, "dealer_company": "ACME"})),
                )
                .await;
            assert_eq!(status, 201);
            serials.push(serial);
        }
    }
    let claim_id = if with_serials {
        let (status, claim) = desk
            .call(
                "POST",
                "/v1/warranty-claims",
                Some(&cast.client),
                Some(claim_body(&serials[0])),
            )
            .await;
        assert_eq!(status, 201, "{claim}");
        claim["id"].as_str().unwrap().to_string()
    } else {
        String::new()
    };
    let rma_id = match serials.last() {
        Some(serial) if with_rma => issued_rma(desk, cast, serial).await,
        _ => String::new(),
    };
    let article_id = if with_knowledge {
        let (status, article) = desk
            .call(
                "POST",
                "/v1/articles",
                Some(&cast.agent),
                Some(json!({
                    "title": format!("Staff runbook {secret}"),
                    "body": format!("<p>Only for staff: {secret}</p>"),
                    "category": "Runbooks",
                    "visibility": "staff",
                    "state": "published",
                })),
            )
            .await;
        assert_eq!(status, 201, "{article}");
        desk.index_now().await;
        article["id"].as_str().unwrap().to_string()
    } else {
        String::new()
    };
    let article_file = if with_knowledge && extras.contains("attachment_id") {
        let path = format!("/v1/articles/{article_id}/attachments");
        let grant = upload_text(desk, &path, &cast.agent, &format!("{secret}.txt"), b"runbook").await;
        grant["file"]["id"].as_str().unwrap().to_string()
    } else {
        String::new()
    };
    let announcement_id = if extras.contains("announcement") {
        let ends = (claimdesk_core::ports::Clock::now(desk.clock.as_ref()) + chrono::Duration::days(1)).to_rfc3339();
        let (status, posted) = desk
            .call(
                "POST",
                "/v1/announcements",
                Some(&cast.agent),
                Some(json!({"title": "ACME news", "body": "For ACME", "audience": "company", "company": "ACME", "ends_at": ends})),
            )
            .await;
        assert_eq!(status, 201, "{posted}");
        posted["id"].as_str().unwrap().to_string()
    } else {
        String::new()
    };
    let notification_id = if extras.contains("notification") {
        let (status, reply) = desk.say(&id, &cast.agent, "Which claim?").await;
        assert_eq!(status, 201, "{reply}");
        desk.deliver_now().await;
        let (status, page) = desk.call("GET", "/v1/notifications", Some(&cast.client), None).await;
        assert_eq!(status, 200, "{page}");
        page["items"][0]["id"]
            .as_str()
            .expect("the client was notified")
            .to_string()
    } else {
        String::new()
    };
    Fixture {
        announcement_id,
        notification_id,
        article_id,
        article_file,
        claim_id,
        rma_id,
        id,
        user_id: tokens.member_id.clone(),
        request_id: tokens.request_id.clone(),
        number,
        canary,
        attachment,
        internal_attachment,
        secret,
        guest_key,
        expired_key,
        revoked_key,
        sku,
        serials,
    }
}

/// The request an actor makes on a row: the path (with ids and any key), the bearer token
/// it brings, and the body.
fn request(
    tokens: &Tokens,
    fixture: &Fixture,
    actor_no: usize,
    method: &str,
    pattern: &str,
) -> (String, Option<String>, Option<Vec<u8>>) {
    let actor = ACTORS[actor_no];
    let cast = &tokens.cast;
    let token = match actor {
        ClientUser => Some(cast.client.clone()),
        ClientAdmin => Some(cast.admin.clone()),
        Agent => Some(cast.agent.clone()),
        OtherUser => Some(cast.other_user.clone()),
        OtherAdmin => Some(cast.other_admin.clone()),
        Collaborator => Some(tokens.collaborator.clone()),
        Guest | ExpiredGuest | RevokedGuest | NoToken => None,
        BadSignature => Some(tokens.forged.clone()),
        ExpiredToken => Some(tokens.expired.clone()),
    };
    let key = match actor {
        Guest => Some(&fixture.guest_key),
        ExpiredGuest => Some(&fixture.expired_key),
        RevokedGuest => Some(&fixture.revoked_key),
        _ => None,
    };
    let serial = fixture.serials.get(actor_no).cloned().unwrap_or_default();
    let id = if pattern.starts_with("/v1/users/") {
        &fixture.user_id
    } else if pattern.starts_with("/v1/access-requests/") {
        &fixture.request_id
    } else if pattern.starts_with("/v1/warranty-claims/") {
        &fixture.claim_id
    } else if pattern.starts_with("/v1/rmas/") {
        &fixture.rma_id
    } else if pattern.starts_with("/v1/articles/") || pattern.starts_with("/v1/uploads/articles/") {
        &fixture.article_id
    } else if pattern.starts_with("/v1/announcements/") {
        &fixture.announcement_id
    } else if pattern.starts_with("/v1/notifications/") {
        &fixture.notification_id
    } else {
        &fixture.id
    };
    let file = if pattern.contains("articles/") {
        &fixture.article_file
    } else {
        &fixture.attachment
    };
    let mut path = pattern
        .replace("{id}", id)
        .replace("{attachment_id}", file)
        .replace("{serial}", &serial)
        .replace("{code}", "ACME");
    if let Some(key) = key {
        path.push_str(&format!("?key={key}"));
    }
    if pattern == "/v1/search" {
        path.push_str(&format!("?q={}%20{}", fixture.secret, fixture.canary));
    }
    let json_body = |v: Value| Some(v.to_string().into_bytes());
    let body = match (method, pattern) {
        ("POST", "/v1/tickets") => json_body(ticket_body(None)),
        // One unknown account per caller: a pause after five failures must not decide a row.
        ("POST", "/v1/sessions") => json_body(json!({
            "email": format!("nobody{actor_no}@acme.test"),
            "password": "Wrong-Horse-99",
        })),
        ("POST", "/v1/sessions/refresh") | ("POST", "/v1/sessions/sign-out") => {
            json_body(json!({ "refresh_token": format!("not-a-session-{actor_no}") }))
        }
        ("POST", "/v1/tickets/{id}/messages") | ("POST", "/v1/guest/tickets/{id}/messages") => {
            json_body(json!({ "body": format!("A word from {actor:?}") }))
        }
        ("POST", "/v1/tickets/{id}/status") => json_body(json!({"action": "assign"})),
        ("POST", "/v1/tickets/{id}/attachments") => {
            json_body(json!({"filename": "more.txt", "content_type": "text/plain", "size": 3}))
        }
        ("PUT", "/v1/uploads/{id}/{attachment_id}") | ("PUT", "/v1/uploads/articles/{id}/{attachment_id}") => {
            Some(b"sneaky".to_vec())
        }
        ("POST", "/v1/articles/{id}/attachments") => {
            json_body(json!({"filename": "more.txt", "content_type": "text/plain", "size": 3}))
        }
        ("POST", "/v1/tickets/{id}/collaborators") => {
            json_body(json!({ "email": format!("friend{actor_no}@acme.test") }))
        }
        ("POST", "/v1/companies") => json_body(json!({
            "code": format!("NEW{actor_no}"),
            "name": "New Co",
            "first_level_support_email": "help@new.test",
        })),
        ("POST", "/v1/products") => {
            json_body(json!({"sku": format!("P-{actor_no}"), "name": "Valve", "warranty_months": 12}))
        }
        ("POST", "/v1/serials") => json_body(json!({
            "serial": format!("NEW-{actor_no}"),
            "sku": fixture.sku,
            "dealer_company": "ACME",
        })),
        ("POST", "/v1/warranty-claims") => json_body(claim_body(&serial)),
        // The fixture's claim is on the first serial.
        ("PATCH", "/v1/warranty-claims/{id}") => json_body(claim_body(
            fixture.serials.first().map(String::as_str).unwrap_or_default(),
        )),
        ("POST", "/v1/warranty-claims/{id}/actions") => json_body(json!({"action": "take"})),
        ("POST", "/v1/warranty-claims/{id}/rmas") => json_body(json!({"lines": [{"line": "l1", "quantity": 1}]})),
        ("POST", "/v1/rmas/{id}/actions") => {
            json_body(json!({"action": "ship", "carrier": "UPS", "tracking_number": "1Z"}))
        }
        ("POST", "/v1/warranties") => json_body(json!({
            "serial": serial,
            "end_customer": {"name": "Bo Farmer", "email": "bo@farm.test"},
            "delivery_date": "2026-01-15",
        })),
        ("POST", "/v1/users") => json_body(json!({
            "email": format!("invitee{actor_no}@acme.test"),
            "name": "New Person",
            "roles": ["adjuster"],
        })),
        ("PATCH", "/v1/me") => json_body(json!({"title": format!("Tester {actor_no}")})),
        ("POST", "/v1/me/password") => {
            json_body(json!({"current_password": "Correct-Horse-7", "new_password": "Second-Horse-8"}))
        }
        ("POST", "/v1/me/email") => json_body(json!({"email": format!("moved{actor_no}@acme.test")})),
        ("POST", "/v1/announcements") => json_body(json!({
            "title": format!("News by {actor:?}"),
            "body": "Hello",
            "ends_at": "2030-01-01T00:00:00Z",
            "starts_at": "2029-12-01T00:00:00Z",
        })),
        ("PATCH", "/v1/announcements/{id}") => json_body(json!({"title": format!("Changed by {actor:?}")})),
        ("POST", "/v1/articles") => json_body(json!({
            "title": format!("Article by {actor:?}"),
            "body": "<p>How to</p>",
            "category": "Guides",
        })),
        ("PATCH", "/v1/articles/{id}") => json_body(json!({"category": format!("Moved by {actor:?}")})),
        ("POST", "/v1/articles/{id}/votes") => json_body(json!({"helpful": true})),
        ("PUT", "/v1/tickets/{id}/solution") => json_body(json!({"title": "Fixed", "body": "Rebilled."})),
        ("POST", "/v1/suggestions") => json_body(json!({"subject": fixture.secret, "description": fixture.canary})),
        ("POST", "/v1/email-confirmations") => json_body(json!({"token": "not-a-link"})),
        ("PATCH", "/v1/companies/{code}") => json_body(json!({"name": format!("Renamed by {actor:?}")})),
        ("PATCH", "/v1/users/{id}") => json_body(json!({"roles": ["adjuster", "team_lead"]})),
        ("POST", "/v1/password-resets") => json_body(json!({"email": format!("forgot{actor_no}@acme.test")})),
        ("POST", "/v1/passwords") => json_body(json!({"token": "not-a-link", "password": "Correct-Horse-7"})),
        ("POST", "/v1/access-requests") => json_body(json!({
            "name": "Ann Asker",
            "email": format!("asker{actor_no}@acme.test"),
            "company": "ACME",
            "need": "Claims work",
        })),
        ("POST", "/v1/access-requests/{id}/decision") => {
            json_body(json!({"decision": "approve", "roles": ["janitor"]}))
        }
        ("POST", "/v1/inbound-email") => Some(
            format!(
                "From: someone@somewhere.test\r\nTo: support@claimdesk.test\r\nSubject: hello {actor:?}\r\n\
                 Message-ID: <{}@somewhere.test>\r\n\r\nJust saying hi.\r\n",
                rand::random::<u64>()
            )
            .into_bytes(),
        ),
        _ => None,
    };
    (path, token, body)
}

fn content_type_of(method: &str, pattern: &str) -> &'static str {
    match (method, pattern) {
        ("POST", "/v1/inbound-email") => "message/rfc822",
        ("PUT", "/v1/uploads/{id}/{attachment_id}") | ("PUT", "/v1/uploads/articles/{id}/{attachment_id}") => {
            "application/octet-stream"
        }
        _ => "application/json",
    }
}

async fn version(desk: &Desk, tokens: &Tokens, id: &str) -> u64 {
    let (_, view) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&tokens.cast.agent), None)
        .await;
    view["version"].as_u64().unwrap()
}

/// The DynamoDB operations a function's generated role allows (`generate.rs::role`):
/// ReadRecords GetItem and Query; ReadTable also BatchGetItem; WriteTable also PutItem, and
/// transactions of puts (their condition checks come with the puts). No role allows
/// DeleteItem, UpdateItem or Scan.
fn allowed_by_grants(function: &claimdesk_core::http::Function, operation: &str) -> bool {
    use claimdesk_core::http::Grant;
    match operation {
        "GetItem" | "Query" => function.may(Grant::ReadRecords) || function.may(Grant::ReadTable),
        "BatchGetItem" => function.may(Grant::ReadTable),
        "PutItem" | "TransactWriteItems" => function.may(Grant::WriteTable),
        _ => false,
    }
}

async fn every_route_and_every_caller_get_what_the_matrix_says(desk: Desk) {
    // Every route is in the table, and nothing else is.
    let mut covered: Vec<(&str, &str)> = MATRIX.iter().map(|(m, p, _)| (*m, *p)).collect();
    let mut routes: Vec<(&str, &str)> = routes().map(|(_, r)| (r.method, r.path)).collect();
    covered.sort();
    routes.sort();
    assert_eq!(covered, routes);

    let cast = company_with_cast(&desk).await;
    let (status, member) = desk
        .call(
            "POST",
            "/v1/users",
            Some(&cast.admin),
            Some(json!({"email": "member@acme.test", "name": "Mia Member", "roles": ["adjuster"]})),
        )
        .await;
    assert_eq!(status, 201, "{member}");
    let form = json!({"name": "Pat Pending", "email": "pending@acme.test", "company": "ACME", "need": "Claims"});
    let (status, _) = desk.call("POST", "/v1/access-requests", None, Some(form)).await;
    assert_eq!(status, 202);
    let (_, requests) = desk.call("GET", "/v1/access-requests", Some(&cast.admin), None).await;
    let tokens = Tokens {
        member_id: member["id"].as_str().unwrap().to_string(),
        request_id: requests["items"][0]["id"].as_str().unwrap().to_string(),
        collaborator: desk.token(COLLABORATOR, "BROKER", Role::Adjuster),
        forged: desk.forged_token("owner@acme.test", "ACME", Role::Owner),
        expired: desk.expired_token("owner@acme.test", "ACME", Role::Owner),
        cast,
    };
    let mut mismatches = Vec::new();
    for (row, (method, pattern, expected)) in MATRIX.iter().enumerate() {
        let (function, _) = route_for(method, &pattern.replace('{', "x").replace('}', "")).unwrap();
        // On AWS the local server's own routes do not exist: API Gateway has no such route.
        let absent = desk.is_aws() && function.deploy == Deploy::LocalOnly;
        let with_rma = pattern.contains("/rmas");
        let with_serials = with_rma || pattern.contains("serial") || pattern.contains("warrant");
        let with_knowledge = ["article", "search", "suggestion", "solution"]
            .iter()
            .any(|w| pattern.contains(w));
        let fixture = fixture(&desk, &tokens, row, with_serials, with_rma, with_knowledge, pattern).await;
        let before = version(&desk, &tokens, &fixture.id).await;
        // Those who may not know the ticket go first: afterwards, it must be unchanged.
        let mut order: Vec<usize> = (0..ACTORS.len()).collect();
        order.sort_by_key(|n| ACTORS[*n].on_the_ticket());
        let mut checked_unchanged = false;
        for n in order {
            let actor = ACTORS[n];
            if actor.on_the_ticket() && !checked_unchanged {
                assert_eq!(
                    version(&desk, &tokens, &fixture.id).await,
                    before,
                    "{method} {pattern}: callers off the ticket changed it"
                );
                checked_unchanged = true;
            }
            let (path, token, body) = request(&tokens, &fixture, n, method, pattern);
            let headers = match &body {
                Some(_) => vec![("content-type".to_string(), content_type_of(method, pattern).to_string())],
                None => Vec::new(),
            };
            let table_before = desk.is_aws().then(|| desk.aws_desk().engine.dynamo.usage());
            let answer = desk.send(method, &path, token.as_deref(), headers, body).await;
            if let Some(before) = table_before {
                // moto does not check IAM: the calls a function made must be ones its role
                // (generated from its grants) allows, or real AWS refuses them.
                let used = desk.aws_desk().engine.dynamo.usage().since(&before);
                for operation in used.requests.keys() {
                    if !allowed_by_grants(function, operation) {
                        mismatches.push(format!(
                            "{method} {pattern} as {actor:?}: {} called DynamoDB {operation}, which its grants do not allow",
                            function.name
                        ));
                    }
                }
            }
            let want = match expected[n] {
                _ if absent => 404,
                200 if desk.is_aws()
                    && [
                        "get-attachment",
                        "get-article-file",
                        "export-warranty-claims",
                        "export-rmas",
                    ]
                    .contains(&function.name) =>
                {
                    302
                }
                other => other,
            };
            if answer.status != want {
                mismatches.push(format!(
                    "{method} {pattern} as {actor:?}: got {}, want {want}: {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                ));
            }
            let text = String::from_utf8_lossy(&answer.body);
            // Nobody is shown where bytes are kept or the hash of an upload token.
            assert!(
                !text.contains("blob_key") && !text.contains("upload_token_hash"),
                "{method} {pattern} as {actor:?} showed storage internals: {text}"
            );
            if !actor.on_the_ticket() {
                assert!(
                    !text.contains(&fixture.canary) && !text.contains(&fixture.number),
                    "{method} {pattern} as {actor:?} leaked the ticket: {text}"
                );
            }
            if actor != Agent {
                assert!(
                    !text.contains(&fixture.secret) && !text.contains(&fixture.internal_attachment),
                    "{method} {pattern} as {actor:?} was shown the internal note or its file: {text}"
                );
            }
        }
        // The internal note's file: only the support side gets it.
        if function.name == "get-attachment" {
            let internal = Fixture {
                attachment: fixture.internal_attachment.clone(),
                ..fixture.clone()
            };
            for (n, actor) in ACTORS.iter().enumerate() {
                let (path, token, _) = request(&tokens, &internal, n, method, pattern);
                let answer = desk.send(method, &path, token.as_deref(), Vec::new(), None).await;
                let want = match (actor, expected[n]) {
                    (Agent, _) if desk.is_aws() => 302,
                    (Agent, _) => 200,
                    (_, 401) => 401,
                    _ => 404,
                };
                if answer.status != want {
                    mismatches.push(format!(
                        "{method} {pattern} (the internal note's file) as {actor:?}: got {}, want {want}",
                        answer.status
                    ));
                }
            }
        }
        // Unknown ids look exactly like foreign ones.
        if pattern.contains("{id}") && !absent {
            let unknown = Fixture {
                id: "t_0000000000000000000000".into(),
                attachment: "att_0000000000000000000000".into(),
                user_id: "u_0000000000000000000000".into(),
                request_id: "ar_0000000000000000000000".into(),
                claim_id: "wc_0000000000000000000000".into(),
                rma_id: "rma_0000000000000000000000".into(),
                article_id: "art_0000000000000000000000".into(),
                article_file: "att_0000000000000000000000".into(),
                announcement_id: "ann_0000000000000000000000".into(),
                notification_id: "1795775400000000_m_0000000000000000000000".into(),
                ..fixture.clone()
            };
            for (n, actor) in ACTORS.iter().enumerate() {
                let (path, token, body) = request(&tokens, &unknown, n, method, pattern);
                let headers = match &body {
                    Some(_) => vec![("content-type".to_string(), content_type_of(method, pattern).to_string())],
                    None => Vec::new(),
                };
                let answer = desk.send(method, &path, token.as_deref(), headers, body).await;
                let want = if expected[n] == 401 { 401 } else { 404 };
                if answer.status != want {
                    mismatches.push(format!(
                        "{method} {pattern} (unknown ticket) as {actor:?}: got {}, want {want}",
                        answer.status
                    ));
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "\n{}", mismatches.join("\n"));
}

on_both_engines!(every_route_and_every_caller_get_what_the_matrix_says);
