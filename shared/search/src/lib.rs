//! The search index: SQLite FTS5, the same code on both engines. Locally its tables live in
//! the table's own database and change in the same transaction as the items they come from;
//! on AWS they are a database file in S3 that the stream's indexer writes and the search
//! functions read (`claimdesk_aws::search`).
//!
//! Three FTS5 tables, one per kind (tickets with their messages, articles, solutions), so a
//! suggestion never ranks the tickets it will not show; each is contentless (the text is
//! not stored twice) with `contentless_delete`, and ranks by BM25 with the title weighted
//! above the body. `search_docs` holds each document's visibility facts and the hit it
//! shows; `search_collaborators` who collaborates on which ticket.

pub mod text;

use chrono::{DateTime, Utc};
use claimdesk_core::domain::knowledge::Visibility;
use claimdesk_core::domain::lifecycle::Desk;
use claimdesk_core::domain::search::{Change, Document, Hit, Kind, SearchRequest, SuggestRequest, Suggestions, Viewer};
use claimdesk_core::store;
use rusqlite::{named_params, params, Connection, OptionalExtension};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS search_docs (
    id INTEGER PRIMARY KEY,
    item TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    ticket TEXT,
    message INTEGER NOT NULL,
    internal INTEGER NOT NULL,
    company TEXT,
    desk TEXT,
    visibility TEXT,
    state TEXT NOT NULL,
    at TEXT NOT NULL,
    hit TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS search_docs_ticket ON search_docs (ticket) WHERE message = 0 AND ticket IS NOT NULL;
CREATE TABLE IF NOT EXISTS search_collaborators (
    email TEXT NOT NULL, ticket TEXT NOT NULL, item TEXT NOT NULL UNIQUE,
    PRIMARY KEY (email, ticket)
);
CREATE INDEX IF NOT EXISTS search_docs_kind ON search_docs (kind, id);
CREATE TABLE IF NOT EXISTS search_counts (kind TEXT PRIMARY KEY, documents INTEGER NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS search_ticket USING fts5(title, body, content='', contentless_delete=1);
CREATE VIRTUAL TABLE IF NOT EXISTS search_article USING fts5(title, body, content='', contentless_delete=1);
CREATE VIRTUAL TABLE IF NOT EXISTS search_solution USING fts5(title, body, content='', contentless_delete=1);
CREATE VIRTUAL TABLE IF NOT EXISTS search_ticket_terms USING fts5vocab(search_ticket, 'row');
CREATE VIRTUAL TABLE IF NOT EXISTS search_article_terms USING fts5vocab(search_article, 'row');
CREATE VIRTUAL TABLE IF NOT EXISTS search_solution_terms USING fts5vocab(search_solution, 'row');
";

/// The title counts this many times the body in the ranking.
pub const TITLE_WEIGHT: f64 = 4.0;
/// A ranked query reads about this many postings of a table at most: terms are kept, rarest
/// first, while their documents add up to no more; when the rarest alone has more, only the
/// newest documents that hold this many are ranked (a word in half the corpus says little
/// of which half is meant, so recency decides). This bounds a query's work whatever the
/// corpus's size: the benchmark's p99 went from 180 ms to a few for 110,000 documents.
pub const POSTINGS_BUDGET: i64 = 8_000;
/// How many indexed terms the word being typed stands for at most (the most frequent ones
/// it begins).
pub const PREFIX_TERMS: usize = 6;

/// A search ranks at most this many tickets' documents before grouping them by ticket:
/// pages past it are not offered (a search that broad wants more words or a filter).
pub const MAX_CANDIDATES: usize = 500;

pub type Result<T> = rusqlite::Result<T>;

/// Creates the index's tables if they are not there.
pub fn ensure_schema(connection: &Connection) -> Result<()> {
    connection.execute_batch(SCHEMA)
}

fn table_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Ticket => "search_ticket",
        Kind::Article => "search_article",
        Kind::Solution => "search_solution",
    }
}

