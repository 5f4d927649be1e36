//! Creates a staff admin in the deployed stack: their Cognito user (in the `staff_admin`
//! group, company VENDOR, the password from standard input, made permanent) and their
//! directory record in the table. The first person who can sign in; there is no default
//! password. Run it with the functions' environment (TABLE_NAME, BUCKET_NAME,
//! EVENT_BUS_NAME, MAIL_SECRET, USER_POOL_ID, USER_POOL_CLIENT_ID) and AWS credentials:
//!
//! cargo run --release -p claimdesk-aws --bin create-admin -- --email EMAIL --name "FULL NAME" < password.txt

use claimdesk_core::domain::people::AdminDraft;
use std::process::ExitCode;

use claimdesk_aws::tools::flag_value as value_of;

#[tokio::main]
async fn main() -> ExitCode {
    let (Some(email), Some(name)) = (value_of("--email"), value_of("--name")) else {
        eprintln!("usage: create-admin --email EMAIL --name \"FULL NAME\" (the password on standard input)");
        return ExitCode::FAILURE;
    };
    let mut password = String::new();
    if let Err(e) = std::io::stdin().read_line(&mut password) {
        eprintln!("create-admin: cannot read the password: {e}");
        return ExitCode::FAILURE;
    }
    let engine = match claimdesk_aws::Engine::from_env().await {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("create-admin: {e}");
            return ExitCode::FAILURE;
        }
    };
    let draft = AdminDraft {
        email,
        name,
        password: password.trim_end_matches(['\r', '\n']).to_string(),
    };
    match engine.core.create_staff_admin(&draft).await {
        Ok(user) => {
            println!("created staff admin {} ({})", user.email, user.id);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("create-admin: {e}");
            ExitCode::FAILURE
        }
    }
}
