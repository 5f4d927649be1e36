//! What a sign-in costs on the local engine, and that it costs the same whether the account
//! exists: the CPU time of hashing and checking a password with the Argon2id parameters in
//! use, then N sign-ins with a wrong password for one real account and N for unknown
//! accounts, taking turns, through the engine's accounts (below the throttle, which would
//! pause the first set after five), with each set's mean, median and p99 per attempt.
//!
//! Usage: sign-in-cost [--attempts 1000]

use claimdesk_bench::{argument, median};
use claimdesk_core::domain::ids::{Email, UserId};
use claimdesk_core::domain::people::User;
use claimdesk_core::domain::roles::Role;
use claimdesk_core::http::auth::TokenRules;
use claimdesk_core::ports::{Accounts, Clock, NewAccount, SystemClock, Table, Write};
use claimdesk_core::services::item_of;
use claimdesk_core::services::people::EmailRecord;
use claimdesk_core::store;
use claimdesk_local::{
    hash_password, password_matches, LocalAccounts, SqliteTable, ARGON2_LANES, ARGON2_MEMORY_KIB, ARGON2_PASSES,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// CPU time (user + system) this process has used.
fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is always valid.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let of = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    of(usage.ru_utime) + of(usage.ru_stime)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Mean, median and p99 of the attempts, in milliseconds.
fn spread(mut times: Vec<f64>) -> (f64, f64, f64) {
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    times.sort_by(f64::total_cmp);
    let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
    (mean, median(&mut times), p99)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let attempts: usize = argument("--attempts", "1000").parse().expect("--attempts N");
    println!("Argon2id: {ARGON2_MEMORY_KIB} KiB, {ARGON2_PASSES} passes, {ARGON2_LANES} lane (OWASP's minimum)");
    let rounds = 20;
    let (cpu, wall) = (cpu_time(), Instant::now());
    let hashes: Vec<String> = (0..rounds).map(|_| hash_password("Correct-Horse-7").unwrap()).collect();
    println!(
        "hash a password:  {:.1} ms CPU, {:.1} ms wall (mean of {rounds})",
        ms(cpu_time() - cpu) / rounds as f64,
        ms(wall.elapsed()) / rounds as f64
    );
    let (cpu, wall) = (cpu_time(), Instant::now());
    assert!(hashes.iter().all(|h| password_matches("Correct-Horse-7", h)));
    println!(
        "check a password: {:.1} ms CPU, {:.1} ms wall (mean of {rounds})",
        ms(cpu_time() - cpu) / rounds as f64,
        ms(wall.elapsed()) / rounds as f64
    );

    let dir = tempfile_dir();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let table: Arc<dyn Table> = Arc::new(SqliteTable::open(&dir.join("claimdesk.db"), clock.clone()).unwrap());
    let accounts = LocalAccounts::new(
        table.clone(),
        clock.clone(),
        Arc::new(vec![7; 32]),
        TokenRules::default(),
    );
    let email = Email::new("root@vendor.test");
    let account = NewAccount {
        email: email.clone(),
        name: "Rita Root".into(),
        company: "VENDOR".into(),
        roles: vec![Role::StaffAdmin],
    };
    let (id, mut writes): (UserId, Vec<Write>) = accounts.create(&account, Some("Correct-Horse-7")).await.unwrap();
    let user = User::new(
        id.clone(),
        email.clone(),
        account.name.clone(),
        account.company.clone(),
        account.roles.clone(),
        clock.now(),
        true,
    );
    writes.push(Write::create(store::user_item(&user, 1)));
    writes.push(Write::create(item_of(
        store::email_pk(&email),
        store::META,
        &EmailRecord { user_id: id },
    )));
    table.write(writes).await.unwrap();
    accounts
        .sign_in(&email, "Correct-Horse-7")
        .await
        .expect("the right password signs in");

    // The two kinds of attempt take turns, so that drift of the machine (frequency, other
    // load) falls on both alike.
    let mut wrong = Vec::with_capacity(attempts);
    let mut unknown = Vec::with_capacity(attempts);
    let cpu = cpu_time();
    for n in 0..attempts {
        for (tried, times) in [
            (email.clone(), &mut wrong),
            (Email::new(format!("nobody{n}@vendor.test")), &mut unknown),
        ] {
            let started = Instant::now();
            let refused = accounts.sign_in(&tried, "Wrong-Horse-99").await;
            times.push(ms(started.elapsed()));
            assert!(refused.is_err());
        }
    }
    let cpu_each = ms(cpu_time() - cpu) / (2 * attempts) as f64;
    let mut medians = Vec::new();
    for (label, times) in [("wrong password, one account", wrong), ("unknown accounts", unknown)] {
        let (mean, median, p99) = spread(times);
        println!("{label:<28} {attempts} attempts: mean {mean:.2} ms, median {median:.2} ms, p99 {p99:.2} ms");
        medians.push(median);
    }
    println!("CPU per refused sign-in: {cpu_each:.2} ms");
    println!(
        "median unknown / median wrong password: {:.3} (1.000 is the same time)",
        medians[1] / medians[0]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("claimdesk-sign-in-cost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
