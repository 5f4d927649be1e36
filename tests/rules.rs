//! Tenancy, notes, idempotency, limits, sharing and warranty, through the real local server.

use crate::common::*;
use serde_json::{json, Value};

async fn another_companys_users_get_404_on_every_ticket_route(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let id = vendor_ticket(&desk, &cast).await;
    let att = attach_text(&desk, &id, &cast.admin, "a.txt", b"hi").await;
    let routes: Vec<(&str, String, Option<Value>)> = vec![
        ("GET", format!("/v1/tickets/{id}"), None),
        (
            "POST",
            format!("/v1/tickets/{id}/messages"),
            Some(json!({"body": "peek"})),
        ),
        (
            "POST",
            format!("/v1/tickets/{id}/status"),
            Some(json!({"action": "close"})),
        ),
        (
            "POST",
            format!("/v1/tickets/{id}/attachments"),
            Some(json!({"filename": "x.txt", "size": 1})),
        ),
        ("GET", format!("/v1/tickets/{id}/attachments/{att}"), None),
        (
            "POST",
            format!("/v1/tickets/{id}/collaborators"),
            Some(json!({"email": "spy@other.test"})),
        ),
        ("POST", format!("/v1/tickets/{id}/guest-keys/revoke"), None),
    ];
    for token in [&cast.other_user, &cast.other_admin] {
        for (method, path, body) in &routes {
            let (status, problem) = desk.call(method, path, Some(token), body.clone()).await;
            assert_eq!(status, 404, "{method} {path}: {problem}");
        }
        let (_, list) = desk.call("GET", "/v1/tickets?view=company", Some(token), None).await;
        assert_eq!(list["items"], json!([]));
    }
    // The same routes for an id that does not exist look the same.
    let (status, _) = desk
        .call("GET", "/v1/tickets/t_doesnotexist", Some(&cast.other_user), None)
        .await;
    assert_eq!(status, 404);
    // And nothing was written by the attempts.
    let (_, t) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.admin), None)
        .await;
    assert_eq!(
        (t["status"].as_str(), t["messages"].as_array().map(Vec::len)),
        (Some("new"), Some(0))
    );
    assert_eq!(t["collaborators"], json!([]));
}

async fn an_internal_note_never_reaches_a_client_or_a_guest(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let id = vendor_ticket(&desk, &cast).await;
    let secret = "NOTE: customer is on a legacy plan";
    let (status, _) = desk
        .call(
            "POST",
            &format!("/v1/tickets/{id}/messages"),
            Some(&cast.agent),
            Some(json!({"body": secret, "internal": true})),
        )
        .await;
    assert_eq!(status, 201);
    desk.say(&id, &cast.agent, "We are on it").await;
    desk.deliver_now().await;

    let (_, as_agent) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
        .await;
    assert_eq!(as_agent["messages"].as_array().unwrap().len(), 2);
    for token in [&cast.client, &cast.admin] {
        let (_, view) = desk.call("GET", &format!("/v1/tickets/{id}"), Some(token), None).await;
        assert_eq!(view["messages"].as_array().unwrap().len(), 1);
        assert!(!view.to_string().contains(secret));
        assert!(view.get("emails").is_none());
    }
    let link = desk.guest_link("ACME-000001").await;
    let (status, guest_view) = desk.call("GET", &link, None, None).await;
    assert_eq!(status, 200, "{guest_view}");
    assert!(!guest_view.to_string().contains(secret));
    assert!(desk
        .mails()
        .await
        .iter()
        .all(|m| !m.text.contains(secret) && !m.html.contains(secret)));
    // A client cannot write a note either.
    let (status, problem) = desk
        .call(
            "POST",
            &format!("/v1/tickets/{id}/messages"),
            Some(&cast.client),
            Some(json!({"body": "x", "internal": true})),
        )
        .await;
    assert_eq!(
        (status, problem["type"].as_str()),
        (403, Some("urn:claimdesk:problem:notes-are-internal"))
    );
}

