//! Issue 19, trust round two: the classes of hole a hostile tester found, each proved on both
//! engines. Mail's part is in the inbound corpus (`tests/mail/`), the access matrix checks
//! every route for internal notes' files, and the schema fuzzing covers the API document.

use crate::common::*;
use claimdesk_core::domain::roles::Role;
use claimdesk_core::http::auth::{sign, TokenClaims};
use serde_json::{json, Value};

async fn view(desk: &Desk, token: &str, id: &str) -> Value {
    let (status, view) = desk.call("GET", &format!("/v1/tickets/{id}"), Some(token), None).await;
    assert_eq!(status, 200, "{view}");
    view
}

fn attachment_ids(view: &Value) -> Vec<String> {
    view["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

async fn files_of_internal_notes_stay_with_support_until_a_public_reply_names_them(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let id = vendor_ticket(&desk, &cast).await;
    let partner = desk.token("partner@broker.test", "BROKER", Role::Adjuster);
    assert_eq!(desk.invite(&id, &cast.admin, "partner@broker.test").await.0, 201);
    desk.deliver_now().await;
    let number = view(&desk, &cast.agent, &id).await["number"]
        .as_str()
        .unwrap()
        .to_string();
    let guest = desk.guest_link(&number).await;
    let theirs = attach_text(&desk, &id, &cast.client, "theirs.txt", b"from the customer").await;
    let ours = attach_text(&desk, &id, &cast.agent, "ours.txt", b"support only").await;
    let note = json!({"body": "See the log.", "internal": true, "attachment_ids": [ours]});
    let (status, body) = desk.post_message(&id, &cast.agent, note).await;
    assert_eq!(status, 201, "{body}");

    // Support sees both files; every customer-side reader only the customer's.
    let mut all = attachment_ids(&view(&desk, &cast.agent, &id).await);
    all.sort();
    let mut expected = vec![theirs.clone(), ours.clone()];
    expected.sort();
    assert_eq!(all, expected);
    for reader in [&cast.client, &cast.admin, &partner] {
        assert_eq!(attachment_ids(&view(&desk, reader, &id).await), vec![theirs.clone()]);
        let (status, _) = desk
            .download(&format!("/v1/tickets/{id}/attachments/{ours}"), reader)
            .await;
        assert_eq!(
            status, 404,
            "the internal note's file is not there for the customer side"
        );
    }
    let (status, guest_view) = desk.call("GET", &guest, None, None).await;
    assert_eq!(status, 200, "{guest_view}");
    assert_eq!(attachment_ids(&guest_view), vec![theirs.clone()]);

    // The customer side cannot publish support's file by naming it in a reply.
    let naming = json!({"body": "Here it is", "attachment_ids": [ours]});
    let (status, problem) = desk.post_message(&id, &cast.client, naming).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("attachment_ids")),
        "{problem}"
    );

    // An agent's file is theirs alone until a public reply names it; then it is public.
    let shared = attach_text(&desk, &id, &cast.agent, "fix.txt", b"the fix").await;
    assert!(!attachment_ids(&view(&desk, &cast.client, &id).await).contains(&shared));
    let reply = json!({"body": "The fix is attached.", "attachment_ids": [shared]});
    let (status, body) = desk.post_message(&id, &cast.agent, reply).await;
    assert_eq!(status, 201, "{body}");
    let seen = attachment_ids(&view(&desk, &cast.client, &id).await);
    assert!(seen.contains(&shared) && !seen.contains(&ours), "{seen:?}");
    let (status, bytes) = desk
        .download(&format!("/v1/tickets/{id}/attachments/{shared}"), &cast.client)
        .await;
    assert_eq!((status, bytes), (200, b"the fix".to_vec()));
}