/// How many documents of a kind hold one term (its `fts5vocab` table's row).
fn term_count_sql(kind: Kind) -> &'static str {
    match kind {
        Kind::Ticket => "SELECT doc FROM search_ticket_terms WHERE term = ?1",
        Kind::Article => "SELECT doc FROM search_article_terms WHERE term = ?1",
        Kind::Solution => "SELECT doc FROM search_solution_terms WHERE term = ?1",
    }
}

fn desk_name(desk: Desk) -> &'static str {
    match desk {
        Desk::Vendor => "vendor",
        Desk::Internal => "internal",
    }
}

fn visibility_name(visibility: Visibility) -> &'static str {
    match visibility {
        Visibility::Clients => "clients",
        Visibility::Staff => "staff",
    }
}

/// Applies changes in order (the caller holds the transaction).
pub fn apply(connection: &Connection, changes: &[Change]) -> Result<()> {
    for change in changes {
        match change {
            Change::Put(document) => put(connection, document)?,
            Change::Collaborator { ticket, email } => {
                connection
                    .prepare_cached(
                        "INSERT OR IGNORE INTO search_collaborators (email, ticket, item) VALUES (?1, ?2, ?3)",
                    )?
                    .execute(params![
                        email,
                        ticket,
                        format!("{}{ticket}|{}", store::TICKET_PREFIX, store::collaborator_sk(email))
                    ])?;
            }
            Change::Remove { item } => {
                remove(connection, item)?;
                connection
                    .prepare_cached("DELETE FROM search_collaborators WHERE item = ?1")?
                    .execute([item])?;
            }
        }
    }
    Ok(())
}

fn remove(connection: &Connection, item: &str) -> Result<()> {
    let existing: Option<(i64, String)> = connection
        .prepare_cached("SELECT id, kind FROM search_docs WHERE item = ?1")?
        .query_row([item], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    if let Some((id, kind)) = existing {
        let kind = Kind::parse(&kind).unwrap_or(Kind::Ticket);
        connection
            .prepare_cached(&format!("DELETE FROM {} WHERE rowid = ?1", table_of(kind)))?
            .execute([id])?;
        connection
            .prepare_cached("DELETE FROM search_docs WHERE id = ?1")?
            .execute([id])?;
        count(connection, kind, -1)?;
    }
    Ok(())
}

/// Keeps `search_counts` (each table's documents: the share a term is in, without counting).
fn count(connection: &Connection, kind: Kind, by: i64) -> Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO search_counts (kind, documents) VALUES (?1, ?2) \
             ON CONFLICT (kind) DO UPDATE SET documents = documents + excluded.documents",
        )?
        .execute(params![kind.as_str(), by])?;
    Ok(())
}

fn put(connection: &Connection, document: &Document) -> Result<()> {
    remove(connection, &document.item)?;
    let hit = serde_json::to_string(&document.hit).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))?;
    connection
        .prepare_cached(
            "INSERT INTO search_docs (item, kind, ticket, message, internal, company, desk, visibility, state, at, hit) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(params![
            document.item,
            document.kind.as_str(),
            document.ticket,
            document.message,
            document.internal,
            document.company,
            document.desk.map(desk_name),
            document.visibility.map(visibility_name),
            document.state,
            store::ts(document.at),
            hit,
        ])?;
    let id = connection.last_insert_rowid();
    connection
        .prepare_cached(&format!(
            "INSERT INTO {} (rowid, title, body) VALUES (?1, ?2, ?3)",
            table_of(document.kind)
        ))?
        .execute(params![
            id,
            text::index_text(&document.title),
            text::index_text(&document.body)
        ])?;
    count(connection, document.kind, 1)
}

/// How many documents hold a term, as `fts5vocab` counts them: by walking the term's
/// postings, so counting a word in half the corpus costs what ranking it would. Counts of
/// common terms (and the expansions of prefixes that begin common terms) are remembered for
/// a while: they change slowly and only steer which terms a query keeps. Rare and absent
/// terms are always counted afresh (that is cheap), so a word that just appeared is found.
#[derive(Default)]
pub struct TermStats {
    terms: Mutex<HashMap<(Kind, String), (i64, Instant)>>,
    prefixes: Mutex<HashMap<(Kind, String), (Expansion, Instant)>>,
    /// What an unknown word was mended to (or that nothing is one edit away), by the kinds
    /// looked in: somebody typing a case asks again with the same words at each keystroke.
    mended: Mutex<HashMap<MendedWord, (Option<String>, Instant)>>,
}

