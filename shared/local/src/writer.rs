//! The table's one writing connection, on a thread of its own, committing in groups.
//!
//! Why (issue 12): every commit of a WAL database writes its changed pages to the log and
//! checksums them, and with one connection shared under a mutex the server's async workers
//! queued behind one another's commits — about 0.3 ms each, two or three per ticket filed —
//! and used little more than one of two cores. Here each `Table::write` becomes a job sent
//! to this thread, which takes every job waiting (up to [`GROUP_MAX`]) into one SQLite
//! transaction, each job inside its own savepoint: a job whose condition fails is rolled
//! back alone and answered `ConditionFailed`, as DynamoDB answers one transaction, while
//! the others are committed together. A job is answered only once its group's commit has
//! returned, so a caller never hears "written" of something a crash could still lose more
//! easily than before (WAL with `synchronous = NORMAL`, as the README says). No async
//! worker ever blocks on the writer.

use crate::kept::KeptRecords;
use crate::table::{split, unavailable, InsertListener, COLUMNS, UPDATE_IN_PLACE};
use claimdesk_core::domain::search::Change;
use claimdesk_core::ports::{Condition, StoreError, Write};
use rusqlite::{params, Connection, OptionalExtension, Savepoint, TransactionBehavior};
use std::sync::{mpsc, Arc, OnceLock};
use tokio::sync::oneshot;

/// Jobs committed together at most; a group is whatever is waiting when the last commit
/// ends, so under light load each job is its own group and waits for nobody.
const GROUP_MAX: usize = 64;

/// A put's record and summary as stored (`store::pack`).
pub type Packed = (Vec<u8>, Option<Vec<u8>>);

/// One `Table::write`: its writes with their packed records (`None` for a delete), the
/// search index's changes, and the instant conditions are judged at (epoch seconds; TTL).
pub struct Job {
    pub writes: Vec<Write>,
    pub packed: Vec<Option<Packed>>,
    pub changes: Vec<Change>,
    pub now: i64,
    pub answer: oneshot::Sender<Result<(), StoreError>>,
    /// The records kept in memory (`kept.rs`) this job writes: forgotten here, once its
    /// group's commit has returned and before anyone is answered (a caller that stopped
    /// waiting cannot leave them behind).
    pub kept: Vec<(String, String)>,
    /// The items this job inserts, for the table's listener (`InsertListener`) once
    /// committed; empty when nobody listens.
    pub inserted: Vec<(String, String)>,
}

/// Starts the writing thread on `connection`; it ends when every sender is dropped.
pub fn start(
    connection: Connection,
    kept: Arc<KeptRecords>,
    listener: Arc<OnceLock<InsertListener>>,
) -> mpsc::Sender<Job> {
    let (sender, jobs) = mpsc::channel::<Job>();
    let insert = format!(
        "INSERT INTO items ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) {UPDATE_IN_PLACE}"
    );
    std::thread::Builder::new()
        .name("sqlite-writer".into())
        .spawn(move || run(connection, jobs, &insert, &kept, &listener))
        .expect("the writer thread starts");
    sender
}

fn run(
    mut connection: Connection,
    jobs: mpsc::Receiver<Job>,
    insert: &str,
    kept: &KeptRecords,
    listener: &OnceLock<InsertListener>,
) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < GROUP_MAX {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let touched: Vec<(String, String)> = group.iter().flat_map(|job| job.kept.iter().cloned()).collect();
        let answers = commit_group(&mut connection, group, insert);
        // The group's transaction has ended: what it wrote is forgotten before anyone hears.
        if !touched.is_empty() {
            kept.forget(&touched);
        }
        // The stream hears of what was inserted before anyone is answered, so a caller that
        // hears "written" may count on the worker having been told.
        if let Some(listener) = listener.get() {
            let inserted: Vec<(String, String)> = answers
                .iter()
                .filter(|(_, outcome, _)| outcome.is_ok())
                .flat_map(|(_, _, items)| items.iter().cloned())
                .collect();
            if !inserted.is_empty() {
                listener(inserted);
            }
        }
        for (answer, outcome, _) in answers {
            let _ = answer.send(outcome);
        }
    }
}

