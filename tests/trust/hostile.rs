//! Hostile input, on both engines: markup is kept as text by the API and escaped in mail;
//! nothing a caller writes can add a mail header; attachment names cannot climb out of
//! their place or hide what they are; overlong, malformed, oversized and deeply nested
//! bodies get a clear 4xx naming what is wrong, and leave nothing half-written.

use crate::common::*;
use claimdesk_core::domain::roles::Role;
use serde_json::{json, Value};

async fn company_tickets(desk: &Desk, cast: &Cast) -> usize {
    let (_, list) = desk
        .call("GET", "/v1/tickets?view=company", Some(&cast.admin), None)
        .await;
    list["items"].as_array().unwrap().len()
}

async fn markup_is_kept_as_text_by_the_api_and_escaped_in_mail(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let subject = "<script>alert('subject')</script> Claim & \"quotes\"";
    let description = "<img src=x onerror=alert(1)> and <a href=\"javascript:steal()\">click</a>";
    let reply = "<b>bold</b><script>steal(document.cookie)</script>";
    let mut body = ticket_body(Some("vendor"));
    body["subject"] = json!(subject);
    body["description"] = json!(description);
    let ticket = file_ticket(&desk, &cast.admin, body).await;
    let id = ticket["id"].as_str().unwrap();
    desk.act(id, &cast.agent, "assign").await;
    assert_eq!(desk.say(id, &cast.agent, reply).await.0, 201);
    // The API gives back exactly what was written: text, for the portal to render as text.
    let (_, view) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.admin), None)
        .await;
    assert_eq!(view["subject"], subject);
    assert_eq!(view["description"], description);
    assert_eq!(view["messages"][0]["body"], reply);
    desk.deliver_now().await;
    let mails = desk.mails().await;
    let ours: Vec<&SentMail> = mails
        .iter()
        .filter(|m| m.subject.contains(ticket["number"].as_str().unwrap()))
        .collect();
    assert!(ours.iter().any(|m| m.kind == "reply"), "the reply was mailed");
    for mail in ours {
        for raw in ["<script", "<img", "<a href=\"javascript", "<b>bold"] {
            assert!(!mail.html.contains(raw), "{}: {raw} reached the HTML part", mail.kind);
        }
        assert!(
            mail.html.contains("&lt;script&gt;") || mail.html.contains("&lt;img"),
            "{}",
            mail.kind
        );
        assert!(
            mail.subject.contains("<script>alert('subject')</script>"),
            "the subject is text"
        );
    }
}

async fn line_breaks_never_reach_a_mail_header(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let injected = "x\r\nBcc: evil@attacker.test";
    let with = |field: &str, value: &str| {
        let mut body = ticket_body(Some("vendor"));
        match field.split_once('.') {
            Some((outer, inner)) => body[outer][inner] = json!(value),
            None => body[field] = json!(value),
        }
        body
    };
    for field in ["subject", "contact.name", "contact.email", "contact.phone"] {
        let (status, problem) = desk
            .call("POST", "/v1/tickets", Some(&cast.admin), Some(with(field, injected)))
            .await;
        assert_eq!((status, problem["field"].as_str()), (422, Some(field)), "{problem}");
    }
    let id = &vendor_ticket(&desk, &cast).await;
    let (status, problem) = desk
        .invite(id, &cast.admin, &format!("friend@acme.test{injected}"))
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("email")), "{problem}");
    let (status, problem) = desk
        .call(
            "POST",
            "/v1/companies",
            Some(&cast.agent),
            Some(json!({"code": "EVIL", "name": injected, "first_level_support_email": "a@evil.test"})),
        )
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("name")), "{problem}");
    // A reply may hold line breaks (it is a body, not a header), and they stay in the body.
    assert_eq!(desk.say(id, &cast.admin, injected).await.0, 201);
    desk.deliver_now().await;
    for mail in desk.mails().await {
        let raw = String::from_utf8_lossy(&mail.raw);
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(!headers.contains("evil@attacker.test"), "{headers}");
        assert_ne!(mail.to, "evil@attacker.test");
    }
    assert_eq!(company_tickets(&desk, &cast).await, 1);
}

async fn attachment_names_cannot_climb_out_or_hide_what_they_are(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let id = &vendor_ticket(&desk, &cast).await;
    let cases = [
        ("../../../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("report\u{0}\r\n.txt", "report.txt"),
        ("invoice\u{202E}fdp.exe", "invoicefdp.exe"),
        ("..hidden", "hidden"),
        ("a\"; filename=evil.sh", "a; filename=evil.sh"),
    ];
    for (given, stored) in cases {
        let (status, grant) = desk
            .call(
                "POST",
                &format!("/v1/tickets/{id}/attachments"),
                Some(&cast.admin),
                Some(json!({"filename": given, "content_type": "text/plain", "size": 2})),
            )
            .await;
        assert_eq!(status, 201, "{given:?}: {grant}");
        assert_eq!(grant["attachment"]["filename"], stored, "{given:?}");
        assert!(desk.upload(&grant, b"ok".to_vec()).await);
        let path = format!(
            "/v1/tickets/{id}/attachments/{}",
            grant["attachment"]["id"].as_str().unwrap()
        );
        let answer = desk.send("GET", &path, Some(&cast.admin), Vec::new(), None).await;
        let disposition = match answer.header("location") {
            // S3 is told the disposition in the presigned URL.
            Some(location) => url_query_value(location, "response-content-disposition"),
            None => answer.header("content-disposition").unwrap_or("").to_string(),
        };
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        assert!(!disposition.contains(['\r', '\n', '\u{0}']), "{disposition:?}");
        assert!(!disposition.contains(".."), "{disposition}");
    }
    for hopeless in ["../..", "/", "....", "\u{202E}", ""] {
        let (status, problem) = desk
            .call(
                "POST",
                &format!("/v1/tickets/{id}/attachments"),
                Some(&cast.admin),
                Some(json!({"filename": hopeless, "size": 2})),
            )
            .await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some("filename")),
            "{hopeless:?}"
        );
    }
    // Nothing landed outside the attachment store of the local engine.
    assert!(!desk.dir.path().join("etc").exists());
    assert!(!desk.dir.path().parent().unwrap().join("passwd").exists());
}

