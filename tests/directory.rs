//! The directory: the walk from the first staff admin to an adjuster's ticket (invitation,
//! a password chosen from the mailed link, an access request approved), account management
//! and its rules, password resets, and the public forms, on both engines (Cognito's admin
//! calls in the emulator on AWS).

use crate::common::*;
use serde_json::{json, Value};

use password_sign_in as sign_in;

/// Signs in, asserting it worked; the access token.
async fn token_of(desk: &Desk, email: &str, password: &str) -> String {
    let (status, tokens) = sign_in(desk, email, password).await;
    assert_eq!(status, 200, "{email}: {tokens}");
    tokens["access_token"].as_str().unwrap().to_string()
}

/// The set-password token of the last mail of `kind` to `to`, after delivering the outbox.
async fn link_token(desk: &Desk, kind: &str, to: &str) -> String {
    desk.deliver_now().await;
    let mail = desk
        .mails_of(kind)
        .await
        .into_iter()
        .rfind(|m| m.to.contains(to))
        .unwrap_or_else(|| panic!("no {kind} mail to {to}"));
    assert!(
        !mail.text.contains("Please type your reply"),
        "account mail has no reply marker"
    );
    let start = mail.text.find("#token=").expect("a set-password link") + "#token=".len();
    mail.text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_string()
}

async fn set_password(desk: &Desk, token: &str, password: &str) -> (u16, Value) {
    desk.call(
        "POST",
        "/v1/passwords",
        None,
        Some(json!({"token": token, "password": password})),
    )
    .await
}

/// The first staff admin, signed in, with ACME registered; the admin's token.
async fn admin_and_acme(desk: &Desk) -> String {
    let admin = first_staff_admin(desk).await;
    for code in ["ACME", "BETA"] {
        let body = json!({"code": code, "name": format!("{code} Claims"), "first_level_support_email": format!("help@{}.test", code.to_lowercase())});
        let (status, company) = desk.call("POST", "/v1/companies", Some(&admin), Some(body)).await;
        assert_eq!(status, 201, "{company}");
    }
    admin
}

/// Invites someone and lets them choose their password from the mail; their token.
async fn invited(desk: &Desk, by: &str, body: Value) -> (String, Value) {
    let (status, user) = desk.call("POST", "/v1/users", Some(by), Some(body.clone())).await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(user["state"], "invited");
    let email = body["email"].as_str().unwrap();
    let token = link_token(desk, "invitation", email).await;
    let (status, done) = set_password(desk, &token, PASSWORD).await;
    assert_eq!((status, &done["state"]), (200, &json!("active")), "{done}");
    (token_of(desk, email, PASSWORD).await, user)
}