/// A job's answer, and the items it inserted.
type Answer = (
    oneshot::Sender<Result<(), StoreError>>,
    Result<(), StoreError>,
    Vec<(String, String)>,
);

/// Commits a group and gives each job's answer, for the caller to send once the
/// transaction has ended.
fn commit_group(connection: &mut Connection, group: Vec<Job>, insert: &str) -> Vec<Answer> {
    let mut transaction = match connection.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(transaction) => transaction,
        Err(e) => {
            // Mapped as every other SQLite failure is (a busy file is contention).
            let failure = unavailable(e);
            return group
                .into_iter()
                .map(|job| (job.answer, Err(failure.clone()), Vec::new()))
                .collect();
        }
    };
    let mut answered = Vec::with_capacity(group.len());
    for job in group {
        let outcome = match transaction.savepoint() {
            Ok(mut savepoint) => {
                let outcome = apply(&mut savepoint, &job, insert);
                // Dropping an unreleased savepoint rolls back this job's writes only.
                match outcome {
                    Ok(()) => savepoint.commit().map_err(unavailable),
                    Err(refused) => Err(refused),
                }
            }
            Err(e) => Err(unavailable(e)),
        };
        answered.push((job.answer, outcome, job.inserted));
    }
    let committed = transaction.commit().map_err(unavailable);
    answered
        .into_iter()
        .map(|(answer, outcome, inserted)| {
            let outcome = match (&committed, outcome) {
                (Ok(()), outcome) => outcome,
                // A refusal stands whatever became of the group; anything written is lost with it.
                (Err(_), Err(StoreError::ConditionFailed(position))) => Err(StoreError::ConditionFailed(position)),
                (Err(e), _) => Err(e.clone()),
            };
            (answer, outcome, inserted)
        })
        .collect()
}

/// One job's writes, in order: each checked against its condition, then put or deleted;
/// then the search index's changes.
fn apply(savepoint: &mut Savepoint<'_>, job: &Job, insert: &str) -> Result<(), StoreError> {
    for (position, (write, packed)) in job.writes.iter().zip(&job.packed).enumerate() {
        let (pk, sk, condition) = match write {
            Write::Put { item, condition } => (&item.pk, &item.sk, condition),
            Write::Delete { pk, sk, condition } => (pk, sk, condition),
        };
        let stored: Option<i64> = savepoint
            .prepare_cached(
                "SELECT version FROM items WHERE pk = ?1 AND sk = ?2 AND (expires_at IS NULL OR expires_at > ?3)",
            )
            .and_then(|mut statement| {
                statement
                    .query_row(params![pk, sk, job.now], |row| row.get(0))
                    .optional()
            })
            .map_err(unavailable)?;
        let holds = match condition {
            Condition::None => true,
            Condition::Absent => stored.is_none(),
            Condition::Exists => stored.is_some(),
            Condition::Version(v) => stored == Some(*v as i64),
        };
        if !holds {
            return Err(StoreError::ConditionFailed(position));
        }
        match write {
            Write::Put { item, .. } => {
                let Some((data, summary)) = packed else {
                    return Err(StoreError::Other(format!("{}/{} was not packed", item.pk, item.sk)));
                };
                let (g1p, g1s) = split(&item.gsi1);
                let (g2p, g2s) = split(&item.gsi2);
                let (g3p, g3s) = split(&item.gsi3);
                let (dp, ds) = split(&item.due);
                let (op, os) = split(&item.outbox);
                savepoint
                    .prepare_cached(insert)
                    .and_then(|mut statement| {
                        statement.execute(params![
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
                            data,
                            op,
                            os,
                            summary
                        ])
                    })
                    .map_err(unavailable)?;
            }
            Write::Delete { .. } => {
                savepoint
                    .prepare_cached("DELETE FROM items WHERE pk = ?1 AND sk = ?2")
                    .and_then(|mut statement| statement.execute(params![pk, sk]))
                    .map_err(unavailable)?;
            }
        }
    }
    // The search index changes with the items it comes from, in the same transaction.
    claimdesk_search::apply(savepoint, &job.changes).map_err(unavailable)
}

