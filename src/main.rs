//! `claimdesk` — the local server, a helper that prints development tokens, and
//! `claimdesk admin create`, which makes the first person who signs in with a password.
//! `claimdesk --help` and each command's `--help` list the flags; with no command it serves.

use claimdesk::{jwt_secret, start, Config};

use claimdesk_core::domain::people::AdminDraft;
use claimdesk_core::domain::roles::{Identity, Role};
use claimdesk_core::http::auth::{issue_token_for, TokenRules};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc, not glibc's allocator: the server's workers, its SQLite writer and its mail
/// writers allocate and free on different threads, and glibc's arena locks made a sixth of
/// its CPU under load (issue 12).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "claimdesk",
    version,
    about = "Claimdesk's local server: the whole API on the embedded engine (SQLite, a folder of files, a folder of .eml mail)",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// With no command, `claimdesk` serves with these flags.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API on 127.0.0.1 (the default command).
    Serve(ServeArgs),
    /// Print a signed development token for scripts and tests.
    Token(TokenArgs),
    /// Manage the vendor's staff admins.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create a staff admin who signs in with a password: the first person of a new data
    /// folder. The password is asked for on the terminal, or read from standard input.
    Create(AdminArgs),
}

#[derive(Debug, Args)]
struct AdminArgs {
    /// The admin's email address (their sign-in).
    #[arg(long)]
    email: String,
    /// The admin's full name.
    #[arg(long)]
    name: String,
    /// The data folder.
    #[arg(long, env = "CLAIMDESK_DATA", default_value = "data")]
    data: PathBuf,
}

#[derive(Debug, Clone, Args)]
struct ServeArgs {
    /// The data folder: records, attachments, outbox mail, events, secrets.
    #[arg(long, env = "CLAIMDESK_DATA", default_value = "data")]
    data: PathBuf,
    /// The port on 127.0.0.1.
    #[arg(long, env = "CLAIMDESK_PORT", default_value_t = 3000)]
    port: u16,
    /// Another ticket-type catalogue (the shape of shared/core/ticket_types.json).
    #[arg(long, value_name = "FILE")]
    types: Option<PathBuf>,
    /// Another catalogue of warranty claims' adjustment reasons (the shape of
    /// shared/core/adjustment_reasons.json).
    #[arg(long, value_name = "FILE")]
    adjustment_reasons: Option<PathBuf>,
    /// Another business calendar and service-level targets (the shape of
    /// shared/core/service_levels.json).
    #[arg(long, env = "CLAIMDESK_SERVICE_LEVELS", value_name = "FILE")]
    service_levels: Option<PathBuf>,
    /// Days after a failure within which its warranty claim must be submitted (30).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    claim_filing_days: Option<u32>,
    /// Days in Waiting For Customer before a ticket resolves itself.
    #[arg(long, value_name = "N")]
    waiting_days: Option<u32>,
    /// Days in Resolved before a ticket closes itself.
    #[arg(long, value_name = "N")]
    resolved_days: Option<u32>,
    /// Hours before the close that the reminder goes.
    #[arg(long, value_name = "N")]
    close_reminder_hours: Option<u32>,
    /// Requests a second each user may make (bursts of five seconds' worth).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    user_rate: Option<u32>,
    /// Requests a second each company may make (bursts of five seconds' worth).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    company_rate: Option<u32>,
    /// `off` serves without rate limits (the load benchmark).
    #[arg(long, value_enum, value_name = "on|off", default_value_t = Switch::On)]
    rate_limits: Switch,
    /// The receiving mail server (RFC 8601 authserv-id) whose Authentication-Results are
    /// believed: a sender it authenticates may thread a reply by the subject tag alone.
    #[arg(long, env = "CLAIMDESK_MAIL_AUTHSERV_ID", value_name = "ID")]
    mail_authserv_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Switch {
    On,
    Off,
}

#[derive(Debug, Args)]
struct TokenArgs {
    /// The user's email address.
    #[arg(long)]
    email: String,
    /// The user's company code (VENDOR for the vendor's staff).
    #[arg(long)]
    company: String,
    /// A role; repeat for several.
    #[arg(long = "role", value_name = "ROLE", required = true, value_parser = parse_role)]
    roles: Vec<Role>,
    /// The user's full name.
    #[arg(long)]
    name: Option<String>,
    /// The user id (`sub`); u-<email> by default.
    #[arg(long)]
    user_id: Option<String>,
    /// The data folder whose token secret signs it.
    #[arg(long, env = "CLAIMDESK_DATA", default_value = "data")]
    data: PathBuf,
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| {
        let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!("unknown role; one of: {}", known.join(", "))
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Token(args)) => print_token(&args),
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::Admin(AdminCommand::Create(args))) => create_admin(&args).await,
        None => serve(cli.serve).await,
    }
}