fn url_query_value(url: &str, name: &str) -> String {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(query.as_bytes())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

async fn raw(desk: &Desk, method: &str, path: &str, token: &str, body: Vec<u8>) -> (u16, Value) {
    let answer = desk
        .send(
            method,
            path,
            Some(token),
            vec![("content-type".into(), "application/json".into())],
            Some(body),
        )
        .await;
    assert_eq!(
        answer.header("content-type"),
        Some("application/problem+json"),
        "{method} {path}: {}",
        answer.status
    );
    (answer.status, serde_json::from_slice(&answer.body).unwrap())
}

async fn overlong_malformed_huge_and_deep_bodies_get_a_clear_4xx_and_write_nothing(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let id = vendor_ticket(&desk, &cast).await;
    let (_, before) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.admin), None)
        .await;
    let long = |n: usize| "x".repeat(n);
    let with = |field: &str, value: Value| {
        let mut body = ticket_body(Some("vendor"));
        body[field] = value;
        body
    };
    // Overlong fields: 422 naming the field.
    for (field, value) in [
        ("subject", json!(long(1_000))),
        ("description", json!(long(100_000))),
        ("claim_numbers", json!(long(10_000))),
        ("module", json!(long(5_000))),
    ] {
        let (status, problem) = desk
            .call("POST", "/v1/tickets", Some(&cast.admin), Some(with(field, value)))
            .await;
        assert_eq!((status, problem["field"].as_str()), (422, Some(field)), "{problem}");
    }
    let messages = format!("/v1/tickets/{id}/messages");
    let (status, problem) = desk
        .call(
            "POST",
            &messages,
            Some(&cast.admin),
            Some(json!({ "body": long(20_001) })),
        )
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("body")), "{problem}");
    let (status, problem) = desk
        .call(
            "POST",
            &format!("/v1/tickets/{id}/attachments"),
            Some(&cast.admin),
            Some(json!({ "filename": format!("{}.pdf", long(500)), "size": 2 })),
        )
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("filename")),
        "{problem}"
    );
    // Not UTF-8 at all.
    let (status, problem) = raw(
        &desk,
        "POST",
        "/v1/tickets",
        &cast.admin,
        b"{\"subject\": \"\xff\xfe\xfd\"}".to_vec(),
    )
    .await;
    assert_eq!(status, 400, "{problem}");
    let (status, problem) = raw(
        &desk,
        "POST",
        &messages,
        &cast.admin,
        b"{\"body\": \"ok \xc3\x28\"}".to_vec(),
    )
    .await;
    assert_eq!(status, 400, "{problem}");
    // 10 MB of JSON: refused by size before it is parsed.
    let huge = serde_json::to_vec(&with("description", json!(long(10 * 1024 * 1024)))).unwrap();
    let (status, problem) = raw(&desk, "POST", "/v1/tickets", &cast.admin, huge.clone()).await;
    assert_eq!(
        (status, problem["type"].as_str()),
        (413, Some("urn:claimdesk:problem:body-too-large"))
    );
    let (status, _) = raw(&desk, "POST", &messages, &cast.admin, huge).await;
    assert_eq!(status, 413);
    // Nested 100,000 deep (200 KB, under the size limit): refused by the parser's depth limit.
    let deep = format!(
        "{{\"subject\": \"s\", \"fields\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let (status, problem) = raw(&desk, "POST", "/v1/tickets", &cast.admin, deep.into_bytes()).await;
    assert_eq!(status, 400, "{problem}");
    let deep_objects = format!("{}1{}", "{\"a\":".repeat(30_000), "}".repeat(30_000));
    let (status, problem) = raw(&desk, "POST", &messages, &cast.admin, deep_objects.into_bytes()).await;
    assert_eq!(status, 400, "{problem}");
    // Not JSON, and JSON of the wrong shape.
    for junk in [&b"hello"[..], b"", b"[1,2,3]", b"null", b"{\"body\": 12}"] {
        let (status, problem) = raw(&desk, "POST", &messages, &cast.admin, junk.to_vec()).await;
        assert!(
            matches!(status, 400 | 422),
            "{:?}: {status} {problem}",
            String::from_utf8_lossy(junk)
        );
    }
    // Nothing was written by any of it.
    assert_eq!(company_tickets(&desk, &cast).await, 1);
    let (_, after) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.admin), None)
        .await;
    assert_eq!(after["version"], before["version"]);
    assert_eq!(after["messages"], json!([]));
    assert_eq!(after["attachments"], json!([]));
}

/// Sign-in takes only an email and a password: header injection, look-alike letters,
/// overlong passwords and junk bodies are refused by field before any account is looked at
/// (so they neither cost a password hash nor count as failed sign-ins), and a name with a
/// line break never becomes an admin's.
async fn sign_in_refuses_hostile_input_before_looking_at_any_account(desk: Desk) {
    use claimdesk_core::domain::people::AdminDraft;
    let draft = |name: &str| AdminDraft {
        email: "root@vendor.test".into(),
        name: name.into(),
        password: "Correct-Horse-7".into(),
    };
    let refused = desk
        .core()
        .create_staff_admin(&draft("Rita\r\nBcc: all@evil.test"))
        .await;
    assert!(refused.is_err(), "a line break in a name");
    desk.core().create_staff_admin(&draft("Rita Root")).await.unwrap();
    let cases = [
        (
            json!({"email": "root@vendor.test\r\nBcc: all@evil.test", "password": "x"}),
            "email",
        ),
        // Cyrillic о in place of o: not the admin's address, and no address at all.
        (
            json!({"email": "r\u{43e}\u{43e}t@vendor.test", "password": "Correct-Horse-7"}),
            "email",
        ),
        (
            json!({"email": "root@vendor.test", "password": "x".repeat(10_000)}),
            "password",
        ),
        (json!({"email": "root@vendor.test", "password": ""}), "password"),
    ];
    for _ in 0..3 {
        for (body, field) in &cases {
            let (status, problem) = desk.call("POST", "/v1/sessions", None, Some(body.clone())).await;
            assert_eq!((status, problem["field"].as_str()), (422, Some(*field)), "{problem}");
        }
    }
    for junk in [&b"hello"[..], b"", b"[1]", b"{\"email\": 12, \"password\": []}"] {
        let (status, problem) = raw_anonymous(&desk, "/v1/sessions", junk.to_vec()).await;
        assert!(matches!(status, 400 | 422), "{status} {problem}");
    }
    let huge = serde_json::to_vec(&json!({"email": "root@vendor.test", "password": "x".repeat(10 << 20)})).unwrap();
    assert_eq!(raw_anonymous(&desk, "/v1/sessions", huge).await.0, 413);
    // Twelve refusals of the admin's own address counted nothing: no pause.
    let (status, tokens) = desk
        .call(
            "POST",
            "/v1/sessions",
            None,
            Some(json!({"email": "root@vendor.test", "password": "Correct-Horse-7"})),
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
}

/// The people routes: names that would reach a mail header or pose as an address,
/// overlong fields, look-alike (non-ASCII) emails and made-up roles are refused by field;
/// nothing is written and nobody is mailed.
async fn people_routes_refuse_hostile_names_emails_and_roles_and_write_nothing(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let invite = |name: &str, email: &str, roles: Value| json!({"name": name, "email": email, "roles": roles});
    let cases = [
        (
            invite("Ann\r\nBcc: all@evil.test", "ann@acme.test", json!(["adjuster"])),
            "name",
        ),
        (
            invite("Ann <boss@acme.test>", "ann@acme.test", json!(["adjuster"])),
            "name",
        ),
        (invite(&"A".repeat(121), "ann@acme.test", json!(["adjuster"])), "name"),
        // Cyrillic а and о in place of a and o: no address of ours can hold them.
        (invite("Ann", "\u{430}nn@\u{430}cme.test", json!(["adjuster"])), "email"),
        (
            invite("Ann", "ann@acme.test\r\nBcc: all@evil.test", json!(["adjuster"])),
            "email",
        ),
        (invite("Ann", "ann@acme.test", json!(["adjuster", "janitor"])), "roles"),
        (invite("Ann", "ann@acme.test", json!(["agent_l2"])), "roles"),
        (invite("Ann", "ann@acme.test", json!([])), "roles"),
    ];
    for (body, field) in &cases {
        assert_refused_on(&desk, "POST", "/v1/users", Some(&cast.admin), body, field).await;
    }
    let form = |name: &str, email: &str, phone: &str, need: &str| json!({"name": name, "email": email, "company": "ACME", "phone": phone, "need": need});
    let forms = [
        (form("Ann\nBcc: x@evil.test", "ann@acme.test", "", "claims"), "name"),
        (form("Ann", "\u{430}nn@acme.test", "", "claims"), "email"),
        (form("Ann", "ann@acme.test", "555\r\nX-Evil: 1", "claims"), "phone"),
        (form("Ann", "ann@acme.test", "<script>", "claims"), "phone"),
        (form("Ann", "ann@acme.test", "", &"n".repeat(2_001)), "need"),
        (form("Ann", "ann@acme.test", "", " "), "need"),
    ];
    for (body, field) in &forms {
        assert_refused_on(&desk, "POST", "/v1/access-requests", None, body, field).await;
    }
    let (status, problem) = desk
        .call(
            "POST",
            "/v1/password-resets",
            None,
            Some(json!({"email": "\u{430}nn@acme.test"})),
        )
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("email")), "{problem}");
    let (status, problem) = desk
        .call(
            "POST",
            "/v1/passwords",
            None,
            Some(json!({"token": "x".repeat(129), "password": "Correct-Horse-7"})),
        )
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("token")), "{problem}");

    // Nothing was written, and nobody was mailed.
    let (_, people) = desk.call("GET", "/v1/users", Some(&cast.admin), None).await;
    assert_eq!(people["items"], json!([]), "{people}");
    let (_, requests) = desk.call("GET", "/v1/access-requests", Some(&cast.admin), None).await;
    assert_eq!(requests["items"], json!([]), "{requests}");
    desk.deliver_now().await;
    for kind in ["invitation", "access_requested", "account_exists", "password_reset"] {
        assert!(desk.mails_of(kind).await.is_empty(), "{kind} mailed");
    }
    // Refused shapes counted nothing: the form still takes this address's requests.
    let (status, _) = desk
        .call(
            "POST",
            "/v1/access-requests",
            None,
            Some(form("Ann", "ann@acme.test", "+1 555", "claims")),
        )
        .await;
    assert_eq!(status, 202);
}

