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
CREATE VIRTUAL TABLE IF NOT EXISTS search_ticket USING fts5(title, body, content='', contentless_delete=1, prefix='2 3');
CREATE VIRTUAL TABLE IF NOT EXISTS search_article USING fts5(title, body, content='', contentless_delete=1, prefix='2 3');
CREATE VIRTUAL TABLE IF NOT EXISTS search_solution USING fts5(title, body, content='', contentless_delete=1, prefix='2 3');
";

/// The title counts this many times the body in the ranking.
pub const TITLE_WEIGHT: f64 = 4.0;
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
    }
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
    Ok(())
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
    expression: &str,
    filters: &Filters<'_>,
    limit: usize,
) -> Result<Vec<Ranked>> {
    let sql = format!(
        "SELECT bm25(search_ticket, {TITLE_WEIGHT}, 1.0) AS score, t.hit, d.hit, d.message \
         FROM search_ticket f JOIN search_docs d ON d.id = f.rowid \
         JOIN search_docs t ON t.ticket = d.ticket AND t.message = 0 \
         WHERE search_ticket MATCH :q AND {TICKET_VISIBLE} \
         AND (:state IS NULL OR t.state = :state) AND (:from IS NULL OR t.at >= :from) AND (:to IS NULL OR t.at < :to) \
         ORDER BY score LIMIT :limit"
    );
    let mut statement = connection.prepare_cached(&sql)?;
    let rows = statement.query_map(
        named_params! {
            ":q": expression,
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
    kind: Kind,
    expression: &str,
    filters: &Filters<'_>,
    published_only: bool,
    limit: usize,
) -> Result<Vec<Ranked>> {
    let table = table_of(kind);
    let visible = if kind == Kind::Article { ARTICLE_VISIBLE } else { "1" };
    let sql = format!(
        "SELECT bm25({table}, {TITLE_WEIGHT}, 1.0) AS score, d.hit \
         FROM {table} f JOIN search_docs d ON d.id = f.rowid \
         WHERE {table} MATCH :q AND {visible} AND (:published = 0 OR d.state = 'published') \
         AND (:state IS NULL OR d.state = :state) AND (:from IS NULL OR d.at >= :from) AND (:to IS NULL OR d.at < :to) \
         ORDER BY score LIMIT :limit"
    );
    let mut statement = connection.prepare_cached(&sql)?;
    let limit = limit as i64;
    let mut parameters = named_params! {
        ":q": expression,
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
pub fn search(connection: &Connection, request: &SearchRequest) -> Result<Vec<Hit>> {
    let Some(expression) = text::match_expression(&request.text, false) else {
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
    let mut all: Vec<Ranked> = Vec::new();
    for kind in kinds {
        let found = match kind {
            Kind::Ticket => ranked_tickets(connection, &expression, &filters, wanted)?,
            _ => ranked_documents(connection, kind, &expression, &filters, false, wanted)?,
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
pub fn suggest(connection: &Connection, request: &SuggestRequest) -> Result<Suggestions> {
    let Some(expression) = text::match_expression(&request.text, request.typing) else {
        return Ok(Suggestions::default());
    };
    let filters = Filters {
        viewer: &request.viewer,
        state: None,
        from: None,
        to: None,
    };
    let take = |kind| -> Result<Vec<Hit>> {
        Ok(
            ranked_documents(connection, kind, &expression, &filters, true, request.limit)?
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