async fn tokens_not_yet_valid_or_issued_in_the_future_open_nothing(desk: Desk) {
    let now = chrono::Utc::now().timestamp();
    let claims = |nbf: Option<i64>, iat: i64| TokenClaims {
        sub: "u-owner@acme.test".into(),
        email: "owner@acme.test".into(),
        name: None,
        company: "ACME".into(),
        roles: vec!["owner".into()],
        exp: now + 7200,
        iat,
        nbf,
        iss: None,
        aud: None,
        amr: None,
        session_epoch: None,
    };
    let secret = desk.secret();
    let good = sign(&secret, &claims(None, now));
    let (status, body) = desk.call("GET", "/v1/tickets", Some(&good), None).await;
    assert_eq!(status, 200, "{body}");
    for (why, token) in [
        ("nbf an hour ahead", sign(&secret, &claims(Some(now + 3600), now))),
        ("iat an hour ahead", sign(&secret, &claims(None, now + 3600))),
    ] {
        let (status, body) = desk.call("GET", "/v1/tickets", Some(&token), None).await;
        assert_eq!(status, 401, "{why}: {body}");
    }
}

async fn a_serial_lookup_shows_other_companies_claims_as_counts_and_dates_only(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    for (path, body) in [
        (
            "/v1/products",
            json!({"sku": "PUMP-2", "name": "Pump", "warranty_months": 24}),
        ),
        (
            "/v1/serials",
            json!({"serial": "SN-200", "sku": "PUMP-2", "dealer_company": "ACME"}),
        ),
    ] {
        assert_eq!(desk.call("POST", path, Some(&cast.agent), Some(body)).await.0, 201);
    }
    // OTHER names ACME's unit on a ticket of its own; ACME on one of its own.
    let mut theirs = ticket_body(Some("vendor"));
    theirs["subject"] = json!("Secret subject of OTHER");
    theirs["serial_number"] = json!("SN-200");
    theirs["contact"]["email"] = json!("boss@other.test");
    let other_ticket = file_ticket(&desk, &cast.other_admin, theirs).await;
    let mut ours = ticket_body(Some("vendor"));
    ours["serial_number"] = json!("SN-200");
    file_ticket(&desk, &cast.admin, ours).await;

    let (status, lookup) = desk.call("GET", "/v1/serials/SN-200", Some(&cast.admin), None).await;
    assert_eq!(status, 200, "{lookup}");
    assert_eq!(lookup["claims_count"], 2);
    assert_eq!(lookup["claim_dates"].as_array().unwrap().len(), 2);
    let shown: Vec<&str> = lookup["details"]["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["company"].as_str().unwrap())
        .collect();
    assert_eq!(shown, vec!["ACME"], "the dealer sees its own claims' details only");
    let text = lookup.to_string();
    for leak in [
        "Secret subject of OTHER",
        other_ticket["id"].as_str().unwrap(),
        other_ticket["number"].as_str().unwrap(),
    ] {
        assert!(!text.contains(leak), "the dealer was shown {leak}: {text}");
    }
    // Staff see every claim.
    let (_, staff) = desk.call("GET", "/v1/serials/SN-200", Some(&cast.agent), None).await;
    assert_eq!(staff["details"]["claims"].as_array().unwrap().len(), 2);
}

async fn idempotency_keys_are_one_callers_own_and_odd_keys_are_refused(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    // Two callers whose scope and key join to the same text never share a record.
    let first = desk.token("a@acme.test", "ACME", Role::Owner);
    let (status, one) = desk
        .call_with(
            "POST",
            "/v1/tickets",
            Some(&first),
            Some(ticket_body(Some("vendor"))),
            Some("x:y"),
        )
        .await;
    assert_eq!(status, 201, "{one}");
    let (status, again) = desk
        .call_with(
            "POST",
            "/v1/tickets",
            Some(&cast.admin),
            Some(ticket_body(Some("vendor"))),
            Some("x:y"),
        )
        .await;
    assert_eq!(status, 201, "{again}");
    assert_ne!(one["id"], again["id"], "another caller's key is theirs alone");
    // Keys outside the documented form are refused, naming the header, and write nothing.
    for bad in ["a#b", "with space", "x".repeat(201).as_str()] {
        let (status, problem) = desk
            .call_with(
                "POST",
                "/v1/tickets",
                Some(&cast.admin),
                Some(ticket_body(Some("vendor"))),
                Some(bad),
            )
            .await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (400, Some("Idempotency-Key")),
            "{bad:?}: {problem}"
        );
    }
    let (_, page) = desk
        .call("GET", "/v1/tickets?view=company", Some(&cast.admin), None)
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
}

