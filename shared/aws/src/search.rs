//! The search index on AWS: one SQLite file (`claimdesk_search`'s FTS5 tables) in the
//! attachment bucket under `search/`, and a pointer item in the table (`SEARCH#INDEX / META`:
//! its version and key).
//!
//! - The **indexer** (`search-indexer`, the table's stream, one at a time: reserved
//!   concurrency 1) keeps a working copy in its local storage, applies a batch of changes to
//!   it, uploads it as the next version and moves the pointer on with a version-checked
//!   write; if another run moved the pointer first, it fetches that version and applies the
//!   batch again. The version before the last is deleted (a reader may still be fetching
//!   the last).
//! - The **search and suggestion functions** read the pointer on each call (one small
//!   strongly consistent read) and fetch the file only when its version is newer than the
//!   copy they hold: a warm call costs one read and no S3 request.

use crate::lazy::LazyClient;
use crate::table::{from_attributes, DynamoTable};
use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine as _;
use claimdesk_core::domain::search::{self, Change, Hit, SearchRequest, SuggestRequest, Suggestions};
use claimdesk_core::ports::{Condition, Item, Search, StoreError, Table, Write};
use claimdesk_core::store;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::Mutex;

pub const POINTER_PK: &str = "SEARCH#INDEX";
pub const PREFIX: &str = "search/";

/// Where the newest index is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pointer {
    pub version: u64,
    pub key: String,
}

/// A copy of the index in local storage, at a version.
struct Copy {
    version: u64,
    connection: Connection,
}

pub struct S3Search {
    table: Arc<DynamoTable>,
    s3: Arc<LazyClient<aws_sdk_s3::Client>>,
    bucket: String,
    /// This instance's files: `<temp>/claimdesk-search-<table>-<pid>/`.
    dir: PathBuf,
    copy: Mutex<Option<Copy>>,
    term_stats: claimdesk_search::TermStats,
    /// S3 requests made (the benchmark prints them per change).
    pub s3_requests: AtomicU64,
}

fn failed(what: &str) -> impl Fn(String) -> StoreError + '_ {
    move |e| StoreError::Unavailable(format!("search index: {what}: {e}"))
}

fn sqlite(e: rusqlite::Error) -> StoreError {
    StoreError::Other(format!("search index: {e}"))
}

/// The key of an index version.
pub fn key_of(version: u64) -> String {
    format!("{PREFIX}index-{version:012}.db")
}

impl S3Search {
    pub fn new(
        table: Arc<DynamoTable>,
        s3: Arc<LazyClient<aws_sdk_s3::Client>>,
        bucket: &str,
        table_name: &str,
    ) -> S3Search {
        let dir = std::env::temp_dir().join(format!(
            "claimdesk-search-{table_name}-{}-{:x}",
            std::process::id(),
            rand_suffix()
        ));
        S3Search {
            table,
            s3,
            bucket: bucket.to_string(),
            dir,
            copy: Mutex::new(None),
            term_stats: Default::default(),
            s3_requests: AtomicU64::new(0),
        }
    }

    pub async fn pointer(&self) -> Result<Option<(Pointer, u64)>, StoreError> {
        let Some(item) = self.table.get(POINTER_PK, store::META).await? else {
            return Ok(None);
        };
        let pointer: Pointer = serde_json::from_value(item.data.clone())
            .map_err(|e| StoreError::Other(format!("search index pointer: {e}")))?;
        Ok(Some((pointer, item.version)))
    }

    fn path_of(&self, version: u64) -> PathBuf {
        self.dir.join(format!("index-{version}.db"))
    }

