//! `claimdesk` — the local server, and a helper that prints development tokens.
//!
//! ```text
//! claimdesk [serve] [--data DIR] [--port N] [--types FILE]
//!           [--waiting-days N] [--resolved-days N] [--close-reminder-hours N]
//!           [--user-rate N] [--company-rate N] [--rate-limits off] [--mail-authserv-id ID]
//! claimdesk token --email E --company C --role R [--role R2] [--name N] [--user-id U] [--data DIR]
//! ```

use claimdesk::{jwt_secret, start, Config};
use claimdesk_core::domain::roles::{Identity, Role};
use claimdesk_core::http::auth::{issue_token_for, TokenRules};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

fn usage() -> ExitCode {
    eprintln!(
        "usage:\n  claimdesk [serve] [--data DIR] [--port N] [--types FILE] [--waiting-days N] [--resolved-days N] [--close-reminder-hours N]\n            [--user-rate N] [--company-rate N] [--rate-limits off] [--mail-authserv-id ID]\n  claimdesk token --email E --company C --role R [--role R2] [--name N] [--user-id U] [--data DIR]\n\nroles: {}",
        Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
    );
    ExitCode::from(2)
}

struct Args {
    command: String,
    flags: Vec<(String, String)>,
}

fn parse_args() -> Option<Args> {
    let mut raw = std::env::args().skip(1).peekable();
    let command = match raw.peek() {
        Some(first) if !first.starts_with("--") => raw.next().unwrap_or_default(),
        _ => "serve".to_string(),
    };
    let mut flags = Vec::new();
    while let Some(flag) = raw.next() {
        let name = flag.strip_prefix("--")?.to_string();
        flags.push((name, raw.next()?));
    }
    Some(Args { command, flags })
}

impl Args {
    fn get(&self, name: &str) -> Option<&str> {
        self.flags.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let Some(args) = parse_args() else { return usage() };
    let data = PathBuf::from(args.get("data").unwrap_or("data"));
    match args.command.as_str() {
        "serve" => serve(&args, data).await,
        "token" => print_token(&args, &data),
        _ => usage(),
    }
}

async fn serve(args: &Args, data: PathBuf) -> ExitCode {
    tracing_subscriber::fmt()
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let port: u16 = match args.get("port").unwrap_or("3000").parse() {
        Ok(p) => p,
        Err(_) => return usage(),
    };
    let mut config = Config::new(&data, SocketAddr::from(([127, 0, 0, 1], port)));
    config.catalogue_file = args.get("types").map(PathBuf::from);
    let timers = &mut config.settings.timers;
    for (flag, slot) in [
        ("waiting-days", &mut timers.waiting_days),
        ("resolved-days", &mut timers.resolved_days),
        ("close-reminder-hours", &mut timers.close_reminder_hours),
    ] {
        if let Some(value) = args.get(flag) {
            match value.parse() {
                Ok(n) => *slot = n,
                Err(_) => return usage(),
            }
        }
    }
    // Requests per second, with a burst of five seconds' worth.
    let limits = config.rate_limits.get_or_insert_with(Default::default);
    for (flag, rate) in [
        ("user-rate", &mut limits.per_user),
        ("company-rate", &mut limits.per_company),
    ] {
        if let Some(value) = args.get(flag) {
            match value.parse::<u32>() {
                Ok(n) if n > 0 => {
                    rate.per_second = f64::from(n);
                    rate.burst = n * 5;
                }
                _ => return usage(),
            }
        }
    }
    // The receiving mail server (RFC 8601 authserv-id) whose Authentication-Results are
    // believed: a sender it authenticates may thread a reply by the subject tag alone.
    config.settings.mail_authserv_id = args.get("mail-authserv-id").map(str::to_string);
    match args.get("rate-limits") {
        None => {}
        Some("off") => config.rate_limits = None,
        Some(_) => return usage(),
    }
    let server = match start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("claimdesk: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "Claimdesk is serving {} with data in {}",
        server.base_url(),
        data.display()
    );
    let _ = tokio::signal::ctrl_c().await;
    server.stop().await;
    ExitCode::SUCCESS
}

fn print_token(args: &Args, data: &std::path::Path) -> ExitCode {
    let (Some(email), Some(company)) = (args.get("email"), args.get("company")) else {
        return usage();
    };
    let roles: Option<Vec<Role>> = args
        .flags
        .iter()
        .filter(|(n, _)| n == "role")
        .map(|(_, r)| Role::parse(r))
        .collect();
    let Some(roles) = roles.filter(|r| !r.is_empty()) else {
        return usage();
    };
    let identity = Identity {
        user_id: args
            .get("user-id")
            .map(str::to_string)
            .unwrap_or_else(|| format!("u-{}", email.to_ascii_lowercase())),
        email: email.to_ascii_lowercase(),
        name: args.get("name").map(str::to_string),
        company: company.to_ascii_uppercase(),
        roles,
    };
    let secret = match jwt_secret(data) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("claimdesk: cannot read the token secret: {e}");
            return ExitCode::FAILURE;
        }
    };
    let now = chrono::Utc::now().timestamp();
    let rules = TokenRules::from_env();
    println!("{}", issue_token_for(&secret, &identity, now, 30 * 24 * 3600, &rules));
    ExitCode::SUCCESS
}