/// A new vendor case and the guest link its receipt mailed.
async fn case_with_guest_link(desk: &Desk, cast: &Cast) -> (String, String) {
    let id = vendor_ticket(desk, cast).await;
    desk.deliver_now().await;
    let number = view(desk, &cast.agent, &id).await["number"]
        .as_str()
        .unwrap()
        .to_string();
    let link = desk.guest_link(&number).await;
    (id, link)
}

async fn a_revoked_guest_key_gets_404_even_for_a_request_it_made_before(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let (id, link) = case_with_guest_link(&desk, &cast).await;
    let path = link.replacen(
        &format!("/v1/guest/tickets/{id}"),
        &format!("/v1/guest/tickets/{id}/messages"),
        1,
    );
    let reply = json!({"body": "From the guest link"});
    let (status, first) = desk
        .call_with("POST", &path, None, Some(reply.clone()), Some("guest-1"))
        .await;
    assert_eq!(status, 201, "{first}");
    let (status, replayed) = desk
        .call_with("POST", &path, None, Some(reply.clone()), Some("guest-1"))
        .await;
    assert_eq!(
        (status, &replayed),
        (201, &first),
        "a live key gets its first answer again"
    );
    assert_eq!(desk.revoke_guest_keys(&id, &cast.admin).await.0, 200);
    let (status, answer) = desk.call_with("POST", &path, None, Some(reply), Some("guest-1")).await;
    assert_eq!(status, 404, "{answer}");
    assert!(!answer.to_string().contains("From the guest link"), "{answer}");
}

async fn guest_keys_are_never_shown_and_keys_kept_apart_by_earlier_releases_open_until_revoked(desk: Desk) {
    use claimdesk_core::ports::{Clock, Item, Write};
    use claimdesk_core::services::tickets::GuestKeyRecord;
    use claimdesk_core::store;
    let cast = company_with_cast(&desk).await;
    let (id, receipt_link) = case_with_guest_link(&desk, &cast).await;
    // A key as releases before issue 12's last pass kept it: an item of its own.
    let ticket_id = claimdesk_core::services::ticket_id(&id).unwrap();
    let (old_key, hash) = claimdesk_core::services::new_secret();
    let expires_at = desk.clock.now() + chrono::Duration::days(30);
    let record = GuestKeyRecord {
        ticket_id: ticket_id.clone(),
        expires_at,
        revoked: false,
    };
    let mut item = Item::new(store::ticket_pk(&id), store::guest_sk(&hash), store::to_data(&record));
    item.expires_at = Some(expires_at.timestamp());
    desk.core().table.write(vec![Write::create(item)]).await.unwrap();
    let old_link = format!("/v1/guest/tickets/{id}?key={old_key}");
    for link in [&receipt_link, &old_link] {
        let (status, page) = desk.call("GET", link, None, None).await;
        assert_eq!(status, 200, "{link}: {page}");
        assert!(page.get("guest_keys").is_none(), "{page}");
    }
    // Nobody is shown a key's hash, however much they may see.
    for token in [&cast.agent, &cast.admin] {
        let page = view(&desk, token, &id).await;
        assert!(page.get("guest_keys").is_none(), "{page}");
        assert!(!page.to_string().contains(&hash), "{page}");
    }
    let (status, revoked) = desk.revoke_guest_keys(&id, &cast.admin).await;
    assert_eq!((status, revoked["revoked"].as_u64()), (200, Some(2)), "{revoked}");
    for link in [&receipt_link, &old_link] {
        assert_eq!(desk.call("GET", link, None, None).await.0, 404, "{link}");
    }
    // A key issued afterwards opens the case; a key of one case opens no other.
    let fresh = desk.core().issue_guest_key(&ticket_id).await.unwrap();
    assert_eq!(
        desk.call("GET", &format!("/v1/guest/tickets/{id}?key={fresh}"), None, None)
            .await
            .0,
        200
    );
    let other = vendor_ticket(&desk, &cast).await;
    assert_eq!(
        desk.call("GET", &format!("/v1/guest/tickets/{other}?key={fresh}"), None, None)
            .await
            .0,
        404
    );
}