    /// The copy at the pointer's version (fetched if this instance holds another), or an
    /// empty index when there is none yet.
    async fn current<'a>(
        &self,
        copy: &'a mut Option<Copy>,
        pointer: Option<&Pointer>,
    ) -> Result<&'a Connection, StoreError> {
        let wanted = pointer.map_or(0, |p| p.version);
        if copy.as_ref().is_some_and(|c| c.version == wanted) {
            return Ok(&copy.as_ref().expect("checked").connection);
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| failed("local storage")(e.to_string()))?;
        if let Some(old) = copy.take() {
            drop(old.connection);
            let _ = std::fs::remove_file(self.path_of(old.version));
        }
        let path = self.path_of(wanted);
        let _ = std::fs::remove_file(&path);
        if let Some(pointer) = pointer {
            self.s3_requests.fetch_add(1, Ordering::Relaxed);
            let object = self
                .s3
                .get()
                .get_object()
                .bucket(&self.bucket)
                .key(&pointer.key)
                .send()
                .await
                .map_err(|e| failed("fetching")(format!("{e:?}")))?;
            let bytes = object
                .body
                .collect()
                .await
                .map_err(|e| failed("fetching")(e.to_string()))?
                .into_bytes();
            std::fs::write(&path, &bytes).map_err(|e| failed("local storage")(e.to_string()))?;
        }
        let connection = Connection::open(&path).map_err(sqlite)?;
        // One self-contained file to upload after each batch.
        connection
            .execute_batch("PRAGMA journal_mode = DELETE; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536; PRAGMA mmap_size = 1073741824;")
            .map_err(sqlite)?;
        claimdesk_search::ensure_schema(&connection).map_err(sqlite)?;
        *copy = Some(Copy {
            version: wanted,
            connection,
        });
        Ok(&copy.as_ref().expect("just made").connection)
    }

    /// Applies a batch of changes and publishes the next version. Returns the version
    /// published (`None` when the batch changed nothing searchable).
    pub async fn index(&self, changes: &[Change]) -> Result<Option<u64>, StoreError> {
        if changes.is_empty() {
            return Ok(None);
        }
        let mut copy = self.copy.lock().await;
        for _attempt in 0..5 {
            let read = self.pointer().await?;
            let (pointer, item_version) = match &read {
                Some((p, v)) => (Some(p), *v),
                None => (None, 0),
            };
            let connection = self.current(&mut copy, pointer).await?;
            let transaction = connection.unchecked_transaction().map_err(sqlite)?;
            claimdesk_search::apply(&transaction, changes).map_err(sqlite)?;
            transaction.commit().map_err(sqlite)?;
            let next = pointer.map_or(1, |p| p.version + 1);
            let bytes = std::fs::read(self.path_of(pointer.map_or(0, |p| p.version)))
                .map_err(|e| failed("local storage")(e.to_string()))?;
            self.s3_requests.fetch_add(1, Ordering::Relaxed);
            let upload = self
                .s3
                .get()
                .put_object()
                .bucket(&self.bucket)
                .key(key_of(next))
                .body(bytes.into())
                .send()
                .await;
            if let Err(e) = upload {
                // The copy holds changes no published version has: fetch afresh next time.
                *copy = None;
                return Err(failed("publishing")(format!("{e:?}")));
            }
            let mut item = Item::new(
                POINTER_PK,
                store::META,
                store::to_data(&Pointer {
                    version: next,
                    key: key_of(next),
                }),
            );
            item.version = item_version + 1;
            let condition = if read.is_some() {
                Condition::Version(item_version)
            } else {
                Condition::Absent
            };
            match self.table.write(vec![Write::Put { item, condition }]).await {
                Ok(()) => {
                    // The copy now is the version just published.
                    let held = copy.take().expect("a copy was just used");
                    let old = held.version;
                    drop(held.connection);
                    std::fs::rename(self.path_of(old), self.path_of(next))
                        .map_err(|e| failed("local storage")(e.to_string()))?;
                    let connection = Connection::open(self.path_of(next)).map_err(sqlite)?;
                    connection
                        .execute_batch("PRAGMA journal_mode = DELETE; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536; PRAGMA mmap_size = 1073741824;")
                        .map_err(sqlite)?;
                    *copy = Some(Copy {
                        version: next,
                        connection,
                    });
                    if next > 2 {
                        self.s3_requests.fetch_add(1, Ordering::Relaxed);
                        // Best effort: a version left behind costs storage, not correctness.
                        let _ = self
                            .s3
                            .get()
                            .delete_object()
                            .bucket(&self.bucket)
                            .key(key_of(next - 2))
                            .send()
                            .await;
                    }
                    return Ok(Some(next));
                }
                Err(StoreError::ConditionFailed(_)) => {
                    // Another run published first: start again from its version.
                    *copy = None;
                }
                Err(e) => {
                    *copy = None;
                    return Err(e);
                }
            }
        }
        Err(StoreError::Unavailable("search index: the pointer kept moving".into()))
    }

    async fn read<T>(&self, query: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let pointer = self.pointer().await?.map(|(p, _)| p);
        let mut copy = self.copy.lock().await;
        let connection = self.current(&mut copy, pointer.as_ref()).await?;
        query(connection).map_err(sqlite)
    }
}