/// An unknown word (folded) and the kinds it was looked for in.
type MendedWord = (Vec<Kind>, String);

/// The indexed terms a prefix stands for, with their document counts.
type Expansion = Vec<(String, i64)>;

/// Counts from this many documents up are remembered …
pub const REMEMBERED_FROM: i64 = 1_000;
/// … for this long.
pub const REMEMBERED_FOR: Duration = Duration::from_secs(300);
const REMEMBERED_MAX: usize = 100_000;

impl TermStats {
    fn get(&self, kind: Kind, term: &str) -> Option<i64> {
        let terms = self.terms.lock().unwrap_or_else(|e| e.into_inner());
        terms
            .get(&(kind, term.to_string()))
            .filter(|(_, at)| at.elapsed() < REMEMBERED_FOR)
            .map(|(documents, _)| *documents)
    }

    fn remember(&self, kind: Kind, term: &str, documents: i64) {
        if documents >= REMEMBERED_FROM {
            let mut terms = self.terms.lock().unwrap_or_else(|e| e.into_inner());
            if terms.len() >= REMEMBERED_MAX {
                terms.clear();
            }
            terms.insert((kind, term.to_string()), (documents, Instant::now()));
        }
    }

    fn prefix(&self, kind: Kind, prefix: &str) -> Option<Vec<(String, i64)>> {
        let prefixes = self.prefixes.lock().unwrap_or_else(|e| e.into_inner());
        prefixes
            .get(&(kind, prefix.to_string()))
            .filter(|(_, at)| at.elapsed() < REMEMBERED_FOR)
            .map(|(terms, _)| terms.clone())
    }

    fn mended(&self, kinds: &[Kind], word: &str) -> Option<Option<String>> {
        let mended = self.mended.lock().unwrap_or_else(|e| e.into_inner());
        mended
            .get(&(kinds.to_vec(), word.to_string()))
            .filter(|(_, at)| at.elapsed() < REMEMBERED_FOR)
            .map(|(term, _)| term.clone())
    }

    fn remember_mended(&self, kinds: &[Kind], word: &str, term: Option<String>) {
        let mut mended = self.mended.lock().unwrap_or_else(|e| e.into_inner());
        if mended.len() >= REMEMBERED_MAX {
            mended.clear();
        }
        mended.insert((kinds.to_vec(), word.to_string()), (term, Instant::now()));
    }

    fn remember_prefix(&self, kind: Kind, prefix: &str, terms: &[(String, i64)]) {
        if terms.iter().map(|(_, documents)| documents).sum::<i64>() >= REMEMBERED_FROM {
            let mut prefixes = self.prefixes.lock().unwrap_or_else(|e| e.into_inner());
            if prefixes.len() >= REMEMBERED_MAX {
                prefixes.clear();
            }
            prefixes.insert((kind, prefix.to_string()), (terms.to_vec(), Instant::now()));
        }
    }
}

/// At most this many unknown words of a query are looked for one edit away.
pub const TYPO_WORDS: usize = 4;

/// How many documents of `kind` hold `term`; `None` when it is not indexed.
fn documents_of(connection: &Connection, stats: &TermStats, kind: Kind, term: &str) -> Result<Option<i64>> {
    if let Some(documents) = stats.get(kind, term) {
        return Ok(Some(documents));
    }
    let documents = connection
        .prepare_cached(term_count_sql(kind))?
        .query_row([term], |row| row.get::<_, i64>(0))
        .optional()?;
    if let Some(documents) = documents {
        stats.remember(kind, term, documents);
    }
    Ok(documents)
}