async fn concurrent_uploads_to_one_url_let_exactly_one_win(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let id = vendor_ticket(&desk, &cast).await;
    let (status, grant) = desk
        .call(
            "POST",
            &format!("/v1/tickets/{id}/attachments"),
            Some(&cast.admin),
            Some(json!({"filename": "scan.txt", "content_type": "text/plain", "size": 8})),
        )
        .await;
    assert_eq!(status, 201, "{grant}");
    let bodies: Vec<Vec<u8>> = (0..8).map(|n| format!("upload-{n}").into_bytes()).collect();
    let answers = futures::future::join_all(bodies.iter().map(|b| desk.put_upload(&grant, b.clone()))).await;
    let winners: Vec<usize> = (0..8).filter(|n| answers[*n] == 200).collect();
    assert_eq!(winners.len(), 1, "exactly one upload wins: {answers:?}");
    // The others are told the URL was used (409 here, S3's 412 for its conditional PUT),
    // never a server error.
    let refused = if desk.is_aws() { 412 } else { 409 };
    assert!(answers.iter().all(|s| *s == 200 || *s == refused), "{answers:?}");
    let winner = &bodies[winners[0]];
    if desk.is_aws() {
        // S3 reports the one object that was created.
        assert!(desk.confirm_upload(&grant, winner.len()).await);
    }
    let attachment = grant["attachment"]["id"].as_str().unwrap();
    let (status, bytes) = desk
        .download(&format!("/v1/tickets/{id}/attachments/{attachment}"), &cast.admin)
        .await;
    assert_eq!((status, &bytes), (200, winner), "the stored bytes are the winner's");
    let ticket = view(&desk, &cast.agent, &id).await;
    assert_eq!(ticket["attachment_bytes"], 8, "counted once");
}

/// What the API document allows, the server takes, and it answers as the document says:
/// whole numbers written `3.0`, `null` for optional strings, a download of a file not yet
/// arrived (409 `attachment-pending`), and downloads sent as bytes to save.
async fn the_api_takes_what_its_document_allows_and_answers_as_it_says(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let mut body = ticket_body(Some("vendor"));
    for optional in [
        "module",
        "era",
        "rma",
        "related_to",
        "preferred_representative",
        "callback_time",
    ] {
        body[optional] = Value::Null;
    }
    let ticket = file_ticket(&desk, &cast.admin, body).await;
    let id = ticket["id"].as_str().unwrap();
    let (status, grant) = desk
        .call(
            "POST",
            &format!("/v1/tickets/{id}/attachments"),
            Some(&cast.admin),
            // 4.0: JSON Schema calls it an integer, and so does the document.
            Some(json!({"filename": "a.pdf", "content_type": "application/pdf", "size": 4.0})),
        )
        .await;
    assert_eq!(status, 201, "{grant}");
    let attachment = grant["attachment"]["id"].as_str().unwrap();
    let path = format!("/v1/tickets/{id}/attachments/{attachment}");
    let (status, problem) = desk.call("GET", &path, Some(&cast.admin), None).await;
    assert_eq!(
        (status, problem["type"].as_str()),
        (409, Some("urn:claimdesk:problem:attachment-pending")),
        "{problem}"
    );
    assert!(desk.upload(&grant, b"%PDF".to_vec()).await);
    let answer = desk.send("GET", &path, Some(&cast.admin), Vec::new(), None).await;
    match answer.status {
        200 => assert_eq!(answer.header("content-type"), Some("application/octet-stream")),
        302 => assert!(
            answer
                .header("location")
                .unwrap()
                .contains("response-content-type=application%2Foctet-stream"),
            "{:?}",
            answer.header("location")
        ),
        other => panic!("download answered {other}"),
    }
}

on_both_engines!(
    the_api_takes_what_its_document_allows_and_answers_as_it_says,
    files_of_internal_notes_stay_with_support_until_a_public_reply_names_them,
    tokens_not_yet_valid_or_issued_in_the_future_open_nothing,
    a_serial_lookup_shows_other_companies_claims_as_counts_and_dates_only,
    idempotency_keys_are_one_callers_own_and_odd_keys_are_refused,
    a_revoked_guest_key_gets_404_even_for_a_request_it_made_before,
    guest_keys_are_never_shown_and_keys_kept_apart_by_earlier_releases_open_until_revoked,
    concurrent_uploads_to_one_url_let_exactly_one_win,
);