/// The walk: admin → owner invited → owner's password from the link → an access
/// request approved by the owner → the adjuster files a ticket with their own token.
async fn from_the_first_admin_to_an_adjusters_ticket(desk: Desk) {
    let admin = admin_and_acme(&desk).await;
    let invite = json!({"email": "olga@acme.test", "name": "Olga Owner", "roles": ["owner"], "company": "ACME"});
    let (status, user) = desk.call("POST", "/v1/users", Some(&admin), Some(invite)).await;
    assert_eq!(status, 201, "{user}");
    // Invited: no password yet, so nothing signs in.
    let (status, _) = sign_in(&desk, "olga@acme.test", PASSWORD).await;
    assert_eq!(status, 401);
    let token = link_token(&desk, "invitation", "olga@acme.test").await;
    let (status, problem) = set_password(&desk, &token, "weak").await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("password")),
        "{problem}"
    );
    let (status, done) = set_password(&desk, &token, PASSWORD).await;
    assert_eq!(status, 200, "{done}");
    let (status, problem) = set_password(&desk, &token, "Another-Horse-8").await;
    assert!(
        (status == 422 && problem["field"] == "token") || status == 409,
        "a link works once: {problem}"
    );
    let owner = token_of(&desk, "olga@acme.test", PASSWORD).await;
    let (status, me) = desk.call("GET", "/v1/me", Some(&owner), None).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(
        (&me["company"], &me["roles"], &me["manages_accounts"]),
        (&json!("ACME"), &json!(["owner"]), &json!(true))
    );

    // Someone asks for access through the public form; ACME's owner hears of it.
    let form = json!({"name": "Ada Adjuster", "email": "ada@acme.test", "company": "acme", "phone": "+1 555 0100", "need": "I file claims for ACME."});
    let (status, accepted) = desk.call("POST", "/v1/access-requests", None, Some(form)).await;
    assert_eq!(status, 202, "{accepted}");
    desk.deliver_now().await;
    let told = desk.mails_of("access_requested").await;
    assert!(
        told.iter().any(|m| m.to.contains("olga@acme.test")),
        "the owner is mailed"
    );
    assert!(told.iter().all(|m| !m.to.contains("root@vendor.test")));
    let (status, page) = desk.call("GET", "/v1/access-requests", Some(&owner), None).await;
    assert_eq!(status, 200, "{page}");
    let request = page["items"][0].clone();
    assert_eq!(
        (&request["email"], &request["state"]),
        (&json!("ada@acme.test"), &json!("pending"))
    );
    let id = request["id"].as_str().unwrap();
    let path = format!("/v1/access-requests/{id}/decision");
    let (status, decided) = desk
        .call(
            "POST",
            &path,
            Some(&owner),
            Some(json!({"decision": "approve", "roles": ["adjuster"]})),
        )
        .await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["state"], "approved");
    let (status, again) = desk
        .call("POST", &path, Some(&owner), Some(json!({"decision": "reject"})))
        .await;
    assert_eq!(
        (status, &again["type"]),
        (409, &json!("urn:claimdesk:problem:already-decided"))
    );

    let token = link_token(&desk, "access_approved", "ada@acme.test").await;
    let (status, done) = set_password(&desk, &token, PASSWORD).await;
    assert_eq!(status, 200, "{done}");
    let adjuster = token_of(&desk, "ada@acme.test", PASSWORD).await;
    let ticket = file_ticket(&desk, &adjuster, ticket_body(None)).await;
    assert_eq!(ticket["company"], "ACME");
    assert_eq!(ticket["requester"]["email"], "ada@acme.test");

    // The owner sees who came in and how.
    let (status, changes) = desk.call("GET", "/v1/account-changes", Some(&owner), None).await;
    assert_eq!(status, 200, "{changes}");
    let whats: Vec<(&str, &str)> = changes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["user_email"].as_str().unwrap(), c["what"].as_str().unwrap()))
        .collect();
    for expected in [
        ("olga@acme.test", "invited"),
        ("olga@acme.test", "password"),
        ("ada@acme.test", "invited"),
        ("ada@acme.test", "state"),
    ] {
        assert!(whats.contains(&expected), "{expected:?} in {whats:?}");
    }
}