/// The instance's copies go with it (a test makes many instances; Lambda keeps one).
impl Drop for S3Search {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn rand_suffix() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ NEXT.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

#[async_trait]
impl Search for S3Search {
    async fn search(&self, request: &SearchRequest) -> Result<Vec<Hit>, StoreError> {
        self.read(|c| claimdesk_search::search(c, &self.term_stats, request))
            .await
    }

    async fn suggest(&self, request: &SuggestRequest) -> Result<Suggestions, StoreError> {
        self.read(|c| claimdesk_search::suggest(c, &self.term_stats, request))
            .await
    }
}

/// A stream record's image (DynamoDB JSON: `{"S": …}`, `{"N": …}`, `{"B": base64}`) as
/// the SDK's attributes.
fn attributes_of(image: &serde_json::Value) -> HashMap<String, AttributeValue> {
    let mut out = HashMap::new();
    for (name, value) in image.as_object().into_iter().flatten() {
        let attribute = if let Some(text) = value.get("S").and_then(|v| v.as_str()) {
            AttributeValue::S(text.to_string())
        } else if let Some(number) = value.get("N").and_then(|v| v.as_str()) {
            AttributeValue::N(number.to_string())
        } else if let Some(bytes) = value.get("B").and_then(|v| v.as_str()) {
            match base64::engine::general_purpose::STANDARD.decode(bytes) {
                Ok(raw) => AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(raw)),
                Err(_) => continue,
            }
        } else if let Some(flag) = value.get("BOOL").and_then(|v| v.as_bool()) {
            AttributeValue::Bool(flag)
        } else {
            continue;
        };
        out.insert(name.clone(), attribute);
    }
    out
}

/// The index changes a stream batch makes, in order; records of items search does not
/// hold are skipped. An item put already expired counts as removed.
pub fn changes_of_stream(event: &serde_json::Value, now_epoch: i64) -> Vec<Change> {
    let mut changes = Vec::new();
    for record in event["Records"].as_array().into_iter().flatten() {
        let dynamodb = &record["dynamodb"];
        let keys = attributes_of(&dynamodb["Keys"]);
        let key = |name: &str| keys.get(name).and_then(|v| v.as_s().ok()).cloned();
        let (Some(pk), Some(sk)) = (key("pk"), key("sk")) else {
            continue;
        };
        let change = match record["eventName"].as_str() {
            Some("INSERT") | Some("MODIFY") => match from_attributes(&attributes_of(&dynamodb["NewImage"])) {
                Ok(item) if item.expires_at.is_some_and(|at| at <= now_epoch) => search::removal_of(&pk, &sk),
                Ok(item) => search::changes_of(&item),
                Err(_) => None,
            },
            Some("REMOVE") => search::removal_of(&pk, &sk),
            _ => None,
        };
        changes.extend(change);
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `events/table-stream.json`: an article put (its record deflated in `data`, as the
    /// table keeps it), a solution removed, and an item search does not hold.
    #[test]
    fn a_stream_batch_becomes_index_changes() {
        let event: serde_json::Value = serde_json::from_str(include_str!("../../../events/table-stream.json")).unwrap();
        let changes = changes_of_stream(&event, 0);
        assert_eq!(changes.len(), 2, "{changes:?}");
        match &changes[0] {
            Change::Put(document) => {
                assert_eq!(document.kind, search::Kind::Article);
                assert_eq!(document.hit.title, "Finding a missing ERA");
                assert!(document.body.contains("resend the ERA"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            changes[1],
            Change::Remove {
                item: "SOLUTION#t_examplexxxxxxxxxxxxxxxxxxxx|META".into()
            }
        );
    }
}
