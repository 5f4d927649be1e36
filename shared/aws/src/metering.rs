//! What the engine's DynamoDB calls cost, by DynamoDB's published sizing rules applied to
//! the items sent and received: requests per operation, read and write capacity units.
//! (The emulator's own `ConsumedCapacity` ignores item sizes, so the benchmarks count here.)
//!
//! Rules applied: a strongly consistent read costs 1 unit per 4 KB of each item (a query:
//! of all items returned together), an eventually consistent read (any index query) half
//! that, a missing item 1; a write 1 unit per 1 KB, twice that inside a transaction, plus
//! standard writes to the secondary indexes, each of the index entry's size (its keys and
//! what the index projects: `Index::projection`).
//!
//! What an index write costs depends on the entry the item had before (DynamoDB's rules for
//! global secondary indexes): a new entry, one write; an entry whose keys moved, two (the
//! old one deleted, the new one put); an entry whose keys stayed but whose projected
//! attributes changed, one; an entry with nothing changed, none; an entry removed (the
//! item deleted, or its index key dropped), one. A meter that remembers old images
//! (`Meter::remember_old_images`, the benchmarks') keeps each item's entries as the last
//! write that succeeded left them (seeded items too: `Meter::seeded`) and applies those
//! rules. Without that memory, or for an item it has not seen, every put of an indexed item
//! counts one write per entry and a removed entry none ("blind"): the two errors run in
//! opposite directions.

use crate::table::{index_attributes, EXPIRES_AT, SUMMARY};
use aws_sdk_dynamodb::types::AttributeValue;
use claimdesk_core::ports::{Index, Projection};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

type Attributes = HashMap<String, AttributeValue>;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Usage {
    pub requests: BTreeMap<&'static str, u64>,
    pub read_units: f64,
    pub write_units: f64,
    /// The write units as a meter without old images counts them (every put of an indexed
    /// item rewrites its entries, a removed entry is free): the benchmarks print both.
    pub write_units_blind: f64,
}

impl Usage {
    pub fn total_requests(&self) -> u64 {
        self.requests.values().sum()
    }

    /// What happened between `before` and now.
    pub fn since(&self, before: &Usage) -> Usage {
        let mut requests = self.requests.clone();
        for (operation, count) in &before.requests {
            *requests.entry(operation).or_default() -= count;
        }
        requests.retain(|_, count| *count > 0);
        Usage {
            requests,
            read_units: self.read_units - before.read_units,
            write_units: self.write_units - before.write_units,
            write_units_blind: self.write_units_blind - before.write_units_blind,
        }
    }
}

/// One write of a transaction or a single request, as the meter needs it.
pub enum Written<'a> {
    Put(&'a Attributes),
    Delete { pk: &'a str, sk: &'a str },
}

/// An item's entry in one secondary index: its index key, what the index copies of the
/// item besides, and the entry's size.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    key: (AttributeValue, AttributeValue),
    projected: Vec<Option<AttributeValue>>,
    size: u64,
}

/// An item's entries, one place per `Index::SECONDARY`.
type Entries = Vec<Option<Entry>>;
/// An item's table key.
type Key = (String, String);
/// What a write leaves in the remembered images: the item's entries (`None`: deleted).
type Left = (Key, Option<Entries>);

#[derive(Default)]
pub struct Meter {
    usage: Mutex<Usage>,
    /// Each item's index entries as last written through this meter, by table key; `None`
    /// when the meter does not remember (every engine but the benchmarks': the map would
    /// grow with every item a warm function writes).
    old_images: Mutex<Option<HashMap<Key, Entries>>>,
}

fn value_size(value: &AttributeValue) -> u64 {
    match value {
        AttributeValue::S(text) => text.len() as u64,
        // Numbers: about one byte per two significant digits, plus one.
        AttributeValue::N(number) => (number.trim_start_matches('-').len() as u64).div_ceil(2) + 1,
        AttributeValue::B(bytes) => bytes.as_ref().len() as u64,
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::M(map) => 3 + map.iter().map(|(k, v)| k.len() as u64 + value_size(v) + 1).sum::<u64>(),
        AttributeValue::L(list) => 3 + list.iter().map(|v| value_size(v) + 1).sum::<u64>(),
        _ => 1,
    }
}