/// One's own profile and staff's companies: the same refusals by field, nothing changed.
async fn profile_and_company_changes_refuse_hostile_input_and_change_nothing(desk: Desk) {
    let _cast = company_with_cast(&desk).await;
    let admin = first_staff_admin(&desk).await;
    let profile = [
        (json!({"name": "Rita\r\nBcc: all@evil.test"}), "name"),
        (json!({"name": "Rita <boss@evil.test>"}), "name"),
        (json!({"title": "t".repeat(121)}), "title"),
        (json!({"title": "CEO\u{0007}"}), "title"),
        (json!({}), "name"),
    ];
    for (body, field) in &profile {
        assert_refused_on(&desk, "PATCH", "/v1/me", Some(&admin), body, field).await;
    }
    let (status, _) = desk
        .call("PATCH", "/v1/me", Some(&admin), Some(json!({"date_format": "klingon"})))
        .await;
    assert!(matches!(status, 400 | 422), "an unknown date format: {status}");
    for (path, body, field) in [
        (
            "/v1/me/email",
            json!({"email": "r\u{43e}\u{43e}t@vendor.test"}),
            "email",
        ),
        (
            "/v1/me/email",
            json!({"email": "root@vendor.test\r\nBcc: x@evil.test"}),
            "email",
        ),
        (
            "/v1/me/password",
            json!({"current_password": "Correct-Horse-7", "new_password": "short"}),
            "new_password",
        ),
        (
            "/v1/me/password",
            json!({"current_password": "x".repeat(300), "new_password": "Second-Horse-8"}),
            "current_password",
        ),
    ] {
        assert_refused_on(&desk, "POST", path, Some(&admin), &body, field).await;
    }
    let (status, problem) = desk
        .call(
            "POST",
            "/v1/email-confirmations",
            None,
            Some(json!({"token": "t".repeat(200)})),
        )
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("token")), "{problem}");
    for (body, field) in [
        (json!({"name": "ACME\r\nX-Evil: 1"}), "name"),
        (json!({"name": "n".repeat(201)}), "name"),
        (
            json!({"first_level_support_email": "help@acme.test\r\nBcc: x@evil.test"}),
            "first_level_support_email",
        ),
        (json!({}), "name"),
    ] {
        assert_refused_on(&desk, "PATCH", "/v1/companies/ACME", Some(&admin), &body, field).await;
    }
    // Nothing changed: the profile, the company, the email.
    let (_, me) = desk.call("GET", "/v1/me", Some(&admin), None).await;
    assert_eq!(
        (&me["account"]["name"], &me["account"]["title"]),
        (&json!("Rita Root"), &Value::Null),
        "{me}"
    );
    let (_, companies) = desk.call("GET", "/v1/companies?search=acme", Some(&admin), None).await;
    assert_eq!(companies["items"][0]["name"], "ACME Inc", "{companies}");
    desk.deliver_now().await;
    assert!(desk.mails_of("email_confirm").await.is_empty());
}

/// The list of units pending registration takes only what its document says: a company
/// code for staff's `dealer`, a cursor it gave out, a page size of 1 to 100.
async fn pending_registrations_refuse_hostile_queries(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let long = "A".repeat(300);
    for (query, field) in [
        ("dealer=AC%20ME", "dealer"),
        ("dealer=%3Cscript%3E", "dealer"),
        ("dealer=ACME%0D%0AX-Injected:1", "dealer"),
        (&*format!("dealer={long}"), "dealer"),
        ("dealer=ACME&cursor=not-a-cursor", "cursor"),
        ("dealer=ACME&cursor=%00%FF", "cursor"),
        ("dealer=ACME&limit=0", "limit"),
        ("dealer=ACME&limit=1000", "limit"),
        ("dealer=ACME&limit=ten", "limit"),
        ("dealer=ACME&limit=-1", "limit"),
    ] {
        let (status, problem) = desk
            .call(
                "GET",
                &format!("/v1/pending-registrations?{query}"),
                Some(&cast.agent),
                None,
            )
            .await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some(field)),
            "{query}: {problem}"
        );
        assert!(!problem.to_string().contains("X-Injected:1\r"), "{problem}");
    }
    // A client names no dealer, not even their own.
    let (status, problem) = desk
        .call("GET", "/v1/pending-registrations?dealer=ACME", Some(&cast.client), None)
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("dealer")));
}

