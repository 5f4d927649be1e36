//! Schema fuzzing: schemathesis (from PyPI, installed by the test command into .venv)
//! against the local server's own OpenAPI document, signed in as a client admin and as a
//! support agent. Its checks: no 5xx, every status, header, content type and body as the
//! document declares, bad input refused, no undeclared method accepted. Every operation
//! runs all its examples (`--continue-on-failure`); the mail intake gets real MIME messages
//! from `schemathesis_hooks.py`, which also keeps "created resource not found" to resources
//! the API really created at that path; downloads and the guest view get real ids (a
//! `schemathesis.toml` written for the run), so real bytes come back. Its "valid data
//! accepted" check allows 422: a ticket's required fields depend on its type's catalogue
//! entry, which JSON Schema cannot say. The number of examples per operation is
//! bounded so the run stays short; `CLAIMDESK_FUZZ_EXAMPLES` and `CLAIMDESK_FUZZ_SEED`
//! change them.

use crate::common::*;

const SCHEMATHESIS: &str = "CLAIMDESK_SCHEMATHESIS";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_schemathesis_finds_no_server_error_and_no_answer_outside_the_schema() {
    let st = std::env::var(SCHEMATHESIS).unwrap_or_else(|_| {
        panic!("{SCHEMATHESIS} is not set: run the suite with `bash scripts/test.sh`, which installs schemathesis")
    });
    let examples = std::env::var("CLAIMDESK_FUZZ_EXAMPLES").unwrap_or_else(|_| "100".into());
    let seed = std::env::var("CLAIMDESK_FUZZ_SEED").unwrap_or_else(|_| "20261125".into());
    let _turn = heavy_turn().await;
    let desk = Desk::local().await;
    let cast = company_with_cast(&desk).await;
    // Something to find: a vendor ticket and an internal one, and a file on the first.
    let mut ids = Vec::new();
    for desk_name in ["vendor", "internal"] {
        let ticket = file_ticket(&desk, &cast.admin, ticket_body(Some(desk_name))).await;
        ids.push(ticket["id"].as_str().unwrap().to_string());
    }
    let attachment = attach_text(&desk, &ids[0], &cast.admin, "eob.txt", b"EOB 88121").await;
    desk.deliver_now().await;
    let receipt = desk
        .mails_of("ticket_received")
        .await
        .into_iter()
        .next()
        .expect("a receipt");
    let number = receipt
        .subject
        .split(']')
        .next()
        .unwrap_or("")
        .trim_start_matches('[')
        .to_string();
    let guest_key = desk.guest_link(&number).await.split("key=").nth(1).unwrap().to_string();
    // Operations whose ids the fuzzer cannot guess get real ones: the download returns
    // real bytes, the guest view a real ticket.
    // "Valid data accepted" with the domain's refusals allowed: a ticket's required fields
    // depend on its type, and some fields must name records that exist (a company, a serial,
    // an open ticket), which JSON Schema cannot say: those are 422 naming the field; what is
    // left of a ticket's 20 MB depends on its files: 413. Any other refusal of schema-valid
    // data (a 400: the server and the document disagree on the shape) fails the run.
    // "Invalid data rejected" takes 413 beside schemathesis's own list: an upload declared
    // over the document's 20 MB maximum is refused as too large, as the operation documents.
    let config = format!(
        r#"
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "413", "422", "429"]

[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]

[[operations]]
include-operation-id = "downloadAttachment"
parameters = {{ "path.id" = "{ticket}", "path.attachment_id" = "{attachment}" }}

[[operations]]
include-operation-id = "guestTicket"
parameters = {{ "path.id" = "{ticket}", "query.key" = "{guest_key}" }}
"#,
        ticket = ids[0],
    );
    std::fs::write(desk.dir.path().join("schemathesis.toml"), config).unwrap();
    let hooks = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/trust/schemathesis_hooks.py");
    let real_mail = serde_json::json!({
        "reply_to": receipt.reply_to,
        "message_id": receipt.message_id,
        "number": number,
        "requester": receipt.to,
    });
    for (who, token) in [("client admin", &cast.admin), ("agent", &cast.agent)] {
        let output = tokio::process::Command::new(&st)
            .current_dir(desk.dir.path())
            .env("SCHEMATHESIS_HOOKS", &hooks)
            .env("CLAIMDESK_FUZZ_MAIL", real_mail.to_string())
            .args([
                "run",
                &format!("{}/v1/openapi.json", desk.base),
                "--header",
                &format!("Authorization: Bearer {token}"),
                "--checks",
                "all",
                // Every operation runs all its examples, whatever one of them finds.
                "--continue-on-failure",
                "--max-examples",
                &examples,
                "--seed",
                &seed,
                "--no-color",
            ])
            .output()
            .await
            .expect("schemathesis runs");
        let text = String::from_utf8_lossy(&output.stdout);
        let summary: Vec<&str> = text.lines().skip_while(|l| !l.contains("SUMMARY")).collect();
        println!("schemathesis as {who}:\n{}", summary.join("\n"));
        assert!(
            output.status.success(),
            "schemathesis as {who} found problems:\n{text}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(text.contains("passed"), "{text}");
    }
}
