//! The single table over SQLite. Each index of the DynamoDB design is a partial index here
//! (present only for rows that carry that key: sparse, like a DynamoDB GSI), conditions are
//! checked inside one IMMEDIATE transaction, and pages end in the same cursors.

use async_trait::async_trait;
use claimdesk_core::domain::search::{self, Change};
use claimdesk_core::ports::{
    Clock, Condition, Cursor, Index, IndexKey, Item, Page, Query, SortKey, StoreError, Table, Write,
};
use claimdesk_core::store;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub struct SqliteTable {
    connection: Mutex<Connection>,
    items_read: AtomicU64,
    /// TTL is judged by the deployment's clock, so a test's clock moves expiry too.
    clock: Arc<dyn Clock>,
    /// The search index's remembered term counts (`claimdesk_search::TermStats`).
    term_stats: claimdesk_search::TermStats,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    pk TEXT NOT NULL, sk TEXT NOT NULL,
    gsi1pk TEXT, gsi1sk TEXT, gsi2pk TEXT, gsi2sk TEXT, gsi3pk TEXT, gsi3sk TEXT,
    duepk TEXT, duesk TEXT,
    expires_at INTEGER, version INTEGER NOT NULL, data BLOB NOT NULL,
    outboxpk TEXT, outboxsk TEXT, summary TEXT,
    PRIMARY KEY (pk, sk)
);
";

/// The first layout kept the items in a `WITHOUT ROWID` table. Such a table stores whole rows
/// in its key's B-tree, and a row of more than a few hundred bytes (a ticket is about two
/// kilobytes) spills into overflow pages of its own: three quarters of the file was empty
/// page space. A rowid table with an index on the key keeps rows packed.
const FROM_WITHOUT_ROWID: &str = "
DROP INDEX IF EXISTS gsi1; DROP INDEX IF EXISTS gsi2; DROP INDEX IF EXISTS gsi3;
DROP INDEX IF EXISTS due; DROP INDEX IF EXISTS outbox;
ALTER TABLE items RENAME TO items_first_layout;
";

/// Columns added since the first layout; a data folder from before gets them on open (its
/// items are then brought to the current layout by `claimdesk migrate`).
const ADDED_COLUMNS: [&str; 3] = ["outboxpk TEXT", "outboxsk TEXT", "summary TEXT"];

const INDEXES: &str = "
CREATE INDEX IF NOT EXISTS gsi1 ON items (gsi1pk, gsi1sk, pk, sk) WHERE gsi1pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS gsi2 ON items (gsi2pk, gsi2sk, pk, sk) WHERE gsi2pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS gsi3 ON items (gsi3pk, gsi3sk, pk, sk) WHERE gsi3pk IS NOT NULL;
CREATE INDEX IF NOT EXISTS due ON items (duepk, duesk, pk, sk) WHERE duepk IS NOT NULL;
CREATE INDEX IF NOT EXISTS outbox ON items (outboxpk, outboxsk, pk, sk) WHERE outboxpk IS NOT NULL;
";

const COLUMNS: &str =
    "pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, gsi3pk, gsi3sk, duepk, duesk, expires_at, version, data, outboxpk, outboxsk, summary";

/// A put over an existing item updates its row where it lies. `INSERT OR REPLACE` would
/// delete the row and append a new one, leaving a hole in the page of the old one: with
/// every ticket and notice rewritten a few times, two fifths of the file were holes.
const UPDATE_IN_PLACE: &str = "ON CONFLICT (pk, sk) DO UPDATE SET gsi1pk = excluded.gsi1pk, \
     gsi1sk = excluded.gsi1sk, gsi2pk = excluded.gsi2pk, gsi2sk = excluded.gsi2sk, gsi3pk = excluded.gsi3pk, \
     gsi3sk = excluded.gsi3sk, duepk = excluded.duepk, duesk = excluded.duesk, expires_at = excluded.expires_at, \
     version = excluded.version, data = excluded.data, outboxpk = excluded.outboxpk, \
     outboxsk = excluded.outboxsk, summary = excluded.summary";

fn unavailable(e: rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(code, _)
            if matches!(
                code.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        other => StoreError::Other(other.to_string()),
    }
}

