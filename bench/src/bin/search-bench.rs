//! Search and suggestions at the size: 10,000 articles and 100,000 published
//! solutions of generated text (a Zipf-distributed vocabulary of real claims, billing and
//! warranty words plus made-up ones), on the local engine: how long indexing takes (in the
//! table's own transactions, as the server does it), how large the index is, and warm p50 and
//! p99 of suggestions and searches over 1,000 queries typed a character at a time, through
//! `Core` (the services and the port, no HTTP).
//!
//! With `--aws` (needs CLAIMDESK_AWS_ENDPOINT): the AWS path against the emulator —
//! `search-indexer`'s requests per change, for batches of 1 and of 100 changes, and the
//! freshness measured (a change written → the stream read → indexed → visible to a search
//! function instance), for an index of `--aws-docs` articles.
//!
//! Usage: search-bench [--articles 10000] [--solutions 100000] [--queries 1000]
//!                     [--aws] [--aws-docs 2000]

use chrono::{Duration, TimeZone, Utc};
use claimdesk_bench::{argument, emulator_sdk, fresh_names, identity, local_core, stream_batch, ENDPOINT_VARIABLE};
use claimdesk_core::domain::knowledge::{Article, ArticleState, Solution, Visibility};
use claimdesk_core::domain::roles::Role;
use claimdesk_core::ports::{ManualClock, Write};
use claimdesk_core::services::knowledge::{SearchQuery, SuggestionDraft};
use claimdesk_core::services::{item_of, Settings};
use claimdesk_core::store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::Instant;

const REAL_WORDS: &str = "claim claims denied denial rejected rejection remittance advice payment payer payers \
    eligibility coverage modifier procedure diagnosis code codes billing invoice invoices provider providers patient \
    patients member subscriber policy deductible copay coinsurance allowed amount adjustment reason carc rarc era \
    edi clearinghouse submission resubmit corrected appeal appeals timely filing limit authorization referral \
    preauthorization medicaid medicare commercial plan network fee schedule contract rate units service date \
    line lines charge charges balance statement export import report reports dashboard login password reset \
    account user users role roles permission access error errors timeout slow save saving print printer printing \
    upload attachment attachments file files document documents scan scanner fax email mail notification \
    warranty warranties serial product products part parts replacement return rma dealer dealers shipment \
    shipping tracking carrier credit refund repair labor hours failure defect install installation unit units \
    registration expired terms bucket pump valve motor compressor sensor firmware update upgrade version \
    release install configure configuration setting settings field fields form forms screen button menu page \
    search filter sort column columns batch queue status pending resolved closed open assigned escalate \
    escalation priority urgent high medium low response resolution target breach business hours calendar";

/// A vocabulary: the real words first (most frequent), then made-up ones from syllables.
fn vocabulary(rng: &mut StdRng) -> Vec<String> {
    let mut words: Vec<String> = REAL_WORDS.split_whitespace().map(str::to_string).collect();
    let syllables = [
        "ka", "lo", "mi", "ter", "vu", "sen", "dra", "pol", "gin", "tu", "rex", "am", "bo", "cal", "dun", "fen",
    ];
    while words.len() < 6_000 {
        let n = rng.gen_range(2..=4);
        let word: String = (0..n).map(|_| syllables[rng.gen_range(0..syllables.len())]).collect();
        if !words.contains(&word) {
            words.push(word);
        }
    }
    words
}

/// Zipf's law over the vocabulary (s = 1.07): a few words everywhere, most rare.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize) -> Zipf {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|rank| {
                total += 1.0 / (rank as f64).powf(1.07);
                total
            })
            .collect();
        Zipf { cumulative }
    }

    fn pick(&self, rng: &mut StdRng) -> usize {
        let x = rng.gen::<f64>() * self.cumulative.last().copied().unwrap_or(1.0);
        self.cumulative
            .partition_point(|c| *c < x)
            .min(self.cumulative.len() - 1)
    }
}