/// Warranty claims take only what makes sense as money: negative, fractional and
/// overflowing amounts, a line in another currency, too many lines, a bad currency, and
/// out-of-range decisions are refused by field, and nothing is written.
async fn warranty_claims_refuse_hostile_drafts_and_write_nothing(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    units_for(&desk, &cast.agent, "PUMP-H", 24, "ACME", &["SN-H1"]).await;
    let with_line = |line: Value| {
        let mut body = claim_body("SN-H1");
        body["lines"] = json!([line]);
        body
    };
    let other = |amount: Value| json!({"kind": "other", "category": "freight", "amount": amount});
    let cases: Vec<(Value, &str)> = vec![
        (with_line(other(json!(-1))), "lines"),
        (with_line(other(json!(12.5))), "lines"),
        (with_line(other(json!(10_000_000_000_001u64))), "lines[0].amount"),
        (with_line(other(json!(u64::MAX))), "lines[0].amount"),
        (
            with_line(
                json!({"kind": "part", "part_number": "P", "quantity": 100000, "unit_price": 10_000_000_000_000u64}),
            ),
            "lines[0].kind",
        ),
        (
            with_line(json!({"kind": "part", "part_number": "P", "quantity": -2, "unit_price": 100})),
            "lines",
        ),
        (
            with_line(json!({"kind": "other", "category": "freight", "amount": 100, "currency": "EUR"})),
            "lines",
        ),
        (
            with_line(json!({"kind": "labour", "labour_code": "L\r\nBcc: x", "hundredths": 100, "rate": 100})),
            "lines[0].labour_code",
        ),
        (
            {
                let mut b = claim_body("SN-H1");
                b["currency"] = json!("€€€");
                b
            },
            "currency",
        ),
        (
            {
                let mut b = claim_body("SN-H1");
                b["failure_date"] = json!("2026-02-30");
                b
            },
            "failure_date",
        ),
        (
            {
                let mut b = claim_body("SN-H1");
                b["lines"] = json!((0..201).map(|_| other(json!(1))).collect::<Vec<_>>());
                b
            },
            "lines",
        ),
        (
            {
                let mut b = claim_body("SN-H1");
                b["lines"] = json!([]);
                b
            },
            "lines",
        ),
        (
            {
                let mut b = claim_body("SN-H1");
                b["serial"] = json!("SN-NOPE");
                b
            },
            "serial",
        ),
    ];
    for (body, field) in cases {
        let (status, problem) = desk
            .call("POST", "/v1/warranty-claims", Some(&cast.client), Some(body.clone()))
            .await;
        assert!(
            (400..500).contains(&status) && problem["field"].as_str().is_some_and(|f| f.starts_with(field)),
            "{field}: {status} {problem}"
        );
    }
    // Ten thousand lines do not even fit a JSON body.
    let mut huge = claim_body("SN-H1");
    huge["lines"] = json!((0..10_000).map(|_| other(json!(1))).collect::<Vec<_>>());
    let (status, _) = desk
        .call("POST", "/v1/warranty-claims", Some(&cast.client), Some(huge))
        .await;
    assert_eq!(status, 413);
    let (_, page) = desk.call("GET", "/v1/warranty-claims", Some(&cast.client), None).await;
    assert_eq!(page["items"], json!([]), "nothing was written");
    // Decisions: beyond the claimed amount, negative, or for a line that is not there.
    let (status, claim) = desk
        .call(
            "POST",
            "/v1/warranty-claims",
            Some(&cast.client),
            Some(claim_body("SN-H1")),
        )
        .await;
    assert_eq!(status, 201, "{claim}");
    let path = format!("/v1/warranty-claims/{}/actions", claim["id"].as_str().unwrap());
    // An edit is held to the same rules, and a refused one changes nothing.
    for (body, field) in [
        (with_line(other(json!(-1))), "lines"),
        (with_line(other(json!(u64::MAX))), "lines[0].amount"),
    ] {
        let (status, problem) = desk
            .call("PATCH", &path.replace("/actions", ""), Some(&cast.client), Some(body))
            .await;
        assert!(
            (400..500).contains(&status) && problem["field"].as_str().is_some_and(|f| f.starts_with(field)),
            "{field}: {status} {problem}"
        );
    }
    let (_, kept) = desk
        .call("GET", &path.replace("/actions", ""), Some(&cast.client), None)
        .await;
    assert_eq!(kept["lines"].as_array().unwrap().len(), 4);
    for action in ["submit", "take"] {
        let token = if action == "submit" { &cast.client } else { &cast.agent };
        assert_eq!(
            desk.call("POST", &path, Some(token), Some(json!({"action": action})))
                .await
                .0,
            200
        );
    }
    for decisions in [
        json!([{"line": "l1", "approved": 10001}]),
        json!([{"line": "l1", "approved": -5}]),
        json!([{"line": "l9", "approved": 0, "reason": "not_covered"}]),
        json!([{"line": "l1", "approved": 1e30}]),
    ] {
        let (status, problem) = desk
            .call(
                "POST",
                &path,
                Some(&cast.agent),
                Some(json!({"action": "decide", "decisions": decisions})),
            )
            .await;
        assert!((400..500).contains(&status), "{decisions}: {status} {problem}");
    }
    let (_, unchanged) = desk
        .call("GET", &path.replace("/actions", ""), Some(&cast.agent), None)
        .await;
    assert_eq!(unchanged["state"], "in_review");
    assert!(unchanged["lines"]
        .as_array()
        .unwrap()
        .iter()
        .all(|l| l.get("decision").is_none()));
}