impl SqliteTable {
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<SqliteTable, StoreError> {
        let connection = Connection::open(path).map_err(unavailable)?;
        // WAL with NORMAL sync: durable across process crashes, fast enough for thousands of
        // creates a second; a power cut may lose the last few commits, as the README says.
        connection
            // 16 KB pages hold a dozen items each (with 4 KB ones, a third of a page of
            // two-kilobyte items was left empty); a page size takes effect on a new file, or
            // at the VACUUM that ends the conversion from the first layout. Reads go through a
            // memory map and a 64 MB page cache: searches read the index's pages over and
            // over, and through pread each read was a system call (a fifth of a search's time).
            .execute_batch(
                "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                 PRAGMA busy_timeout = 5000; PRAGMA cache_size = -65536; PRAGMA mmap_size = 1073741824;",
            )
            .map_err(unavailable)?;
        let without_rowid: bool = connection
            .query_row(
                "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'items' AND sql LIKE '%WITHOUT ROWID%'",
                [],
                |row| row.get::<_, i64>(0),
            )
            .map_err(unavailable)?
            > 0;
        if without_rowid {
            connection.execute_batch(FROM_WITHOUT_ROWID).map_err(unavailable)?;
        }
        connection.execute_batch(SCHEMA).map_err(unavailable)?;
        for column in ADDED_COLUMNS {
            let name = column.split(' ').next().unwrap_or(column);
            let present: bool = connection
                .query_row(
                    "SELECT COUNT(*) FROM pragma_table_info('items') WHERE name = ?1",
                    [name],
                    |row| row.get::<_, i64>(0),
                )
                .map_err(unavailable)?
                > 0;
            if !present {
                connection
                    .execute_batch(&format!("ALTER TABLE items ADD COLUMN {column}"))
                    .map_err(unavailable)?;
            }
        }
        if without_rowid {
            // The first layout has the first columns only; the rest start empty.
            let first =
                "pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, gsi3pk, gsi3sk, duepk, duesk, expires_at, version, data";
            connection
                .execute_batch(&format!(
                    "BEGIN; INSERT INTO items ({first}) SELECT {first} FROM items_first_layout; \
                     DROP TABLE items_first_layout; COMMIT; \
                     PRAGMA journal_mode = DELETE; PRAGMA page_size = 16384; VACUUM; PRAGMA journal_mode = WAL;"
                ))
                .map_err(unavailable)?;
        }
        connection.execute_batch(INDEXES).map_err(unavailable)?;
        open_search_index(&connection)?;
        Ok(SqliteTable {
            connection: Mutex::new(connection),
            items_read: AtomicU64::new(0),
            clock,
            term_stats: Default::default(),
        })
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.connection.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn now_epoch(&self) -> i64 {
        self.clock.now().timestamp()
    }

    fn count(&self, n: usize) {
        self.items_read.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// The search index's tables in the same database. A data folder from before them is
/// indexed whole the first time (one transaction, every searchable item).
fn open_search_index(connection: &Connection) -> Result<(), StoreError> {
    let existed: bool = connection
        .query_row(
            "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'search_docs'",
            [],
            |row| row.get::<_, i64>(0),
        )
        .map_err(unavailable)?
        > 0;
    claimdesk_search::ensure_schema(connection).map_err(unavailable)?;
    if existed {
        return Ok(());
    }
    let transaction = connection.unchecked_transaction().map_err(unavailable)?;
    {
        let mut statement = transaction
            .prepare(&format!(
                "SELECT {COLUMNS} FROM items WHERE pk LIKE 'TICKET#%' OR pk LIKE 'ARTICLE#%' OR pk LIKE 'SOLUTION#%'"
            ))
            .map_err(unavailable)?;
        let mut rows = statement.query([]).map_err(unavailable)?;
        while let Some(row) = rows.next().map_err(unavailable)? {
            let item = row_to_item(row).map_err(unavailable)?;
            if let Some(change) = search::changes_of(&item) {
                claimdesk_search::apply(&transaction, &[change]).map_err(unavailable)?;
            }
        }
    }
    transaction.commit().map_err(unavailable)
}

fn index_columns(index: Index) -> (&'static str, &'static str) {
    match index {
        Index::Table => ("pk", "sk"),
        Index::Gsi1 => ("gsi1pk", "gsi1sk"),
        Index::Gsi2 => ("gsi2pk", "gsi2sk"),
        Index::Gsi3 => ("gsi3pk", "gsi3sk"),
        Index::Due => ("duepk", "duesk"),
        Index::Outbox => ("outboxpk", "outboxsk"),
    }
}

fn row_to_item(row: &rusqlite::Row<'_>) -> rusqlite::Result<Item> {
    let key = |pk: Option<String>, sk: Option<String>| match (pk, sk) {
        (Some(pk), Some(sk)) => Some(IndexKey { pk, sk }),
        _ => None,
    };
    // Packed records are blobs; the first layout wrote JSON text.
    let data = match row.get_ref(12)? {
        rusqlite::types::ValueRef::Blob(bytes) | rusqlite::types::ValueRef::Text(bytes) => {
            store::unpack(bytes).unwrap_or(serde_json::Value::Null)
        }
        _ => serde_json::Value::Null,
    };
    let summary: Option<String> = row.get(15)?;
    Ok(Item {
        pk: row.get(0)?,
        sk: row.get(1)?,
        gsi1: key(row.get(2)?, row.get(3)?),
        gsi2: key(row.get(4)?, row.get(5)?),
        gsi3: key(row.get(6)?, row.get(7)?),
        due: key(row.get(8)?, row.get(9)?),
        outbox: key(row.get(13)?, row.get(14)?),
        expires_at: row.get(10)?,
        version: row.get::<_, i64>(11)? as u64,
        data,
        summary: summary.and_then(|s| serde_json::from_str(&s).ok()),
    })
}

fn split(key: &Option<IndexKey>) -> (Option<&str>, Option<&str>) {
    match key {
        Some(k) => (Some(k.pk.as_str()), Some(k.sk.as_str())),
        None => (None, None),
    }
}

#[async_trait]
impl Table for SqliteTable {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let connection = self.lock();
        let item = connection
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM items WHERE pk = ?1 AND sk = ?2 AND (expires_at IS NULL OR expires_at > ?3)"
                ),
                params![pk, sk, self.now_epoch()],
                row_to_item,
            )
            .optional()
            .map_err(unavailable)?;
        self.count(usize::from(item.is_some()));
        Ok(item)
    }