fn config_of(args: ServeArgs) -> Config {
    let mut config = Config::new(&args.data, SocketAddr::from(([127, 0, 0, 1], args.port)));
    config.catalogue_file = args.types;
    config.reasons_file = args.adjustment_reasons;
    config.service_levels_file = args.service_levels;
    if let Some(n) = args.claim_filing_days {
        config.settings.claim_filing_days = n;
    }
    let timers = &mut config.settings.timers;
    if let Some(n) = args.waiting_days {
        timers.waiting_days = n;
    }
    if let Some(n) = args.resolved_days {
        timers.resolved_days = n;
    }
    if let Some(n) = args.close_reminder_hours {
        timers.close_reminder_hours = n;
    }
    // Requests per second, with a burst of five seconds' worth.
    let limits = config.rate_limits.get_or_insert_with(Default::default);
    for (flag, rate) in [
        (args.user_rate, &mut limits.per_user),
        (args.company_rate, &mut limits.per_company),
    ] {
        if let Some(n) = flag {
            rate.per_second = f64::from(n);
            rate.burst = n * 5;
        }
    }
    if args.rate_limits == Switch::Off {
        config.rate_limits = None;
    }
    config.settings.mail_authserv_id = args.mail_authserv_id;
    config
}

/// Log lines on standard output, their levels from `RUST_LOG` as `target=level` directives
/// separated by commas (`info`, `claimdesk_core=debug,info`): EnvFilter's span and field
/// filters are not taken, which keeps a regex engine out of the first build.
fn init_tracing() {
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let levels = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(tracing::Level::INFO));
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout())))
        .with(levels)
        .init();
}

async fn serve(args: ServeArgs) -> ExitCode {
    init_tracing();
    let data = args.data.clone();
    let server = match start(config_of(args)).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("claimdesk: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "Claimdesk is serving {} with data in {}\n\
         Open {}/ in a browser: the portal. The API is under /v1 (its document: /v1/openapi.json).\n\
         A new data folder has nobody to sign in yet: make the first admin with\n  \
         claimdesk admin create --email you@example.com --name \"Your Name\" --data {}",
        server.base_url(),
        data.display(),
        server.base_url(),
        data.display()
    );
    let _ = tokio::signal::ctrl_c().await;
    server.stop().await;
    ExitCode::SUCCESS
}

/// The password: asked for without echo on a terminal, else the first line of stdin.
fn read_password() -> std::io::Result<String> {
    if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        return rpassword::prompt_password("Password for the new admin: ");
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

async fn create_admin(args: &AdminArgs) -> ExitCode {
    let password = match read_password() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("claimdesk: cannot read the password: {e}");
            return ExitCode::FAILURE;
        }
    };
    let config = Config::new(&args.data, SocketAddr::from(([127, 0, 0, 1], 0)));
    let core = match claimdesk::open_core(&config, &config.settings.public_base_url, None) {
        Ok((core, _)) => core,
        Err(e) => {
            eprintln!("claimdesk: cannot open {}: {e}", args.data.display());
            return ExitCode::FAILURE;
        }
    };
    let draft = AdminDraft {
        email: args.email.clone(),
        name: args.name.clone(),
        password,
    };
    match core.create_staff_admin(&draft).await {
        Ok(user) => {
            println!(
                "Created staff admin {} ({}); sign in with POST /v1/sessions",
                user.email, user.id
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("claimdesk: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_token(args: &TokenArgs) -> ExitCode {
    let identity = Identity {
        user_id: args
            .user_id
            .clone()
            .unwrap_or_else(|| format!("u-{}", args.email.to_ascii_lowercase()))
            .into(),
        email: args.email.as_str().into(),
        name: args.name.clone(),
        company: args.company.as_str().into(),
        roles: args.roles.clone(),
    };
    let secret = match jwt_secret(&args.data) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("claimdesk").chain(args.iter().copied()))
    }

    #[test]
    fn with_no_command_it_serves_and_flags_are_checked() {
        let cli = parse(&["--data", "d", "--port", "4000", "--rate-limits", "off"]).unwrap();
        assert!(cli.command.is_none());
        let config = config_of(cli.serve);
        assert_eq!(config.bind.port(), 4000);
        assert!(config.rate_limits.is_none());
        let error = parse(&["--prot", "4000"]).unwrap_err().to_string();
        assert!(error.contains("--prot"), "{error}");
        assert!(parse(&["--user-rate", "0"]).is_err());
    }

    #[test]
    fn token_takes_several_roles_and_refuses_unknown_ones() {
        let cli = parse(&[
            "token",
            "--email",
            "a@b.test",
            "--company",
            "acme",
            "--role",
            "owner",
            "--role",
            "agent_l1",
        ])
        .unwrap();
        let Some(Command::Token(args)) = cli.command else {
            panic!("token");
        };
        assert_eq!(args.roles, vec![Role::Owner, Role::AgentL1]);
        let error = parse(&["token", "--email", "a@b.test", "--company", "acme", "--role", "boss"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown role"), "{error}");
    }
}