/// An item's size as DynamoDB counts it: attribute names plus values.
pub fn item_size(item: &Attributes) -> u64 {
    item.iter()
        .map(|(name, value)| name.len() as u64 + value_size(value))
        .sum()
}

fn units(size: u64, per: u64) -> f64 {
    size.div_ceil(per).max(1) as f64
}

fn text<'a>(item: &'a Attributes, name: &str) -> &'a str {
    item.get(name).and_then(|v| v.as_s().ok()).map_or("", String::as_str)
}

fn table_key(item: &Attributes) -> Key {
    (text(item, "pk").to_string(), text(item, "sk").to_string())
}

/// The names of what `index` copies of an item besides its keys.
fn projected_names(item: &Attributes, index: Index) -> Vec<&str> {
    match index.projection() {
        Projection::All => {
            let mut names: Vec<&str> = item.keys().map(String::as_str).collect();
            names.sort_unstable();
            names
        }
        Projection::Summary => vec![SUMMARY, EXPIRES_AT],
        Projection::KeysOnly => vec![EXPIRES_AT],
    }
}

/// The size of the item's entry in `index` (table key, index key, projected attributes);
/// `None` when the item is not on it.
fn entry_size(item: &Attributes, index: Index) -> Option<u64> {
    let (pk, sk, _) = index_attributes(index);
    item.get(pk)?;
    if index.projection() == Projection::All {
        return Some(item_size(item));
    }
    let size_of = |name: &str| item.get(name).map_or(0, |v| name.len() as u64 + value_size(v));
    let copied: u64 = projected_names(item, index).into_iter().map(size_of).sum();
    Some(size_of("pk") + size_of("sk") + size_of(pk) + size_of(sk) + copied)
}

/// The item's entries in the secondary indexes, as a remembering meter keeps them.
fn entries(item: &Attributes) -> Entries {
    Index::SECONDARY
        .iter()
        .map(|&index| {
            let size = entry_size(item, index)?;
            let (pk, sk, _) = index_attributes(index);
            Some(Entry {
                key: (
                    item.get(pk)?.clone(),
                    item.get(sk).cloned().unwrap_or(AttributeValue::Null(true)),
                ),
                projected: projected_names(item, index)
                    .into_iter()
                    .map(|name| item.get(name).cloned())
                    .collect(),
                size,
            })
        })
        .collect()
}

/// The index writes of replacing `old` entries (`None`: none, or not known) with `new` ones.
fn index_writes(old: Option<&Entries>, new: &Entries) -> f64 {
    let none = vec![None; new.len()];
    new.iter()
        .zip(old.unwrap_or(&none))
        .map(|(new, old)| match (old, new) {
            (None, None) => 0.0,
            (None, Some(entry)) | (Some(entry), None) => units(entry.size, 1024),
            (Some(old), Some(new)) if old.key != new.key => units(old.size, 1024) + units(new.size, 1024),
            (Some(old), Some(new)) if old.projected != new.projected => units(new.size, 1024),
            (Some(_), Some(_)) => 0.0,
        })
        .sum()
}

/// The index writes of deleting an item with these entries (unknown: none counted).
fn removal_writes(old: Option<&Entries>) -> f64 {
    old.map_or(0.0, |entries| {
        entries.iter().flatten().map(|e| units(e.size, 1024)).sum()
    })
}

impl Meter {
    /// From now on, remembers each item's index entries as written through this meter, to
    /// count index writes as DynamoDB does (the benchmarks').
    pub fn remember_old_images(&self) {
        let mut old_images = self.old_images.lock().unwrap_or_else(|e| e.into_inner());
        old_images.get_or_insert_with(HashMap::new);
    }

    fn record(&self, operation: &'static str, read_units: f64, (write_units, blind): (f64, f64)) {
        let mut usage = self.usage.lock().unwrap_or_else(|e| e.into_inner());
        *usage.requests.entry(operation).or_default() += 1;
        usage.read_units += read_units;
        usage.write_units += write_units;
        usage.write_units_blind += blind;
    }