/// Typo tolerance (FTS5 has none): a finished word none of whose stems is indexed in any of
/// `kinds` also looks for its most common indexed neighbour one edit away
/// (`text::typo_candidates`). A word indexed anywhere is no typo; the word being typed is
/// the prefix's business; at most `TYPO_WORDS` words are looked at, so a paste of
/// misspellings costs what a few do, and a query spelt right costs one lookup a word. What a
/// word was mended to is remembered a while (`TermStats`), like common terms' counts.
fn mend(connection: &Connection, stats: &TermStats, kinds: &[Kind], query: &mut text::QueryTerms) -> Result<()> {
    let mut looked = 0;
    for n in 0..query.words.len() {
        let word = &query.words[n];
        if looked == TYPO_WORDS || word.typed || !text::may_be_misspelt(word) {
            continue;
        }
        let mut known = false;
        'kinds: for kind in kinds {
            for stem in &word.stems {
                if documents_of(connection, stats, *kind, stem)?.is_some() {
                    known = true;
                    break 'kinds;
                }
            }
        }
        if known {
            continue;
        }
        let mended = match stats.mended(kinds, &word.folded) {
            Some(mended) => mended,
            None => {
                looked += 1;
                let candidates = text::typo_candidates(word);
                let mut best: Option<(String, i64)> = None;
                for kind in kinds {
                    for candidate in &candidates {
                        if let Some(documents) = documents_of(connection, stats, *kind, candidate)? {
                            if best.as_ref().is_none_or(|(_, most)| documents > *most) {
                                best = Some((candidate.clone(), documents));
                            }
                        }
                    }
                }
                let mended = best.map(|(term, _)| term);
                stats.remember_mended(kinds, &word.folded, mended.clone());
                mended
            }
        };
        if let Some(term) = mended {
            if !query.terms.contains(&term) {
                query.terms.push(term);
            }
        }
    }
    Ok(())
}

/// A query as it will run on one table: the terms kept, and the oldest document ranked.
struct Plan {
    expression: String,
    floor: Option<i64>,
}

/// Chooses what a query reads of `kind`'s table (`POSTINGS_BUDGET`): the terms that are
/// indexed at all, the typed prefix as the indexed terms it begins, rarest first. `bounded`:
/// whether the newest documents may stand for all (not for a client's tickets, which are
/// few among everybody's: those are all ranked).
fn plan(
    connection: &Connection,
    stats: &TermStats,
    kind: Kind,
    query: &text::QueryTerms,
    bounded: bool,
) -> Result<Option<Plan>> {
    let vocab = format!("{}_terms", table_of(kind));
    let mut found: Vec<(String, i64)> = Vec::new();
    for term in &query.terms {
        if let Some(documents) = documents_of(connection, stats, kind, term)? {
            found.push((term.clone(), documents));
        }
    }
    if let Some(prefix) = &query.prefix {
        let expanded = match stats.prefix(kind, prefix) {
            Some(terms) => terms,
            None => {
                let mut begins = connection.prepare_cached(&format!(
                    "SELECT term, doc FROM {vocab} WHERE term >= ?1 AND term < ?2 ORDER BY doc DESC LIMIT {PREFIX_TERMS}"
                ))?;
                let terms = begins
                    .query_map(params![prefix, format!("{prefix}\u{10ffff}")], |row| {
                        Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
                    })?
                    .collect::<Result<Vec<_>>>()?;
                stats.remember_prefix(kind, prefix, &terms);
                terms
            }
        };
        for (term, documents) in expanded {
            if !found.iter().any(|(t, _)| *t == term) {
                found.push((term, documents));
            }
        }
    }
    if found.is_empty() {
        return Ok(None);
    }
    found.sort_by_key(|(_, documents)| *documents);
    let mut total = 0;
    let mut kept = Vec::new();
    for (term, documents) in found {
        if kept.is_empty() || total + documents <= POSTINGS_BUDGET {
            total += documents;
            kept.push(term);
        }
    }
    let floor = if bounded && total > POSTINGS_BUDGET {
        let documents: i64 = connection
            .prepare_cached("SELECT documents FROM search_counts WHERE kind = ?1")?
            .query_row([kind.as_str()], |row| row.get(0))
            .optional()?
            .unwrap_or(0);
        let newest = documents * POSTINGS_BUDGET / total;
        connection
            .prepare_cached("SELECT id FROM search_docs WHERE kind = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2")?
            .query_row(params![kind.as_str(), newest], |row| row.get(0))
            .optional()?
    } else {
        None
    };
    Ok(Some(Plan {
        expression: text::any_of(&kept),
        floor,
    }))
}

