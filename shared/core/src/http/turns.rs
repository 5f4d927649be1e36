//! Turns on a ticket within one process. Changes to one ticket are optimistic writes: when
//! two race, one re-plans. Across Lambda instances (each serves one request at a time)
//! that is the only way. Within one process (the local server, which serves everything)
//! fifty replies at once would make forty-nine lose and re-plan, again and again; taking
//! turns per ticket makes them fifty commits in a row instead. The optimistic check still
//! guards every write, so a racer from another process is still caught.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

#[derive(Default)]
pub struct Turns {
    queues: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

/// Held while it is this request's turn; the next one goes when it is dropped.
pub type Turn = tokio::sync::OwnedMutexGuard<()>;

/// Beyond this many tickets, queues nobody waits in are forgotten.
const TIDY_ABOVE: usize = 1_000;

impl Turns {
    pub async fn take(&self, key: &str) -> Turn {
        let queue = {
            let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
            if queues.len() > TIDY_ABOVE {
                queues.retain(|_, q| q.strong_count() > 0);
            }
            match queues.get(key).and_then(Weak::upgrade) {
                Some(queue) => queue,
                None => {
                    let queue = Arc::new(tokio::sync::Mutex::new(()));
                    queues.insert(key.to_string(), Arc::downgrade(&queue));
                    queue
                }
            }
        };
        queue.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_turn_at_a_time_per_key_and_keys_do_not_wait_for_each_other() {
        let turns = Turns::default();
        let first = turns.take("t1").await;
        // Another ticket goes at once.
        let other = turns.take("t2").await;
        drop(other);
        // The same ticket waits until the first turn ends.
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(20), turns.take("t1")).await;
        assert!(waiting.is_err());
        drop(first);
        let _second = turns.take("t1").await;
    }
}