/// Roles and state: managers manage their own company only; nobody raises their own
/// roles; the last Owner stays; a deactivated user is out at once (locally: their access
/// token too; on AWS: sign-in and refresh, the ID token holding until it expires).
async fn account_managers_manage_their_own_company_by_the_rules(desk: Desk) {
    let admin = admin_and_acme(&desk).await;
    let (owner, owner_user) = invited(
        &desk,
        &admin,
        json!({"email": "olga@acme.test", "name": "Olga Owner", "roles": ["owner"], "company": "ACME"}),
    )
    .await;
    let (hr, _) = invited(
        &desk,
        &owner,
        json!({"email": "hank@acme.test", "name": "Hank Hr", "roles": ["human_resources"]}),
    )
    .await;
    let (beta_owner, _) = invited(
        &desk,
        &admin,
        json!({"email": "bo@beta.test", "name": "Bo Beta", "roles": ["owner"], "company": "BETA"}),
    )
    .await;
    let (status, adjuster_user) = desk
        .call(
            "POST",
            "/v1/users",
            Some(&hr),
            Some(json!({"email": "ada@acme.test", "name": "Ada Adjuster", "roles": ["adjuster"]})),
        )
        .await;
    assert_eq!(status, 201, "{adjuster_user}");
    let token = link_token(&desk, "invitation", "ada@acme.test").await;
    assert_eq!(set_password(&desk, &token, PASSWORD).await.0, 200);
    let (ada_sign_in, ada_tokens) = sign_in(&desk, "ada@acme.test", PASSWORD).await;
    assert_eq!(ada_sign_in, 200);
    let ada = ada_tokens["access_token"].as_str().unwrap().to_string();
    let ada_refresh = ada_tokens["refresh_token"].as_str().unwrap().to_string();
    let ada_id = adjuster_user["id"].as_str().unwrap().to_string();

    // The lists: by name, searchable, the company's own.
    let (status, page) = desk.call("GET", "/v1/users?search=ha", Some(&owner), None).await;
    assert_eq!(status, 200, "{page}");
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Hank Hr"]);
    let (_, page) = desk.call("GET", "/v1/users", Some(&owner), None).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 3, "{page}");
    let (status, page) = desk
        .call("GET", "/v1/users?company=ACME", Some(&beta_owner), None)
        .await;
    assert_eq!(status, 200);
    assert!(
        page["items"].as_array().unwrap().iter().all(|u| u["company"] == "BETA"),
        "a client lists only its own company: {page}"
    );
    let (status, _) = desk.call("GET", "/v1/users", Some(&ada), None).await;
    assert_eq!(status, 403, "an adjuster manages nobody");

    // Company B reads and changes nothing of company A's people.
    let ada_path = format!("/v1/users/{ada_id}");
    let (status, _) = desk.call("GET", &ada_path, Some(&beta_owner), None).await;
    assert_eq!(status, 404);
    let deactivate = json!({"state": "deactivated"});
    let (status, _) = desk
        .call("PATCH", &ada_path, Some(&beta_owner), Some(deactivate.clone()))
        .await;
    assert_eq!(status, 404);
    let (status, _) = desk
        .call("PATCH", &ada_path, Some(&ada), Some(json!({"roles": ["owner"]})))
        .await;
    assert_eq!(
        status, 403,
        "nobody raises their own roles, nor does an adjuster manage"
    );

    // HR may not make Owners nor raise their own roles; the last Owner stays.
    let (status, problem) = desk
        .call("PATCH", &ada_path, Some(&hr), Some(json!({"roles": ["owner"]})))
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("roles")), "{problem}");
    let me_path = format!("/v1/users/{}", owner_user["id"].as_str().unwrap());
    let (status, problem) = desk.call("PATCH", &me_path, Some(&hr), Some(deactivate.clone())).await;
    assert_eq!(
        (status, &problem["type"]),
        (409, &json!("urn:claimdesk:problem:last-owner")),
        "{problem}"
    );
    let (status, problem) = desk
        .call(
            "PATCH",
            &me_path,
            Some(&owner),
            Some(json!({"roles": ["owner", "administrator"]})),
        )
        .await;
    assert_eq!(
        (status, &problem["type"]),
        (403, &json!("urn:claimdesk:problem:own-account")),
        "{problem}"
    );

    // A role change reaches the sign-in side: Ada signs in again as a team lead.
    let (status, changed) = desk
        .call(
            "PATCH",
            &ada_path,
            Some(&hr),
            Some(json!({"roles": ["adjuster", "team_lead"]})),
        )
        .await;
    assert_eq!(
        (status, &changed["roles"]),
        (200, &json!(["adjuster", "team_lead"])),
        "{changed}"
    );
    let (_, tokens) = sign_in(&desk, "ada@acme.test", PASSWORD).await;
    let fresh = tokens["access_token"].as_str().unwrap().to_string();
    let (_, me) = desk.call("GET", "/v1/me", Some(&fresh), None).await;
    let mut roles: Vec<&str> = me["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    roles.sort();
    assert_eq!(roles, ["adjuster", "team_lead"], "{me}");

    // Deactivated: no sign-in, no refresh; locally the access token ends at once too.
    let (status, gone) = desk.call("PATCH", &ada_path, Some(&hr), Some(deactivate)).await;
    assert_eq!((status, &gone["state"]), (200, &json!("deactivated")), "{gone}");
    assert_eq!(sign_in(&desk, "ada@acme.test", PASSWORD).await.0, 401);
    let (status, _) = desk
        .call(
            "POST",
            "/v1/sessions/refresh",
            None,
            Some(json!({"refresh_token": ada_refresh})),
        )
        .await;
    assert_eq!(status, 401, "the sessions ended");
    if !desk.is_aws() {
        let (status, _) = desk.call("GET", "/v1/me", Some(&fresh), None).await;
        assert_eq!(status, 401, "locally the access token ends at once");
    }
    let (status, back) = desk
        .call("PATCH", &ada_path, Some(&owner), Some(json!({"state": "active"})))
        .await;
    assert_eq!((status, &back["state"]), (200, &json!("active")), "{back}");
    let ada = token_of(&desk, "ada@acme.test", PASSWORD).await;

    // Every change is kept: who, whom, when, from, to.
    let (status, changes) = desk.call("GET", "/v1/account-changes", Some(&hr), None).await;
    assert_eq!(status, 200, "{changes}");
    let roles = changes["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["what"] == "roles")
        .expect("the role change");
    assert_eq!(
        (&roles["by"], &roles["user_email"], &roles["from"], &roles["to"]),
        (
            &json!("hank@acme.test"),
            &json!("ada@acme.test"),
            &json!("adjuster"),
            &json!("adjuster, team_lead")
        )
    );
    let (status, _) = desk.call("GET", "/v1/account-changes", Some(&ada), None).await;
    assert_eq!(status, 403);
}

/// A reset link for a known email, nothing for an unknown one, the same answer for both;
/// the new password ends the old sessions; the forms pause a flood.
async fn password_resets_and_the_public_forms_say_nothing_of_who_exists(desk: Desk) {
    let admin = admin_and_acme(&desk).await;
    let (_, _) = invited(
        &desk,
        &admin,
        json!({"email": "olga@acme.test", "name": "Olga Owner", "roles": ["owner"], "company": "ACME"}),
    )
    .await;
    let (_, tokens) = sign_in(&desk, "olga@acme.test", PASSWORD).await;
    let old_refresh = tokens["refresh_token"].as_str().unwrap().to_string();

    let (status, known) = desk
        .call(
            "POST",
            "/v1/password-resets",
            None,
            Some(json!({"email": "Olga@Acme.test"})),
        )
        .await;
    assert_eq!(status, 202, "{known}");
    let (status, unknown) = desk
        .call(
            "POST",
            "/v1/password-resets",
            None,
            Some(json!({"email": "nobody@acme.test"})),
        )
        .await;
    assert_eq!((status, &unknown), (202, &known), "the same answer");
    let token = link_token(&desk, "password_reset", "olga@acme.test").await;
    assert!(desk
        .mails_of("password_reset")
        .await
        .iter()
        .all(|m| !m.to.contains("nobody@")));
    let (status, done) = set_password(&desk, &token, "Brand-New-Horse-9").await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(
        sign_in(&desk, "olga@acme.test", PASSWORD).await.0,
        401,
        "the old password is gone"
    );
    assert_eq!(sign_in(&desk, "olga@acme.test", "Brand-New-Horse-9").await.0, 200);
    let (status, _) = desk
        .call(
            "POST",
            "/v1/sessions/refresh",
            None,
            Some(json!({"refresh_token": old_refresh})),
        )
        .await;
    assert_eq!(status, 401, "a new password ends the old sessions");

    // An access request for an email that has an account: same answer, and a mail to it.
    let form = |email: &str| json!({"name": "Olga", "email": email, "company": "ACME", "need": "access"});
    let (status, first) = desk
        .call("POST", "/v1/access-requests", None, Some(form("olga@acme.test")))
        .await;
    let (status2, second) = desk
        .call("POST", "/v1/access-requests", None, Some(form("new@acme.test")))
        .await;
    assert_eq!((status, status2, &first), (202, 202, &second));
    desk.deliver_now().await;
    assert_eq!(desk.mails_of("account_exists").await.len(), 1);
    let (_, pending) = desk.call("GET", "/v1/access-requests", Some(&admin), None).await;
    let pending = pending["items"].as_array().unwrap().clone();
    assert_eq!(pending.len(), 1, "only the new address asked: {pending:?}");
    let id = pending[0]["id"].as_str().unwrap().to_string();

    // Undecided, a request lapses after 14 days: off the lists, and nothing to decide.
    desk.advance_seconds(15 * 24 * 3600).await;
    let (_, lapsed) = desk.call("GET", "/v1/access-requests", Some(&admin), None).await;
    assert_eq!(lapsed["items"], json!([]), "{lapsed}");
    let (status, _) = desk
        .call(
            "POST",
            &format!("/v1/access-requests/{id}/decision"),
            Some(&admin),
            Some(json!({"decision": "reject"})),
        )
        .await;
    assert_eq!(status, 404);

    // One email is mailed a few times at most, then the form pauses.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let (status, _) = desk
            .call(
                "POST",
                "/v1/password-resets",
                None,
                Some(json!({"email": "victim@acme.test"})),
            )
            .await;
        statuses.push(status);
    }
    assert_eq!(statuses, [202, 202, 202, 429], "{statuses:?}");
}

