//! What the engine's DynamoDB calls cost, by DynamoDB's published sizing rules applied to
//! the items sent and received: requests per operation, read and write capacity units.
//! (The emulator's own `ConsumedCapacity` ignores item sizes, so the benchmarks count here.)
//!
//! Rules applied: a strongly consistent read costs 1 unit per 4 KB of each item (a query:
//! of all items returned together), an eventually consistent read (any index query) half
//! that, a missing item 1; a write 1 unit per 1 KB, twice that inside a transaction, plus
//! one standard write per secondary index the item is on, of the index entry's size (its
//! keys and what the index projects: `Index::projection`). With no old image at hand, every
//! put of an indexed item is counted as rewriting its index entries (DynamoDB skips an entry
//! whose keys and projected attributes did not change), and an entry removed by a key
//! change is not counted: the two errors run in opposite directions.

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
        }
    }
}

#[derive(Default)]
pub struct Meter(Mutex<Usage>);

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

/// The write units of an item's index entries: one standard write per index it is on, of
/// the entry's size (table key, index key, projected attributes).
fn index_writes(item: &Attributes) -> f64 {
    let size_of = |name: &str| item.get(name).map_or(0, |v| name.len() as u64 + value_size(v));
    let table_key = size_of("pk") + size_of("sk");
    Index::SECONDARY
        .iter()
        .filter_map(|&index| {
            let (pk, sk, _) = index_attributes(index);
            item.contains_key(pk).then(|| {
                let projected = match index.projection() {
                    Projection::All => return item_size(item),
                    Projection::Summary => size_of(SUMMARY) + size_of(EXPIRES_AT),
                    Projection::KeysOnly => size_of(EXPIRES_AT),
                };
                table_key + size_of(pk) + size_of(sk) + projected
            })
        })
        .map(|size| units(size, 1024))
        .sum()
}

impl Meter {
    fn record(&self, operation: &'static str, read_units: f64, write_units: f64) {
        let mut usage = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *usage.requests.entry(operation).or_default() += 1;
        usage.read_units += read_units;
        usage.write_units += write_units;
    }

    pub fn usage(&self) -> Usage {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn get(&self, found: Option<&Attributes>) {
        self.record("GetItem", found.map_or(1.0, |i| units(item_size(i), 4096)), 0.0);
    }

    pub fn batch_get(&self, asked: usize, found: &[&Attributes]) {
        let read: f64 =
            found.iter().map(|i| units(item_size(i), 4096)).sum::<f64>() + asked.saturating_sub(found.len()) as f64;
        self.record("BatchGetItem", read, 0.0);
    }

    pub fn query(&self, items: &[Attributes], on_index: bool) {
        let size: u64 = items.iter().map(item_size).sum();
        let read = units(size, 4096) * if on_index { 0.5 } else { 1.0 };
        self.record("Query", read, 0.0);
    }

    /// A strongly consistent scan: 1 unit per 4 KB of the items returned together.
    pub fn scan(&self, items: &[Attributes]) {
        let size: u64 = items.iter().map(item_size).sum();
        self.record("Scan", units(size, 4096), 0.0);
    }

    pub fn put(&self, item: &Attributes) {
        let size = units(item_size(item), 1024);
        self.record("PutItem", 0.0, size + index_writes(item));
    }

    pub fn delete(&self) {
        self.record("DeleteItem", 0.0, 1.0);
    }

    /// `items`: the items put (deletes count as one unit each, as `None`).
    pub fn transaction(&self, items: &[Option<&Attributes>]) {
        let write: f64 = items
            .iter()
            .map(|item| match item {
                Some(item) => {
                    let size = units(item_size(item), 1024);
                    2.0 * size + index_writes(item)
                }
                None => 2.0,
            })
            .sum();
        self.record("TransactWriteItems", 0.0, write);
    }
}

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
        meter.put(&item(3000, false));
        meter.put(&item(100, true));
        meter.get(Some(&item(5000, false)));
        meter.get(None);
        meter.query(&[item(3000, false), item(3000, false)], true);
        meter.transaction(&[Some(&item(100, false)), None]);
        let usage = meter.usage();
        assert_eq!(usage.write_units, 3.0 + 2.0 + (2.0 + 2.0));
        assert_eq!(usage.read_units, 2.0 + 1.0 + 1.0);
        assert_eq!(usage.total_requests(), 6);
        assert_eq!(usage.since(&usage).total_requests(), 0);
    }
}