/// RMAs: quantities negative, fractional or beyond `u32`, lines that are not the claim's or
/// not parts, 10,000 lines, header injection in a tracking number, a condition nobody
/// knows, counts beyond what was asked back: each refused naming its field, and nothing is
/// written (no RMA, no number spent, the claim and the RMA unchanged).
async fn rmas_refuse_hostile_requests_and_write_nothing(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    units_for(&desk, &cast.agent, "PUMP-R", 24, "ACME", &["SN-R1"]).await;
    let id = &drafted_claim(&desk, &cast.client, "SN-R1").await;
    for (token, action) in [(&cast.client, "submit"), (&cast.agent, "take")] {
        let path = format!("/v1/warranty-claims/{id}/actions");
        let (status, body) = desk
            .call("POST", &path, Some(token), Some(json!({ "action": action })))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let path = format!("/v1/warranty-claims/{id}/rmas");
    let line = |line: Value, quantity: Value| json!({"lines": [{"line": line, "quantity": quantity}]});
    let cases: Vec<(Value, &str)> = vec![
        (line(json!("l1"), json!(-1)), "lines"),
        (line(json!("l1"), json!(1.5)), "lines"),
        (line(json!("l1"), json!(u64::MAX)), "lines[0].quantity"),
        (line(json!("l1"), json!(4_294_967_297u64)), "lines[0].quantity"),
        (line(json!("l1"), json!(0)), "lines[0].quantity"),
        (line(json!("l3"), json!(1)), "lines[0].line"),
        (line(json!("l1\r\nBcc: x@y.test"), json!(1)), "lines[0].line"),
        (line(json!(["l1"]), json!(1)), "lines"),
        (
            json!({"lines": [{"line": "l1", "quantity": 1}], "instructions": "x".repeat(2001)}),
            "instructions",
        ),
        (
            json!({"lines": [{"line": "l1", "quantity": 1}], "owner": "OTHER"}),
            "owner",
        ),
        (
            json!({"lines": (0..201).map(|_| json!({"line": "l1", "quantity": 1})).collect::<Vec<_>>()}),
            "lines",
        ),
    ];
    for (body, field) in cases {
        let (status, problem) = desk.call("POST", &path, Some(&cast.agent), Some(body.clone())).await;
        assert!(
            (400..500).contains(&status) && problem["field"].as_str().is_some_and(|f| f.starts_with(field)),
            "{field}: {status} {problem}"
        );
    }
    let huge = json!({"lines": (0..10_000).map(|_| json!({"line": "l1", "quantity": 1})).collect::<Vec<_>>()});
    let (status, _) = desk.call("POST", &path, Some(&cast.agent), Some(huge)).await;
    assert!(status == 413 || status == 422, "{status}");
    let (_, page) = desk.call("GET", "/v1/rmas", Some(&cast.client), None).await;
    assert_eq!(page["items"], json!([]), "no RMA was written");
    let (_, kept) = desk
        .call("GET", &format!("/v1/warranty-claims/{id}"), Some(&cast.client), None)
        .await;
    assert_eq!(kept["rmas"], json!([]));
    // The first RMA that lands is still number 1: refusals spent none.
    let (status, rma) = desk
        .call("POST", &path, Some(&cast.agent), Some(line(json!("l1"), json!(2))))
        .await;
    assert_eq!(
        (status, rma["number"].as_str()),
        (201, Some("ACME-RMA-000001")),
        "{rma}"
    );
    let rma_path = format!("/v1/rmas/{}/actions", rma["id"].as_str().unwrap());
    let cases: Vec<(&String, Value, &str)> = vec![
        (
            &cast.client,
            json!({"action": "ship", "carrier": "UPS", "tracking_number": "1Z\r\nBcc: x@y.test"}),
            "tracking_number",
        ),
        (
            &cast.client,
            json!({"action": "ship", "carrier": "x".repeat(61), "tracking_number": "1Z"}),
            "carrier",
        ),
        (
            &cast.client,
            json!({"action": "ship", "tracking_number": "1Z"}),
            "carrier",
        ),
        (&cast.client, json!({"action": "explode"}), "action"),
        (
            &cast.agent,
            json!({"action": "receive", "lines": [{"line": "l1", "received": 2, "condition": "pristine"}]}),
            "lines",
        ),
        (
            &cast.agent,
            json!({"action": "receive", "lines": [{"line": "l1", "received": 3, "condition": "damaged"}]}),
            "lines[0].received",
        ),
        (
            &cast.agent,
            json!({"action": "receive", "lines": [{"line": "l1", "received": -1, "condition": "damaged"}]}),
            "lines",
        ),
        (
            &cast.agent,
            json!({"action": "receive", "lines": [{"line": "l1", "received": 1, "condition": "damaged"}, {"line": "l2", "received": 1, "condition": "damaged"}]}),
            "lines",
        ),
        (&cast.agent, json!({"action": "receive", "lines": []}), "lines"),
        (&cast.agent, json!({"action": "close"}), "why"),
    ];
    for (token, body, field) in cases {
        let (status, problem) = desk.call("POST", &rma_path, Some(token), Some(body.clone())).await;
        assert!(
            (400..500).contains(&status) && problem["field"].as_str().is_some_and(|f| f.starts_with(field)),
            "{body}: {status} {problem}"
        );
    }
    let (_, unchanged) = desk
        .call("GET", &rma_path.replace("/actions", ""), Some(&cast.client), None)
        .await;
    assert_eq!(unchanged["state"], "issued");
    assert_eq!(unchanged["history"].as_array().unwrap().len(), 1);
    assert!(unchanged["lines"][0].get("received").is_none());
    // A carrier and tracking number that look like formulas leave the export as text.
    let ship = json!({"action": "ship", "carrier": "=HYPERLINK(\"http://x.test\")", "tracking_number": "+1Z"});
    assert_eq!(
        desk.call("POST", &rma_path, Some(&cast.client), Some(ship)).await.0,
        200
    );
    let (status, csv) = desk.download("/v1/exports/rmas", &cast.client).await;
    assert_eq!(status, 200);
    let text = String::from_utf8(csv).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    for cell in reader.records().next().unwrap().unwrap().iter() {
        assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell:?} in {text}");
    }
}

/// Exports: query values nobody knows are refused naming the parameter; a claim whose
/// every text field starts like a formula leaves in both formats with none of them able to
/// run (each cell starts with an apostrophe).
async fn exports_refuse_hostile_queries_and_neutralise_every_text_field(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    units_for(&desk, &cast.agent, "PUMP-X", 24, "ACME", &["SN-X1"]).await;
    for (query, field) in [
        ("format=XLS", "format"),
        ("format=csv%0d%0aX-Evil:%201", "format"),
        ("list=..%2F..%2Fetc", "list"),
        ("list=draft&dealer=OTHER", "dealer"),
    ] {
        let path = format!("/v1/exports/warranty-claims?{query}");
        let (status, problem) = desk.call("GET", &path, Some(&cast.admin), None).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some(field)),
            "{query}: {problem}"
        );
    }
    let (status, problem) = desk
        .call(
            "GET",
            "/v1/exports/warranty-claims?dealer=AC%00ME",
            Some(&cast.agent),
            None,
        )
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("dealer")), "{problem}");
    let mut body = claim_body("SN-X1");
    let starts = ["=", "+", "-", "@"];
    for (n, field) in ["complaint", "cause", "correction", "fault_code"].iter().enumerate() {
        body[field] = json!(format!("{}cmd|' /C calc'!A0", starts[n]));
    }
    let (status, claim) = desk
        .call("POST", "/v1/warranty-claims", Some(&cast.client), Some(body))
        .await;
    assert_eq!(status, 201, "{claim}");
    let (status, csv) = desk.download("/v1/exports/warranty-claims", &cast.client).await;
    assert_eq!(status, 200);
    let text = String::from_utf8(csv).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let row = reader.records().next().unwrap().unwrap();
    for cell in row.iter() {
        assert!(
            !cell.starts_with(['=', '+', '-', '@', '\t', '\r', '\0']),
            "{cell:?} in {text}"
        );
    }
    assert_eq!(row.iter().filter(|c| c.starts_with('\'')).count(), 4, "{text}");
    let (status, xlsx) = desk
        .download("/v1/exports/warranty-claims?format=xlsx", &cast.client)
        .await;
    assert_eq!(status, 200);
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    for cell in sheet.rows().nth(1).unwrap() {
        let text = cell.to_string();
        assert!(!text.starts_with(['=', '+', '-', '@']), "{text:?}");
    }
    let formulas = book.worksheet_formula("Warranty claims").unwrap();
    assert_eq!(
        formulas.used_cells().filter(|(_, _, f)| !f.is_empty()).count(),
        0,
        "no formula cells"
    );
}