fn sentence(rng: &mut StdRng, words: &[String], zipf: &Zipf, n: usize) -> String {
    (0..n)
        .map(|_| words[zipf.pick(rng)].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn show(label: &str, mut millis: Vec<f64>) {
    millis.sort_by(f64::total_cmp);
    println!(
        "{label:<44} p50 {:>6.2} ms   p99 {:>6.2} ms   max {:>6.2} ms   ({} queries)",
        percentile(&millis, 0.5),
        percentile(&millis, 0.99),
        millis.last().copied().unwrap_or(0.0),
        millis.len()
    );
}

fn article(n: usize, rng: &mut StdRng, words: &[String], zipf: &Zipf) -> Article {
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(n as i64);
    let body_words = rng.gen_range(80..300);
    let title_words = rng.gen_range(4..9);
    Article {
        id: format!("art_{n:026}"),
        title: sentence(rng, words, zipf, title_words),
        body: format!("<p>{}</p>", sentence(rng, words, zipf, body_words)),
        category: words[rng.gen_range(0..40)].clone(),
        tags: vec![words[zipf.pick(rng)].clone()],
        product: None,
        visibility: if n.is_multiple_of(5) {
            Visibility::Staff
        } else {
            Visibility::Clients
        },
        state: ArticleState::Published,
        author: "writer@vendor.test".into(),
        author_name: None,
        updated_by: None,
        created_at: at,
        updated_at: at,
        helpful: 0,
        not_helpful: 0,
        files: Vec::new(),
    }
}

fn solution(n: usize, rng: &mut StdRng, words: &[String], zipf: &Zipf) -> Solution {
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(n as i64);
    let body_words = rng.gen_range(30..120);
    let title_words = rng.gen_range(4..10);
    Solution {
        id: format!("t_{n:026}"),
        title: sentence(rng, words, zipf, title_words),
        body: sentence(rng, words, zipf, body_words),
        ticket_type: "claim_issue".into(),
        product: None,
        author: "agent@vendor.test".into(),
        published_at: at,
        updated_at: at,
    }
}

/// What somebody types: a few words of a document's title, then of its body.
fn typed_phrases(rng: &mut StdRng, words: &[String], zipf: &Zipf, queries: usize) -> Vec<String> {
    let mut out = Vec::new();
    while out.len() < queries {
        let phrase = sentence(rng, words, zipf, 4);
        for end in 3..=phrase.len() {
            if phrase.is_char_boundary(end) && out.len() < queries {
                out.push(phrase[..end].to_string());
            }
        }
    }
    out
}

/// A finished phrase with one of its longer words misspelt (two letters swapped, or one
/// dropped or doubled), as people slip.
fn misspelt(rng: &mut StdRng, phrase: &str) -> String {
    let mut words: Vec<String> = phrase.split(' ').map(str::to_string).collect();
    let long: Vec<usize> = (0..words.len()).filter(|i| words[*i].len() >= 6).collect();
    if let Some(&i) = long.get(rng.gen_range(0..long.len().max(1))) {
        let mut chars: Vec<char> = words[i].chars().collect();
        let at = rng.gen_range(1..chars.len() - 1);
        match rng.gen_range(0..3) {
            0 => chars.swap(at, at + 1),
            1 => {
                chars.remove(at);
            }
            _ => chars.insert(at, chars[at]),
        }
        words[i] = chars.into_iter().collect();
    }
    words.join(" ")
}

async fn local(articles: usize, solutions: usize, queries: usize) {
    let mut rng = StdRng::seed_from_u64(16);
    let words = vocabulary(&mut rng);
    let zipf = Zipf::new(words.len());
    let dir = tempfile::tempdir().expect("a folder");
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let path = dir.path().join("bench.db");
    let (core, _) = local_core(dir.path(), clock);
    let table = core.table.clone();
    let started = Instant::now();
    let mut batch = Vec::new();
    for n in 0..articles + solutions {
        let item = if n < articles {
            store::article_item(&article(n, &mut rng, &words, &zipf), 1)
        } else {
            let s = solution(n - articles, &mut rng, &words, &zipf);
            item_of(store::solution_pk(&s.id), store::META, &s)
        };
        batch.push(Write::create(item));
        if batch.len() == 500 {
            table.write(std::mem::take(&mut batch)).await.expect("written");
        }
    }
    if !batch.is_empty() {
        table.write(batch).await.expect("written");
    }
    let built = started.elapsed().as_secs_f64();
    let reader = rusqlite::Connection::open(&path).expect("the file");
    let index_bytes: i64 = reader
        .query_row(
            "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'search%' OR name LIKE 'sqlite_autoindex_search%'",
            [],
            |row| row.get(0),
        )
        .unwrap_or(-1);
    let file_bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(path.with_extension("db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "local: {articles} articles + {solutions} solutions written and indexed in {built:.1} s ({:.0} documents/s, in the table's own transactions of 500)",
        (articles + solutions) as f64 / built
    );
    println!(
        "local: index {:.1} MB (FTS5 tables + document table, by dbstat); whole database {:.1} MB",
        index_bytes as f64 / 1e6,
        file_bytes as f64 / 1e6
    );

    let client = identity("adjuster@acme.test", "ACME", Role::Adjuster);
    let agent = identity("agent@vendor.test", "VENDOR", Role::AgentL1);
    let typed = typed_phrases(&mut rng, &words, &zipf, queries);
    for (label, who) in [("client", &client), ("agent", &agent)] {
        // Warm: one pass unmeasured (the page cache and the prepared statements).
        for text in typed.iter().take(200) {
            let draft = SuggestionDraft {
                subject: Some(text.clone()),
                ..Default::default()
            };
            core.suggest(who, &draft).await.expect("suggestions");
        }
        let mut suggest_ms = Vec::new();
        let mut search_ms = Vec::new();
        let mut empty = 0;
        for text in &typed {
            let draft = SuggestionDraft {
                subject: Some("Claim problem".into()),
                description: Some(text.clone()),
                ..Default::default()
            };
            let t = Instant::now();
            let found = core.suggest(who, &draft).await.expect("suggestions");
            suggest_ms.push(t.elapsed().as_secs_f64() * 1e3);
            empty += usize::from(found.articles.is_empty() && found.solutions.is_empty());
            let query = SearchQuery {
                q: Some(text.clone()),
                ..Default::default()
            };
            let t = Instant::now();
            core.search(who, &query).await.expect("a search");
            search_ms.push(t.elapsed().as_secs_f64() * 1e3);
        }
        show(
            &format!("local suggestions, as {label} (subject + typed description)"),
            suggest_ms,
        );
        show(
            &format!("local search, as {label} (every kind, first page of 20)"),
            search_ms,
        );
        println!("  ({empty} of {} suggestion calls found nothing)", typed.len());
    }

    // Typo tolerance costs only when a word is unknown: finished phrases with one word
    // misspelt, against the same phrases spelt right (and how often the misspelling still
    // brings the same best article first).
    let phrases: Vec<String> = (0..500).map(|_| sentence(&mut rng, &words, &zipf, 4)).collect();
    let slips: Vec<String> = phrases.iter().map(|p| misspelt(&mut rng, p)).collect();
    let mut best_right = Vec::new();
    let mut same_best = 0;
    for (label, texts) in [("spelt right", &phrases), ("one word misspelt", &slips)] {
        let mut suggest_ms = Vec::new();
        let mut empty = 0;
        for (n, text) in texts.iter().enumerate() {
            let draft = SuggestionDraft {
                description: Some(text.clone()),
                typing: Some(false),
                ..Default::default()
            };
            let t = Instant::now();
            let found = core.suggest(&client, &draft).await.expect("suggestions");
            suggest_ms.push(t.elapsed().as_secs_f64() * 1e3);
            empty += usize::from(found.articles.is_empty() && found.solutions.is_empty());
            let best = found.articles.first().map(|h| h.id.clone());
            if best_right.len() < texts.len() {
                best_right.push(best);
            } else if best.is_some() && best == best_right[n] {
                same_best += 1;
            }
        }
        show(&format!("local suggestions, 4 words {label}"), suggest_ms);
        println!("  ({empty} of {} found nothing)", texts.len());
    }
    println!(
        "  (misspelt, {same_best} of {} still brought the best article of the phrase spelt right first)",
        slips.len()
    );
}

async fn aws(docs: usize) {
    let endpoint = std::env::var(ENDPOINT_VARIABLE).expect("CLAIMDESK_AWS_ENDPOINT (bench/run.sh sets it)");
    let sdk = emulator_sdk(&endpoint).await;
    let names = fresh_names();
    claimdesk_aws::provision::provision(&sdk, &names, "Claimdesk <support@claimdesk.test>")
        .await
        .expect("emulator resources");
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let indexer = claimdesk_aws::Engine::new(&sdk, names.clone(), Settings::default(), clock.clone());
    let searcher = claimdesk_aws::Engine::new(&sdk, names.clone(), Settings::default(), clock.clone());
    let mut rng = StdRng::seed_from_u64(17);
    let words = vocabulary(&mut rng);
    let zipf = Zipf::new(words.len());
    let mut position: Option<String> = None;
    // The index's starting size: `docs` articles, indexed in batches of 500.
    for chunk in (0..docs).collect::<Vec<_>>().chunks(25) {
        let writes = chunk
            .iter()
            .map(|n| Write::create(store::article_item(&article(*n, &mut rng, &words, &zipf), 1)))
            .collect();
        indexer.core.table.write(writes).await.expect("written");
        if chunk[0] % 500 == 475 || chunk.last() == Some(&(docs - 1)) {
            let (event, last) = stream_batch(&sdk, &endpoint, &names.table, position.as_deref()).await;
            position = last;
            claimdesk_aws::lambda::handle_index(&indexer, &event)
                .await
                .expect("indexed");
        }
    }
    let client = identity("adjuster@acme.test", "ACME", Role::Adjuster);
    for per_batch in [1usize, 100] {
        let rounds = if per_batch == 1 { 10 } else { 3 };
        let mut fresh_ms = Vec::new();
        let (mut dynamo_requests, mut s3_requests, mut changes) = (0u64, 0u64, 0usize);
        for round in 0..rounds {
            let marker = format!("freshmarker{per_batch}x{round}");
            let mut written = 0;
            while written < per_batch {
                let n = docs + per_batch * 1000 + round * per_batch + written;
                let mut a = article(n, &mut rng, &words, &zipf);
                a.visibility = Visibility::Clients;
                if written == 0 {
                    a.title = format!("{} {marker}", a.title);
                }
                indexer
                    .core
                    .table
                    .write(vec![Write::create(store::article_item(&a, 1))])
                    .await
                    .expect("written");
                written += 1;
            }
            // From the batch's last write: the stream read, the indexer's run, and the search
            // function fetching the new version.
            let started = Instant::now();
            let (event, last) = stream_batch(&sdk, &endpoint, &names.table, position.as_deref()).await;
            position = last;
            let dynamo_before = indexer.dynamo.usage();
            let s3_before = indexer.search.s3_requests.load(std::sync::atomic::Ordering::Relaxed);
            let report = claimdesk_aws::lambda::handle_index(&indexer, &event)
                .await
                .expect("indexed");
            dynamo_requests += indexer.dynamo.usage().since(&dynamo_before).total_requests();
            s3_requests += indexer.search.s3_requests.load(std::sync::atomic::Ordering::Relaxed) - s3_before;
            changes += report.changes;
            let query = SearchQuery {
                q: Some(marker.clone()),
                ..Default::default()
            };
            let page = searcher.core.search(&client, &query).await.expect("a search");
            assert_eq!(page.hits.len(), 1, "the change is visible");
            fresh_ms.push(started.elapsed().as_secs_f64() * 1e3);
        }
        println!(
            "aws: batches of {per_batch:>3}: {:.2} DynamoDB + {:.2} S3 requests per change ({changes} changes)",
            dynamo_requests as f64 / changes as f64,
            s3_requests as f64 / changes as f64
        );
        show(
            &format!("aws freshness, batches of {per_batch} (last write → visible)"),
            fresh_ms,
        );
    }
    // A warm search: one pointer read, no S3 request.
    let s3_before = searcher.search.s3_requests.load(std::sync::atomic::Ordering::Relaxed);
    let dynamo_before = searcher.dynamo.usage();
    let query = SearchQuery {
        q: Some("claim".into()),
        ..Default::default()
    };
    searcher.core.search(&client, &query).await.expect("a search");
    println!(
        "aws: a warm search: {} DynamoDB request(s), {} S3 request(s)",
        searcher.dynamo.usage().since(&dynamo_before).total_requests(),
        searcher.search.s3_requests.load(std::sync::atomic::Ordering::Relaxed) - s3_before
    );
    println!("aws: the emulator's figures; on AWS add the stream's delay and the one-second batching window");
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let articles: usize = argument("--articles", "10000").parse().expect("--articles N");
    let solutions: usize = argument("--solutions", "100000").parse().expect("--solutions N");
    let queries: usize = argument("--queries", "1000").parse().expect("--queries N");
    if std::env::args().any(|a| a == "--aws") {
        let docs: usize = argument("--aws-docs", "2000").parse().expect("--aws-docs N");
        aws(docs).await;
    } else {
        local(articles, solutions, queries).await;
    }
}
