//! People: a staff admin made from the command line signs in with a password, works with
//! the token it gets, refreshes it, signs out; failed sign-ins pause an account without
//! telling whether it exists. On the local engine through its own accounts, on AWS through
//! Cognito in the emulator (and the token is Cognito's, checked as API Gateway would).

use crate::common::*;
use claimdesk_core::domain::people::AdminDraft;
use serde_json::{json, Value};

use password_sign_in as sign_in;

async fn make_admin(desk: &Desk, email: &str) {
    desk.core()
        .create_staff_admin(&AdminDraft {
            email: email.into(),
            name: "Rita Root".into(),
            password: PASSWORD.into(),
        })
        .await
        .expect("the first admin");
}

/// A sign-in, answered with its headers.
async fn sign_in_raw(desk: &Desk, body: Value) -> Answer {
    let json = vec![("content-type".into(), "application/json".into())];
    desk.send("POST", "/v1/sessions", None, json, Some(body.to_string().into_bytes()))
        .await
}

/// A refresh or sign-out with the refresh token in the body.
async fn session_call(desk: &Desk, path: &str, refresh_token: &str) -> (u16, Value) {
    desk.call("POST", path, None, Some(json!({ "refresh_token": refresh_token })))
        .await
}

/// A refresh or sign-out with only the session cookie.
async fn with_cookie(desk: &Desk, path: &str, cookie: &str) -> Answer {
    desk.send("POST", path, None, vec![("cookie".into(), cookie.to_string())], None)
        .await
}

/// Only staff may register a company: a 201 proves whose token it is.
async fn register_company(desk: &Desk, token: &str, code: &str) {
    let body = json!({"code": code, "name": format!("{code} Claims"), "first_level_support_email": "help@co.test"});
    let (status, company) = desk.call("POST", "/v1/companies", Some(token), Some(body)).await;
    assert_eq!(status, 201, "{company}");
}

async fn staff_admin_signs_in_works_refreshes_and_signs_out(desk: Desk) {
    make_admin(&desk, "root@vendor.test").await;
    let again = desk
        .core()
        .create_staff_admin(&AdminDraft {
            email: "ROOT@vendor.test".into(),
            name: "Second Root".into(),
            password: PASSWORD.into(),
        })
        .await;
    assert!(again.is_err(), "one account per email");

    let (status, tokens) = sign_in(&desk, "Root@Vendor.Test", PASSWORD).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["expires_in"].as_i64().unwrap() > 0);
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();

    // The token is the admin's: staff register companies, and it names their record.
    register_company(&desk, &access, "ACME").await;
    let (status, me) = desk.call("GET", "/v1/me", Some(&access), None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(
        (&me["email"], &me["standing"], &me["manages_accounts"]),
        (&json!("root@vendor.test"), &json!("agent"), &json!(true)),
        "{me}"
    );
    assert_eq!(me["roles"], json!(["staff_admin"]));
    assert_eq!(
        (&me["account"]["state"], &me["account"]["name"], &me["account"]["id"]),
        (&json!("active"), &json!("Rita Root"), &me["user_id"]),
        "{me}"
    );
    // A script's token (no password account) has no record.
    let script = desk.token(
        "ops@vendor.test",
        "VENDOR",
        claimdesk_core::domain::roles::Role::AgentL1,
    );
    let (status, me) = desk.call("GET", "/v1/me", Some(&script), None).await;
    assert_eq!((status, &me["account"]), (200, &Value::Null), "{me}");

    let (status, refreshed) = session_call(&desk, "/v1/sessions/refresh", &refresh).await;
    assert_eq!(status, 200, "{refreshed}");
    let next_access = refreshed["access_token"].as_str().unwrap().to_string();
    let next_refresh = refreshed["refresh_token"].as_str().unwrap().to_string();
    register_company(&desk, &next_access, "BETA").await;

    let (status, out) = session_call(&desk, "/v1/sessions/sign-out", &next_refresh).await;
    assert_eq!((status, &out["signed_out"]), (200, &json!(true)), "{out}");
    let (status, problem) = session_call(&desk, "/v1/sessions/refresh", &next_refresh).await;
    assert_eq!(status, 401, "{problem}");
    assert_eq!(problem["type"], "urn:claimdesk:problem:unauthenticated");
}

