//! The few records nearly every request reads and that rarely change (`store::kept_in_memory`:
//! a company's), kept in memory from one read to the next.
//!
//! Why (issue 12): every create reads its company, and each read after a commit opens a
//! fresh WAL snapshot and walks the B-tree again; under a load of creates that one read was
//! 6–7 % of the local server's CPU. Exact, not a cache with an age: this process's writer is
//! the only one that writes the file (`claimdesk serve` locks the data folder), and a write
//! to a kept record forgets it before the write is answered. A read that began before such a
//! write keeps what it read only if no write to a kept record was answered meanwhile (the
//! generation), so nothing older than the last answered write is ever kept.

use claimdesk_core::ports::Item;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct KeptRecords {
    state: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    items: HashMap<(String, String), Item>,
    /// Moves on at every answered write to a kept record.
    generation: u64,
}

impl KeptRecords {
    pub fn get(&self, pk: &str, sk: &str) -> Option<Item> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.items.get(&(pk.to_string(), sk.to_string())).cloned()
    }

    /// The generation to hand back to `keep` with what a read is about to find.
    pub fn generation(&self) -> u64 {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).generation
    }

    /// Keeps what a read that began at `generation` found, unless a write to a kept record
    /// was answered since. An item that expires is not kept (its expiry is judged per read).
    pub fn keep(&self, generation: u64, item: &Item) {
        if item.expires_at.is_some() {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.generation == generation {
            state.items.insert((item.pk.clone(), item.sk.clone()), item.clone());
        }
    }

    /// Forgets these records: called once a write to them was committed or refused, before
    /// the write is answered.
    pub fn forget(&self, keys: &[(String, String)]) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for key in keys {
            state.items.remove(key);
        }
        state.generation += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn company(name: &str) -> Item {
        Item::new("COMPANY#ACME", "META", serde_json::json!({ "name": name }))
    }

    #[test]
    fn a_read_that_began_before_a_write_keeps_nothing() {
        let kept = KeptRecords::default();
        let before = kept.generation();
        kept.forget(&[("COMPANY#ACME".into(), "META".into())]);
        kept.keep(before, &company("old"));
        assert!(
            kept.get("COMPANY#ACME", "META").is_none(),
            "read before the write: not kept"
        );
        let now = kept.generation();
        kept.keep(now, &company("new"));
        assert_eq!(kept.get("COMPANY#ACME", "META").unwrap().data["name"], "new");
        kept.forget(&[("COMPANY#ACME".into(), "META".into())]);
        assert!(kept.get("COMPANY#ACME", "META").is_none(), "a write forgets it");
    }

    #[test]
    fn an_item_that_expires_is_not_kept() {
        let kept = KeptRecords::default();
        let mut item = company("soon gone");
        item.expires_at = Some(1);
        kept.keep(kept.generation(), &item);
        assert!(kept.get("COMPANY#ACME", "META").is_none());
    }
}
