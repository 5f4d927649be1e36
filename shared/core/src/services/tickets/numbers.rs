//! Ticket numbers without a hot spot. A company's counter item holds the next number nobody
//! has reserved; a process reserves a block of numbers with one conditional write of it and
//! hands them out from memory, so creates no longer race each other on the counter (and the
//! create transaction no longer writes it).
//!
//! The block adapts: one number at a time while creates are far apart (then numbers stay
//! gap-free, as before), doubling up to `Settings::number_block_max` while a company's
//! blocks run out within a second. A number whose create does not land goes back to the
//! pool (its `NumberLease` is dropped unkept) and is the next one handed out. Uniqueness
//! does not rest on the pool: each number's own record (`store::number_sk`) is created
//! conditionally in the ticket's transaction.
//!
//! A create whose commit lost a race spends its numbers instead (`NumberLease::lost_race`):
//! the race may have been lost on the number's own record, when a create that took the
//! number had its commit land although it never heard so (its caller went away mid-request,
//! a reply timed out) and gave the number back. Given back again, such a number would be
//! the next one taken, and lost on, by every create in turn.
//!
//! Gaps: the unused rest of a block when its process ends (a Lambda instance recycled, the
//! local server stopped) — at most `number_block_max - 1` numbers per process, and only
//! after a burst; and one number per create that lost a race (rare: with numbers from
//! blocks, creates race only on an idempotency record, a linked claim, or such a number).
//! Order: numbers rise within a process; two processes filling blocks at the
//! same time interleave them (ACME-000065 may be filed after ACME-000070).

use crate::services::commit::{kept_changing, Commit, Replans};
use crate::services::{item_of, Core, Loaded, ServiceError};
use crate::store;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A block used up faster than this makes the next one twice as large.
const BUSY: Duration = Duration::from_secs(1);

/// The counter item: the next number no process has reserved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Counter {
    pub next: u64,
}

/// What a process holds of one company's numbers.
#[derive(Debug, Default)]
struct Held {
    /// Reserved numbers not handed out yet, and numbers handed back: the smallest goes first.
    free: BTreeSet<u64>,
    /// The size the next reservation asks for.
    next_size: u64,
    reserved_at: Option<Instant>,
}

/// This process's reserved numbers, per company.
#[derive(Debug, Clone)]
pub struct NumberPool {
    held: Arc<Mutex<HashMap<String, Held>>>,
    /// One reservation at a time in a process: a create that finds the pool empty while
    /// another is reserving waits for that block instead of racing it for the counter.
    reserving: Arc<tokio::sync::Mutex<()>>,
    max_block: u64,
}

impl NumberPool {
    pub fn new(max_block: u64) -> NumberPool {
        NumberPool {
            held: Arc::default(),
            reserving: Arc::default(),
            max_block: max_block.max(1),
        }
    }

    fn take(&self, company: &str) -> Option<NumberLease> {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let held = held.get_mut(company)?;
        let number = held.free.pop_first()?;
        if held.free.is_empty() {
            let busy = held.reserved_at.is_some_and(|at| at.elapsed() < BUSY);
            held.next_size = if busy {
                (held.next_size * 2).min(self.max_block)
            } else {
                1
            };
        }
        Some(NumberLease {
            pool: self.clone(),
            company: company.to_string(),
            number,
            kept: false,
        })
    }

    fn size_to_reserve(&self, company: &str) -> u64 {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.get(company).map_or(1, |h| h.next_size.max(1))
    }

    /// A reserved block, beside whatever is still free.
    fn add(&self, company: &str, block: Range<u64>) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        let held = held.entry(company.to_string()).or_insert_with(|| Held {
            next_size: 1,
            ..Held::default()
        });
        held.free.extend(block);
        held.reserved_at = Some(Instant::now());
    }

    fn give_back(&self, company: &str, number: u64) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = held.get_mut(company) {
            held.free.insert(number);
        }
    }
}

/// A number taken from the pool for one create: kept once the create is committed, handed
/// back when dropped otherwise.
#[derive(Debug)]
pub struct NumberLease {
    pool: NumberPool,
    company: String,
    number: u64,
    kept: bool,
}

impl NumberLease {
    pub fn number(&self) -> u64 {
        self.number
    }