/// Staff list companies; the staff admin renames one, sets its first level and deactivates
/// it: its people are out (sign-in, refresh), it files no tickets and takes no invitations;
/// reactivated, exactly those people are back.
async fn the_staff_admin_manages_companies_and_a_deactivated_one_lets_nobody_in(desk: Desk) {
    let admin = admin_and_acme(&desk).await;
    let (owner, owner_user) = invited(
        &desk,
        &admin,
        json!({"email": "olga@acme.test", "name": "Olga Owner", "roles": ["owner"], "company": "ACME"}),
    )
    .await;
    let (_, tokens) = sign_in(&desk, "olga@acme.test", PASSWORD).await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    // Someone already deactivated stays so when the company comes back.
    let (_, gone) = desk
        .call(
            "POST",
            "/v1/users",
            Some(&owner),
            Some(json!({"email": "gus@acme.test", "name": "Gus Gone", "roles": ["adjuster"]})),
        )
        .await;
    let gus = format!("/v1/users/{}", gone["id"].as_str().unwrap());
    let (status, _) = desk
        .call("PATCH", &gus, Some(&owner), Some(json!({"state": "deactivated"})))
        .await;
    assert_eq!(status, 200);

    let (status, page) = desk.call("GET", "/v1/companies", Some(&admin), None).await;
    assert_eq!(status, 200, "{page}");
    let codes: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["ACME", "BETA"], "by name");
    let agent = desk.token(
        "agent@vendor.test",
        "VENDOR",
        claimdesk_core::domain::roles::Role::AgentL1,
    );
    let (status, _) = desk.call("GET", "/v1/companies?search=be", Some(&agent), None).await;
    assert_eq!(status, 200, "staff list companies");
    let (status, _) = desk
        .call(
            "PATCH",
            "/v1/companies/BETA",
            Some(&agent),
            Some(json!({"name": "Nope"})),
        )
        .await;
    assert_eq!(status, 403, "only the staff admin changes them");
    let (status, beta) = desk
        .call(
            "PATCH",
            "/v1/companies/BETA",
            Some(&admin),
            Some(json!({"name": "Beta Adjusting", "first_level_support_email": "desk@beta.test"})),
        )
        .await;
    assert_eq!(status, 200, "{beta}");
    assert_eq!(
        (&beta["name"], &beta["first_level_support_email"]),
        (&json!("Beta Adjusting"), &json!("desk@beta.test"))
    );
    let (_, page) = desk
        .call("GET", "/v1/companies?search=beta%20ad", Some(&admin), None)
        .await;
    assert_eq!(page["items"][0]["code"], "BETA", "{page}");

    let (status, acme) = desk
        .call(
            "PATCH",
            "/v1/companies/ACME",
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!((status, &acme["active"]), (200, &json!(false)), "{acme}");
    assert_eq!(sign_in(&desk, "olga@acme.test", PASSWORD).await.0, 401);
    let (status, _) = desk
        .call(
            "POST",
            "/v1/sessions/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    assert_eq!(status, 401);
    let script = desk.token("owner@acme.test", "ACME", claimdesk_core::domain::roles::Role::Owner);
    let (status, problem) = desk
        .call("POST", "/v1/tickets", Some(&script), Some(ticket_body(None)))
        .await;
    assert_eq!(status, 403, "a deactivated company files nothing: {problem}");
    let (status, _) = desk
        .call(
            "POST",
            "/v1/users",
            Some(&admin),
            Some(json!({"email": "new@acme.test", "name": "New", "roles": ["adjuster"], "company": "ACME"})),
        )
        .await;
    assert_eq!(status, 409);

    let (status, _) = desk
        .call(
            "PATCH",
            "/v1/companies/ACME",
            Some(&admin),
            Some(json!({"active": true})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        sign_in(&desk, "olga@acme.test", PASSWORD).await.0,
        200,
        "the owner is back"
    );
    let owner_path = format!("/v1/users/{}", owner_user["id"].as_str().unwrap());
    let (_, olga) = desk.call("GET", &owner_path, Some(&admin), None).await;
    assert_eq!(olga["state"], "active");
    let (_, gus) = desk.call("GET", &gus, Some(&admin), None).await;
    assert_eq!(gus["state"], "deactivated", "deactivated before, deactivated still");
    let (_, changes) = desk
        .call("GET", "/v1/account-changes?company=ACME", Some(&admin), None)
        .await;
    assert!(
        changes["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["to"] == "deactivated (with the company)"),
        "{changes}"
    );
}

/// Seed 004's profile: name, title and date format (mails use it), a new password (the
/// other sessions end, this one goes on), a new email address once the link mailed to it is
/// used (the old address is told).
async fn a_user_keeps_their_own_profile_password_and_email(desk: Desk) {
    let admin = admin_and_acme(&desk).await;
    let (owner, _) = invited(
        &desk,
        &admin,
        json!({"email": "olga@acme.test", "name": "Olga Owner", "roles": ["owner"], "company": "ACME"}),
    )
    .await;
    let (status, me) = desk
        .call(
            "PATCH",
            "/v1/me",
            Some(&owner),
            Some(json!({"name": "Olga O. Owner", "title": "Managing Director", "date_format": "us"})),
        )
        .await;
    assert_eq!(status, 200, "{me}");
    let (_, me) = desk.call("GET", "/v1/me", Some(&owner), None).await;
    assert_eq!(
        (
            &me["account"]["name"],
            &me["account"]["title"],
            &me["account"]["date_format"]
        ),
        (&json!("Olga O. Owner"), &json!("Managing Director"), &json!("us")),
        "{me}"
    );
    let (status, problem) = desk
        .call(
            "PATCH",
            "/v1/me",
            Some(&owner),
            Some(json!({"name": "Olga\r\nBcc: x@evil.test"})),
        )
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("name")), "{problem}");
    let script = desk.token(
        "ops@vendor.test",
        "VENDOR",
        claimdesk_core::domain::roles::Role::AgentL1,
    );
    let (status, _) = desk
        .call("PATCH", "/v1/me", Some(&script), Some(json!({"title": "x"})))
        .await;
    assert_eq!(status, 404, "a script's token has no profile");

    // Her mails show dates her way.
    let form = json!({"name": "Ada Adjuster", "email": "ada@acme.test", "company": "ACME", "need": "claims"});
    assert_eq!(desk.call("POST", "/v1/access-requests", None, Some(form)).await.0, 202);
    desk.deliver_now().await;
    let told = desk.mails_of("access_requested").await;
    assert!(told[0].text.contains("lapses on 11/16/2026"), "{}", told[0].text);

    // A new password: the wrong current one is refused by field; the other sessions end.
    let (_, other) = sign_in(&desk, "olga@acme.test", PASSWORD).await;
    let other_refresh = other["refresh_token"].as_str().unwrap().to_string();
    let change = |current: &str| json!({"current_password": current, "new_password": "Second-Horse-8"});
    let (status, problem) = desk
        .call("POST", "/v1/me/password", Some(&owner), Some(change("Wrong-Horse-1")))
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("current_password")),
        "{problem}"
    );
    let (status, tokens) = desk
        .call("POST", "/v1/me/password", Some(&owner), Some(change(PASSWORD)))
        .await;
    assert_eq!(status, 200, "{tokens}");
    let fresh = tokens["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        desk.call("GET", "/v1/me", Some(&fresh), None).await.0,
        200,
        "this session goes on"
    );
    let (status, _) = desk
        .call(
            "POST",
            "/v1/sessions/refresh",
            None,
            Some(json!({"refresh_token": other_refresh})),
        )
        .await;
    assert_eq!(status, 401, "the other session ended");
    if !desk.is_aws() {
        assert_eq!(
            desk.call("GET", "/v1/me", Some(&owner), None).await.0,
            401,
            "and its access token"
        );
    }
    assert_eq!(sign_in(&desk, "olga@acme.test", PASSWORD).await.0, 401);

    // A new email address: taken ones are refused; the change waits for the new address.
    let (status, _) = desk
        .call(
            "POST",
            "/v1/me/email",
            Some(&fresh),
            Some(json!({"email": "root@vendor.test"})),
        )
        .await;
    assert_eq!(status, 409);
    let (status, body) = desk
        .call(
            "POST",
            "/v1/me/email",
            Some(&fresh),
            Some(json!({"email": "olga.owner@acme.test"})),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    desk.deliver_now().await;
    assert!(desk
        .mails_of("email_change_notice")
        .await
        .iter()
        .any(|m| m.to.contains("olga@acme.test")));
    assert_eq!(
        sign_in(&desk, "olga@acme.test", "Second-Horse-8").await.0,
        200,
        "nothing changed yet"
    );
    let mail = desk.mails_of("email_confirm").await.pop().expect("the confirmation");
    assert!(mail.to.contains("olga.owner@acme.test"));
    let start = mail.text.find("#token=").unwrap() + "#token=".len();
    let token: String = mail.text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    let (status, moved) = desk
        .call("POST", "/v1/email-confirmations", None, Some(json!({"token": token})))
        .await;
    assert_eq!(
        (status, &moved["email"]),
        (200, &json!("olga.owner@acme.test")),
        "{moved}"
    );
    let (status, again) = desk
        .call("POST", "/v1/email-confirmations", None, Some(json!({"token": token})))
        .await;
    assert_eq!(
        (status, again["field"].as_str()),
        (422, Some("token")),
        "a link works once"
    );
    assert_eq!(sign_in(&desk, "olga@acme.test", "Second-Horse-8").await.0, 401);
    let moved_token = token_of(&desk, "olga.owner@acme.test", "Second-Horse-8").await;
    let (_, me) = desk.call("GET", "/v1/me", Some(&moved_token), None).await;
    assert_eq!(me["email"], "olga.owner@acme.test", "{me}");
}

on_both_engines!(
    a_user_keeps_their_own_profile_password_and_email,
    the_staff_admin_manages_companies_and_a_deactivated_one_lets_nobody_in,
    from_the_first_admin_to_an_adjusters_ticket,
    account_managers_manage_their_own_company_by_the_rules,
    password_resets_and_the_public_forms_say_nothing_of_who_exists,
);