/// A case names a warranty claim only by a plausible id of a claim of the company the case
/// is for: paths, header breaks, other ids, overlong ids and another company's claim are
/// refused naming `warranty_claim`, and no case is filed.
async fn cases_name_only_their_companys_warranty_claims(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    units_for(&desk, &cast.agent, "PUMP-C", 24, "ACME", &["SN-C1"]).await;
    let claim = drafted_claim(&desk, &cast.client, "SN-C1").await;
    let long = format!("wc_{}", "a".repeat(62));
    for (token, value) in [
        (&cast.admin, "wc_../../etc/passwd"),
        (&cast.admin, "wc_x\r\nBcc: x@y.test"),
        (&cast.admin, "t_0000000000000000000000"),
        (&cast.admin, long.as_str()),
        (&cast.admin, "wc_0000000000000000000000"),
        (&cast.other_admin, claim.as_str()),
    ] {
        let mut body = ticket_body(Some("vendor"));
        body["warranty_claim"] = json!(value);
        let (status, problem) = desk.call("POST", "/v1/tickets", Some(token), Some(body)).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some("warranty_claim")),
            "{value:?}: {problem}"
        );
    }
    for token in [&cast.admin, &cast.other_admin] {
        let (_, page) = desk.call("GET", "/v1/tickets?view=company", Some(token), None).await;
        assert_eq!(page["items"], json!([]), "no case was filed");
    }
    let (_, kept) = desk
        .call("GET", &format!("/v1/warranty-claims/{claim}"), Some(&cast.client), None)
        .await;
    assert_eq!(kept["cases"], json!([]));
}

async fn raw_anonymous(desk: &Desk, path: &str, body: Vec<u8>) -> (u16, Value) {
    let answer = desk
        .send(
            "POST",
            path,
            None,
            vec![("content-type".into(), "application/json".into())],
            Some(body),
        )
        .await;
    let value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    (answer.status, value)
}

/// The service-level report and the priority action take only what they name: a month, a
/// registered company's code, a priority; the rest is refused by field and changes nothing.
async fn service_levels_refuse_hostile_queries_and_priorities(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let long = "9".repeat(3000);
    for (query, field) in [
        ("month=2026-13", "month"),
        ("month=2026-1", "month"),
        ("month=2026-12-01", "month"),
        ("month=%3Cscript%3E", "month"),
        ("month=2026-12%0D%0AX-Injected:1", "month"),
        (&*format!("month={long}"), "month"),
        ("company=AC%20ME", "company"),
        ("company=ACME'%20OR%201=1", "company"),
        ("company=NOPE", "company"),
        (&*format!("company={long}"), "company"),
    ] {
        for path in ["/v1/reports/service-levels", "/v1/reports/service-levels.csv"] {
            let (status, problem) = desk
                .call("GET", &format!("{path}?{query}"), Some(&cast.agent), None)
                .await;
            assert_eq!(
                (status, problem["field"].as_str()),
                (422, Some(field)),
                "{path}?{query}: {problem}"
            );
            assert!(!problem.to_string().contains("X-Injected:1\r"), "{problem}");
        }
    }
    let id = vendor_ticket(&desk, &cast).await;
    let path = format!("/v1/tickets/{id}/status");
    let (_, before) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
        .await;
    for priority in [
        json!("<script>"),
        json!("URGENT"),
        json!(3),
        json!(["urgent"]),
        json!({"p": 1}),
    ] {
        let (status, problem) = desk
            .call(
                "POST",
                &path,
                Some(&cast.agent),
                Some(json!({"action": "set_priority", "priority": priority})),
            )
            .await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (400, Some("priority")),
            "{priority}: {problem}"
        );
    }
    // The customer's side does not set priorities, even to what they filed.
    let (status, _) = desk
        .call(
            "POST",
            &path,
            Some(&cast.admin),
            Some(json!({"action": "set_priority", "priority": "urgent"})),
        )
        .await;
    assert_eq!(status, 403);
    let (_, after) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
        .await;
    assert_eq!(after["version"], before["version"], "nothing was written");
    assert_eq!(after["priority"], "high");
}