async fn a_retried_post_with_the_same_idempotency_key_creates_one_ticket(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let body = ticket_body(None);
    let file = |body: &Value, key: &'static str| {
        desk.call_with("POST", "/v1/tickets", Some(&cast.client), Some(body.clone()), Some(key))
    };
    let (first_status, first) = file(&body, "retry-1").await;
    let (second_status, second) = file(&body, "retry-1").await;
    assert_eq!((first_status, second_status), (201, 201));
    assert_eq!(first, second);
    // Concurrent retries of another request: still one ticket.
    let attempts = (0..8).map(|_| file(&body, "retry-2"));
    let results = futures::future::join_all(attempts).await;
    let ids: std::collections::HashSet<String> = results
        .iter()
        .map(|(s, v)| {
            assert_eq!(*s, 201, "{v}");
            v["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1);
    let (_, list) = desk
        .call("GET", "/v1/tickets?view=mine", Some(&cast.client), None)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    // The same key with another body is refused, naming the header.
    let mut other = body.clone();
    other["subject"] = json!("Something else");
    let (status, problem) = file(&other, "retry-1").await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("Idempotency-Key")));
}

async fn concurrent_creates_get_distinct_numbers(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let creates = (0..20).map(|_| desk.call("POST", "/v1/tickets", Some(&cast.client), Some(ticket_body(None))));
    let results = futures::future::join_all(creates).await;
    let mut numbers: Vec<String> = results
        .iter()
        .map(|(s, v)| {
            assert_eq!(*s, 201, "{v}");
            v["number"].as_str().unwrap().to_string()
        })
        .collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 20);
    assert_eq!(numbers.last().map(String::as_str), Some("ACME-000020"));
}

async fn bad_input_gets_a_problem_that_names_the_field_and_writes_nothing(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let cases = [
        (json!({"ticket_type": "support", "description": "d"}), 422, "subject"),
        (
            json!({"ticket_type": "missing_era", "subject": "s", "description": "d", "fields": {"provider": "P"}}),
            422,
            "fields.payer",
        ),
        (
            json!({"ticket_type": "support", "subject": "s", "description": "d", "claim_numbers": "12 34"}),
            422,
            "claim_numbers",
        ),
        (
            json!({"ticket_type": "support", "subject": "a\r\nBcc: x@y.z", "description": "d"}),
            422,
            "subject",
        ),
        (
            json!({"ticket_type": "support", "subject": "s", "description": "d", "colour": "red"}),
            400,
            "colour",
        ),
    ];
    for (body, status, field) in cases {
        let (got, problem) = desk.call("POST", "/v1/tickets", Some(&cast.client), Some(body)).await;
        assert_eq!((got, problem["field"].as_str()), (status, Some(field)), "{problem}");
    }
    let (status, problem) = desk
        .call(
            "POST",
            "/v1/tickets",
            Some(&cast.admin),
            Some(json!({"ticket_type": "account_management", "subject": "reset", "description": "pw"})),
        )
        .await;
    assert_eq!(status, 403);
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .contains("Owner, Administrator or Human Resources"));
    let (status, _) = desk.call("POST", "/v1/tickets", None, Some(ticket_body(None))).await;
    assert_eq!(status, 401);
    let (status, _) = desk
        .call("POST", "/v1/tickets", Some("not.a.token"), Some(ticket_body(None)))
        .await;
    assert_eq!(status, 401);
    let (_, list) = desk
        .call("GET", "/v1/tickets?view=company", Some(&cast.admin), None)
        .await;
    assert_eq!(list["items"], json!([]));
    let big = "x".repeat(300 * 1024);
    let (status, _) = desk
        .call(
            "POST",
            "/v1/tickets",
            Some(&cast.client),
            Some(json!({"description": big})),
        )
        .await;
    assert_eq!(status, 413);
}