    async fn get_many(&self, keys: &[(String, String)]) -> Result<Vec<Item>, StoreError> {
        let connection = self.lock();
        let mut statement = connection
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM items WHERE pk = ?1 AND sk = ?2 AND (expires_at IS NULL OR expires_at > ?3)"
            ))
            .map_err(unavailable)?;
        let now = self.now_epoch();
        let mut out = Vec::new();
        for (pk, sk) in keys {
            if let Some(item) = statement
                .query_row(params![pk, sk, now], row_to_item)
                .optional()
                .map_err(unavailable)?
            {
                out.push(item);
            }
        }
        self.count(out.len());
        Ok(out)
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let (pk_col, sk_col) = index_columns(query.index);
        let mut sql =
            format!("SELECT {COLUMNS} FROM items WHERE {pk_col} = ?1 AND (expires_at IS NULL OR expires_at > ?2)");
        let mut args: Vec<String> = vec![query.pk.clone()];
        match &query.sort {
            SortKey::All => {}
            SortKey::BeginsWith(prefix) => {
                sql.push_str(&format!(
                    " AND {sk_col} >= ?{} AND {sk_col} < ?{}",
                    args.len() + 2,
                    args.len() + 3
                ));
                args.push(prefix.clone());
                args.push(format!("{prefix}\u{10FFFF}"));
            }
            SortKey::AtMost(upto) => {
                sql.push_str(&format!(" AND {sk_col} <= ?{}", args.len() + 2));
                args.push(upto.clone());
            }
        }
        let direction = if query.newest_first { "DESC" } else { "ASC" };
        let comparison = if query.newest_first { "<" } else { ">" };
        if let Some(after) = &query.after {
            let n = args.len() + 2;
            if query.index == Index::Table {
                sql.push_str(&format!(" AND sk {comparison} ?{n}"));
                args.push(after.sk.clone());
            } else {
                sql.push_str(&format!(
                    " AND ({sk_col}, pk, sk) {comparison} (?{n}, ?{}, ?{})",
                    n + 1,
                    n + 2
                ));
                args.push(after.index_sk.clone().unwrap_or_default());
                args.push(after.pk.clone());
                args.push(after.sk.clone());
            }
        }
        let order = if query.index == Index::Table {
            format!(" ORDER BY sk {direction}")
        } else {
            format!(" ORDER BY {sk_col} {direction}, pk {direction}, sk {direction}")
        };
        sql.push_str(&order);
        sql.push_str(&format!(" LIMIT {}", query.limit + 1));
        let connection = self.lock();
        let mut statement = connection.prepare_cached(&sql).map_err(unavailable)?;
        let now = self.now_epoch();
        let mut bound: Vec<&dyn rusqlite::ToSql> = vec![&args[0], &now];
        for arg in &args[1..] {
            bound.push(arg);
        }
        let mut items = statement
            .query_map(bound.as_slice(), row_to_item)
            .map_err(unavailable)?
            .map(|item| item.map(|i| i.projected(query.index)))
            .collect::<Result<Vec<Item>, _>>()
            .map_err(unavailable)?;
        let next = if items.len() > query.limit {
            items.truncate(query.limit);
            items.last().map(|last| Cursor::after(last, query.index))
        } else {
            None
        };
        self.count(items.len());
        Ok(Page { items, next })
    }

    async fn write(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let mut connection = self.lock();
        let transaction = connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(unavailable)?;
        let now = self.now_epoch();
        for (position, write) in writes.iter().enumerate() {
            let (pk, sk, condition) = match write {
                Write::Put { item, condition } => (&item.pk, &item.sk, condition),
                Write::Delete { pk, sk, condition } => (pk, sk, condition),
            };
            let stored: Option<i64> = transaction
                .prepare_cached(
                    "SELECT version FROM items WHERE pk = ?1 AND sk = ?2 AND (expires_at IS NULL OR expires_at > ?3)",
                )
                .and_then(|mut statement| statement.query_row(params![pk, sk, now], |row| row.get(0)).optional())
                .map_err(unavailable)?;
            let holds = match condition {
                Condition::None => true,
                Condition::Absent => stored.is_none(),
                Condition::Exists => stored.is_some(),
                Condition::Version(v) => stored == Some(*v as i64),
            };
            if !holds {
                // Dropping the transaction rolls it back: nothing of this batch is written.
                return Err(StoreError::ConditionFailed(position));
            }
            match write {
                Write::Put { item, .. } => {
                    let (g1p, g1s) = split(&item.gsi1);
                    let (g2p, g2s) = split(&item.gsi2);
                    let (g3p, g3s) = split(&item.gsi3);
                    let (dp, ds) = split(&item.due);
                    let (op, os) = split(&item.outbox);
                    let summary = item.summary.as_ref().map(|s| s.to_string());
                    transaction
                        .prepare_cached(&format!(
                            "INSERT INTO items ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) {UPDATE_IN_PLACE}"
                        ))
                        .and_then(|mut s| {
                            s.execute(params![
                                item.pk,
                                item.sk,
                                g1p,
                                g1s,
                                g2p,
                                g2s,
                                g3p,
                                g3s,
                                dp,
                                ds,
                                item.expires_at,
                                item.version as i64,
                                store::pack(&item.data),
                                op,
                                os,
                                summary
                            ])
                        })
                        .map_err(unavailable)?;
                }
                Write::Delete { pk, sk, .. } => {
                    transaction
                        .execute("DELETE FROM items WHERE pk = ?1 AND sk = ?2", params![pk, sk])
                        .map_err(unavailable)?;
                }
            }
        }
        // The search index changes with the items it comes from, in the same transaction.
        let changes: Vec<Change> = writes
            .iter()
            .filter_map(|write| match write {
                Write::Put { item, .. } => search::changes_of(item),
                Write::Delete { pk, sk, .. } => search::removal_of(pk, sk),
            })
            .collect();
        claimdesk_search::apply(&transaction, &changes).map_err(unavailable)?;
        transaction.commit().map_err(unavailable)
    }

    async fn scan(&self, after: Option<&Cursor>, limit: usize) -> Result<Page, StoreError> {
        let connection = self.lock();
        let (pk, sk) = after.map_or((String::new(), String::new()), |c| (c.pk.clone(), c.sk.clone()));
        let mut statement = connection
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM items WHERE (pk, sk) > (?1, ?2) ORDER BY pk, sk LIMIT ?3"
            ))
            .map_err(unavailable)?;
        let mut items = statement
            .query_map(params![pk, sk, limit as i64 + 1], row_to_item)
            .map_err(unavailable)?
            .collect::<Result<Vec<Item>, _>>()
            .map_err(unavailable)?;
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| Cursor::after(last, Index::Table))
        } else {
            None
        };
        self.count(items.len());
        Ok(Page { items, next })
    }

    fn items_read(&self) -> u64 {
        self.items_read.load(Ordering::Relaxed)
    }
}

/// The search index lives in the table's database (`open_search_index`), so a search reads
/// what the last commit wrote.
#[async_trait]
impl claimdesk_core::ports::Search for SqliteTable {
    async fn search(&self, request: &search::SearchRequest) -> Result<Vec<search::Hit>, StoreError> {
        claimdesk_search::search(&self.lock(), &self.term_stats, request).map_err(unavailable)
    }

    async fn suggest(&self, request: &search::SuggestRequest) -> Result<search::Suggestions, StoreError> {
        claimdesk_search::suggest(&self.lock(), &self.term_stats, request).map_err(unavailable)
    }
}
