//! Brings the DynamoDB table to the current item layout (`claimdesk_core::services::migrate`),
//! in pages, printing after each page the cursor to resume from. Run it with the functions'
//! environment (TABLE_NAME, BUCKET_NAME, EVENT_BUS_NAME, MAIL_SECRET) and AWS credentials:
//!
//! cargo run --release -p claimdesk-aws --bin migrate-table -- [--from CURSOR] [--page-size 100] [--pages N]

use std::process::ExitCode;

use claimdesk_aws::tools::flag_value as value_of;

#[tokio::main]
async fn main() -> ExitCode {
    let page_size = value_of("--page-size").and_then(|v| v.parse().ok()).unwrap_or(100);
    let pages = value_of("--pages").and_then(|v| v.parse().ok());
    let engine = match claimdesk_aws::Engine::from_env().await {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("migrate-table: {e}");
            return ExitCode::FAILURE;
        }
    };
    let progress = |page: &claimdesk_core::services::migrate::MigrationPage| {
        println!(
            "examined {:>5}  rewritten {:>5}  raced {:>3}  next {}",
            page.examined,
            page.rewritten,
            page.raced,
            page.next.as_deref().unwrap_or("(done)")
        );
    };
    match engine
        .core
        .migrate_table(value_of("--from"), page_size, pages, progress)
        .await
    {
        Ok(total) => {
            println!(
                "{}: examined {}, rewritten {}, raced {}{}",
                engine.names.table,
                total.examined,
                total.rewritten,
                total.raced,
                match (&total.next, total.raced) {
                    (Some(next), _) => format!("; resume with --from {next}"),
                    (None, 0) => String::new(),
                    (None, _) => "; run again for the raced items".to_string(),
                }
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("migrate-table: {e}");
            ExitCode::FAILURE
        }
    }
}