async fn attachments_are_held_to_20_mb_per_ticket_and_only_arrived_files_are_listed(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let id = vendor_ticket(&desk, &cast).await;
    let mb = 1024 * 1024;
    let (status, problem) = desk
        .call(
            "POST",
            &format!("/v1/tickets/{id}/attachments"),
            Some(&cast.admin),
            Some(json!({"filename": "big.bin", "size": 21 * mb})),
        )
        .await;
    assert_eq!((status, problem["field"].as_str()), (413, Some("size")));
    // 15 MB arrives; a second 15 MB is refused up front; a 1 MB grant never uploaded is not listed.
    let (_, grant) = desk
        .call(
            "POST",
            &format!("/v1/tickets/{id}/attachments"),
            Some(&cast.admin),
            Some(json!({"filename": "a.bin", "size": 15 * mb})),
        )
        .await;
    assert!(desk.upload(&grant, vec![7u8; 15 * mb]).await);
    let (status, _) = desk
        .call(
            "POST",
            &format!("/v1/tickets/{id}/attachments"),
            Some(&cast.admin),
            Some(json!({"filename": "b.bin", "size": 15 * mb})),
        )
        .await;
    assert_eq!(status, 413);
    let (status, pending) = desk
        .call(
            "POST",
            &format!("/v1/tickets/{id}/attachments"),
            Some(&cast.admin),
            Some(json!({"filename": "c.bin", "size": mb})),
        )
        .await;
    assert_eq!(status, 201);
    // A body that differs from the declared size is refused (on S3 the size is a signed
    // header; the confirmation checks it again).
    assert!(!desk.upload(&pending, vec![1u8; 10]).await);
    let (_, t) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.admin), None)
        .await;
    let names: Vec<&str> = t["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a.bin"]);
    assert_eq!(t["attachment_bytes"], json!(15 * mb));
    let att = t["attachments"][0]["id"].as_str().unwrap();
    let (status, bytes) = desk
        .download(&format!("/v1/tickets/{id}/attachments/{att}"), &cast.client)
        .await;
    assert_eq!((status, bytes.len()), (200, 15 * mb));
    if !desk.is_aws() {
        // A forged token opens nothing. (On S3 the signature is the token; the emulator does
        // not check signatures, so that half is proven by the presigning unit tests.)
        let url = pending["upload"]["url"].as_str().unwrap();
        let forged =
            url.split("token=").next().unwrap().to_string() + "token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let status = desk.http.put(forged).body(vec![1u8; mb]).send().await.unwrap().status();
        assert_eq!(status.as_u16(), 404);
    }
}

async fn collaborators_and_guests_view_and_reply_and_revoked_keys_open_nothing(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let id = vendor_ticket(&desk, &cast).await;
    desk.act(&id, &cast.agent, "assign").await;
    desk.act(&id, &cast.agent, "wait_for_customer").await;
    let (status, _) = desk.invite(&id, &cast.admin, "Eve@Other.test").await;
    assert_eq!(status, 201);
    // Eve of OTHER now sees this one ticket, may reply (which answers the waiting), not invite.
    let (status, view) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.other_user), None)
        .await;
    assert_eq!((status, view["your_side"].as_str()), (200, Some("customer")));
    let (_, list) = desk
        .call("GET", "/v1/tickets?view=collaborating", Some(&cast.other_user), None)
        .await;
    assert_eq!(list["items"][0]["id"], id.as_str());
    let (status, reply) = desk.say(&id, &cast.other_user, "From the TPA side").await;
    assert_eq!(
        (status, reply["ticket"]["status"].as_str()),
        (201, Some("pending_support"))
    );
    let (status, _) = desk.invite(&id, &cast.other_user, "x@y.test").await;
    assert_eq!(status, 403);
    // Adding her again (a double click) changes nothing and mails her no second invitation.
    let (status, again) = desk.invite(&id, &cast.admin, "eve@other.test").await;
    assert_eq!(
        (status, again["email"].as_str()),
        (201, Some("eve@other.test")),
        "{again}"
    );
    desk.deliver_now().await;
    let invitations = desk.mails_of("collaborator_invite").await;
    assert_eq!(invitations.iter().filter(|m| m.to == "eve@other.test").count(), 1);

    // The guest link from the receipt opens the ticket and takes a reply; a wrong key does not.
    let link = desk.guest_link("ACME-000001").await;
    let (status, _) = desk.call("GET", &link, None, None).await;
    assert_eq!(status, 200);
    let reply_path = link.replacen(
        &format!("/v1/guest/tickets/{id}"),
        &format!("/v1/guest/tickets/{id}/messages"),
        1,
    );
    let (status, _) = desk
        .call("POST", &reply_path, None, Some(json!({"body": "Guest here"})))
        .await;
    assert_eq!(status, 201);
    let wrong = format!("/v1/guest/tickets/{id}?key=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(desk.call("GET", &wrong, None, None).await.0, 404);
    // Revoked: the same link now opens nothing.
    let (status, revoked) = desk.revoke_guest_keys(&id, &cast.admin).await;
    assert_eq!((status, revoked["revoked"].as_u64()), (200, Some(1)));
    assert_eq!(desk.call("GET", &link, None, None).await.0, 404);
    // Unseen replies: the admin has not opened the ticket since the agent's reply.
    desk.say(&id, &cast.agent, "Answer").await;
    let (_, mine) = desk.call("GET", "/v1/tickets?view=mine", Some(&cast.admin), None).await;
    assert_eq!(mine["items"][0]["unseen"], true);
    desk.call("GET", &format!("/v1/tickets/{id}"), Some(&cast.admin), None)
        .await;
    let (_, mine) = desk.call("GET", "/v1/tickets?view=mine", Some(&cast.admin), None).await;
    assert_eq!(mine["items"][0]["unseen"], false);
}

