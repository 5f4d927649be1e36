//! Warranty claims (seed 004, issue 15): a dealer's claim from draft to closed, the
//! warranty check per coverage bucket, and the decisions it suggests, on both engines.

use crate::common::*;
use serde_json::{json, Value};

/// Parts for 24 months at 100 %, labour for `labour_months` at 100 %, other expenses for
/// 24 months at 50 %; one unit of it sold by ACME, registered from 15 January 2026.
async fn registered_unit(desk: &Desk, cast: &Cast, labour_months: u32) {
    let (status, body) = desk
        .call(
            "POST",
            "/v1/products",
            Some(&cast.agent),
            Some(json!({
                "sku": "PUMP-9", "name": "Field pump", "warranty_months": 24,
                "coverage": {
                    "parts": {"months": 24, "percent": 100},
                    "labour": {"months": labour_months, "percent": 100},
                    "other": {"months": 24, "percent": 50},
                },
            })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = desk
        .call(
            "POST",
            "/v1/serials",
            Some(&cast.agent),
            Some(json!({"serial": "SN-500", "sku": "PUMP-9", "dealer_company": "ACME"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = desk
        .call(
            "POST",
            "/v1/warranties",
            Some(&cast.admin),
            Some(json!({"serial": "SN-500", "end_customer": {"name": "Bo Farmer"}, "delivery_date": "2026-01-15"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

async fn act(desk: &Desk, token: &str, id: &str, action: Value) -> (u16, Value) {
    desk.call(
        "POST",
        &format!("/v1/warranty-claims/{id}/actions"),
        Some(token),
        Some(action),
    )
    .await
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

async fn list(desk: &Desk, token: &str, query: &str) -> Vec<String> {
    let (status, page) = desk
        .call("GET", &format!("/v1/warranty-claims?{query}"), Some(token), None)
        .await;
    assert_eq!(status, 200, "{page}");
    ids(&page)
}

async fn a_dealers_claim_goes_from_draft_to_closed_with_every_change_kept(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    registered_unit(&desk, &cast, 12).await;
    let (status, claim) = desk
        .call(
            "POST",
            "/v1/warranty-claims",
            Some(&cast.agent),
            Some(claim_body("SN-500")),
        )
        .await;
    assert_eq!(status, 403, "staff do not draft claims: {claim}");
    let id = drafted_claim(&desk, &cast.client, "SN-500").await;
    let (_, claim) = desk
        .call("GET", &format!("/v1/warranty-claims/{id}"), Some(&cast.client), None)
        .await;
    assert_eq!(claim["state"], "draft");
    let claimed: Vec<i64> = claim["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["claimed"].as_i64().unwrap())
        .collect();
    assert_eq!(claimed, [10_000, 1_200, 12_000, 2_500]);
    // Seed 004's lists: drafts apart; another company sees nothing of it.
    assert_eq!(list(&desk, &cast.admin, "list=draft").await, [id.as_str()]);
    assert!(list(&desk, &cast.admin, "list=active").await.is_empty());
    assert_eq!(list(&desk, &cast.client, "").await, [id.as_str()]);
    assert!(list(&desk, &cast.other_admin, "").await.is_empty());
    let path = format!("/v1/warranty-claims/{id}");
    assert_eq!(desk.call("GET", &path, Some(&cast.other_admin), None).await.0, 404);
    // Submitted: the check runs against the terms in force and is kept on the claim.
    let (status, submitted) = act(&desk, &cast.client, &id, json!({"action": "submit"})).await;
    assert_eq!(status, 200, "{submitted}");
    assert_eq!(submitted["state"], "submitted");
    assert_eq!(submitted["check"]["registered_to_dealer"], true);
    assert_eq!(submitted["check"]["filed_in_time"], true);
    assert_eq!(submitted["coverage"]["labour"]["months"], 12);
    assert_eq!(list(&desk, &cast.agent, "list=submitted").await, [id.as_str()]);
    // The sides keep to their parts.
    assert_eq!(act(&desk, &cast.client, &id, json!({"action": "take"})).await.0, 403);
    assert_eq!(act(&desk, &cast.agent, &id, json!({"action": "pay"})).await.0, 409);
    assert_eq!(act(&desk, &cast.agent, &id, json!({"action": "take"})).await.0, 200);
    // Taken, it is on the agent's own queue, and nobody else's.
    assert_eq!(list(&desk, &cast.agent, "list=mine").await, [id.as_str()]);
    assert!(list(&desk, &cast.agent, "list=submitted").await.is_empty());
    let colleague = desk.token(
        "sam@vendor.test",
        "VENDOR",
        claimdesk_core::domain::roles::Role::AgentL1,
    );
    assert!(list(&desk, &colleague, "list=mine").await.is_empty());
    let (status, asked) = act(
        &desk,
        &cast.agent,
        &id,
        json!({"action": "request_information", "why": "A photo of the impeller, please."}),
    )
    .await;
    assert_eq!((status, asked["state"].as_str()), (200, Some("information_requested")));
    assert_eq!(
        list(&desk, &cast.agent, "list=information_requested").await,
        [id.as_str()]
    );
    assert_eq!(list(&desk, &cast.admin, "list=active").await, [id.as_str()]);
    // Sent back, the dealer edits it: a longer labour line (2 hours), the unit unchanged.
    let mut edited = claim_body("SN-500");
    edited["lines"][2]["hundredths"] = json!(200);
    let (status, body) = desk.call("PATCH", &path, Some(&cast.agent), Some(edited.clone())).await;
    assert_eq!(status, 403, "staff do not edit a dealer's claim: {body}");
    let (status, body) = desk
        .call("PATCH", &path, Some(&cast.client), Some(claim_body("SN-OTHER")))
        .await;
    assert_eq!((status, body["field"].as_str()), (422, Some("serial")), "{body}");
    let (status, body) = desk
        .call("PATCH", &path, Some(&cast.client), Some(edited.clone()))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["lines"][2]["claimed"], 16_000);
    assert_eq!(act(&desk, &cast.client, &id, json!({"action": "submit"})).await.0, 200);
    assert_eq!(act(&desk, &cast.agent, &id, json!({"action": "take"})).await.0, 200);
    let (status, _) = desk.call("PATCH", &path, Some(&cast.client), Some(edited)).await;
    assert_eq!(status, 409, "in review, the claim is no longer the dealer's to edit");
    // Per-line decisions; less than claimed needs a known reason (the catalogue is listed).
    let (status, offered) = desk
        .call("GET", "/v1/adjustment-reasons", Some(&cast.agent), None)
        .await;
    assert_eq!(status, 200);
    assert!(offered["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "excessive_labour_hours"));
    let decisions = |labour: u64, reason: Value| {
        json!({"action": "decide", "decisions": [
            {"line": "l1", "approved": 10000},
            {"line": "l2", "approved": 1200},
            {"line": "l3", "approved": labour, "reason": reason},
            {"line": "l4", "approved": 1250, "reason": "coverage_percentage"},
        ]})
    };
    let (status, problem) = act(&desk, &cast.agent, &id, decisions(8_000, Value::Null)).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("decisions")),
        "{problem}"
    );
    let (status, problem) = act(&desk, &cast.agent, &id, decisions(8_000, json!("because"))).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("decisions")),
        "{problem}"
    );
    let (status, decided) = act(
        &desk,
        &cast.agent,
        &id,
        decisions(8_000, json!("excessive_labour_hours")),
    )
    .await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["state"], "partially_approved");
    assert_eq!(
        decided["lines"][2]["decision"],
        json!({"approved": 8000, "reason": "excessive_labour_hours"})
    );
    assert_eq!(act(&desk, &cast.agent, &id, json!({"action": "pay"})).await.0, 200);
    let (status, closed) = act(&desk, &cast.agent, &id, json!({"action": "close"})).await;
    assert_eq!((status, closed["state"].as_str()), (200, Some("closed")));
    assert_eq!(list(&desk, &cast.client, "list=closed").await, [id.as_str()]);
    // The list shows the totals; the claim its whole history.
    let (_, page) = desk
        .call("GET", "/v1/warranty-claims?list=closed", Some(&cast.admin), None)
        .await;
    assert_eq!(
        (
            page["items"][0]["claimed"].as_i64(),
            page["items"][0]["approved"].as_i64()
        ),
        (Some(29_700), Some(20_450))
    );
    let (_, kept) = desk.call("GET", &path, Some(&cast.client), None).await;
    let states = statuses(&kept);
    assert_eq!(
        states,
        [
            "draft",
            "submitted",
            "in_review",
            "information_requested",
            "submitted",
            "in_review",
            "partially_approved",
            "paid",
            "closed"
        ]
    );
    assert_eq!(kept["history"][3]["why"], "A photo of the impeller, please.");
    assert_eq!(kept["history"][3]["by"], "agent@vendor.test");
}

/// Out of warranty: a failure after the labour term but inside the parts term gives a check
/// that says so per bucket, and the approvals it suggests follow the coverage percentages.
async fn out_of_warranty_labour_is_told_per_bucket_and_approvals_follow_the_coverage(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    registered_unit(&desk, &cast, 6).await;
    let id = &drafted_claim(&desk, &cast.admin, "SN-500").await;
    let (status, submitted) = act(&desk, &cast.admin, id, json!({"action": "submit"})).await;
    assert_eq!(status, 200, "{submitted}");
    let buckets: Vec<(&str, bool)> = submitted["check"]["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["bucket"].as_str().unwrap(), b["covered"].as_bool().unwrap()))
        .collect();
    assert_eq!(buckets, [("parts", true), ("labour", false), ("other", true)]);
    assert_eq!(submitted["check"]["buckets"][1]["ends"], "2026-07-15");
    assert_eq!(act(&desk, &cast.agent, id, json!({"action": "take"})).await.0, 200);
    // No decisions given: the check's suggestions.
    let (status, decided) = act(&desk, &cast.agent, id, json!({"action": "decide"})).await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["state"], "partially_approved");
    let approved: Vec<(i64, Option<&str>)> = decided["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["decision"]["approved"].as_i64().unwrap(),
                l["decision"]["reason"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        approved,
        [
            (10_000, None),
            (1_200, None),
            (0, Some("expired_warranty")),
            (1_250, Some("coverage_percentage"))
        ]
    );
}

async fn rma(desk: &Desk, token: &str, id: &str, action: Value) -> (u16, Value) {
    desk.call("POST", &format!("/v1/rmas/{id}/actions"), Some(token), Some(action))
        .await
}

/// Seed 004's returns: the support side asks the causal part back (ACME's first RMA,
/// `ACME-RMA-000001`); the dealer sees it, ships it with a tracking number, the warehouse
/// counts it and credits it; the claim closes only once no RMA is open; every step is
/// mailed to the other side.
async fn an_rma_takes_the_causal_part_back_before_the_claim_closes(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    registered_unit(&desk, &cast, 12).await;
    let id = drafted_claim(&desk, &cast.client, "SN-500").await;
    let issue = |lines: Value| json!({"lines": lines, "instructions": "Ship to Dock 4, Springfield"});
    let path = format!("/v1/warranty-claims/{id}/rmas");
    let causal = issue(json!([{"line": "l1", "quantity": 2}]));
    let (status, body) = desk.call("POST", &path, Some(&cast.agent), Some(causal.clone())).await;
    assert_eq!(status, 409, "a draft has no parts to ask back: {body}");
    assert_eq!(act(&desk, &cast.client, &id, json!({"action": "submit"})).await.0, 200);
    assert_eq!(act(&desk, &cast.agent, &id, json!({"action": "take"})).await.0, 200);
    assert_eq!(act(&desk, &cast.agent, &id, json!({"action": "decide"})).await.0, 200);
    let (status, body) = desk.call("POST", &path, Some(&cast.client), Some(causal.clone())).await;
    assert_eq!(status, 403, "dealers do not issue RMAs: {body}");
    for (lines, field) in [
        (json!([{"line": "l3", "quantity": 1}]), "lines[0].line"),
        (json!([{"line": "l1", "quantity": 3}]), "lines[0].quantity"),
        (json!([]), "lines"),
    ] {
        let (status, body) = desk.call("POST", &path, Some(&cast.agent), Some(issue(lines))).await;
        assert_eq!((status, body["field"].as_str()), (422, Some(field)), "{body}");
    }
    let (status, issued) = desk.call("POST", &path, Some(&cast.agent), Some(causal)).await;
    assert_eq!(status, 201, "{issued}");
    assert_eq!(issued["number"], "ACME-RMA-000001");
    assert_eq!(issued["state"], "issued");
    assert_eq!(issued["lines"][0]["part_number"], "IMP-9");
    let rma_id = issued["id"].as_str().unwrap().to_string();
    let (_, kept) = desk
        .call("GET", &format!("/v1/warranty-claims/{id}"), Some(&cast.admin), None)
        .await;
    assert_eq!(kept["rmas"], json!([{"id": rma_id, "number": "ACME-RMA-000001"}]));
    // The unit's history shows the claim to its dealer; others see a count.
    let (status, lookup) = desk.call("GET", "/v1/serials/SN-500", Some(&cast.client), None).await;
    assert_eq!(status, 200, "{lookup}");
    assert_eq!(lookup["warranty_claims_count"], 1);
    assert_eq!(lookup["details"]["warranty_claims"][0]["id"], id.as_str());
    assert_eq!(lookup["details"]["warranty_claims"][0]["state"], "partially_approved");
    let (_, seen) = desk
        .call("GET", "/v1/serials/SN-500", Some(&cast.other_admin), None)
        .await;
    assert_eq!(
        (seen["warranty_claims_count"].as_u64(), seen.get("details")),
        (Some(1), None),
        "{seen}"
    );
    // The dealer sees every RMA issued to it; another dealer none, nor this one.
    let (status, page) = desk.call("GET", "/v1/rmas", Some(&cast.admin), None).await;
    assert_eq!(
        (status, page["items"][0]["number"].as_str()),
        (200, Some("ACME-RMA-000001"))
    );
    let (_, page) = desk.call("GET", "/v1/rmas", Some(&cast.other_admin), None).await;
    assert_eq!(page["items"], json!([]));
    let rma_path = format!("/v1/rmas/{rma_id}");
    assert_eq!(desk.call("GET", &rma_path, Some(&cast.other_user), None).await.0, 404);
    assert_eq!(
        rma(
            &desk,
            &cast.other_admin,
            &rma_id,
            json!({"action": "ship", "carrier": "UPS", "tracking_number": "1Z"})
        )
        .await
        .0,
        404
    );
    // Paid, the claim still waits for its part.
    assert_eq!(act(&desk, &cast.agent, &id, json!({"action": "pay"})).await.0, 200);
    let (status, body) = act(&desk, &cast.agent, &id, json!({"action": "close"})).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("ACME-RMA-000001"), "{body}");
    // The dealer ships it; the support side cannot, and a tracking number is required.
    let (status, body) = rma(
        &desk,
        &cast.client,
        &rma_id,
        json!({"action": "ship", "carrier": "UPS"}),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("tracking_number")),
        "{body}"
    );
    let ship = json!({"action": "ship", "carrier": "UPS", "tracking_number": "1Z999AA10123456784"});
    assert_eq!(rma(&desk, &cast.agent, &rma_id, ship.clone()).await.0, 403);
    let (status, shipped) = rma(&desk, &cast.client, &rma_id, ship).await;
    assert_eq!((status, shipped["state"].as_str()), (200, Some("shipped")), "{shipped}");
    let (_, queue) = desk.call("GET", "/v1/rmas?list=shipped", Some(&cast.agent), None).await;
    assert_eq!(queue["items"][0]["tracking_number"], "1Z999AA10123456784");
    // Counted on arrival: never more than asked back.
    let count =
        |n: u64| json!({"action": "receive", "lines": [{"line": "l1", "received": n, "condition": "as_described"}]});
    let (status, body) = rma(&desk, &cast.agent, &rma_id, count(3)).await;
    assert_eq!(
        (status, body["field"].as_str()),
        (422, Some("lines[0].received")),
        "{body}"
    );
    let (status, received) = rma(&desk, &cast.agent, &rma_id, count(2)).await;
    assert_eq!(
        (status, received["lines"][0]["received"].as_u64()),
        (200, Some(2)),
        "{received}"
    );
    assert_eq!(
        rma(&desk, &cast.agent, &rma_id, json!({"action": "credit"})).await.0,
        200
    );
    let (_, queue) = desk
        .call("GET", "/v1/rmas?list=received", Some(&cast.agent), None)
        .await;
    assert_eq!(queue["items"], json!([]), "a credited RMA has left the queues");
    assert_eq!(
        rma(&desk, &cast.agent, &rma_id, json!({"action": "close"})).await.0,
        200
    );
    let (status, closed) = act(&desk, &cast.agent, &id, json!({"action": "close"})).await;
    assert_eq!((status, closed["state"].as_str()), (200, Some("closed")), "{closed}");
    let (_, kept) = desk.call("GET", &rma_path, Some(&cast.client), None).await;
    let steps = statuses(&kept);
    assert_eq!(steps, ["issued", "shipped", "received", "credited", "closed"]);
    // The dealer's RMAs leave as a file too.
    let (status, csv) = desk.download("/v1/exports/rmas", &cast.admin).await;
    assert_eq!(status, 200);
    let text = String::from_utf8(csv).unwrap();
    assert!(text.starts_with("RMA,Claim,Dealer,Serial,State,Parts,"), "{text}");
    assert!(
        text.contains("ACME-RMA-000001") && text.contains("1Z999AA10123456784") && text.contains("2 × IMP-9 Impeller"),
        "{text}"
    );
    let (status, xlsx) = desk.download("/v1/exports/rmas?format=xlsx", &cast.other_admin).await;
    assert_eq!(status, 200);
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    assert_eq!(
        book.worksheet_range("RMAs").unwrap().rows().count(),
        1,
        "another dealer's export: the header only"
    );
    // The mail: the dealer hears of the RMA and of each step the support side took; the
    // desk hears of the shipment and the submission.
    desk.deliver_now().await;
    let issued_mail = desk.mails_of("rma_issued").await;
    assert_eq!(issued_mail.len(), 1);
    assert_eq!(issued_mail[0].to, "adjuster@acme.test");
    assert!(
        issued_mail[0].subject.contains("ACME-RMA-000001"),
        "{}",
        issued_mail[0].subject
    );
    assert!(issued_mail[0].text.contains("2 × IMP-9 Impeller") && issued_mail[0].text.contains("Dock 4"));
    assert!(issued_mail[0].text.contains(&format!("/portal/rmas/{rma_id}")));
    let steps: Vec<(String, String)> = desk
        .mails_of("rma_updated")
        .await
        .into_iter()
        .map(|m| (m.to, m.subject))
        .collect();
    let mut expected = vec![
        (
            "helpdesk@claimdesk.local".to_string(),
            "RMA ACME-RMA-000001 is shipped".to_string(),
        ),
        ("adjuster@acme.test".into(), "RMA ACME-RMA-000001 is received".into()),
        ("adjuster@acme.test".into(), "RMA ACME-RMA-000001 is credited".into()),
        ("adjuster@acme.test".into(), "RMA ACME-RMA-000001 is closed".into()),
    ];
    let mut got = steps.clone();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    let claim_mail: Vec<(String, String)> = desk
        .mails_of("claim_updated")
        .await
        .into_iter()
        .map(|m| (m.to, m.subject))
        .collect();
    assert!(
        claim_mail.contains(&(
            "helpdesk@claimdesk.local".into(),
            "Warranty claim on SN-500: submitted".into()
        )),
        "{claim_mail:?}"
    );
    assert!(
        claim_mail.contains(&("adjuster@acme.test".into(), "Warranty claim on SN-500: paid".into())),
        "{claim_mail:?}"
    );
    assert!(
        claim_mail.contains(&("adjuster@acme.test".into(), "Warranty claim on SN-500: closed".into())),
        "{claim_mail:?}"
    );
    assert_eq!(claim_mail.len(), 4, "submitted, decided, paid, closed: {claim_mail:?}");
}

/// Seed 004's lists leave as files: a dealer's claims as CSV (RFC 4180: quoted where needed,
/// CRLF) and as Excel, every text cell that a spreadsheet would take for a formula
/// neutralised; another dealer's export holds none of them; the support side exports a
/// dealer's list by naming it.
async fn claim_lists_export_as_csv_and_excel_with_formulas_neutralised(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    registered_unit(&desk, &cast, 12).await;
    let mut hostile = claim_body("SN-500");
    hostile["complaint"] = json!("=HYPERLINK(\"http://evil.test\",\"Click\")");
    hostile["cause"] = json!("+1+1");
    hostile["correction"] = json!("-2, then \"quoted\"\nand a second line");
    hostile["fault_code"] = json!("@SUM(A1)");
    for body in [claim_body("SN-500"), hostile] {
        let (status, claim) = desk
            .call("POST", "/v1/warranty-claims", Some(&cast.client), Some(body))
            .await;
        assert_eq!(status, 201, "{claim}");
        desk.advance_seconds(60).await;
    }
    let (status, csv) = desk
        .download("/v1/exports/warranty-claims?format=csv&list=draft", &cast.admin)
        .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&csv));
    let text = String::from_utf8(csv).unwrap();
    assert!(text.starts_with("Claim,Dealer,Serial,SKU,State,"), "{text}");
    assert!(text.contains("\r\n"), "RFC 4180 lines end in CRLF");
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 2);
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    // Newest first: the hostile claim leads.
    assert_eq!(
        rows[0][column("Complaint")],
        "'=HYPERLINK(\"http://evil.test\",\"Click\")"
    );
    assert_eq!(rows[0][column("Cause")], "'+1+1");
    assert_eq!(rows[0][column("Correction")], "'-2, then \"quoted\"\nand a second line");
    assert_eq!(rows[0][column("Fault code")], "'@SUM(A1)");
    assert_eq!(rows[1][column("Complaint")], "Pump leaks at the seal");
    assert_eq!(rows[1][column("Claimed")], "257.00");
    assert_eq!(rows[1][column("Labour claimed")], "120.00");
    assert_eq!(rows[1][column("Currency")], "USD");
    assert_eq!(rows[1][column("State")], "draft");
    // The same list as a workbook.
    let (status, xlsx) = desk
        .download("/v1/exports/warranty-claims?format=xlsx&list=draft", &cast.client)
        .await;
    assert_eq!(status, 200);
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("Warranty claims").unwrap();
    let cells: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(cells.len(), 3);
    assert_eq!(cells[0][0], "Claim");
    assert_eq!(
        cells[1][column("Complaint")],
        "'=HYPERLINK(\"http://evil.test\",\"Click\")"
    );
    assert_eq!(cells[1][column("Fault code")], "'@SUM(A1)");
    assert_eq!(sheet.get((2, column("Claimed"))), Some(&calamine::Data::Float(257.0)));
    // Another dealer's export is empty; staff name the dealer; a format nobody knows is 422.
    let (status, other) = desk.download("/v1/exports/warranty-claims", &cast.other_admin).await;
    assert_eq!(status, 200);
    assert_eq!(String::from_utf8(other).unwrap().lines().count(), 1, "the header only");
    let (status, all) = desk
        .download("/v1/exports/warranty-claims?dealer=ACME&list=all", &cast.agent)
        .await;
    assert_eq!(
        (status, String::from_utf8(all).unwrap().lines().count()),
        (200, 4),
        "a header, two claims, the second's line break"
    );
    let (status, problem) = desk
        .call("GET", "/v1/exports/warranty-claims?format=pdf", Some(&cast.admin), None)
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("format")), "{problem}");
    let (status, problem) = desk
        .call(
            "GET",
            "/v1/exports/warranty-claims?dealer=OTHER",
            Some(&cast.admin),
            None,
        )
        .await;
    assert_eq!((status, problem["field"].as_str()), (422, Some("dealer")), "{problem}");
}

/// Seed 004's conversation: the support side's question reaches the dealer who filed the
/// claim as a case of the claim (its receipt carries the question and a reply address);
/// the dealer answers from the inbox with the invoice attached, and the answer and the file
/// land in that case; the next question is a reply on the same case; the dealer resubmits.
/// A dealer opens a case about its claim too; another company cannot name it.
async fn a_question_on_a_claim_is_answered_by_mail_in_the_claims_case(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    registered_unit(&desk, &cast, 12).await;
    let id = drafted_claim(&desk, &cast.client, "SN-500").await;
    assert_eq!(act(&desk, &cast.client, &id, json!({"action": "submit"})).await.0, 200);
    assert_eq!(act(&desk, &cast.agent, &id, json!({"action": "take"})).await.0, 200);
    let ask = json!({"action": "request_information", "why": "Please send the invoice for the impeller."});
    let (status, asked) = act(&desk, &cast.agent, &id, ask).await;
    assert_eq!(status, 200, "{asked}");
    let case_id = asked["cases"][0]["id"].as_str().unwrap().to_string();
    let number = asked["cases"][0]["number"].as_str().unwrap().to_string();
    desk.deliver_now().await;
    let receipt = desk
        .mails_of("ticket_received")
        .await
        .into_iter()
        .find(|m| m.subject.contains(&number))
        .expect("the question's case was mailed to the dealer");
    assert_eq!(receipt.to, "adjuster@acme.test");
    assert!(
        receipt.text.contains("Please send the invoice for the impeller."),
        "{}",
        receipt.text
    );
    assert!(
        desk.mails_of("claim_updated")
            .await
            .iter()
            .all(|m| !m.subject.contains("information requested")),
        "the question is mailed once, by its case"
    );
    let raw = format!(
        "From: Ada <adjuster@acme.test>\r\nTo: {}\r\nSubject: Re: {}\r\nMessage-ID: <invoice-1@acme.test>\r\nIn-Reply-To: {}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nThe invoice is attached.\r\n--b\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcfsj6IK\r\n--b--\r\n",
        receipt.reply_to, receipt.subject, receipt.message_id
    );
    assert_eq!(desk.receive_mail(raw.as_bytes()).await["outcome"], "added");
    let (status, case) = desk
        .call("GET", &format!("/v1/tickets/{case_id}"), Some(&cast.client), None)
        .await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["links"]["warranty_claim"], id.as_str());
    assert_eq!(case["links"]["serial_number"], "SN-500");
    let bodies: Vec<&str> = case["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert!(
        bodies.iter().any(|b| b.contains("The invoice is attached.")),
        "{bodies:?}"
    );
    assert!(
        case["attachments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["filename"] == "invoice.pdf"),
        "{case}"
    );
    // Resubmitted, taken, asked again: a reply on the same case.
    assert_eq!(act(&desk, &cast.client, &id, json!({"action": "submit"})).await.0, 200);
    assert_eq!(act(&desk, &cast.agent, &id, json!({"action": "take"})).await.0, 200);
    let again = json!({"action": "request_information", "why": "And a photo of the seal, please."});
    let (status, asked) = act(&desk, &cast.agent, &id, again).await;
    assert_eq!((status, asked["cases"].as_array().unwrap().len()), (200, 1), "{asked}");
    desk.deliver_now().await;
    assert!(desk
        .mails_of("reply")
        .await
        .iter()
        .any(|m| m.to == "adjuster@acme.test" && m.text.contains("And a photo of the seal")));
    // The dealer opens a case about its claim; another company cannot name the claim.
    let mut about = ticket_body(Some("vendor"));
    about["ticket_type"] = json!("warranty_claim");
    about["warranty_claim"] = json!(id);
    let (status, own) = desk
        .call("POST", "/v1/tickets", Some(&cast.admin), Some(about.clone()))
        .await;
    assert_eq!(status, 201, "{own}");
    let (_, kept) = desk
        .call("GET", &format!("/v1/warranty-claims/{id}"), Some(&cast.client), None)
        .await;
    assert_eq!(kept["cases"].as_array().unwrap().len(), 2);
    assert_eq!(kept["cases"][1]["id"], own["id"]);
    let (status, problem) = desk
        .call("POST", "/v1/tickets", Some(&cast.other_admin), Some(about))
        .await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("warranty_claim")),
        "{problem}"
    );
}

/// A deployment sets its filing window and its adjustment reasons (the local server's
/// `--claim-filing-days` and `--adjustment-reasons`; `CLAIM_FILING_DAYS` on AWS, whose
/// reading `tests/template.rs` holds to the template): a failure 13 days back is late in a
/// 5-day window, and only the deployment's own reason codes are taken.
#[tokio::test]
async fn a_deployment_sets_its_filing_window_and_reasons() {
    let folder = tempfile::tempdir().unwrap();
    let reasons = folder.path().join("reasons.json");
    let mut catalogue: Value = serde_json::from_str(include_str!("../shared/core/adjustment_reasons.json")).unwrap();
    catalogue["reasons"] = json!(catalogue["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["code"] != "excessive_labour_hours")
        .chain([&json!({"code": "dealer_agreement", "name": "As agreed with the dealer"})])
        .collect::<Vec<_>>());
    std::fs::write(&reasons, catalogue.to_string()).unwrap();
    let desk = Desk::local_with(|config| {
        config.settings.claim_filing_days = 5;
        config.reasons_file = Some(reasons.clone());
    })
    .await;
    let cast = company_with_cast(&desk).await;
    registered_unit(&desk, &cast, 12).await;
    let id = drafted_claim(&desk, &cast.client, "SN-500").await;
    let (status, submitted) = act(&desk, &cast.client, &id, json!({"action": "submit"})).await;
    assert_eq!(
        (status, submitted["check"]["filed_in_time"].as_bool()),
        (200, Some(false)),
        "{submitted}"
    );
    assert_eq!(act(&desk, &cast.agent, &id, json!({"action": "take"})).await.0, 200);
    let decide = |reason: &str| {
        json!({"action": "decide", "decisions": [
            {"line": "l1", "approved": 10000}, {"line": "l2", "approved": 1200},
            {"line": "l3", "approved": 8000, "reason": reason}, {"line": "l4", "approved": 2500},
        ]})
    };
    let (status, problem) = act(&desk, &cast.agent, &id, decide("excessive_labour_hours")).await;
    assert_eq!(
        (status, problem["field"].as_str()),
        (422, Some("decisions")),
        "{problem}"
    );
    let (_, offered) = desk
        .call("GET", "/v1/adjustment-reasons", Some(&cast.agent), None)
        .await;
    let codes: Vec<&str> = offered["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"dealer_agreement") && !codes.contains(&"excessive_labour_hours"),
        "{codes:?}"
    );
    let (status, decided) = act(&desk, &cast.agent, &id, decide("dealer_agreement")).await;
    assert_eq!(
        (status, decided["state"].as_str()),
        (200, Some("partially_approved")),
        "{decided}"
    );
}

/// Seed 004's whole process in one walk: a registered unit; a claim with two part lines
/// and a labour line; the invoice attached in the claim's case; submitted with the check
/// passing; the agent's question reaches the dealer by mail and the dealer's answer by mail
/// lands in the case; resubmitted; one line partially approved with a reason; an RMA for
/// the causal part, shipped with a tracking number, received and credited; paid and
/// closed. Every mail, history entry and total is checked.
async fn seed_004_walks_from_a_registered_unit_to_a_closed_claim(desk: Desk) {
    let cast = company_with_cast(&desk).await;
    registered_unit(&desk, &cast, 12).await;
    let mut body = claim_body("SN-500");
    body["lines"].as_array_mut().unwrap().truncate(3);
    let (status, claim) = desk
        .call("POST", "/v1/warranty-claims", Some(&cast.client), Some(body))
        .await;
    assert_eq!(status, 201, "{claim}");
    let id = claim["id"].as_str().unwrap().to_string();
    // The invoice, in a case of the claim (the vendor's desk, whoever of the dealer writes).
    let mut about = ticket_body(None);
    about["ticket_type"] = json!("warranty_claim");
    about["subject"] = json!("Invoice for the claim on SN-500");
    about["warranty_claim"] = json!(id);
    let (status, case) = desk.call("POST", "/v1/tickets", Some(&cast.client), Some(about)).await;
    assert_eq!((status, case["desk"].as_str()), (201, Some("vendor")), "{case}");
    let case_id = case["id"].as_str().unwrap().to_string();
    attach_text(
        &desk,
        &case_id,
        &cast.client,
        "invoice-1001.txt",
        b"INVOICE 1001: impeller x2, seal",
    )
    .await;
    let (status, submitted) = act(&desk, &cast.client, &id, json!({"action": "submit"})).await;
    assert_eq!(status, 200, "{submitted}");
    let check = &submitted["check"];
    assert_eq!(
        (
            check["registered_to_dealer"].as_bool(),
            check["filed_in_time"].as_bool()
        ),
        (Some(true), Some(true))
    );
    assert!(
        check["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["covered"] == true),
        "{check}"
    );
    // The question goes to the open case as a reply; the dealer answers by mail.
    assert_eq!(act(&desk, &cast.agent, &id, json!({"action": "take"})).await.0, 200);
    let ask = json!({"action": "request_information", "why": "Which invoice line is the seal on?"});
    let (status, asked) = act(&desk, &cast.agent, &id, ask).await;
    assert_eq!(
        (status, asked["cases"][0]["id"].as_str()),
        (200, Some(case_id.as_str())),
        "{asked}"
    );
    desk.deliver_now().await;
    let question = desk
        .mails_of("reply")
        .await
        .into_iter()
        .find(|m| m.to == "adjuster@acme.test" && m.text.contains("Which invoice line is the seal on?"))
        .expect("the question was mailed to the dealer");
    let raw = format!(
        "From: Ada <adjuster@acme.test>\r\nTo: {}\r\nSubject: Re: {}\r\nMessage-ID: <seal-line@acme.test>\r\nIn-Reply-To: {}\r\nContent-Type: text/plain\r\n\r\nThe seal is line 2 of invoice 1001.\r\n",
        question.reply_to, question.subject, question.message_id
    );
    assert_eq!(desk.receive_mail(raw.as_bytes()).await["outcome"], "added");
    let (_, case) = desk
        .call("GET", &format!("/v1/tickets/{case_id}"), Some(&cast.agent), None)
        .await;
    let said: Vec<&str> = case["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["body"].as_str())
        .collect();
    assert!(
        said.iter().any(|b| b.contains("The seal is line 2 of invoice 1001.")),
        "{said:?}"
    );
    assert!(case["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["filename"] == "invoice-1001.txt"));
    // Resubmitted; the labour line approved for less, with its reason.
    assert_eq!(act(&desk, &cast.client, &id, json!({"action": "submit"})).await.0, 200);
    assert_eq!(act(&desk, &cast.agent, &id, json!({"action": "take"})).await.0, 200);
    let decisions = json!({"action": "decide", "decisions": [
        {"line": "l1", "approved": 10000}, {"line": "l2", "approved": 1200},
        {"line": "l3", "approved": 8000, "reason": "excessive_labour_hours"},
    ]});
    let (status, decided) = act(&desk, &cast.agent, &id, decisions).await;
    assert_eq!(
        (status, decided["state"].as_str()),
        (200, Some("partially_approved")),
        "{decided}"
    );
    // The causal part comes back.
    let (status, rma) = desk
        .call(
            "POST",
            &format!("/v1/warranty-claims/{id}/rmas"),
            Some(&cast.agent),
            Some(json!({"lines": [{"line": "l1", "quantity": 2}], "instructions": "Dock 4"})),
        )
        .await;
    assert_eq!(
        (status, rma["number"].as_str()),
        (201, Some("ACME-RMA-000001")),
        "{rma}"
    );
    let rma_id = rma["id"].as_str().unwrap().to_string();
    let ship = json!({"action": "ship", "carrier": "UPS", "tracking_number": "1Z999AA10123456784"});
    assert_eq!(
        desk.call(
            "POST",
            &format!("/v1/rmas/{rma_id}/actions"),
            Some(&cast.client),
            Some(ship)
        )
        .await
        .0,
        200
    );
    let receive = json!({"action": "receive", "lines": [{"line": "l1", "received": 2, "condition": "as_described"}]});
    for step in [receive, json!({"action": "credit"}), json!({"action": "close"})] {
        let (status, body) = desk
            .call(
                "POST",
                &format!("/v1/rmas/{rma_id}/actions"),
                Some(&cast.agent),
                Some(step),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(act(&desk, &cast.agent, &id, json!({"action": "pay"})).await.0, 200);
    let (status, closed) = act(&desk, &cast.agent, &id, json!({"action": "close"})).await;
    assert_eq!((status, closed["state"].as_str()), (200, Some("closed")), "{closed}");
    // Every history entry, every total.
    let states = statuses(&closed);
    assert_eq!(
        states,
        [
            "draft",
            "submitted",
            "in_review",
            "information_requested",
            "submitted",
            "in_review",
            "partially_approved",
            "paid",
            "closed"
        ]
    );
    assert_eq!(closed["history"][3]["why"], "Which invoice line is the seal on?");
    assert_eq!(closed["history"][6]["by"], "agent@vendor.test");
    let (_, page) = desk
        .call("GET", "/v1/warranty-claims?list=closed", Some(&cast.client), None)
        .await;
    assert_eq!(
        (
            page["items"][0]["claimed"].as_i64(),
            page["items"][0]["approved"].as_i64()
        ),
        (Some(23_200), Some(19_200))
    );
    let (_, kept_rma) = desk
        .call("GET", &format!("/v1/rmas/{rma_id}"), Some(&cast.client), None)
        .await;
    let steps = statuses(&kept_rma);
    assert_eq!(steps, ["issued", "shipped", "received", "credited", "closed"]);
    // Every mail: the desk hears of both submissions and the shipment; the dealer of the
    // question (by the case), the decision, the RMA and its steps, the payment, the close.
    desk.deliver_now().await;
    let about_the_claim = |m: &SentMail| m.kind == "claim_updated" || m.kind.starts_with("rma_");
    let mut mails: Vec<(String, String, String)> = desk
        .mails()
        .await
        .into_iter()
        .filter(about_the_claim)
        .map(|m| (m.kind, m.to, m.subject))
        .collect();
    mails.sort();
    let desk_mail = "helpdesk@claimdesk.local".to_string();
    let dealer = "adjuster@acme.test".to_string();
    let mut expected = vec![
        (
            "claim_updated".to_string(),
            desk_mail.clone(),
            "Warranty claim on SN-500: submitted".to_string(),
        ),
        (
            "claim_updated".into(),
            desk_mail.clone(),
            "Warranty claim on SN-500: submitted".into(),
        ),
        (
            "claim_updated".into(),
            dealer.clone(),
            "Warranty claim on SN-500: partially approved".into(),
        ),
        (
            "claim_updated".into(),
            dealer.clone(),
            "Warranty claim on SN-500: paid".into(),
        ),
        (
            "claim_updated".into(),
            dealer.clone(),
            "Warranty claim on SN-500: closed".into(),
        ),
        (
            "rma_issued".into(),
            dealer.clone(),
            "RMA ACME-RMA-000001: please return parts of your claim on SN-500".into(),
        ),
        ("rma_updated".into(), desk_mail, "RMA ACME-RMA-000001 is shipped".into()),
        (
            "rma_updated".into(),
            dealer.clone(),
            "RMA ACME-RMA-000001 is received".into(),
        ),
        (
            "rma_updated".into(),
            dealer.clone(),
            "RMA ACME-RMA-000001 is credited".into(),
        ),
        ("rma_updated".into(), dealer, "RMA ACME-RMA-000001 is closed".into()),
    ];
    expected.sort();
    assert_eq!(mails, expected);
    let partial = desk
        .mails_of("claim_updated")
        .await
        .into_iter()
        .find(|m| m.subject.ends_with("partially approved"))
        .unwrap();
    assert!(
        partial.text.contains("Claimed: 232.00 USD. Approved: 192.00 USD."),
        "{}",
        partial.text
    );
}

on_both_engines!(
    a_dealers_claim_goes_from_draft_to_closed_with_every_change_kept,
    out_of_warranty_labour_is_told_per_bucket_and_approvals_follow_the_coverage,
    an_rma_takes_the_causal_part_back_before_the_claim_closes,
    claim_lists_export_as_csv_and_excel_with_formulas_neutralised,
    a_question_on_a_claim_is_answered_by_mail_in_the_claims_case,
    seed_004_walks_from_a_registered_unit_to_a_closed_claim,
);