/// A hit with its rank (BM25: lower is better).
struct Ranked {
    score: f64,
    hit: Hit,
}

fn read_hit(text: &str) -> Result<Hit> {
    serde_json::from_str(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))
}

/// Which tickets the viewer finds, and which of their notes (the `t` row is the ticket's
/// own document, `d` the matching one): `access::side_for`, in SQL.
const TICKET_VISIBLE: &str = "(
    (:staff = 1 AND t.desk = 'vendor')
    OR (:admin = 1 AND t.company = :company AND t.desk = 'internal')
    OR (d.internal = 0 AND (
        (:staff = 0 AND t.company = :company)
        OR EXISTS (SELECT 1 FROM search_collaborators c WHERE c.email = :email AND c.ticket = t.ticket)
    ))
)";

/// Articles: staff find every one; everyone else the published ones written for clients.
const ARTICLE_VISIBLE: &str = "(:staff = 1 OR (d.visibility = 'clients' AND d.state = 'published'))";

struct Filters<'a> {
    viewer: &'a Viewer,
    state: Option<&'a str>,
    from: Option<String>,
    to: Option<String>,
}

fn ranked_tickets(
    connection: &Connection,
    stats: &TermStats,
    query: &text::QueryTerms,
    filters: &Filters<'_>,
    limit: usize,
) -> Result<Vec<Ranked>> {
    let Some(plan) = plan(connection, stats, Kind::Ticket, query, filters.viewer.staff)? else {
        return Ok(Vec::new());
    };
    let sql = format!(
        "SELECT bm25(search_ticket, {TITLE_WEIGHT}, 1.0) AS score, t.hit, d.hit, d.message \
         FROM search_ticket f JOIN search_docs d ON d.id = f.rowid \
         JOIN search_docs t ON t.ticket = d.ticket AND t.message = 0 \
         WHERE search_ticket MATCH :q AND f.rowid >= :floor AND {TICKET_VISIBLE} \
         AND (:state IS NULL OR t.state = :state) AND (:from IS NULL OR t.at >= :from) AND (:to IS NULL OR t.at < :to) \
         ORDER BY score LIMIT :limit"
    );
    let mut statement = connection.prepare_cached(&sql)?;
    let rows = statement.query_map(
        named_params! {
            ":q": plan.expression,
            ":floor": plan.floor.unwrap_or(0),
            ":staff": filters.viewer.staff,
            ":admin": filters.viewer.company_admin,
            ":company": filters.viewer.company,
            ":email": filters.viewer.email,
            ":state": filters.state,
            ":from": filters.from,
            ":to": filters.to,
            ":limit": MAX_CANDIDATES.min(limit * 8).max(limit) as i64,
        },
        |row| {
            Ok((
                row.get::<_, f64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, bool>(3)?,
            ))
        },
    )?;
    // One hit per ticket, at its best document's rank, showing that document's excerpt.
    let mut out: Vec<Ranked> = Vec::new();
    for row in rows {
        let (score, ticket_hit, document_hit, is_message) = row?;
        let mut hit = read_hit(&ticket_hit)?;
        if out.iter().any(|r| r.hit.id == hit.id) {
            continue;
        }
        if is_message {
            hit.excerpt = read_hit(&document_hit)?.excerpt;
        }
        out.push(Ranked { score, hit });
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

fn ranked_documents(
    connection: &Connection,
    stats: &TermStats,
    kind: Kind,
    query: &text::QueryTerms,
    filters: &Filters<'_>,
    published_only: bool,
    limit: usize,
) -> Result<Vec<Ranked>> {
    let Some(plan) = plan(connection, stats, kind, query, true)? else {
        return Ok(Vec::new());
    };
    let table = table_of(kind);
    let visible = if kind == Kind::Article { ARTICLE_VISIBLE } else { "1" };
    let sql = format!(
        "SELECT bm25({table}, {TITLE_WEIGHT}, 1.0) AS score, d.hit \
         FROM {table} f JOIN search_docs d ON d.id = f.rowid \
         WHERE {table} MATCH :q AND f.rowid >= :floor AND {visible} AND (:published = 0 OR d.state = 'published') \
         AND (:state IS NULL OR d.state = :state) AND (:from IS NULL OR d.at >= :from) AND (:to IS NULL OR d.at < :to) \
         ORDER BY score LIMIT :limit"
    );
    let mut statement = connection.prepare_cached(&sql)?;
    let limit = limit as i64;
    let floor = plan.floor.unwrap_or(0);
    let mut parameters = named_params! {
        ":q": plan.expression,
        ":floor": floor,
        ":staff": filters.viewer.staff,
        ":published": published_only,
        ":state": filters.state,
        ":from": filters.from,
        ":to": filters.to,
        ":limit": limit,
    }
    .to_vec();
    if kind != Kind::Article {
        // The solutions' query names no viewer.
        parameters.retain(|(name, _)| *name != ":staff");
    }
    let rows = statement.query_map(parameters.as_slice(), |row| {
        Ok((row.get::<_, f64>(0)?, row.get::<_, String>(1)?))
    })?;
    rows.map(|row| {
        let (score, hit) = row?;
        Ok(Ranked {
            score,
            hit: read_hit(&hit)?,
        })
    })
    .collect()
}

fn timestamp(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(store::ts)
}

/// A search across what the viewer may see: up to `limit + 1` hits from `offset`, best first.
pub fn search(connection: &Connection, stats: &TermStats, request: &SearchRequest) -> Result<Vec<Hit>> {
    let Some(mut query) = text::query_terms(&request.text, false) else {
        return Ok(Vec::new());
    };
    let filters = Filters {
        viewer: &request.viewer,
        state: request.state.as_deref(),
        from: timestamp(request.from),
        to: timestamp(request.to),
    };
    let wanted = request.offset + request.limit + 1;
    let kinds: Vec<Kind> = if request.kinds.is_empty() {
        vec![Kind::Ticket, Kind::Article, Kind::Solution]
    } else {
        request.kinds.clone()
    };
    mend(connection, stats, &kinds, &mut query)?;
    let mut all: Vec<Ranked> = Vec::new();
    for kind in kinds {
        let found = match kind {
            Kind::Ticket => ranked_tickets(connection, stats, &query, &filters, wanted)?,
            _ => ranked_documents(connection, stats, kind, &query, &filters, false, wanted)?,
        };
        all.extend(found);
    }
    all.sort_by(|a, b| a.score.total_cmp(&b.score));
    Ok(all
        .into_iter()
        .skip(request.offset)
        .take(request.limit + 1)
        .map(|r| r.hit)
        .collect())
}

/// The best published articles the viewer may read and the best solutions for what a new
/// case says so far.
pub fn suggest(connection: &Connection, stats: &TermStats, request: &SuggestRequest) -> Result<Suggestions> {
    let Some(mut query) = text::query_terms(&request.text, request.typing) else {
        return Ok(Suggestions::default());
    };
    mend(connection, stats, &[Kind::Article, Kind::Solution], &mut query)?;
    let filters = Filters {
        viewer: &request.viewer,
        state: None,
        from: None,
        to: None,
    };
    let take = |kind| -> Result<Vec<Hit>> {
        Ok(
            ranked_documents(connection, stats, kind, &query, &filters, true, request.limit)?
                .into_iter()
                .map(|r| r.hit)
                .collect(),
        )
    };
    Ok(Suggestions {
        articles: take(Kind::Article)?,
        solutions: take(Kind::Solution)?,
    })
}

/// How many documents the index holds (for the benchmark and the indexer's report).
pub fn document_count(connection: &Connection) -> Result<i64> {
    connection.query_row("SELECT COUNT(*) FROM search_docs", [], |row| row.get(0))
}

#[cfg(test)]
mod tests;