async fn lists_page_with_opaque_cursors(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    for _ in 0..5 {
        desk.call("POST", "/v1/tickets", Some(&cast.client), Some(ticket_body(None)))
            .await;
        desk.let_time_pass(chrono::Duration::minutes(1)).await;
    }
    let mut seen = Vec::new();
    let mut path = "/v1/tickets?view=company&limit=2".to_string();
    loop {
        let (status, page) = desk.call("GET", &path, Some(&cast.admin), None).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["number"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/tickets?view=company&limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "ACME-000005",
            "ACME-000004",
            "ACME-000003",
            "ACME-000002",
            "ACME-000001"
        ]
    );
    let (_, queue) = desk
        .call("GET", "/v1/tickets?view=queue", Some(&cast.admin), None)
        .await;
    assert_eq!(queue["items"].as_array().unwrap().len(), 5);
    let (status, problem) = desk
        .call(
            "GET",
            "/v1/tickets?view=company&cursor=garbage",
            Some(&cast.admin),
            None,
        )
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("cursor")));
}

async fn a_dealer_registers_its_serial_once_and_others_see_dates_but_not_customers(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let (status, _) = desk
        .call(
            "POST",
            "/v1/products",
            Some(&cast.agent),
            Some(json!({"sku": "PUMP-1", "name": "Pump", "warranty_months": 24})),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = desk
        .call(
            "POST",
            "/v1/products",
            Some(&cast.admin),
            Some(json!({"sku": "X", "name": "X", "warranty_months": 1})),
        )
        .await;
    assert_eq!(status, 403, "only staff define products");
    let (status, _) = desk
        .call(
            "POST",
            "/v1/serials",
            Some(&cast.agent),
            Some(json!({"serial": "SN-100", "sku": "PUMP-1", "dealer_company": "ACME"})),
        )
        .await;
    assert_eq!(status, 201);
    let registration = json!({"serial": "SN-100", "end_customer": {"name": "Bo Farmer", "email": "bo@farm.test"}, "delivery_date": "2026-01-15"});
    let (status, _) = desk
        .call(
            "POST",
            "/v1/warranties",
            Some(&cast.other_admin),
            Some(registration.clone()),
        )
        .await;
    assert_eq!(status, 422, "another company's serial is unknown to it");
    let (status, serial) = desk
        .call("POST", "/v1/warranties", Some(&cast.admin), Some(registration.clone()))
        .await;
    assert_eq!(status, 201, "{serial}");
    assert_eq!(serial["registration"]["warranty_end"], "2028-01-15");
    let (status, _) = desk
        .call("POST", "/v1/warranties", Some(&cast.admin), Some(registration))
        .await;
    assert_eq!(status, 409);
    // A claim ticket on the serial shows in its history.
    let mut claim = ticket_body(Some("vendor"));
    claim["serial_number"] = json!("SN-100");
    assert_eq!(
        desk.call("POST", "/v1/tickets", Some(&cast.admin), Some(claim)).await.0,
        201
    );
    let (_, mine) = desk.call("GET", "/v1/serials/SN-100", Some(&cast.client), None).await;
    assert_eq!(mine["details"]["registration"]["end_customer"]["name"], "Bo Farmer");
    assert_eq!(mine["details"]["claims"][0]["number"], "ACME-000001");
    let (status, theirs) = desk
        .call("GET", "/v1/serials/SN-100", Some(&cast.other_user), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (theirs["warranty_end"].as_str(), theirs["claims_count"].as_u64()),
        (Some("2028-01-15"), Some(1))
    );
    assert!(theirs.get("details").is_none());
    assert!(!theirs.to_string().contains("Bo Farmer"));
}

/// Seed 004's "units pending registration": a dealer's serials wait on its list until their
/// warranty is registered; another company never sees them; staff name the dealer.
async fn a_dealers_units_wait_on_its_list_until_their_warranty_is_registered(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    units_for(
        &desk,
        &cast.agent,
        "PUMP-2",
        12,
        "ACME",
        &["SN-300", "SN-100", "SN-200"],
    )
    .await;
    let serials = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["serial"].as_str().unwrap().to_string())
            .collect()
    };
    let (status, page) = desk
        .call("GET", "/v1/pending-registrations", Some(&cast.client), None)
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(serials(&page), ["SN-100", "SN-200", "SN-300"], "by serial number");
    // A page at a time.
    let (_, first) = desk
        .call("GET", "/v1/pending-registrations?limit=2", Some(&cast.admin), None)
        .await;
    assert_eq!(serials(&first), ["SN-100", "SN-200"]);
    let cursor = first["next_cursor"].as_str().expect("more");
    let (_, rest) = desk
        .call(
            "GET",
            &format!("/v1/pending-registrations?limit=2&cursor={cursor}"),
            Some(&cast.admin),
            None,
        )
        .await;
    assert_eq!(serials(&rest), ["SN-300"]);
    // Registered, it leaves the list.
    let (status, _) = desk
        .call(
            "POST",
            "/v1/warranties",
            Some(&cast.admin),
            Some(json!({"serial": "SN-200", "end_customer": {"name": "Bo Farmer"}, "delivery_date": "2026-10-01"})),
        )
        .await;
    assert_eq!(status, 201);
    let (_, page) = desk
        .call("GET", "/v1/pending-registrations", Some(&cast.client), None)
        .await;
    assert_eq!(serials(&page), ["SN-100", "SN-300"]);
    // Another company has none of them; it cannot ask for ACME's.
    let (_, theirs) = desk
        .call("GET", "/v1/pending-registrations", Some(&cast.other_admin), None)
        .await;
    assert_eq!(serials(&theirs), Vec::<String>::new());
    let (status, problem) = desk
        .call(
            "GET",
            "/v1/pending-registrations?dealer=ACME",
            Some(&cast.other_admin),
            None,
        )
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("dealer")));
    // Staff name the dealer.
    let (status, problem) = desk
        .call("GET", "/v1/pending-registrations", Some(&cast.agent), None)
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("dealer")));
    let (_, staff) = desk
        .call("GET", "/v1/pending-registrations?dealer=ACME", Some(&cast.agent), None)
        .await;
    assert_eq!(serials(&staff), ["SN-100", "SN-300"]);
}