    pub fn usage(&self) -> Usage {
        self.usage.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn get(&self, found: Option<&Attributes>) {
        self.record("GetItem", found.map_or(1.0, |i| units(item_size(i), 4096)), (0.0, 0.0));
    }

    /// A batch read: per item asked for, 1 unit per 4 KB (a missing item 1), half that when
    /// not `consistent`.
    pub fn batch_get(&self, consistent: bool, asked: usize, found: &[&Attributes]) {
        let read: f64 =
            found.iter().map(|i| units(item_size(i), 4096)).sum::<f64>() + asked.saturating_sub(found.len()) as f64;
        self.record("BatchGetItem", read * if consistent { 1.0 } else { 0.5 }, (0.0, 0.0));
    }

    pub fn query(&self, items: &[Attributes], on_index: bool) {
        let size: u64 = items.iter().map(item_size).sum();
        let read = units(size, 4096) * if on_index { 0.5 } else { 1.0 };
        self.record("Query", read, (0.0, 0.0));
    }

    /// A strongly consistent scan: 1 unit per 4 KB of the items returned together.
    pub fn scan(&self, items: &[Attributes]) {
        let size: u64 = items.iter().map(item_size).sum();
        self.record("Scan", units(size, 4096), (0.0, 0.0));
    }

    /// What one write costs, with old images and blind (`factor`: 2 in a transaction, for
    /// the item's own units), and, when the meter remembers (`images`), what it leaves
    /// there. A meter that does not remember builds no entries: sizes suffice for the blind
    /// count, which is then the count.
    fn charge(images: Option<&HashMap<Key, Entries>>, write: &Written, factor: f64) -> ((f64, f64), Option<Left>) {
        match write {
            Written::Put(item) => {
                let own = factor * units(item_size(item), 1024);
                let blind = own
                    + Index::SECONDARY
                        .iter()
                        .filter_map(|&index| entry_size(item, index))
                        .map(|size| units(size, 1024))
                        .sum::<f64>();
                let Some(images) = images else {
                    return ((blind, blind), None);
                };
                let key = table_key(item);
                let new = entries(item);
                let exact = own + index_writes(images.get(&key), &new);
                ((exact, blind), Some((key, Some(new))))
            }
            Written::Delete { pk, sk } => {
                let key = (pk.to_string(), sk.to_string());
                let Some(images) = images else {
                    return ((factor, factor), None);
                };
                let exact = factor + removal_writes(images.get(&key));
                ((exact, factor), Some((key, None)))
            }
        }
    }

    /// Records one request of `writes`, and returns what they leave in the remembered images,
    /// for `settled` to keep once the request has succeeded.
    fn charge_all(&self, operation: &'static str, writes: &[Written], factor: f64) -> Pending {
        let old_images = self.old_images.lock().unwrap_or_else(|e| e.into_inner());
        let mut total = (0.0, 0.0);
        let mut left = Vec::new();
        for write in writes {
            let ((exact, blind), leaves) = Self::charge(old_images.as_ref(), write, factor);
            total = (total.0 + exact, total.1 + blind);
            left.extend(leaves);
        }
        drop(old_images);
        self.record(operation, 0.0, total);
        Pending(left)
    }

    /// One `PutItem` or `DeleteItem`, counted whether or not its condition holds (a failed
    /// condition is charged too).
    pub fn single(&self, write: &Written) -> Pending {
        let operation = match write {
            Written::Put(_) => "PutItem",
            Written::Delete { .. } => "DeleteItem",
        };
        self.charge_all(operation, std::slice::from_ref(write), 1.0)
    }

    pub fn transaction(&self, writes: &[Written]) -> Pending {
        self.charge_all("TransactWriteItems", writes, 2.0)
    }

    /// Learns the index entries of an item put into the table by other means, uncounted.
    pub fn seeded(&self, item: &Attributes) {
        let mut old_images = self.old_images.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(images) = old_images.as_mut() {
            images.insert(table_key(item), entries(item));
        }
    }

    /// Keeps what a write that succeeded left in the table.
    pub fn settled(&self, pending: Pending) {
        let mut old_images = self.old_images.lock().unwrap_or_else(|e| e.into_inner());
        let Some(images) = old_images.as_mut() else { return };
        for (key, entries) in pending.0 {
            match entries {
                Some(entries) => images.insert(key, entries),
                None => images.remove(&key),
            };
        }
    }
}

/// The index entries a write leaves, by table key (`None`: the item deleted).
#[must_use = "hand it to `Meter::settled` once the write has succeeded"]
pub struct Pending(Vec<Left>);

#[cfg(test)]
mod tests {
    use super::*;

