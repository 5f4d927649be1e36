//! The single table over SQLite. Each index of the DynamoDB design is a partial index here
//! (present only for rows that carry that key: sparse, like a DynamoDB GSI), conditions are
//! checked inside one IMMEDIATE transaction (on the writer's thread, `writer.rs`), and pages
//! end in the same cursors.

use async_trait::async_trait;
use claimdesk_core::domain::search;
use claimdesk_core::ports::{
    Clock, Condition, Cursor, Index, IndexKey, Item, Page, Projection, Query, SortKey, StoreError, Table, Write,
};
use claimdesk_core::store::{self, Packing};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// Connections that only read, beside the one that writes. WAL lets each read its own
/// snapshot of the last commit while a write is under way, so a create's reads (its
/// company, its idempotency record) and the lists do not queue behind another request's
/// commit: with one connection for everything, the server used barely more than one of
/// two cores under load (issue 12).
const READERS: usize = 4;

pub struct SqliteTable {
    /// The thread of the one connection that writes (`writer.rs`): SQLite takes one
    /// writer at a time anyway.
    writer: std::sync::mpsc::Sender<crate::writer::Job>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    items_read: AtomicU64,
    /// TTL is judged by the deployment's clock, so a test's clock moves expiry too.
    clock: Arc<dyn Clock>,
    /// The search index's remembered term counts (`claimdesk_search::TermStats`).
    term_stats: claimdesk_search::TermStats,
    /// Company records, kept from one read to the next (`kept.rs`); the writer forgets
    /// those it writes.
    kept: Arc<crate::kept::KeptRecords>,
    /// Who hears of the items each write inserts (`on_insert`); the writer tells it.
    inserted: Arc<OnceLock<InsertListener>>,
}

/// The embedded engine's stand-in for the table's stream (DynamoDB Streams' `INSERT`
/// records): called by the writer's thread with the keys of the items a write created
/// (`Write::create`: a put on the condition that none was there), once its commit has
/// returned and before its caller hears (a caller that stopped waiting changes nothing):
/// keep it quick. It lives in the process, so what it was told is lost with the process: the
/// outbox keeps what is pending on its index anyway (`Delivery::ProcessStream`).
pub type InsertListener = Arc<dyn Fn(Vec<(String, String)>) + Send + Sync>;

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

pub(crate) const COLUMNS: &str =
    "pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, gsi3pk, gsi3sk, duepk, duesk, expires_at, version, data, outboxpk, outboxsk, summary";

/// A put over an existing item updates its row where it lies. `INSERT OR REPLACE` would
/// delete the row and append a new one, leaving a hole in the page of the old one: with
/// every ticket and notice rewritten a few times, two fifths of the file were holes.
pub(crate) const UPDATE_IN_PLACE: &str = "ON CONFLICT (pk, sk) DO UPDATE SET gsi1pk = excluded.gsi1pk, \
     gsi1sk = excluded.gsi1sk, gsi2pk = excluded.gsi2pk, gsi2sk = excluded.gsi2sk, gsi3pk = excluded.gsi3pk, \
     gsi3sk = excluded.gsi3sk, duepk = excluded.duepk, duesk = excluded.duesk, expires_at = excluded.expires_at, \
     version = excluded.version, data = excluded.data, outboxpk = excluded.outboxpk, \
     outboxsk = excluded.outboxsk, summary = excluded.summary";

pub(crate) fn unavailable(e: rusqlite::Error) -> StoreError {
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
            // 4 KB pages: each commit writes its changed pages whole to the log, and with
            // 16 KB pages (chosen when items were two kilobytes) a ticket filed wrote four
            // times the bytes for the same file size: the lean items (issue 12) fill 4 KB
            // pages as densely, 4.2 KB a ticket either way. A page size takes effect on a new
            // file, or at the VACUUM that ends the conversion from the first layout; a
            // folder made with 16 KB pages keeps them and works the same. Reads go through a
            // memory map: through pread each read was a system call (a fifth of a search's
            // time). This is the writer's connection (searches and reads take the readers,
            // with their own caches): its cache is 8 MB, because at each commit SQLite walks
            // the cache's hash table, and with 64 MB that walk was a tenth of the writer's
            // time (issue 12: 2,070 → 2,500 creates a second at concurrency 32).
            .execute_batch(
                "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                 PRAGMA busy_timeout = 5000; PRAGMA cache_size = -8192; PRAGMA mmap_size = 1073741824;",
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
                     PRAGMA journal_mode = DELETE; PRAGMA page_size = 4096; VACUUM; PRAGMA journal_mode = WAL;"
                ))
                .map_err(unavailable)?;
        }
        connection.execute_batch(INDEXES).map_err(unavailable)?;
        open_search_index(&connection)?;
        let readers = (0..READERS)
            .map(|_| open_reader(path).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        let kept = Arc::new(crate::kept::KeptRecords::default());
        let inserted = Arc::new(OnceLock::new());
        Ok(SqliteTable {
            writer: crate::writer::start(connection, kept.clone(), inserted.clone()),
            readers,
            next_reader: AtomicUsize::new(0),
            items_read: AtomicU64::new(0),
            clock,
            term_stats: Default::default(),
            kept,
            inserted,
        })
    }

    /// Tells `listener` the keys of the items each write inserts from now on (one listener
    /// a table: a second is refused, and given back).
    pub fn on_insert(&self, listener: InsertListener) -> Result<(), InsertListener> {
        self.inserted.set(listener)
    }

    /// A free reading connection, or the next one in turn when all are busy.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for offset in 0..self.readers.len() {
            if let Ok(free) = self.readers[(start + offset) % self.readers.len()].try_lock() {
                return free;
            }
        }
        self.readers[start % self.readers.len()]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn now_epoch(&self) -> i64 {
        self.clock.now().timestamp()
    }

    fn count(&self, n: usize) {
        self.items_read.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// A connection that reads what the writer committed; it cannot write.
fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open(path).map_err(unavailable)?;
    connection
        .execute_batch(
            "PRAGMA query_only = ON; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -16384; \
             PRAGMA mmap_size = 1073741824;",
        )
        .map_err(unavailable)?;
    Ok(connection)
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
    // Summaries are packed like records since issue 12's last pass; JSON text before.
    let summary = match row.get_ref(15)? {
        rusqlite::types::ValueRef::Blob(bytes) | rusqlite::types::ValueRef::Text(bytes) => store::unpack(bytes).ok(),
        _ => None,
    };
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
        summary,
    })
}