async fn the_openapi_document_is_served(desk: Desk) {
    let (status, doc) = desk.call("GET", "/v1/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/v1/tickets"]["post"].is_object());
}

/// The new-case form is built from `GET /v1/ticket-types`: every type it offers can be filed
/// by filling in exactly the fields listed, and the one it must not file is flagged.
async fn the_new_case_form_files_every_listed_type_with_its_listed_fields(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let (status, _) = desk.call("GET", "/v1/ticket-types", None, None).await;
    assert_eq!(status, 401, "the catalogue is for signed-in people");
    let (status, catalogue) = desk.call("GET", "/v1/ticket-types", Some(&cast.client), None).await;
    assert_eq!(status, 200);
    let types = catalogue["items"].as_array().unwrap();
    assert!(types.len() >= 10, "the seeds' types are offered");
    let era = types.iter().find(|t| t["id"] == "missing_era").unwrap();
    let fields: Vec<&str> = era["required_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["provider", "payer", "check_number", "amount", "date"]);
    for ticket_type in types {
        let id = ticket_type["id"].as_str().unwrap();
        let mut body = ticket_body(None);
        body["ticket_type"] = json!(id);
        let mut fields = serde_json::Map::new();
        for field in ticket_type["required_fields"].as_array().unwrap() {
            let value = match field["kind"].as_str().unwrap() {
                "money" => "125.40",
                "date" => "2026-11-02",
                _ => "Blue Cross",
            };
            fields.insert(field["name"].as_str().unwrap().to_string(), json!(value));
        }
        body["fields"] = Value::Object(fields);
        let (status, answer) = desk.call("POST", "/v1/tickets", Some(&cast.client), Some(body)).await;
        if ticket_type["account_management"] == true {
            assert_eq!(status, 403, "{id}: {answer}");
            assert_eq!(answer["type"], "urn:claimdesk:problem:account-management");
        } else {
            assert_eq!(status, 201, "{id}: {answer}");
            assert_eq!(answer["ticket_type"], id);
        }
    }
}

async fn the_sweep_reads_due_tickets_only_whatever_the_table_holds(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let mut ids = Vec::new();
    // Low priority: no ticket's first service-level alarm falls within the day the test
    // moves on (16.5 business hours from Monday 03:00 Central is Tuesday 12:30).
    let mut body = ticket_body(Some("vendor"));
    body["priority"] = serde_json::json!("low");
    for _ in 0..200 {
        let ticket = file_ticket(&desk, &cast.admin, body.clone()).await;
        ids.push(ticket["id"].as_str().unwrap().to_string());
    }
    for id in &ids[..5] {
        for action in ["assign", "wait_for_customer"] {
            desk.act(id, &cast.agent, action).await;
        }
    }
    desk.let_time_pass(chrono::Duration::days(1)).await;
    let core = desk.core();
    // The local outbox worker shares the table's read counter (and is woken by the notices
    // the sweep writes): only the sweep is measured.
    let sweep_alone = || {
        desk.alone(async {
            let before = core.table.items_read();
            let report = core.sweep().await.expect("sweep");
            (report, core.table.items_read() - before)
        })
    };
    let (report, read) = sweep_alone().await;
    assert_eq!((report.examined, report.changed), (5, 5));
    // Five due keys, the five tickets they name and one company look-up per changed ticket:
    // nothing of the other 195.
    assert!(read <= 15, "the sweep read {read} items for 5 due tickets among 200");
    // Run again at once: nothing is due, nothing is read but the empty index.
    let (again, read) = sweep_alone().await;
    assert_eq!((again.examined, read), (0, 0));
}

on_both_engines!(
    another_companys_users_get_404_on_every_ticket_route,
    an_internal_note_never_reaches_a_client_or_a_guest,
    a_retried_post_with_the_same_idempotency_key_creates_one_ticket,
    concurrent_creates_get_distinct_numbers,
    bad_input_gets_a_problem_that_names_the_field_and_writes_nothing,
    attachments_are_held_to_20_mb_per_ticket_and_only_arrived_files_are_listed,
    collaborators_and_guests_view_and_reply_and_revoked_keys_open_nothing,
    lists_page_with_opaque_cursors,
    a_dealer_registers_its_serial_once_and_others_see_dates_but_not_customers,
    a_dealers_units_wait_on_its_list_until_their_warranty_is_registered,
    the_openapi_document_is_served,
    the_new_case_form_files_every_listed_type_with_its_listed_fields,
    the_sweep_reads_due_tickets_only_whatever_the_table_holds,
);
