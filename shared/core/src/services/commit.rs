//! The one commit path: a plan's writes go to the table as one all-or-nothing write, and a
//! lost optimistic-locking race is re-planned from fresh reads under one policy. HTTP
//! handlers (with their idempotency record added to the plan), inbound mail, upload
//! confirmation and the sweep all commit through here.

use super::{Core, ServiceError};
use crate::ports::{StoreError, Write};
use crate::services::problems::ProblemKind;
use std::time::{Duration, Instant};

/// How long a caller keeps re-planning after lost races: creates for one company all race
/// for its ticket counter and fifty replies at once all race for one ticket, so under a
/// burst some lose many times. Inside the API functions' 10 s timeout.
pub const REPLAN_BUDGET: Duration = Duration::from_secs(8);

/// What became of a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Commit {
    Done,
    /// A condition failed (someone changed a record meanwhile): nothing was written; read
    /// again and plan again, if `Replans::again` allows.
    Lost,
}

/// The re-plan policy: after each lost race a random pause of up to 5 ms × 2^attempt (at
/// most 1.28 s), so racers spread out (with fifty racers on one ticket, shorter pauses kept
/// the store busy with doomed attempts), for at most `REPLAN_BUDGET`.
pub struct Replans {
    started: Instant,
    attempt: u32,
}

impl Replans {
    pub fn start() -> Replans {
        Replans {
            started: Instant::now(),
            attempt: 0,
        }
    }

    /// After a lost race: pauses, and says whether to plan again (false once the budget is
    /// spent; the caller then answers 409 or defers).
    pub async fn again(&mut self) -> bool {
        if self.started.elapsed() >= REPLAN_BUDGET {
            return false;
        }
        use rand::Rng;
        let ceiling = 5u64 << self.attempt.min(8);
        let pause = rand::thread_rng().gen_range(1..=ceiling);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        self.attempt += 1;
        true
    }
}

impl Core {
    /// Writes a plan's writes, all or nothing. A failed condition is `Commit::Lost`; a
    /// throttled or failing store is an error (the SDK has already retried it).
    pub async fn commit(&self, writes: Vec<Write>) -> Result<Commit, ServiceError> {
        match self.table.write(writes).await {
            Ok(()) => Ok(Commit::Done),
            Err(StoreError::ConditionFailed(_)) => Ok(Commit::Lost),
            Err(e) => Err(e.into()),
        }
    }
}

/// The conflict a caller answers once its re-plans are spent.
pub fn kept_changing(detail: &str) -> ServiceError {
    ServiceError::conflict(ProblemKind::ConcurrentUpdate, detail.to_string())
}