async fn the_portal_keeps_its_refresh_token_in_an_http_only_cookie(desk: Desk) {
    make_admin(&desk, "root@vendor.test").await;
    let body = json!({"email": "root@vendor.test", "password": PASSWORD, "session": "cookie"});
    let answer = sign_in_raw(&desk, body).await;
    assert_eq!(answer.status, 200);
    let tokens: Value = serde_json::from_slice(&answer.body).unwrap();
    assert!(
        tokens.get("refresh_token").is_none(),
        "page scripts never see it: {tokens}"
    );
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    let cookie = answer.header("set-cookie").expect("the session cookie").to_string();
    for part in ["claimdesk_session=", "HttpOnly", "SameSite=Strict", "Path=/v1/sessions"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert_eq!(
        cookie.contains("Secure"),
        desk.is_aws(),
        "Secure over TLS (API Gateway): {cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_string();

    let refreshed = with_cookie(&desk, "/v1/sessions/refresh", &pair).await;
    assert_eq!(refreshed.status, 200, "{}", String::from_utf8_lossy(&refreshed.body));
    let next_pair = refreshed
        .header("set-cookie")
        .expect("the cookie again")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let out = with_cookie(&desk, "/v1/sessions/sign-out", &next_pair).await;
    assert_eq!(out.status, 200);
    let cleared = out.header("set-cookie").expect("the cookie cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let after = with_cookie(&desk, "/v1/sessions/refresh", &next_pair).await;
    assert_eq!(after.status, 401);
}

/// Five wrong passwords are free; the sixth try waits, for a real account and for an
/// unknown one alike, and every refusal reads the same.
async fn failed_sign_ins_pause_an_account_and_say_nothing_of_whether_it_exists(desk: Desk) {
    make_admin(&desk, "root@vendor.test").await;
    let mut refusals = Vec::new();
    for email in ["root@vendor.test", "nobody@vendor.test"] {
        for _ in 0..5 {
            let (status, problem) = sign_in(&desk, email, "Wrong-Horse-99").await;
            assert_eq!(status, 401, "{problem}");
            refusals.push(problem);
        }
        let answer = sign_in_raw(&desk, json!({"email": email, "password": PASSWORD})).await;
        assert_eq!(answer.status, 429, "{email}: even the right password waits");
        assert_eq!(answer.header("retry-after"), Some("1"));
    }
    assert!(refusals.windows(2).all(|w| w[0] == w[1]), "{refusals:?}");

    // Once the pause is over the right password works, and the count starts again.
    desk.advance_seconds(2).await;
    let (status, tokens) = sign_in(&desk, "root@vendor.test", PASSWORD).await;
    assert_eq!(status, 200, "{tokens}");
    let (status, _) = sign_in(&desk, "root@vendor.test", "Wrong-Horse-99").await;
    assert_eq!(status, 401, "a success forgets the account's failures");
}

async fn sign_in_input_is_checked_by_field(desk: Desk) {
    let cases = [
        (json!({"email": "not-an-email", "password": "x"}), "email"),
        (
            json!({"email": format!("{}@x.test", "a".repeat(300)), "password": "x"}),
            "email",
        ),
        (json!({"email": "a@x.test", "password": ""}), "password"),
        (json!({"email": "a@x.test", "password": "p".repeat(257)}), "password"),
    ];
    for (body, field) in cases {
        let (status, problem) = desk.call("POST", "/v1/sessions", None, Some(body.clone())).await;
        assert_eq!(
            (status, problem["field"].as_str()),
            (422, Some(field)),
            "{body}: {problem}"
        );
    }
    let (status, problem) = desk
        .call(
            "POST",
            "/v1/sessions",
            None,
            Some(json!({"email": "a@x.test", "password": "x", "role": "owner"})),
        )
        .await;
    assert!(status == 400 || status == 422, "unknown fields are refused: {problem}");
    let (status, problem) = desk.call("POST", "/v1/sessions/refresh", None, Some(json!({}))).await;
    assert_eq!(status, 401, "no refresh token at all: {problem}");
}

on_both_engines!(
    staff_admin_signs_in_works_refreshes_and_signs_out,
    the_portal_keeps_its_refresh_token_in_an_http_only_cookie,
    failed_sign_ins_pause_an_account_and_say_nothing_of_whether_it_exists,
    sign_in_input_is_checked_by_field,
);
