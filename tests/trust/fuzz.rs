//! Schema fuzzing: schemathesis (from PyPI, installed by the test command into .venv)
//! against the local server's own OpenAPI document, signed in as a client admin and as a
//! support agent. Its checks: no 5xx, every status, header, content type and body as the
//! document declares, bad input refused, no undeclared method accepted. Not run: its
//! "valid data accepted" check, since a ticket's required fields depend on its type's
//! catalogue entry, which JSON Schema cannot say. The number of examples per operation is
//! bounded so the run stays short; `CLAIMDESK_FUZZ_EXAMPLES` and `CLAIMDESK_FUZZ_SEED`
//! change them.

use crate::common::*;

const SCHEMATHESIS: &str = "CLAIMDESK_SCHEMATHESIS";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_schemathesis_finds_no_server_error_and_no_answer_outside_the_schema() {
    let st = std::env::var(SCHEMATHESIS).unwrap_or_else(|_| {
        panic!("{SCHEMATHESIS} is not set: run the suite with `bash scripts/test.sh`, which installs schemathesis")
    });
    let examples = std::env::var("CLAIMDESK_FUZZ_EXAMPLES").unwrap_or_else(|_| "40".into());
    let seed = std::env::var("CLAIMDESK_FUZZ_SEED").unwrap_or_else(|_| "20261125".into());
    let desk = Desk::local().await;
    let cast = company_with_cast(&desk).await;
    // Something to find: a vendor ticket and an internal one.
    for desk_name in ["vendor", "internal"] {
        let (status, _) = desk
            .call(
                "POST",
                "/v1/tickets",
                Some(&cast.admin),
                Some(ticket_body(Some(desk_name))),
            )
            .await;
        assert_eq!(status, 201);
    }
    for (who, token) in [("client admin", &cast.admin), ("agent", &cast.agent)] {
        let output = tokio::process::Command::new(&st)
            .current_dir(desk.dir.path())
            .args([
                "run",
                &format!("{}/v1/openapi.json", desk.base),
                "--header",
                &format!("Authorization: Bearer {token}"),
                "--checks",
                "all",
                "--exclude-checks",
                "positive_data_acceptance",
                // Raw mail is not JSON; the mail corpus tests the intake.
                "--exclude-path",
                "/v1/inbound-email",
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