/// Help resources: script in article HTML is removed on every write; hostile search text
/// (FTS5 syntax, markup, a 10,000-word paste) is words or a clear 422 naming the field, and
/// bad article drafts and votes are refused by field with nothing written.
async fn help_resources_clean_html_and_read_query_syntax_as_words(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let hostile_html = r#"<p onmouseover="steal()">Reset steps</p><script>fetch('//x')</script><a href="javascript:alert(1)">go</a><iframe src="//x"></iframe><img src="x" onerror="alert(1)"><style>*{}</style>"#;
    let (status, article) = desk
        .call(
            "POST",
            "/v1/articles",
            Some(&cast.agent),
            Some(json!({"title": "Reset <b>steps</b>", "body": hostile_html, "category": "Guides", "state": "published"})),
        )
        .await;
    assert_eq!(status, 201, "{article}");
    let body = article["body"].as_str().unwrap();
    for bad in ["<script", "onmouseover", "onerror", "javascript:", "<iframe", "<style"] {
        assert!(!body.contains(bad), "{bad} survived: {body}");
    }
    assert!(body.contains("Reset steps"), "{body}");
    let id = article["id"].as_str().unwrap();
    let (status, changed) = desk
        .call(
            "PATCH",
            &format!("/v1/articles/{id}"),
            Some(&cast.agent),
            Some(json!({"body": "<p>Now</p><svg onload=alert(1)></svg><script>x</script>"})),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert!(
        !changed["body"].as_str().unwrap().contains("onload") && !changed["body"].as_str().unwrap().contains("script")
    );
    // Refused by field, nothing written.
    for (draft, field) in [
        (json!({"body": "<p>x</p>", "category": "C"}), "title"),
        (
            json!({"title": "T", "body": "<script>only()</script>", "category": "C"}),
            "body",
        ),
        (json!({"title": "T", "body": "<p>x</p>"}), "category"),
        (json!({"title": "T\u{7}", "body": "<p>x</p>", "category": "C"}), "title"),
        (
            json!({"title": "T", "body": "<p>x</p>", "category": "C", "tags": ["a\nb"]}),
            "tags[0]",
        ),
        (
            json!({"title": "T", "body": "<p>x</p>", "category": "C", "visibility": "world"}),
            "visibility",
        ),
        (
            json!({"title": "T", "body": "<p>x</p>", "category": "C", "author": "me"}),
            "author",
        ),
        (
            json!({"title": "x".repeat(201), "body": "<p>x</p>", "category": "C"}),
            "title",
        ),
    ] {
        let (status, problem) = desk
            .call("POST", "/v1/articles", Some(&cast.agent), Some(draft.clone()))
            .await;
        assert!(status == 422 || status == 400, "{draft}: {status} {problem}");
        assert!(problem.to_string().contains(field), "{draft}: {problem}");
    }
    let (_, list) = desk.call("GET", "/v1/articles", Some(&cast.client), None).await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        1,
        "nothing else was written: {list}"
    );
    let (status, problem) = desk
        .call(
            "POST",
            &format!("/v1/articles/{id}/votes"),
            Some(&cast.client),
            Some(json!({"helpful": "yes"})),
        )
        .await;
    assert_eq!(status, 400, "{problem}");

    desk.index_now().await;
    // Query syntax is words: every one of these is a 200 (never a 500 from FTS5).
    for q in [
        "\"",
        "*",
        "reset*",
        "NEAR(reset steps)",
        "reset OR steps",
        "reset AND NOT steps",
        "title:reset",
        "^reset",
        "(((",
        "reset\" OR \"x",
        "-reset",
        "<script>alert(1)</script>",
        "'; DROP TABLE items; --",
        "%00",
    ] {
        let path = format!("/v1/search?q={}", url_encoded(q));
        let (status, page) = desk.call("GET", &path, Some(&cast.client), None).await;
        assert_eq!(status, 200, "{q}: {page}");
        let (status, found) = desk
            .call(
                "POST",
                "/v1/suggestions",
                Some(&cast.client),
                Some(json!({"subject": q, "description": q})),
            )
            .await;
        assert_eq!(status, 200, "{q}: {found}");
    }
    // A 10,000-word paste: too long for a search box (422 naming q) and for a case's
    // description (422 naming it); 3,000 words are read for suggestions (the first words
    // and the last one).
    let paste = "reset ".repeat(10_000);
    let (status, problem) = desk
        .call(
            "GET",
            &format!("/v1/search?q={}", url_encoded(&paste[..4_000])),
            Some(&cast.client),
            None,
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem.to_string().contains("q:"), "{problem}");
    let (status, found) = desk
        .call(
            "POST",
            "/v1/suggestions",
            Some(&cast.client),
            Some(json!({"description": "reset ".repeat(3_000)})),
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["articles"][0]["id"], article["id"], "{found}");
    let (status, problem) = desk
        .call(
            "POST",
            "/v1/suggestions",
            Some(&cast.client),
            Some(json!({"description": paste})),
        )
        .await;
    assert_eq!(status, 422, "{problem}");
    assert!(problem.to_string().contains("description"), "{problem}");
    // No body at all is a malformed request, not an empty question.
    let answer = desk
        .send("POST", "/v1/suggestions", Some(&cast.client), Vec::new(), None)
        .await;
    assert_eq!(answer.status, 400);
}