pub(crate) fn split(key: &Option<IndexKey>) -> (Option<&str>, Option<&str>) {
    match key {
        Some(k) => (Some(k.pk.as_str()), Some(k.sk.as_str())),
        None => (None, None),
    }
}

#[async_trait]
impl Table for SqliteTable {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let kept = store::kept_in_memory(pk, sk);
        if kept {
            if let Some(item) = self.kept.get(pk, sk) {
                self.count(1);
                return Ok(Some(item));
            }
        }
        // Only a kept record's read needs to know which writes it may have missed.
        let generation = kept.then(|| self.kept.generation());
        let connection = self.reader();
        let item = connection
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM items WHERE pk = ?1 AND sk = ?2 AND (expires_at IS NULL OR expires_at > ?3)"
            ))
            .and_then(|mut statement| {
                statement
                    .query_row(params![pk, sk, self.now_epoch()], row_to_item)
                    .optional()
            })
            .map_err(unavailable)?;
        self.count(usize::from(item.is_some()));
        if let (Some(item), Some(generation)) = (&item, generation) {
            self.kept.keep(generation, item);
        }
        Ok(item)
    }

    async fn get_many(&self, keys: &[(String, String)]) -> Result<Vec<Item>, StoreError> {
        let connection = self.reader();
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
        // What the index does not hold is neither read nor unpacked (`Item::projected` would
        // drop it): a keys-only page of tickets costs no record decoding.
        let columns = match query.index.projection() {
            Projection::All => COLUMNS.to_string(),
            Projection::Summary => COLUMNS.replace(", data,", ", NULL,"),
            Projection::KeysOnly => COLUMNS.replace(", data,", ", NULL,").replace(", summary", ", NULL"),
        };
        let mut sql =
            format!("SELECT {columns} FROM items WHERE {pk_col} = ?1 AND (expires_at IS NULL OR expires_at > ?2)");
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
        let connection = self.reader();
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
        // Everything that needs no connection is done here, on the caller's worker: packing
        // each record and reading what the search index must learn.
        let packed = writes
            .iter()
            .map(|write| match write {
                Write::Put { item, .. } => Some((
                    store::pack(&item.data, Packing::Quickest),
                    item.summary
                        .as_ref()
                        .map(|summary| store::pack(summary, Packing::Quickest)),
                )),
                Write::Delete { .. } => None,
            })
            .collect();
        let changes = writes
            .iter()
            .filter_map(|write| match write {
                Write::Put { item, .. } => search::changes_of(item),
                Write::Delete { pk, sk, .. } => search::removal_of(pk, sk),
            })
            .collect();
        let kept: Vec<(String, String)> = writes
            .iter()
            .map(|write| match write {
                Write::Put { item, .. } => (item.pk.as_str(), item.sk.as_str()),
                Write::Delete { pk, sk, .. } => (pk.as_str(), sk.as_str()),
            })
            .filter(|(pk, sk)| store::kept_in_memory(pk, sk))
            .map(|(pk, sk)| (pk.to_string(), sk.to_string()))
            .collect();
        let inserted: Vec<(String, String)> = match self.inserted.get() {
            Some(_) => writes
                .iter()
                .filter_map(|write| match write {
                    Write::Put {
                        item,
                        condition: Condition::Absent,
                    } => Some((item.pk.clone(), item.sk.clone())),
                    _ => None,
                })
                .collect(),
            None => Vec::new(),
        };
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job = crate::writer::Job {
            writes,
            packed,
            changes,
            now: self.now_epoch(),
            answer,
            kept,
            inserted,
        };
        let gone = || StoreError::Unavailable("the table's writer has stopped".into());
        self.writer.send(job).map_err(|_| gone())?;
        answered.await.map_err(|_| gone())?
    }

    async fn scan(&self, after: Option<&Cursor>, limit: usize) -> Result<Page, StoreError> {
        let connection = self.reader();
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
        claimdesk_search::search(&self.reader(), &self.term_stats, request).map_err(unavailable)
    }

    async fn suggest(&self, request: &search::SuggestRequest) -> Result<search::Suggestions, StoreError> {
        claimdesk_search::suggest(&self.reader(), &self.term_stats, request).map_err(unavailable)
    }
}