    pub fn keep(mut self) {
        self.kept = true;
    }

    /// The writes that use these numbers are in: they are spent.
    pub fn keep_all(leases: Vec<NumberLease>) {
        leases.into_iter().for_each(NumberLease::keep);
    }

    /// The writes that use these numbers lost a race, perhaps on a number's own record: the
    /// numbers are spent, not handed out again (see the module's notes; the re-plan takes
    /// new ones).
    pub fn lost_race(leases: Vec<NumberLease>) {
        leases.into_iter().for_each(NumberLease::keep);
    }
}

impl Drop for NumberLease {
    fn drop(&mut self) {
        if !self.kept {
            self.pool.give_back(&self.company, self.number);
        }
    }
}

impl Core {
    /// The next ticket number of `company`: from this process's block, or from a new block
    /// reserved with one conditional write of the company's counter.
    pub async fn next_number(&self, company: &str) -> Result<NumberLease, ServiceError> {
        self.next_in_sequence(company, store::COUNTER).await
    }

    /// The next number of one of `company`'s sequences, each its own counter item
    /// (`store::COUNTER` for tickets, `store::RMA_COUNTER` for RMAs).
    pub async fn next_in_sequence(&self, company: &str, counter: &str) -> Result<NumberLease, ServiceError> {
        let mut replans = Replans::start();
        let held = format!("{company}#{counter}");
        loop {
            if let Some(lease) = self.numbers.take(&held) {
                return Ok(lease);
            }
            let _reserving = self.numbers.reserving.lock().await;
            // Another create may have reserved while this one waited.
            if let Some(lease) = self.numbers.take(&held) {
                return Ok(lease);
            }
            let size = self.numbers.size_to_reserve(&held);
            let pk = store::company_pk(company);
            let (start, write) = match self.get_record::<Counter>(&pk, counter).await? {
                None => (
                    1,
                    crate::ports::Write::create(item_of(pk, counter, &Counter { next: 1 + size })),
                ),
                Some(Loaded { record, version }) => (
                    record.next,
                    crate::ports::Write::replace(
                        item_of(
                            pk,
                            counter,
                            &Counter {
                                next: record.next + size,
                            },
                        ),
                        version,
                    ),
                ),
            };
            match self.commit(vec![write]).await? {
                Commit::Done => self.numbers.add(&held, start..start + size),
                Commit::Lost if replans.again().await => {}
                Commit::Lost => return Err(kept_changing("the number counter kept changing; try again")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take_all(pool: &NumberPool, n: usize) -> Vec<u64> {
        (0..n)
            .map(|_| {
                let lease = pool.take("ACME").expect("a number");
                let number = lease.number();
                lease.keep();
                number
            })
            .collect()
    }

    #[test]
    fn numbers_come_in_order_and_a_dropped_lease_comes_back_first() {
        let pool = NumberPool::new(64);
        assert!(pool.take("ACME").is_none(), "nothing reserved yet");
        pool.add("ACME", 1..5);
        assert_eq!(take_all(&pool, 2), [1, 2]);
        let dropped = pool.take("ACME").unwrap();
        assert_eq!(dropped.number(), 3);
        drop(dropped);
        assert_eq!(take_all(&pool, 2), [3, 4]);
        assert!(pool.take("ACME").is_none(), "the block is spent");
        assert!(pool.take("OTHER").is_none(), "companies do not share blocks");
    }

    #[test]
    fn blocks_grow_while_they_run_out_fast_and_never_beyond_the_maximum() {
        let pool = NumberPool::new(4);
        assert_eq!(pool.size_to_reserve("ACME"), 1);
        let mut next = 1;
        for expected in [2, 4, 4] {
            let size = pool.size_to_reserve("ACME");
            pool.add("ACME", next..next + size);
            take_all(&pool, size as usize);
            next += size;
            assert_eq!(pool.size_to_reserve("ACME"), expected);
        }
    }

    #[test]
    fn the_smallest_free_number_goes_first_whichever_block_arrived_first() {
        let pool = NumberPool::new(8);
        pool.add("ACME", 10..12);
        pool.add("ACME", 1..3);
        assert_eq!(take_all(&pool, 4), [1, 2, 10, 11]);
    }
}