    fn item(data_bytes: usize, indexed: bool) -> Attributes {
        let mut item = HashMap::from([
            ("pk".to_string(), AttributeValue::S("TICKET#t1".into())),
            ("sk".to_string(), AttributeValue::S("META".into())),
            ("data".to_string(), AttributeValue::S("x".repeat(data_bytes))),
            ("version".to_string(), AttributeValue::N("12".into())),
        ]);
        if indexed {
            item.insert("gsi2pk".into(), AttributeValue::S("CO#ACME#OPEN".into()));
        }
        item
    }

    #[test]
    fn sizes_and_units_follow_dynamodb_rules() {
        // pk(2)+9, sk(2)+4, data(4)+3000, version(7)+2
        assert_eq!(item_size(&item(3000, false)), 11 + 6 + 3004 + 9);
        let meter = Meter::default();
        let _ = meter.single(&Written::Put(&item(3000, false)));
        let _ = meter.single(&Written::Put(&item(100, true)));
        meter.get(Some(&item(5000, false)));
        meter.get(None);
        meter.query(&[item(3000, false), item(3000, false)], true);
        let _ = meter.transaction(&[
            Written::Put(&item(100, false)),
            Written::Delete {
                pk: "TICKET#t1",
                sk: "META",
            },
        ]);
        let usage = meter.usage();
        assert_eq!(usage.write_units, 3.0 + 2.0 + (2.0 + 2.0));
        assert_eq!(usage.write_units_blind, usage.write_units, "nothing remembered");
        assert_eq!(usage.read_units, 2.0 + 1.0 + 1.0);
        assert_eq!(usage.total_requests(), 6);
        assert_eq!(usage.since(&usage).total_requests(), 0);
    }

    /// Each put of the same item, and what DynamoDB charges its list-index entry for it.
    #[test]
    fn a_remembering_meter_charges_index_entries_by_what_changed() {
        let meter = Meter::default();
        meter.remember_old_images();
        let mut ticket = item(100, true);
        ticket.insert(SUMMARY.into(), AttributeValue::S("open, new".into()));
        let charged = |item: &Attributes| {
            let before = meter.usage();
            let pending = meter.single(&Written::Put(item));
            meter.settled(pending);
            meter.usage().since(&before).write_units
        };
        assert_eq!(charged(&ticket), 1.0 + 1.0, "new: the item and a new entry");
        ticket.insert("data".into(), AttributeValue::S("y".repeat(100)));
        assert_eq!(charged(&ticket), 1.0, "nothing the index holds changed");
        ticket.insert(SUMMARY.into(), AttributeValue::S("open, answered".into()));
        assert_eq!(charged(&ticket), 1.0 + 1.0, "the projected summary changed");
        ticket.insert("gsi2pk".into(), AttributeValue::S("CO#ACME#CLOSED".into()));
        assert_eq!(
            charged(&ticket),
            1.0 + 2.0,
            "the key moved: old entry deleted, new one put"
        );
        ticket.remove("gsi2pk");
        assert_eq!(charged(&ticket), 1.0 + 1.0, "the entry removed");
        ticket.insert("gsi2pk".into(), AttributeValue::S("CO#ACME#OPEN".into()));
        charged(&ticket);
        let before = meter.usage();
        let _ = meter.transaction(&[Written::Delete {
            pk: "TICKET#t1",
            sk: "META",
        }]);
        assert_eq!(
            meter.usage().since(&before).write_units,
            2.0 + 1.0,
            "a delete removes its entries"
        );
    }

    #[test]
    fn a_failed_write_leaves_the_remembered_entries_alone() {
        let meter = Meter::default();
        meter.remember_old_images();
        let first = item(100, true);
        let pending = meter.single(&Written::Put(&first));
        meter.settled(pending);
        let mut moved = first.clone();
        moved.insert("gsi2pk".into(), AttributeValue::S("CO#ACME#CLOSED".into()));
        // Charged (a failed condition costs the write) but not settled.
        let _failed = meter.single(&Written::Put(&moved));
        let before = meter.usage();
        let _ = meter.single(&Written::Put(&first));
        assert_eq!(meter.usage().since(&before).write_units, 1.0, "still the first image");
    }
}
