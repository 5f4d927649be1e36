//! Help resources (issue 16): the knowledge base, solutions published from resolved cases,
//! suggestions while a case is typed and one search, on both engines (on AWS the index is
//! the stream's: `Desk::index_now` hands the stream's records to `search-indexer`, and the
//! search functions fetch the version it published).

use crate::common::*;
use claimdesk_core::ports::Clock;
use serde_json::{json, Value};

async fn write_article(desk: &Desk, agent: &str, body: Value) -> Value {
    let (status, article) = desk.call("POST", "/v1/articles", Some(agent), Some(body)).await;
    assert_eq!(status, 201, "{article}");
    article
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

async fn search(desk: &Desk, token: &str, query: &str) -> Value {
    let (status, page) = desk
        .call("GET", &format!("/v1/search?{query}"), Some(token), None)
        .await;
    assert_eq!(status, 200, "{query}: {page}");
    page
}

async fn suggest(desk: &Desk, token: &str, body: Value) -> Value {
    let (status, found) = desk.call("POST", "/v1/suggestions", Some(token), Some(body)).await;
    assert_eq!(status, 200, "{found}");
    found
}

/// A case of OTHER's, resolved by the vendor's agent, with an internal note; its id.
async fn resolved_case(desk: &Desk, cast: &Cast, subject: &str, description: &str) -> String {
    let mut body = ticket_body(Some("vendor"));
    body["subject"] = json!(subject);
    body["description"] = json!(description);
    body["contact"]["email"] = json!("boss@other.test");
    let id = file_ticket(desk, &cast.other_admin, body).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(desk.act(&id, &cast.agent, "assign").await.0, 200);
    let (status, note) = desk
        .post_message(
            &id,
            &cast.agent,
            json!({ "body": "Zanzibarquux escalation note for staff", "internal": true }),
        )
        .await;
    assert_eq!(status, 201, "{note}");
    let (status, resolved) = desk.act(&id, &cast.agent, "resolve").await;
    assert_eq!(status, 200, "{resolved}");
    id
}

/// The test: a case is filed whose description matches another company's published
/// solution and an internal article. The solution is suggested; the internal article and
/// the other company's raw case are not, through any route.
async fn suggestions_show_solutions_never_internal_articles_or_other_companies_cases(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let internal = write_article(
        &desk,
        &cast.agent,
        json!({
            "title": "Remittance CARC 45 internal workaround",
            "body": "<p>Staff only: patch the remittance CARC 45 adjustment by hand.</p>",
            "category": "Billing",
            "visibility": "staff",
            "state": "published"
        }),
    )
    .await;
    let public = write_article(
        &desk,
        &cast.agent,
        json!({
            "title": "Reading a remittance advice",
            "body": "<p>Each remittance line shows the CARC code.<script>alert(1)</script></p>",
            "category": "Billing",
            "tags": ["ERA", "835"],
            "visibility": "clients",
            "state": "published"
        }),
    )
    .await;
    assert!(!public["body"].as_str().unwrap().contains("script"), "{public}");

    let case = resolved_case(
        &desk,
        &cast,
        "Remittance denied with CARC 45 on every line",
        "Our remittance shows CARC 45 charge exceeds fee schedule, Medicaid patient Zelda Quixote.",
    )
    .await;
    let (status, solution) = desk
        .call(
            "PUT",
            &format!("/v1/tickets/{case}/solution"),
            Some(&cast.agent),
            Some(json!({
                "title": "CARC 45 on a remittance: fee schedule above the allowed amount",
                "body": "Rebill at the contracted fee schedule; CARC 45 clears on the corrected remittance."
            })),
        )
        .await;
    assert_eq!(status, 200, "{solution}");
    desk.index_now().await;

    // ACME's client types a new case.
    let found = suggest(
        &desk,
        &cast.client,
        json!({ "subject": "CARC 45 remittance", "description": "Every remittance line is denied with CARC 45 fee sched" }),
    )
    .await;
    assert_eq!(ids(&found["solutions"]), vec![case.clone()], "{found}");
    let articles = ids(&found["articles"]);
    assert!(
        articles.contains(&public["id"].as_str().unwrap().to_string()),
        "{found}"
    );
    assert!(
        !articles.contains(&internal["id"].as_str().unwrap().to_string()),
        "{found}"
    );
    let text = found.to_string();
    assert!(
        !text.contains("Zelda") && !text.contains("Medicaid"),
        "no raw case: {text}"
    );

    // Search: the solution, not OTHER's case; the staff article only for staff.
    let hits = search(&desk, &cast.client, "q=CARC%2045%20remittance").await;
    let kinds: Vec<&str> = hits["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"solution") && kinds.contains(&"article"), "{hits}");
    assert!(!kinds.contains(&"ticket"), "{hits}");
    assert!(!hits.to_string().contains("Zelda"), "{hits}");
    assert!(!ids(&hits["hits"]).contains(&internal["id"].as_str().unwrap().to_string()));

    // OTHER's own user finds their case; the agent finds it with its note; nobody else the note.
    let own = search(&desk, &cast.other_user, "q=Zelda&kind=ticket").await;
    assert_eq!(ids(&own["hits"]), vec![case.clone()], "{own}");
    assert!(
        own["hits"][0]["number"].as_str().unwrap().starts_with("OTHER-"),
        "{own}"
    );
    let note = search(&desk, &cast.agent, "q=zanzibarquux").await;
    assert_eq!(ids(&note["hits"]), vec![case.clone()], "{note}");
    assert!(ids(&search(&desk, &cast.other_user, "q=zanzibarquux").await["hits"]).is_empty());
    let staff = search(&desk, &cast.agent, "q=CARC&kind=article").await;
    assert_eq!(ids(&staff["hits"]).len(), 2, "{staff}");

    // The internal article by every other route: 404 to read, absent from the list.
    let internal_id = internal["id"].as_str().unwrap();
    let (status, _) = desk
        .call("GET", &format!("/v1/articles/{internal_id}"), Some(&cast.client), None)
        .await;
    assert_eq!(status, 404);
    let (status, list) = desk.call("GET", "/v1/articles", Some(&cast.client), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        ids(&list["items"]),
        [public["id"].as_str().unwrap().to_string()],
        "{list}"
    );
    let (status, _) = desk
        .call(
            "POST",
            &format!("/v1/articles/{internal_id}/votes"),
            Some(&cast.client),
            Some(json!({"helpful": true})),
        )
        .await;
    assert_eq!(status, 404);
    // The solution reads for anyone; the case behind it stays OTHER's.
    let (status, read) = desk
        .call("GET", &format!("/v1/solutions/{case}"), Some(&cast.client), None)
        .await;
    assert_eq!(status, 200, "{read}");
    assert!(!read.to_string().contains("Zelda"));
    let (status, _) = desk
        .call("GET", &format!("/v1/tickets/{case}"), Some(&cast.client), None)
        .await;
    assert_eq!(status, 404);
}

/// Articles through their life: a draft only staff see, published, voted on (one vote
/// each, changeable), archived out of the clients' list; an edit shows in search.
async fn articles_are_written_published_voted_and_archived(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let draft = write_article(
        &desk,
        &cast.agent,
        json!({ "title": "Setting up two-factor sign-in", "body": "<p>Open your profile.</p>", "category": "Accounts" }),
    )
    .await;
    assert_eq!(draft["state"], "draft");
    let id = draft["id"].as_str().unwrap().to_string();
    let (status, _) = desk
        .call("GET", &format!("/v1/articles/{id}"), Some(&cast.client), None)
        .await;
    assert_eq!(status, 404, "a draft is staff's");
    let (status, drafts) = desk
        .call("GET", "/v1/articles?state=draft", Some(&cast.agent), None)
        .await;
    assert_eq!((status, ids(&drafts["items"])), (200, vec![id.clone()]));
    let (status, refused) = desk
        .call("GET", "/v1/articles?state=draft", Some(&cast.client), None)
        .await;
    assert_eq!(status, 403, "{refused}");
    let (status, published) = desk
        .call(
            "PATCH",
            &format!("/v1/articles/{id}"),
            Some(&cast.agent),
            Some(json!({ "state": "published", "body": "<p>Open your profile, then <b>Security</b>.</p>" })),
        )
        .await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["updated_by"], "agent@vendor.test");
    let (status, list) = desk
        .call("GET", "/v1/articles?category=accounts", Some(&cast.client), None)
        .await;
    assert_eq!((status, ids(&list["items"])), (200, vec![id.clone()]), "{list}");
    assert!(list["items"][0].get("body").is_none(), "lists carry no bodies");

    let vote = |token: String, helpful: bool| {
        let desk = &desk;
        let id = id.clone();
        async move {
            let (status, article) = desk
                .call(
                    "POST",
                    &format!("/v1/articles/{id}/votes"),
                    Some(&token),
                    Some(json!({ "helpful": helpful })),
                )
                .await;
            assert_eq!(status, 200, "{article}");
            (
                article["helpful"].as_u64().unwrap(),
                article["not_helpful"].as_u64().unwrap(),
            )
        }
    };
    assert_eq!(vote(cast.client.clone(), true).await, (1, 0));
    assert_eq!(vote(cast.client.clone(), true).await, (1, 0), "one vote each");
    assert_eq!(vote(cast.other_user.clone(), true).await, (2, 0));
    assert_eq!(
        vote(cast.client.clone(), false).await,
        (1, 1),
        "a changed mind moves the vote"
    );

    desk.index_now().await;
    let found = search(&desk, &cast.client, "q=security&kind=article").await;
    assert_eq!(ids(&found["hits"]), vec![id.clone()], "{found}");
    // Misspelt, it is found all the same (its nearest indexed neighbour one edit away).
    let found = search(&desk, &cast.client, "q=secruity&kind=article").await;
    assert_eq!(ids(&found["hits"]), vec![id.clone()], "{found}");

    let (status, archived) = desk
        .call(
            "PATCH",
            &format!("/v1/articles/{id}"),
            Some(&cast.agent),
            Some(json!({ "state": "archived" })),
        )
        .await;
    assert_eq!(status, 200, "{archived}");
    let (_, list) = desk.call("GET", "/v1/articles", Some(&cast.client), None).await;
    assert!(ids(&list["items"]).is_empty(), "{list}");
    desk.index_now().await;
    assert!(ids(&search(&desk, &cast.client, "q=security").await["hits"]).is_empty());
    // Clients write nothing.
    let (status, _) = desk
        .call(
            "POST",
            "/v1/articles",
            Some(&cast.admin),
            Some(json!({ "title": "x", "body": "y", "category": "z" })),
        )
        .await;
    assert_eq!(status, 403);
}

/// Search pages, filters and the limits on what is typed.
async fn search_pages_filters_and_refuses_what_it_cannot_read(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    for n in 0..5 {
        let mut body = ticket_body(Some("vendor"));
        body["subject"] = json!(format!("Eligibility response {n} missing"));
        file_ticket(&desk, &cast.admin, body).await;
    }
    desk.index_now().await;
    let first = search(&desk, &cast.client, "q=eligibility&limit=2").await;
    assert_eq!(first["hits"].as_array().unwrap().len(), 2);
    let cursor = first["next"].as_str().unwrap().to_string();
    let second = search(&desk, &cast.client, &format!("q=eligibility&limit=2&cursor={cursor}")).await;
    let third = search(
        &desk,
        &cast.client,
        &format!("q=eligibility&limit=2&cursor={}", second["next"].as_str().unwrap()),
    )
    .await;
    assert_eq!(third["hits"].as_array().unwrap().len(), 1);
    assert!(third.get("next").is_none(), "{third}");
    let mut all: Vec<String> = [&first, &second, &third].iter().flat_map(|p| ids(&p["hits"])).collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 5, "pages do not repeat");
    // Filters: the status, and a date range that holds none.
    assert_eq!(
        search(&desk, &cast.client, "q=eligibility&state=new").await["hits"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    assert!(search(&desk, &cast.client, "q=eligibility&state=closed").await["hits"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(
        search(&desk, &cast.client, "q=eligibility&from=2030-01-01").await["hits"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        search(&desk, &cast.client, "q=eligibility&to=2030-01-01&limit=50").await["hits"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    // The other company sees none of it.
    assert!(search(&desk, &cast.other_user, "q=eligibility").await["hits"]
        .as_array()
        .unwrap()
        .is_empty());
    // Spanish words find Spanish text through their stems.
    let mut body = ticket_body(Some("vendor"));
    body["subject"] = json!("La impresora no imprime las facturas");
    body["description"] = json!("Desde ayer la impresión de facturas falla en la clínica.");
    file_ticket(&desk, &cast.admin, body).await;
    desk.index_now().await;
    assert_eq!(
        search(&desk, &cast.client, "q=impresoras%20factura").await["hits"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    for (query, field) in [
        ("q=", "q"),
        ("kind=nothing&q=x", "kind"),
        ("q=x&limit=500", "limit"),
        ("q=x&cursor=garbage", "cursor"),
        ("q=x&from=yesterday", "from"),
    ] {
        let (status, problem) = desk
            .call("GET", &format!("/v1/search?{query}"), Some(&cast.client), None)
            .await;
        assert_eq!(status, 422, "{query}: {problem}");
        assert!(problem.to_string().contains(field), "{query}: {problem}");
    }
}

/// An article's files (manuals, forms): staff upload them as a ticket's, readers of the
/// article download them, nobody else learns of them, and staff take them off again.
async fn article_files_follow_their_article_and_are_removed_with_their_bytes(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let public = write_article(
        &desk,
        &cast.agent,
        json!({ "title": "Claim form guide", "body": "<p>Fill in the form.</p>", "category": "Forms", "state": "published" }),
    )
    .await;
    let internal = write_article(
        &desk,
        &cast.agent,
        json!({ "title": "Adjuster rate sheet", "body": "<p>Staff rates.</p>", "category": "Forms", "state": "published", "visibility": "staff" }),
    )
    .await;
    let (public_id, internal_id) = (public["id"].as_str().unwrap(), internal["id"].as_str().unwrap());
    let grant_for = |article: &str, token: &str, size: usize| {
        let (desk, path, token) = (&desk, format!("/v1/articles/{article}/attachments"), token.to_string());
        async move {
            desk.call(
                "POST",
                &path,
                Some(&token),
                Some(json!({ "filename": "../Claim form.pdf", "content_type": "application/pdf", "size": size })),
            )
            .await
        }
    };
    let form = b"%PDF-1.7 claim form".to_vec();

    // Only staff add files; a client does not learn the internal article exists.
    assert_eq!(grant_for(public_id, &cast.client, form.len()).await.0, 403);
    assert_eq!(grant_for(internal_id, &cast.client, form.len()).await.0, 404);
    let (status, problem) = grant_for(public_id, &cast.agent, 20 * 1024 * 1024 + 1).await;
    assert_eq!(status, 413, "{problem}");
    assert!(
        problem.to_string().contains("an article holds at most 20 MB"),
        "{problem}"
    );

    let (status, grant) = grant_for(public_id, &cast.agent, form.len()).await;
    assert_eq!(status, 201, "{grant}");
    assert_eq!(grant["file"]["state"], "pending");
    assert_eq!(grant["file"]["filename"], "Claim form.pdf", "the path is not kept");
    let file_id = grant["file"]["id"].as_str().unwrap().to_string();
    let file_path = format!("/v1/articles/{public_id}/attachments/{file_id}");
    let (status, pending) = desk.download(&file_path, &cast.client).await;
    assert_eq!(status, 409, "{}", String::from_utf8_lossy(&pending));
    let (_, article) = desk
        .call("GET", &format!("/v1/articles/{public_id}"), Some(&cast.client), None)
        .await;
    assert_eq!(article["files"], json!([]), "a pending file is not listed");

    assert!(desk.upload(&grant, form.clone()).await, "the file arrived");
    let (status, article) = desk
        .call("GET", &format!("/v1/articles/{public_id}"), Some(&cast.client), None)
        .await;
    assert_eq!(status, 200, "{article}");
    assert_eq!(article["files"].as_array().unwrap().len(), 1, "{article}");
    assert_eq!(article["files"][0]["id"], file_id.as_str());
    assert_eq!(article["files"][0]["size"], form.len());
    assert_eq!(article["files"][0]["state"], "stored");
    let (_, list) = desk
        .call("GET", "/v1/articles?category=forms", Some(&cast.client), None)
        .await;
    assert!(list["items"][0].get("files").is_none(), "lists carry no files: {list}");
    for reader in [&cast.client, &cast.other_user, &cast.agent] {
        assert_eq!(desk.download(&file_path, reader).await, (200, form.clone()));
    }

    // The internal article's file: staff only, a 404 for everyone else.
    let (status, grant) = grant_for(internal_id, &cast.agent, 5).await;
    assert_eq!(status, 201, "{grant}");
    assert!(desk.upload(&grant, b"rates".to_vec()).await);
    let internal_file = format!(
        "/v1/articles/{internal_id}/attachments/{}",
        grant["file"]["id"].as_str().unwrap()
    );
    assert_eq!(
        desk.download(&internal_file, &cast.agent).await,
        (200, b"rates".to_vec())
    );
    for outsider in [&cast.client, &cast.admin, &cast.other_user] {
        assert_eq!(desk.download(&internal_file, outsider).await.0, 404);
    }
    // A file is found only under its own article.
    let crossed = format!(
        "/v1/articles/{public_id}/attachments/{}",
        grant["file"]["id"].as_str().unwrap()
    );
    assert_eq!(desk.download(&crossed, &cast.client).await.0, 404);

    // Taken off: no longer listed, no longer downloadable, its bytes gone (on AWS the link
    // handed out before the removal finds nothing).
    let before = desk.send("GET", &file_path, Some(&cast.client), Vec::new(), None).await;
    let link = before.header("location").map(str::to_string);
    if let Some(link) = &link {
        assert_eq!(reqwest::get(link).await.unwrap().status().as_u16(), 200);
    }
    let (status, _) = desk.call("DELETE", &file_path, Some(&cast.client), None).await;
    assert_eq!(status, 403);
    let (status, article) = desk.call("DELETE", &file_path, Some(&cast.agent), None).await;
    assert_eq!(status, 200, "{article}");
    assert_eq!(article["files"], json!([]));
    assert_eq!(desk.download(&file_path, &cast.client).await.0, 404);
    assert_eq!(desk.call("DELETE", &file_path, Some(&cast.agent), None).await.0, 404);
    if let Some(link) = link {
        // S3 answers a link to a deleted object 404, or 403 when the signer may not list
        // the bucket (the emulator says the signature no longer matches).
        let status = reqwest::get(&link).await.unwrap().status().as_u16();
        assert!(matches!(status, 403 | 404), "the bytes were deleted: {status}");
    }
}

/// Following (seed 002: the bell rings for the cases one files, follows or collaborates
/// on): a customer who files for someone else follows at once; whoever may read a case may
/// follow it and stop; followers hear of replies and status changes but their own.
async fn followers_hear_of_replies_and_status_changes_until_they_stop(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let mut body = ticket_body(Some("vendor"));
    body["contact"]["email"] = json!("adjuster@acme.test");
    let filed = file_ticket(&desk, &cast.admin, body).await;
    assert_eq!(filed["following"], true, "the owner filed it for the adjuster: {filed}");
    assert!(filed.get("followers").is_none(), "nobody's address is shown: {filed}");
    let id = filed["id"].as_str().unwrap().to_string();
    let path = format!("/v1/tickets/{id}/following");
    let following = |token: String| {
        let (desk, id) = (&desk, id.clone());
        async move {
            let (status, view) = desk.call("GET", &format!("/v1/tickets/{id}"), Some(&token), None).await;
            assert_eq!(status, 200, "{view}");
            assert!(view.get("followers").is_none(), "{view}");
            view["following"].as_bool().unwrap()
        }
    };
    let kinds = |token: String| {
        let desk = &desk;
        async move {
            desk.deliver_now().await;
            let (status, page) = desk.call("GET", "/v1/notifications", Some(&token), None).await;
            assert_eq!(status, 200, "{page}");
            let kinds: Vec<String> = page["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["seen_at"].is_null())
                .map(|n| n["kind"].as_str().unwrap().to_string())
                .collect();
            let (status, _) = desk
                .call("POST", "/v1/notifications/seen-all", Some(&token), None)
                .await;
            assert_eq!(status, 200);
            kinds
        }
    };
    assert!(
        !following(cast.client.clone()).await,
        "the contact hears of it as the contact"
    );
    let followed = |token: String| {
        let desk = &desk;
        async move {
            let (status, page) = desk.call("GET", "/v1/tickets?view=following", Some(&token), None).await;
            assert_eq!(status, 200, "{page}");
            ids(&page["items"])
        }
    };
    assert_eq!(
        followed(cast.admin.clone()).await,
        vec![id.clone()],
        "the list of cases one follows"
    );
    assert!(followed(cast.client.clone()).await.is_empty());
    // The agent follows (support side); following twice changes nothing.
    for _ in 0..2 {
        let (status, answer) = desk.call("PUT", &path, Some(&cast.agent), None).await;
        assert_eq!((status, answer["following"].as_bool()), (200, Some(true)), "{answer}");
    }
    assert!(following(cast.agent.clone()).await);
    assert_eq!(followed(cast.agent.clone()).await, vec![id.clone()]);
    // Someone who may not read the case cannot follow it.
    assert_eq!(desk.call("PUT", &path, Some(&cast.other_user), None).await.0, 404);
    assert_eq!(
        desk.call(
            "PUT",
            "/v1/tickets/t_0000000000000000000000/following",
            Some(&cast.agent),
            None
        )
        .await
        .0,
        404
    );

    // A customer's reply reaches the desk and every follower but its author.
    assert_eq!(desk.say(&id, &cast.client, "Any news?").await.0, 201);
    assert_eq!(kinds(cast.agent.clone()).await, ["reply"]);
    assert_eq!(kinds(cast.admin.clone()).await, ["reply"]);
    assert!(kinds(cast.client.clone()).await.is_empty(), "not their own");
    // The agent, who follows but does not have the case, answers that mail from their
    // inbox: it is taken as support's reply (and reaches the contact and the owner).
    let mail = desk
        .mails()
        .await
        .into_iter()
        .rev()
        .find(|m| m.kind == "reply" && m.to == "agent@vendor.test")
        .expect("the follower was mailed");
    let raw = format!(
        "From: Agent <agent@vendor.test>\r\nTo: {}\r\nSubject: Re: {}\r\nMessage-ID: <follower-{}@vendor.test>\r\n\r\nWe are looking into it.\r\n",
        mail.reply_to,
        mail.subject,
        rand::random::<u64>()
    );
    assert_eq!(desk.receive_mail(raw.as_bytes()).await["outcome"], "added");
    let (_, view) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.agent), None)
        .await;
    let answered = view["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["body"] == "We are looking into it.")
        .cloned()
        .expect("the mailed answer is on the case");
    assert_eq!(answered["side"], "support", "{answered}");
    assert_eq!(kinds(cast.client.clone()).await, ["reply"]);
    assert_eq!(kinds(cast.admin.clone()).await, ["reply"]);

    // The agent's reply and status change: the contact and the owner hear of both; the
    // agent, who follows, not of their own doing.
    assert_eq!(desk.act(&id, &cast.agent, "assign").await.0, 200);
    assert_eq!(desk.say(&id, &cast.agent, "Send the EOB, please.").await.0, 201);
    assert_eq!(desk.act(&id, &cast.agent, "wait_for_customer").await.0, 200);
    let mut owner = kinds(cast.admin.clone()).await;
    owner.sort();
    assert_eq!(
        owner,
        ["reply", "status_changed", "status_changed"],
        "assigned, then waiting"
    );
    assert!(kinds(cast.agent.clone()).await.is_empty());

    // The owner stops: the next change reaches the contact only.
    let (status, answer) = desk.call("DELETE", &path, Some(&cast.admin), None).await;
    assert_eq!((status, answer["following"].as_bool()), (200, Some(false)), "{answer}");
    assert!(!following(cast.admin.clone()).await);
    assert!(
        followed(cast.admin.clone()).await.is_empty(),
        "gone from the list at once"
    );
    assert_eq!(desk.say(&id, &cast.agent, "Still waiting for the EOB.").await.0, 201);
    assert!(kinds(cast.admin.clone()).await.is_empty());
    assert!(kinds(cast.client.clone()).await.contains(&"reply".to_string()));
    // Unfollowing twice changes nothing either.
    assert_eq!(desk.call("DELETE", &path, Some(&cast.admin), None).await.0, 200);
}

on_both_engines!(
    suggestions_show_solutions_never_internal_articles_or_other_companies_cases,
    articles_are_written_published_voted_and_archived,
    search_pages_filters_and_refuses_what_it_cannot_read,
    announcements_reach_their_audience_while_they_run_and_can_be_dismissed,
    notifications_ring_for_replies_and_status_changes_and_are_seen,
    article_files_follow_their_article_and_are_removed_with_their_bytes,
    followers_hear_of_replies_and_status_changes_until_they_stop,
);

/// The same data gives the same results on both engines: one walk on each, then the same
/// searches and suggestions compared hit for hit (by title, since ids are each desk's own).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_engines_find_the_same_things_in_the_same_order() {
    let local = Desk::local().await;
    let aws = Desk::aws().await;
    let mut answers: Vec<Vec<Value>> = Vec::new();
    for desk in [&local, &aws] {
        let cast = company_with_cast(desk).await;
        for (title, body, visibility) in [
            (
                "Claim rejected for a missing modifier",
                "Add modifier 25 and rebill the claim.",
                "clients",
            ),
            (
                "Claim rejected: duplicate claim",
                "A duplicate claim is rejected; check the original first.",
                "clients",
            ),
            (
                "Rejected claims queue for staff",
                "Staff sweep rejected claims each morning.",
                "staff",
            ),
            (
                "Printing remittance advice",
                "Print the remittance from the ERA screen.",
                "clients",
            ),
        ] {
            write_article(
                desk,
                &cast.agent,
                json!({ "title": title, "body": body, "category": "Claims", "visibility": visibility, "state": "published" }),
            )
            .await;
        }
        let case = resolved_case(
            desk,
            &cast,
            "Rejected claim with modifier 59",
            "Claims with modifier 59 are rejected.",
        )
        .await;
        let (status, _) = desk
            .call(
                "PUT",
                &format!("/v1/tickets/{case}/solution"),
                Some(&cast.agent),
                Some(json!({ "title": "Modifier 59 rejections", "body": "Use XS instead of modifier 59 on the rejected claim." })),
            )
            .await;
        assert_eq!(status, 200);
        desk.index_now().await;
        let mut seen = Vec::new();
        for (token, query) in [
            (&cast.client, "q=rejected%20claim"),
            (&cast.agent, "q=rejected%20claim"),
            (&cast.other_user, "q=modifier"),
            (&cast.client, "q=remit"),
        ] {
            let page = search(desk, token, query).await;
            seen.push(json!(page["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["title"].clone())
                .collect::<Vec<_>>()));
        }
        let found = suggest(
            desk,
            &cast.client,
            json!({ "subject": "claim rejected", "description": "modifier rej" }),
        )
        .await;
        for list in ["articles", "solutions"] {
            seen.push(json!(found[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["title"].clone())
                .collect::<Vec<_>>()));
        }
        answers.push(seen);
    }
    assert_eq!(answers[0], answers[1]);
    assert!(answers[0]
        .iter()
        .all(|a| !a.as_array().unwrap().is_empty() || a == &json!([])));
    assert!(!answers[0][0].as_array().unwrap().is_empty(), "{:?}", answers[0]);
}

/// Announcements: staff post for everyone, one company and staff; each reader sees what is
/// meant for them while it runs, and puts away what may be put away.
async fn announcements_reach_their_audience_while_they_run_and_can_be_dismissed(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let now = desk.clock.now();
    let post = |body: Value| {
        let desk = &desk;
        let agent = cast.agent.clone();
        async move {
            let (status, posted) = desk.call("POST", "/v1/announcements", Some(&agent), Some(body)).await;
            assert_eq!(status, 201, "{posted}");
            posted["id"].as_str().unwrap().to_string()
        }
    };
    let hour = |h: i64| json!((now + chrono::Duration::hours(h)).to_rfc3339());
    let everyone =
        post(json!({"title": "Maintenance tonight", "body": "Down 22:00–23:00.", "ends_at": hour(24)})).await;
    let outage = post(json!({"title": "Claims export delayed", "body": "Exports run late.", "ends_at": hour(24), "dismissible": false})).await;
    let acme = post(json!({"title": "ACME: new fee schedule", "body": "From Monday.", "audience": "company", "company": "ACME", "ends_at": hour(24)})).await;
    let staff = post(
        json!({"title": "Staff: on-call rota", "body": "See the wiki.", "audience": "staff", "ends_at": hour(24)}),
    )
    .await;
    let later =
        post(json!({"title": "Next week", "body": "Upgrade.", "starts_at": hour(48), "ends_at": hour(72)})).await;

    let current = |token: String| {
        let desk = &desk;
        async move {
            let (status, page) = desk.call("GET", "/v1/announcements", Some(&token), None).await;
            assert_eq!(status, 200, "{page}");
            let mut ids = ids(&page["items"]);
            ids.sort();
            ids
        }
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(
        current(cast.client.clone()).await,
        sorted(vec![everyone.clone(), outage.clone(), acme.clone()])
    );
    assert_eq!(
        current(cast.other_user.clone()).await,
        sorted(vec![everyone.clone(), outage.clone()])
    );
    assert_eq!(
        current(cast.agent.clone()).await,
        sorted(vec![everyone.clone(), outage.clone(), staff.clone()])
    );

    // Dismissed by one reader, still shown to the next; an outage notice insists.
    let dismiss = |id: String, token: String| {
        let desk = &desk;
        async move {
            desk.call("POST", &format!("/v1/announcements/{id}/dismiss"), Some(&token), None)
                .await
        }
    };
    assert_eq!(dismiss(everyone.clone(), cast.client.clone()).await.0, 200);
    assert_eq!(
        dismiss(everyone.clone(), cast.client.clone()).await.0,
        200,
        "twice is once"
    );
    assert_eq!(dismiss(outage.clone(), cast.client.clone()).await.0, 409);
    assert_eq!(
        dismiss(staff.clone(), cast.client.clone()).await.0,
        404,
        "not meant for clients"
    );
    assert_eq!(
        current(cast.client.clone()).await,
        sorted(vec![outage.clone(), acme.clone()])
    );
    assert!(current(cast.admin.clone()).await.contains(&everyone));

    // The scheduled one starts; staff end one early; staff list them all.
    desk.advance_seconds(49 * 3600).await;
    assert_eq!(current(cast.other_user.clone()).await, vec![later.clone()]);
    let (status, ended) = desk
        .call(
            "PATCH",
            &format!("/v1/announcements/{later}"),
            Some(&cast.agent),
            Some(json!({"ends_at": desk.clock.now().to_rfc3339()})),
        )
        .await;
    assert_eq!(status, 200, "{ended}");
    assert!(current(cast.other_user.clone()).await.is_empty());
    let (status, all) = desk
        .call("GET", "/v1/announcements?scope=all", Some(&cast.agent), None)
        .await;
    assert_eq!((status, all["items"].as_array().unwrap().len()), (200, 5), "{all}");
    let (status, _) = desk
        .call("GET", "/v1/announcements?scope=all", Some(&cast.client), None)
        .await;
    assert_eq!(status, 403);
    let now = desk.clock.now();
    let at = |h: i64| json!((now + chrono::Duration::hours(h)).to_rfc3339());
    for (body, field) in [
        (json!({"title": "x", "body": "y"}), "ends_at"),
        (
            json!({"title": "x", "body": "y", "ends_at": at(1), "audience": "company"}),
            "company",
        ),
        (
            json!({"title": "x", "body": "y", "ends_at": at(1), "audience": "company", "company": "NOPE"}),
            "company",
        ),
        (
            json!({"title": "x", "body": "y", "starts_at": at(5), "ends_at": at(1)}),
            "ends_at",
        ),
        (json!({"title": "x", "body": "y", "ends_at": at(24 * 400)}), "ends_at"),
        (json!({"title": "x\u{7}", "body": "y", "ends_at": at(1)}), "title"),
    ] {
        let (status, problem) = desk
            .call("POST", "/v1/announcements", Some(&cast.agent), Some(body.clone()))
            .await;
        assert_eq!(status, 422, "{body}: {problem}");
        assert!(problem.to_string().contains(field), "{body}: {problem}");
    }
}

/// The bell: replies and status changes on one's cases ring it, one read counts them, and
/// they are seen one at a time or all at once.
async fn notifications_ring_for_replies_and_status_changes_and_are_seen(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    let mut body = ticket_body(Some("vendor"));
    body["contact"]["email"] = json!("owner@acme.test");
    let id = file_ticket(&desk, &cast.admin, body).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    desk.deliver_now().await;
    let count = |token: String| {
        let desk = &desk;
        async move {
            let (status, count) = desk.call("GET", "/v1/notifications/count", Some(&token), None).await;
            assert_eq!(status, 200, "{count}");
            count["unseen"].as_u64().unwrap()
        }
    };
    assert_eq!(count(cast.admin.clone()).await, 0, "filing rings nothing");
    assert_eq!(desk.act(&id, &cast.agent, "assign").await.0, 200);
    assert_eq!(
        desk.say(&id, &cast.agent, "Could you send the remittance?").await.0,
        201
    );
    assert_eq!(desk.act(&id, &cast.agent, "wait_for_customer").await.0, 200);
    desk.deliver_now().await;
    desk.deliver_now().await;
    let unseen = count(cast.admin.clone()).await;
    assert!(unseen >= 2, "a reply and a status change: {unseen}");
    let (status, page) = desk.call("GET", "/v1/notifications", Some(&cast.admin), None).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["unseen"].as_u64().unwrap(), unseen);
    let items = page["items"].as_array().unwrap();
    assert!(items.iter().all(|n| n["ticket_id"] == json!(id)), "{page}");
    assert!(items.iter().any(|n| n["kind"] == "reply"), "{page}");
    // The customer's answer rings the agent's bell.
    assert_eq!(desk.say(&id, &cast.admin, "Attached.").await.0, 201);
    desk.deliver_now().await;
    assert_eq!(count(cast.agent.clone()).await, 1);
    // Others' bells stay silent, and one cannot see another's notification.
    assert_eq!(count(cast.other_user.clone()).await, 0);
    let first = items[0]["id"].as_str().unwrap();
    let (status, _) = desk
        .call(
            "POST",
            &format!("/v1/notifications/{first}/seen"),
            Some(&cast.other_user),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (status, left) = desk
        .call(
            "POST",
            &format!("/v1/notifications/{first}/seen"),
            Some(&cast.admin),
            None,
        )
        .await;
    assert_eq!((status, left["unseen"].as_u64().unwrap()), (200, unseen - 1), "{left}");
    let (_, again) = desk
        .call(
            "POST",
            &format!("/v1/notifications/{first}/seen"),
            Some(&cast.admin),
            None,
        )
        .await;
    assert_eq!(again["unseen"].as_u64().unwrap(), unseen - 1, "seen twice is once");
    let (status, left) = desk
        .call("POST", "/v1/notifications/seen-all", Some(&cast.admin), None)
        .await;
    assert_eq!((status, left["unseen"].as_u64().unwrap()), (200, 0), "{left}");
    assert_eq!(count(cast.admin.clone()).await, 0);
    let (_, page) = desk.call("GET", "/v1/notifications", Some(&cast.admin), None).await;
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["seen_at"].is_string()),
        "{page}"
    );
    let (status, _) = desk
        .call("POST", "/v1/notifications/not-an-id/seen", Some(&cast.admin), None)
        .await;
    assert_eq!(status, 404);
}

/// An AWS table written before its index (or an index lost): `search-indexer` invoked with
/// `{"rebuild": true}` reads every searchable item and publishes them as one version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_aws_index_is_rebuilt_from_the_table() {
    let desk = Desk::aws().await;
    let cast = company_with_cast(&desk).await;
    write_article(
        &desk,
        &cast.agent,
        json!({ "title": "Rebuilding indexes", "body": "<p>Quokka paragraphs.</p>", "category": "Ops", "state": "published" }),
    )
    .await;
    // Nothing read the stream: the index does not know the article.
    assert!(ids(&search(&desk, &cast.client, "q=quokka").await["hits"]).is_empty());
    let report = claimdesk_aws::lambda::handle_index(&desk.aws_desk().engine, &json!({ "rebuild": true }))
        .await
        .expect("rebuilt");
    assert!(report.changes >= 1 && report.version.is_some(), "{report:?}");
    assert_eq!(ids(&search(&desk, &cast.client, "q=quokka").await["hits"]).len(), 1);
}