/// Announcements and notifications: markup is text, limits and unknown fields are refused by
/// field with nothing written, and ids that are no ids are simply not found.
async fn announcements_and_notifications_refuse_hostile_input(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let ends = "2027-01-01T00:00:00Z";
    let (status, posted) = desk
        .call(
            "POST",
            "/v1/announcements",
            Some(&cast.agent),
            Some(
                json!({"title": "<img src=x onerror=alert(1)>", "body": "<script>alert(1)</script>", "ends_at": ends}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{posted}");
    // Kept as the text it is: the portal shows it with textContent, never as markup.
    assert_eq!(posted["body"], "<script>alert(1)</script>");
    for (body, field) in [
        (json!({"title": "x".repeat(201), "body": "y", "ends_at": ends}), "title"),
        (
            json!({"title": "x", "body": "y".repeat(5_001), "ends_at": ends}),
            "body",
        ),
        (json!({"title": "x", "body": "y", "ends_at": "tomorrow"}), "ends_at"),
        (
            json!({"title": "x", "body": "y", "ends_at": ends, "audience": "martians"}),
            "audience",
        ),
        (
            json!({"title": "x", "body": "y", "ends_at": ends, "company": "ACME"}),
            "company",
        ),
        (
            json!({"title": "x", "body": "y", "ends_at": ends, "created_by": "me"}),
            "created_by",
        ),
        (
            json!({"title": "x\r\nBcc: a@b.test", "body": "y", "ends_at": ends}),
            "title",
        ),
    ] {
        let (status, problem) = desk
            .call("POST", "/v1/announcements", Some(&cast.agent), Some(body.clone()))
            .await;
        assert!(status == 422 || status == 400, "{body}: {status} {problem}");
        assert!(problem.to_string().contains(field), "{body}: {problem}");
    }
    let (_, all) = desk
        .call("GET", "/v1/announcements?scope=all", Some(&cast.agent), None)
        .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1, "nothing else written: {all}");
    for query in ["scope=everything", "limit=0", "limit=x", "cursor=garbage"] {
        let (status, problem) = desk
            .call("GET", &format!("/v1/announcements?{query}"), Some(&cast.client), None)
            .await;
        assert_eq!(status, 422, "{query}: {problem}");
    }
    for id in [
        "..%2F..%2Fetc",
        "1_m_x%27%20OR%201%3D1",
        "-5_m_abc",
        "99999999999999999999999_m_a",
        "x",
        "1_",
    ] {
        let (status, problem) = desk
            .call(
                "POST",
                &format!("/v1/notifications/{id}/seen"),
                Some(&cast.client),
                None,
            )
            .await;
        assert_eq!(status, 404, "{id}: {problem}");
    }
    for query in ["limit=0", "limit=1000", "cursor=garbage"] {
        let (status, problem) = desk
            .call("GET", &format!("/v1/notifications?{query}"), Some(&cast.client), None)
            .await;
        assert_eq!(status, 422, "{query}: {problem}");
    }
}

fn url_encoded(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// An article's files: names cannot climb out or lie in the download's disposition, bad
/// sizes, types and fields are refused by field, a forged upload or file id finds nothing,
/// and an article takes at most 20 files. Nothing refused is listed.
async fn article_files_refuse_hostile_grants_and_write_nothing(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let (status, article) = desk
        .call(
            "POST",
            "/v1/articles",
            Some(&cast.agent),
            Some(json!({"title": "Forms", "body": "<p>Forms</p>", "category": "Forms", "state": "published"})),
        )
        .await;
    assert_eq!(status, 201, "{article}");
    let id = article["id"].as_str().unwrap();
    let grants = format!("/v1/articles/{id}/attachments");
    for (given, stored) in [
        ("../../../../etc/passwd", "passwd"),
        ("form\u{0}\r\n.pdf", "form.pdf"),
        ("invoice\u{202E}fdp.exe", "invoicefdp.exe"),
        ("a\"; filename=evil.sh", "a; filename=evil.sh"),
    ] {
        let grant = upload_text(&desk, &grants, &cast.agent, given, b"ok").await;
        assert_eq!(grant["file"]["filename"], stored, "{given:?}");
        let path = format!("{grants}/{}", grant["file"]["id"].as_str().unwrap());
        let answer = desk.send("GET", &path, Some(&cast.client), Vec::new(), None).await;
        let disposition = match answer.header("location") {
            Some(location) => url_query_value(location, "response-content-disposition"),
            None => answer.header("content-disposition").unwrap_or("").to_string(),
        };
        assert!(disposition.starts_with("attachment;"), "{disposition}");
        assert!(!disposition.contains(['\r', '\n', '\u{0}']), "{disposition:?}");
        assert!(!disposition.contains(".."), "{disposition}");
    }
    let refused = [
        (json!({"filename": "../..", "size": 2}), 422, "filename"),
        (json!({"filename": "x.pdf", "size": 0}), 422, "size"),
        (json!({"filename": "x.pdf", "size": -1}), 400, "size"),
        (json!({"filename": "x.pdf", "size": "2"}), 400, "size"),
        (json!({"filename": "x.pdf"}), 422, "size"),
        (json!({"filename": "x.pdf", "size": 1_000_000_000_000u64}), 413, "size"),
        (
            json!({"filename": "x.pdf", "size": 2, "content_type": "text/html\r\nX-Evil: 1"}),
            422,
            "content_type",
        ),
        (
            json!({"filename": "x.pdf", "size": 2, "blob_key": "tickets/t_1/att_1"}),
            400,
            "",
        ),
    ];
    for (draft, want, field) in refused {
        let (status, problem) = desk.call("POST", &grants, Some(&cast.agent), Some(draft.clone())).await;
        assert_eq!(status, want, "{draft}: {problem}");
        assert!(problem.to_string().contains(field), "{draft}: {problem}");
    }
    // Ids that are no ids, and a forged upload token, find nothing.
    for file in ["..%2F..%2Fetc", "att_0000000000000000000000", "x"] {
        let path = format!("{grants}/{file}");
        assert_eq!(desk.download(&path, &cast.agent).await.0, 404, "{file}");
        assert_eq!(
            desk.call("DELETE", &path, Some(&cast.agent), None).await.0,
            404,
            "{file}"
        );
    }
    let (status, grant) = desk
        .call(
            "POST",
            &grants,
            Some(&cast.agent),
            Some(json!({"filename": "x.txt", "size": 2})),
        )
        .await;
    assert_eq!(status, 201, "{grant}");
    if !desk.is_aws() {
        let url = grant["upload"]["url"].as_str().unwrap();
        let forged = format!("{}?token=forged", url.split('?').next().unwrap());
        let forged = forged.split("/v1/").nth(1).unwrap();
        let answer = desk
            .send(
                "PUT",
                &format!("/v1/{forged}"),
                None,
                vec![("content-type".into(), "application/octet-stream".into())],
                Some(b"ok".to_vec()),
            )
            .await;
        assert_eq!(answer.status, 404);
        // The true token, with bytes of another size than declared: 413, not listed.
        let mut wrong = grant.clone();
        wrong["upload"]["headers"] = json!([]);
        assert_eq!(desk.put_upload(&wrong, b"too long".to_vec()).await, 413);
    }
    // Twenty files at most (four are there).
    for n in 4..20 {
        upload_text(&desk, &grants, &cast.agent, &format!("f{n}.txt"), b"x").await;
    }
    let (status, problem) = desk
        .call(
            "POST",
            &grants,
            Some(&cast.agent),
            Some(json!({"filename": "x.txt", "size": 1})),
        )
        .await;
    assert_eq!(status, 409, "{problem}");
    assert!(problem.to_string().contains("at most 20 files"), "{problem}");
    let (_, article) = desk
        .call("GET", &format!("/v1/articles/{id}"), Some(&cast.client), None)
        .await;
    let names: Vec<&str> = article["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["filename"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 20, "{article}");
    assert!(!names.contains(&"x.txt") && !names.contains(&"x.pdf"), "{names:?}");
    assert!(!desk.dir.path().join("etc").exists());
}

/// Following: a case takes at most 50 followers (422 naming `following`, nothing written);
/// ids that are no ids find nothing.
async fn following_is_bounded_and_finds_nothing_by_forged_ids(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let id = vendor_ticket(&desk, &cast).await;
    let path = format!("/v1/tickets/{id}/following");
    // The owner filed it for the adjuster: one follower already.
    for n in 1..50 {
        let agent = desk.token(&format!("agent{n}@vendor.test"), "VENDOR", Role::AgentL1);
        assert_eq!(desk.call("PUT", &path, Some(&agent), None).await.0, 200, "{n}");
    }
    let (_, before) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
        .await;
    let (status, problem) = desk.call("PUT", &path, Some(&cast.agent), None).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("following")),
        "{problem}"
    );
    let (_, after) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
        .await;
    assert_eq!(before["version"], after["version"], "nothing written");
    // Leaving makes room.
    let first = desk.token("agent1@vendor.test", "VENDOR", Role::AgentL1);
    assert_eq!(desk.call("DELETE", &path, Some(&first), None).await.0, 200);
    assert_eq!(desk.call("PUT", &path, Some(&cast.agent), None).await.0, 200);
    for forged in ["..%2F..%2Fetc", "t_", "x", "t_0000000000000000000000"] {
        let path = format!("/v1/tickets/{forged}/following");
        assert_eq!(
            desk.call("PUT", &path, Some(&cast.agent), None).await.0,
            404,
            "{forged}"
        );
    }
}

on_both_engines!(
    help_resources_clean_html_and_read_query_syntax_as_words,
    following_is_bounded_and_finds_nothing_by_forged_ids,
    article_files_refuse_hostile_grants_and_write_nothing,
    announcements_and_notifications_refuse_hostile_input,
    service_levels_refuse_hostile_queries_and_priorities,
    sign_in_refuses_hostile_input_before_looking_at_any_account,
    warranty_claims_refuse_hostile_drafts_and_write_nothing,
    rmas_refuse_hostile_requests_and_write_nothing,
    exports_refuse_hostile_queries_and_neutralise_every_text_field,
    cases_name_only_their_companys_warranty_claims,
    pending_registrations_refuse_hostile_queries,
    people_routes_refuse_hostile_names_emails_and_roles_and_write_nothing,
    profile_and_company_changes_refuse_hostile_input_and_change_nothing,
    markup_is_kept_as_text_by_the_api_and_escaped_in_mail,
    line_breaks_never_reach_a_mail_header,
    attachment_names_cannot_climb_out_or_hide_what_they_are,
    overlong_malformed_huge_and_deep_bodies_get_a_clear_4xx_and_write_nothing,
);
