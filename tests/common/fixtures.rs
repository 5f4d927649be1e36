//! Fixtures: a company with its cast of callers, ticket bodies, and the checks every
//! ticket view must pass.

use super::*;
use claimdesk_core::domain::lifecycle::{allowed_transition, Status};
use claimdesk_core::domain::roles::Role;
use serde_json::{json, Value};

/// The cast of the walks: the vendor's agent, ACME's owner and adjuster, and OTHER's users.
pub struct Cast {
    pub agent: String,
    pub admin: String,
    pub client: String,
    pub other_user: String,
    pub other_admin: String,
}

pub async fn company_with_cast(desk: &Desk) -> Cast {
    let cast = Cast {
        agent: desk.token("agent@vendor.test", "VENDOR", Role::AgentL1),
        admin: desk.token("owner@acme.test", "ACME", Role::Owner),
        client: desk.token("adjuster@acme.test", "ACME", Role::Adjuster),
        other_user: desk.token("eve@other.test", "OTHER", Role::Adjuster),
        other_admin: desk.token("boss@other.test", "OTHER", Role::Administrator),
    };
    for (code, support) in [("ACME", "support@acme.test"), ("OTHER", "help@other.test")] {
        let (status, body) = desk
            .call(
                "POST",
                "/v1/companies",
                Some(&cast.agent),
                Some(json!({"code": code, "name": format!("{code} Inc"), "first_level_support_email": support})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    cast
}

pub fn ticket_body(desk: Option<&str>) -> Value {
    let mut body = json!({
        "ticket_type": "claim_issue",
        "module": "Claims",
        "subject": "Claim will not save",
        "description": "Saving claim fails with an error.",
        "priority": "high",
        "claim_numbers": "CMS # 1001; 1002",
        "contact": {"name": "Ada Adjuster", "email": "adjuster@acme.test", "phone": "555-0100"}
    });
    if let Some(d) = desk {
        body["desk"] = json!(d);
    }
    body
}

pub(super) fn lifecycle_status(text: &Value) -> Status {
    serde_json::from_value(text.clone()).expect("a status")
}

/// The history is one chain of allowed steps that ends in the ticket's status.
pub fn assert_consistent(ticket: &Value) {
    let history = ticket["history"].as_array().unwrap();
    let mut previous: Option<Status> = None;
    for step in history {
        let from = (!step["from"].is_null()).then(|| lifecycle_status(&step["from"]));
        let to = lifecycle_status(&step["to"]);
        assert_eq!(from, previous, "each step starts where the last ended: {ticket}");
        if step["note"] == true {
            // Not a change of status: a service-level alarm or a new priority.
            assert_eq!(from, Some(to), "a note stays in its status: {ticket}");
            continue;
        }
        if let Some(from) = from {
            assert!(allowed_transition(from, to), "{from:?} → {to:?} is not in the table");
        }
        previous = Some(to);
    }
    assert_eq!(previous, Some(lifecycle_status(&ticket["status"])));
}

/// Files a ticket as `token`, asserting it was filed; the ticket as the API answered.
pub async fn file_ticket(desk: &Desk, token: &str, body: Value) -> Value {
    let (status, ticket) = desk.call("POST", "/v1/tickets", Some(token), Some(body)).await;
    assert_eq!(status, 201, "{ticket}");
    ticket
}

/// ACME's owner files a vendor-desk ticket; its id.
pub async fn vendor_ticket(desk: &Desk, cast: &Cast) -> String {
    let ticket = file_ticket(desk, &cast.admin, ticket_body(Some("vendor"))).await;
    ticket["id"].as_str().unwrap().to_string()
}

/// Attaches a text file to a ticket as `token` would (grant, then upload); its id.
pub async fn attach_text(desk: &Desk, id: &str, token: &str, filename: &str, bytes: &[u8]) -> String {
    let grant = upload_text(desk, &format!("/v1/tickets/{id}/attachments"), token, filename, bytes).await;
    grant["attachment"]["id"].as_str().unwrap().to_string()
}

/// A text file uploaded through the grant `path` (a ticket's or an article's attachments)
/// gives: the grant.
pub async fn upload_text(desk: &Desk, path: &str, token: &str, filename: &str, bytes: &[u8]) -> Value {
    let (status, grant) = desk
        .call(
            "POST",
            path,
            Some(token),
            Some(json!({"filename": filename, "content_type": "text/plain", "size": bytes.len()})),
        )
        .await;
    assert_eq!(status, 201, "{grant}");
    assert!(desk.upload(&grant, bytes.to_vec()).await, "the upload was accepted");
    grant
}

/// The statuses a ticket went through (its history less its notes).
pub fn statuses(ticket: &Value) -> Vec<String> {
    ticket["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["note"] != true)
        .map(|h| h["to"].as_str().unwrap().to_string())
        .collect()
}

/// The password the people tests give everyone.
pub const PASSWORD: &str = "Correct-Horse-7";

/// Signs in with a password over HTTP; the status and the answer.
pub async fn password_sign_in(desk: &Desk, email: &str, password: &str) -> (u16, Value) {
    desk.call(
        "POST",
        "/v1/sessions",
        None,
        Some(json!({"email": email, "password": password})),
    )
    .await
}

/// The first staff admin (`root@vendor.test`, made as `claimdesk admin create` makes it),
/// signed in; their access token.
pub async fn first_staff_admin(desk: &Desk) -> String {
    desk.core()
        .create_staff_admin(&claimdesk_core::domain::people::AdminDraft {
            email: "root@vendor.test".into(),
            name: "Rita Root".into(),
            password: PASSWORD.into(),
        })
        .await
        .expect("the first admin");
    let (status, tokens) = password_sign_in(desk, "root@vendor.test", PASSWORD).await;
    assert_eq!(status, 200, "{tokens}");
    tokens["access_token"].as_str().unwrap().to_string()
}

/// Asserts that a request is refused with a 422 naming `field`.
pub async fn assert_refused_on(desk: &Desk, method: &str, path: &str, token: Option<&str>, body: &Value, field: &str) {
    let (status, problem) = desk.call(method, path, token, Some(body.clone())).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some(field)),
        "{method} {path} {body}: {problem}"
    );
}

/// Staff define a product (`warranty_months` of warranty) and give a dealer serials of it.
pub async fn units_for(desk: &Desk, staff: &str, sku: &str, months: u32, dealer: &str, serials: &[&str]) {
    let (status, body) = desk
        .call(
            "POST",
            "/v1/products",
            Some(staff),
            Some(json!({"sku": sku, "name": format!("{sku} unit"), "warranty_months": months})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    for serial in serials {
        let (status, body) = desk
            .call(
                "POST",
                "/v1/serials",
                Some(staff),
                Some(json!({"serial": serial, "sku": sku, "dealer_company": dealer})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
}

/// Drafts `claim_body(serial)` as `token`'s company; the claim's id.
pub async fn drafted_claim(desk: &Desk, token: &str, serial: &str) -> String {
    let (status, claim) = desk
        .call("POST", "/v1/warranty-claims", Some(token), Some(claim_body(serial)))
        .await;
    assert_eq!(status, 201, "{claim}");
    claim["id"].as_str().unwrap().to_string()
}

/// A warranty claim's draft on `serial`: two part lines (the first causal, to return), a
/// labour line and freight: 10,000 + 1,200 + 12,000 + 2,500 = 25,700 cents claimed.
pub fn claim_body(serial: &str) -> Value {
    json!({
        "serial": serial,
        "failure_date": "2026-10-20",
        "usage": 410,
        "usage_unit": "hours",
        "currency": "USD",
        "complaint": "Pump leaks at the seal",
        "cause": "Cracked impeller",
        "correction": "Replaced impeller and seal",
        "fault_code": "F-12",
        "lines": [
            {"kind": "part", "part_number": "IMP-9", "description": "Impeller", "quantity": 2, "unit_price": 5000, "causal": true, "return_required": true},
            {"kind": "part", "part_number": "SEAL-2", "description": "Seal", "quantity": 1, "unit_price": 1200},
            {"kind": "labour", "labour_code": "L-40", "description": "Replace impeller", "hundredths": 150, "rate": 8000},
            {"kind": "other", "category": "freight", "description": "Parts freight", "amount": 2500},
        ],
    })
}