#[cfg(test)]
mod tests {
    use crate::SqliteTable;
    use claimdesk_core::ports::{Condition, Item, StoreError, SystemClock, Table, Write};
    use std::sync::Arc;

    /// Many batches at once end in groups: a batch refused by its condition is rolled back
    /// alone, naming its position, and every other batch of its group is committed whole.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refused_batch_leaves_the_rest_of_its_group_committed() {
        let dir = tempfile::tempdir().unwrap();
        let table = Arc::new(SqliteTable::open(&dir.path().join("t.db"), Arc::new(SystemClock)).unwrap());
        let item = |pk: &str, sk: &str| Item::new(pk, sk, serde_json::json!({ "text": "x".repeat(300) }));
        let mut tasks = Vec::new();
        for n in 0..200 {
            let table = table.clone();
            tasks.push(tokio::spawn(async move {
                // Every batch creates an item of its own; every fourth also claims the same
                // contested key, which only one of them can create.
                let mut writes = vec![Write::create(item(&format!("OWN#{n}"), "META"))];
                if n % 4 == 0 {
                    writes.push(Write::create(item("CONTESTED", "META")));
                }
                (n, table.write(writes).await)
            }));
        }
        let mut won = 0;
        for task in tasks {
            let (n, outcome) = task.await.unwrap();
            let own = table.get(&format!("OWN#{n}"), "META").await.unwrap();
            match outcome {
                Ok(()) => {
                    assert!(own.is_some(), "batch {n} answered written");
                    won += usize::from(n % 4 == 0);
                }
                Err(StoreError::ConditionFailed(1)) => {
                    assert_eq!(n % 4, 0);
                    assert!(own.is_none(), "batch {n} was refused, so its own item is not written");
                }
                Err(other) => panic!("batch {n}: {other:?}"),
            }
        }
        assert_eq!(won, 1, "one batch created the contested item");
        assert!(table.get("CONTESTED", "META").await.unwrap().is_some());
    }

    /// The insert listener (the embedded engine's stream) hears of the items a write
    /// created, once committed: not of a put over an item, nor of a refused write.
    #[tokio::test]
    async fn the_listener_hears_of_committed_inserts_only() {
        let dir = tempfile::tempdir().unwrap();
        let table = SqliteTable::open(&dir.path().join("t.db"), Arc::new(SystemClock)).unwrap();
        let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
        let listener = {
            let heard = heard.clone();
            Arc::new(move |keys: Vec<(String, String)>| heard.lock().unwrap().extend(keys))
        };
        assert!(table.on_insert(listener.clone()).is_ok());
        assert!(table.on_insert(listener).is_err(), "one listener a table");
        let item = |pk: &str| Item::new(pk, "META", serde_json::json!({ "n": 1 }));
        table
            .write(vec![
                Write::create(item("A")),
                Write::Put {
                    item: item("B"),
                    condition: Condition::None,
                },
            ])
            .await
            .unwrap();
        let refused = table
            .write(vec![Write::create(item("C")), Write::create(item("A"))])
            .await;
        assert!(matches!(refused, Err(StoreError::ConditionFailed(1))), "{refused:?}");
        let written = table.get("A", "META").await.unwrap().unwrap();
        table.write(vec![Write::replace(written, 1)]).await.unwrap();
        assert_eq!(*heard.lock().unwrap(), vec![("A".to_string(), "META".to_string())]);
    }
}
