//! The single table on DynamoDB. An [`Item`] becomes one DynamoDB item: `pk`/`sk`, a
//! `<index>pk`/`<index>sk` pair per index it belongs to (absent otherwise, so the indexes
//! are sparse), `expires_at` (the TTL attribute), `version`, and the record as JSON in
//! `data`. One write is a conditional PutItem/DeleteItem; several are one
//! TransactWriteItems, so a change, its outbox entries and its idempotency record land
//! together or not at all.

use crate::lazy::LazyClient;
use crate::metering::{Meter, Usage, Written};
use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, KeysAndAttributes, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use claimdesk_core::ports::{
    Clock, Condition, Cursor, Index, IndexKey, Item, Page, Query, SortKey, StoreError, Table, Write,
};
use claimdesk_core::store::{self, Packing};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

type Attributes = HashMap<String, AttributeValue>;

/// BatchGetItem takes at most 100 keys per call.
const BATCH_GET_MAX: usize = 100;

pub struct DynamoTable {
    /// Built on the first request (building a client costs 0.5–0.7 ms of a cold start).
    client: LazyClient<Client>,
    name: String,
    /// Expired items are absent to readers and conditions, whatever TTL has swept yet
    /// (DynamoDB deletes expired items only within a day or two).
    clock: Arc<dyn Clock>,
    items_read: AtomicU64,
    meter: Meter,
}

/// The attribute names of an index's key, and its name on the table.
pub fn index_attributes(index: Index) -> (&'static str, &'static str, Option<&'static str>) {
    match index {
        Index::Table => ("pk", "sk", None),
        Index::Gsi1 => ("gsi1pk", "gsi1sk", Some("gsi1")),
        Index::Gsi2 => ("gsi2pk", "gsi2sk", Some("gsi2")),
        Index::Gsi3 => ("gsi3pk", "gsi3sk", Some("gsi3")),
        Index::Due => ("duepk", "duesk", Some("due")),
        Index::Outbox => ("outboxpk", "outboxsk", Some("outbox")),
    }
}

/// The attribute that holds an item's list summary (projected to gsi1–3).
pub const SUMMARY: &str = "summary";
/// The TTL attribute (projected to every index, so expired entries can be dropped).
pub const EXPIRES_AT: &str = "expires_at";

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_string())
}

fn n(number: impl ToString) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

fn text_of<'a>(attributes: &'a Attributes, name: &str) -> Option<&'a str> {
    attributes.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

fn number_of(attributes: &Attributes, name: &str) -> Option<i64> {
    attributes
        .get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

pub fn to_attributes(item: &Item) -> Attributes {
    let mut out = Attributes::new();
    out.insert("pk".into(), s(&item.pk));
    out.insert("sk".into(), s(&item.sk));
    for index in Index::SECONDARY {
        if let Some(key) = item.index_key(index) {
            let (pk, sk, _) = index_attributes(index);
            out.insert(pk.into(), s(&key.pk));
            out.insert(sk.into(), s(&key.sk));
        }
    }
    if let Some(at) = item.expires_at {
        out.insert(EXPIRES_AT.into(), n(at));
    }
    out.insert("version".into(), n(item.version));
    out.insert(
        "data".into(),
        AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(store::pack(
            &item.data,
            Packing::Smallest,
        ))),
    );
    // Packed like the record: the summary is on every list index entry and on the item, and
    // a ticket's item is kept under a kilobyte (issue 12).
    if let Some(summary) = &item.summary {
        out.insert(
            SUMMARY.into(),
            AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(store::pack(
                summary,
                Packing::Smallest,
            ))),
        );
    }
    out
}

pub fn from_attributes(attributes: &Attributes) -> Result<Item, StoreError> {
    let corrupt = |what: &str| StoreError::Other(format!("item without {what}"));
    let pk = text_of(attributes, "pk").ok_or_else(|| corrupt("pk"))?;
    let sk = text_of(attributes, "sk").ok_or_else(|| corrupt("sk"))?;
    let json = |name: &str| {
        text_of(attributes, name)
            .map(|text| {
                serde_json::from_str(text).map_err(|e| StoreError::Other(format!("corrupt {name} of {pk}/{sk}: {e}")))
            })
            .transpose()
    };
    // The record is packed (binary); the first layout wrote it as text. An index that does
    // not project it returns the item without `data`.
    let data = match attributes.get("data") {
        Some(AttributeValue::B(bytes)) => {
            store::unpack(bytes.as_ref()).map_err(|e| StoreError::Other(format!("corrupt data of {pk}/{sk}: {e}")))?
        }
        Some(_) => json("data")?.unwrap_or(serde_json::Value::Null),
        None => serde_json::Value::Null,
    };
    let mut item = Item::new(pk, sk, data);
    // Packed since issue 12's last pass; text before.
    item.summary = match attributes.get(SUMMARY) {
        Some(AttributeValue::B(bytes)) => Some(
            store::unpack(bytes.as_ref())
                .map_err(|e| StoreError::Other(format!("corrupt summary of {pk}/{sk}: {e}")))?,
        ),
        _ => json(SUMMARY)?,
    };
    let index_key = |index: Index| {
        let (pk, sk, _) = index_attributes(index);
        Some(IndexKey::new(text_of(attributes, pk)?, text_of(attributes, sk)?))
    };
    item.gsi1 = index_key(Index::Gsi1);
    item.gsi2 = index_key(Index::Gsi2);
    item.gsi3 = index_key(Index::Gsi3);
    item.due = index_key(Index::Due);
    item.outbox = index_key(Index::Outbox);
    item.expires_at = number_of(attributes, EXPIRES_AT);
    item.version = number_of(attributes, "version").unwrap_or(0) as u64;
    Ok(item)
}

fn key(pk: &str, sk: &str) -> Attributes {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

/// A condition as DynamoDB expression text and its values.
fn condition_expression(condition: Condition, now: i64) -> Option<(&'static str, Attributes)> {
    match condition {
        Condition::None => None,
        // An expired item that TTL has not removed yet counts as gone.
        Condition::Absent => Some((
            "attribute_not_exists(pk) OR expires_at <= :now",
            HashMap::from([(":now".to_string(), n(now))]),
        )),
        Condition::Version(v) => Some(("version = :v", HashMap::from([(":v".to_string(), n(v))]))),
        Condition::Exists => Some(("attribute_exists(pk)", HashMap::new())),
    }
}

/// Throttling and server faults are worth retrying (the SDK already retried them with
/// backoff); everything else is a bug or a misconfiguration.
fn classify<E, R>(error: &SdkError<E, R>) -> StoreError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    let code = match error {
        SdkError::ServiceError(e) => e.err().code().unwrap_or("").to_string(),
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            return StoreError::Unavailable(format!("{error:?}"))
        }
        _ => String::new(),
    };
    let retryable = [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "LimitExceededException",
    ];
    if retryable.contains(&code.as_str()) || code.is_empty() && matches!(error, SdkError::ServiceError(_)) {
        StoreError::Unavailable(code)
    } else {
        StoreError::Other(format!("{code}: {error:?}"))
    }
}

impl DynamoTable {
    pub fn new(client: LazyClient<Client>, name: impl Into<String>, clock: Arc<dyn Clock>) -> DynamoTable {
        DynamoTable {
            client,
            name: name.into(),
            clock,
            items_read: AtomicU64::new(0),
            meter: Meter::default(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Requests and capacity units spent since start (see `metering`).
    pub fn usage(&self) -> Usage {
        self.meter.usage()
    }

    /// Counts index writes against each item's entries as this table last wrote them, as
    /// DynamoDB charges them (the benchmarks'; see `metering`).
    pub fn meter_old_images(&self) {
        self.meter.remember_old_images();
    }

    /// Tells the meter of an item put into the table by other means (a benchmark's seeding).
    pub fn meter_seeded(&self, item: &Attributes) {
        self.meter.seeded(item);
    }

    /// `BatchGetItem` in chunks, asking again for what was left unprocessed.
    async fn batch_get(&self, keys: &[(String, String)], consistent: bool) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        for chunk in keys.chunks(BATCH_GET_MAX) {
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(chunk.iter().map(|(pk, sk)| key(pk, sk)).collect()))
                    .consistent_read(consistent)
                    .build()
                    .map_err(build_error)?,
            );
            // Unprocessed keys (throttling) come back to be asked for again.
            let mut rounds = 0;
            while let Some(request) = pending.take() {
                rounds += 1;
                if rounds > 8 {
                    return Err(StoreError::Unavailable("batch read kept being throttled".into()));
                }
                let asked = request.keys().len();
                let output = self
                    .client
                    .get()
                    .batch_get_item()
                    .request_items(&self.name, request)
                    .send()
                    .await
                    .map_err(|e| classify(&e))?;
                let returned = output.responses().and_then(|r| r.get(&self.name));
                let unprocessed = output
                    .unprocessed_keys()
                    .and_then(|u| u.get(&self.name))
                    .map_or(0, |k| k.keys().len());
                self.meter.batch_get(
                    consistent,
                    asked.saturating_sub(unprocessed),
                    &returned.map(|r| r.iter().collect::<Vec<_>>()).unwrap_or_default(),
                );
                if let Some(items) = returned {
                    for attributes in items {
                        if let Some(item) = self.live(from_attributes(attributes)?) {
                            found.push(item);
                        }
                    }
                }
                pending = output
                    .unprocessed_keys()
                    .and_then(|u| u.get(&self.name))
                    .filter(|k| !k.keys().is_empty())
                    .cloned();
                if pending.is_some() {
                    tokio::time::sleep(std::time::Duration::from_millis(20 << rounds.min(5))).await;
                }
            }
        }
        self.counted(found.len());
        Ok(found)
    }

    fn live(&self, item: Item) -> Option<Item> {
        (!item.is_expired(self.clock.now())).then_some(item)
    }

    fn counted(&self, count: usize) {
        self.items_read.fetch_add(count as u64, Ordering::Relaxed);
    }

    async fn write_one(&self, write: Write, now: i64) -> Result<(), StoreError> {
        match write {
            Write::Put { item, condition } => {
                let attributes = to_attributes(&item);
                let pending = self.meter.single(&Written::Put(&attributes));
                let mut put = self
                    .client
                    .get()
                    .put_item()
                    .table_name(&self.name)
                    .set_item(Some(attributes));
                if let Some((expression, values)) = condition_expression(condition, now) {
                    put = put.condition_expression(expression);
                    if !values.is_empty() {
                        put = put.set_expression_attribute_values(Some(values));
                    }
                }
                put.send().await.map_err(|e| single_error(&e))?;
                self.meter.settled(pending);
                Ok(())
            }
            Write::Delete { pk, sk, condition } => {
                let pending = self.meter.single(&Written::Delete { pk: &pk, sk: &sk });
                let mut delete = self
                    .client
                    .get()
                    .delete_item()
                    .table_name(&self.name)
                    .set_key(Some(key(&pk, &sk)));
                if let Some((expression, values)) = condition_expression(condition, now) {
                    delete = delete.condition_expression(expression);
                    if !values.is_empty() {
                        delete = delete.set_expression_attribute_values(Some(values));
                    }
                }
                delete.send().await.map_err(|e| single_error(&e))?;
                self.meter.settled(pending);
                Ok(())
            }
        }
    }

    async fn write_many(&self, writes: Vec<Write>, now: i64) -> Result<(), StoreError> {
        let mut items = Vec::with_capacity(writes.len());
        let mut metered = Vec::with_capacity(writes.len());
        for write in writes {
            let built = match write {
                Write::Put { item, condition } => {
                    let attributes = to_attributes(&item);
                    metered.push(Metered::Put(attributes.clone()));
                    let mut put = Put::builder().table_name(&self.name).set_item(Some(attributes));
                    if let Some((expression, values)) = condition_expression(condition, now) {
                        put = put.condition_expression(expression);
                        if !values.is_empty() {
                            put = put.set_expression_attribute_values(Some(values));
                        }
                    }
                    TransactWriteItem::builder()
                        .put(put.build().map_err(build_error)?)
                        .build()
                }
                Write::Delete { pk, sk, condition } => {
                    let mut delete = Delete::builder().table_name(&self.name).set_key(Some(key(&pk, &sk)));
                    metered.push(Metered::Delete(pk, sk));
                    if let Some((expression, values)) = condition_expression(condition, now) {
                        delete = delete.condition_expression(expression);
                        if !values.is_empty() {
                            delete = delete.set_expression_attribute_values(Some(values));
                        }
                    }
                    TransactWriteItem::builder()
                        .delete(delete.build().map_err(build_error)?)
                        .build()
                }
            };
            items.push(built);
        }
        let written: Vec<Written> = metered
            .iter()
            .map(|write| match write {
                Metered::Put(attributes) => Written::Put(attributes),
                Metered::Delete(pk, sk) => Written::Delete { pk, sk },
            })
            .collect();
        let pending = self.meter.transaction(&written);
        match self
            .client
            .get()
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => {
                self.meter.settled(pending);
                Ok(())
            }
            Err(e) => Err(transaction_error(&e)),
        }
    }
}

/// A transaction's writes as the meter sees them (owned: the SDK's builders take the items).
enum Metered {
    Put(Attributes),
    Delete(String, String),
}

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Other(e.to_string())
}

fn single_error<E, R>(error: &SdkError<E, R>) -> StoreError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::fmt::Debug,
    R: std::fmt::Debug,
{
    match error {
        SdkError::ServiceError(e) if e.err().code() == Some("ConditionalCheckFailedException") => {
            StoreError::ConditionFailed(0)
        }
        _ => classify(error),
    }
}

/// A cancelled transaction names, per item, why: a failed condition or a conflict with
/// another transaction on the same item. Either way the caller re-reads and re-plans.
fn transaction_error<R: std::fmt::Debug>(error: &SdkError<TransactWriteItemsError, R>) -> StoreError {
    if let SdkError::ServiceError(e) = error {
        if let TransactWriteItemsError::TransactionCanceledException(cancelled) = e.err() {
            let reasons = cancelled.cancellation_reasons();
            let culprit = reasons
                .iter()
                .position(|r| matches!(r.code(), Some("ConditionalCheckFailed") | Some("TransactionConflict")));
            if let Some(position) = culprit {
                return StoreError::ConditionFailed(position);
            }
            let throttled = reasons.iter().any(|r| {
                matches!(
                    r.code(),
                    Some("ThrottlingError") | Some("ProvisionedThroughputExceeded")
                )
            });
            if throttled {
                return StoreError::Unavailable("transaction throttled".into());
            }
        }
    }
    classify(error)
}

#[async_trait]
impl Table for DynamoTable {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get()
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify(&e))?;
        self.meter.get(output.item());
        let item = output
            .item()
            .map(from_attributes)
            .transpose()?
            .and_then(|i| self.live(i));
        self.counted(usize::from(item.is_some()));
        Ok(item)
    }

    async fn get_many(&self, keys: &[(String, String)]) -> Result<Vec<Item>, StoreError> {
        self.batch_get(keys, true).await
    }

    async fn get_many_listed(&self, keys: &[(String, String)]) -> Result<Vec<Item>, StoreError> {
        self.batch_get(keys, false).await
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        let (pk_name, sk_name, index_name) = index_attributes(query.index);
        let mut names = HashMap::from([("#pk".to_string(), pk_name.to_string())]);
        let mut values = HashMap::from([(":pk".to_string(), s(&query.pk))]);
        let mut expression = "#pk = :pk".to_string();
        match &query.sort {
            SortKey::All => {}
            SortKey::BeginsWith(prefix) => {
                names.insert("#sk".into(), sk_name.into());
                values.insert(":sk".into(), s(prefix));
                expression.push_str(" AND begins_with(#sk, :sk)");
            }
            SortKey::AtMost(upto) => {
                names.insert("#sk".into(), sk_name.into());
                values.insert(":sk".into(), s(upto));
                expression.push_str(" AND #sk <= :sk");
            }
        }
        let limit = query.limit.clamp(1, 1000);
        // One item more than asked tells whether another page exists, so the last page
        // carries no cursor (as on the embedded engine).
        let mut request = self
            .client
            .get()
            .query()
            .table_name(&self.name)
            .key_condition_expression(expression)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .scan_index_forward(!query.newest_first)
            .limit(limit as i32 + 1);
        match index_name {
            Some(index) => request = request.index_name(index),
            None => request = request.consistent_read(true),
        }
        if let Some(after) = &query.after {
            let mut start = key(&after.pk, &after.sk);
            if index_name.is_some() {
                let index_sk = after
                    .index_sk
                    .as_deref()
                    .ok_or_else(|| StoreError::Other("cursor without index key".into()))?;
                start.insert(pk_name.into(), s(&query.pk));
                start.insert(sk_name.into(), s(index_sk));
            }
            request = request.set_exclusive_start_key(Some(start));
        }
        let output = request.send().await.map_err(|e| classify(&e))?;
        self.meter.query(output.items(), index_name.is_some());
        let mut items = Vec::new();
        for attributes in output.items() {
            items.push(from_attributes(attributes)?.projected(query.index));
        }
        self.counted(items.len());
        let more = items.len() > limit;
        items.truncate(limit);
        let next = if more {
            items.last().map(|last| Cursor::after(last, query.index))
        } else {
            None
        };
        let now = self.clock.now();
        items.retain(|item| !item.is_expired(now));
        Ok(Page { items, next })
    }

    async fn write(&self, mut writes: Vec<Write>) -> Result<(), StoreError> {
        let now = self.clock.now().timestamp();
        match writes.len() {
            0 => Ok(()),
            // One item needs no transaction (half the write capacity of a transactional one).
            1 => self.write_one(writes.remove(0), now).await,
            n if n > claimdesk_core::ports::MAX_WRITES_PER_TRANSACTION => {
                Err(StoreError::Other(format!("{n} writes exceed one transaction")))
            }
            _ => self.write_many(writes, now).await,
        }
    }

    async fn scan(&self, after: Option<&Cursor>, limit: usize) -> Result<Page, StoreError> {
        let mut request = self
            .client
            .get()
            .scan()
            .table_name(&self.name)
            .consistent_read(true)
            .limit(limit.clamp(1, 1000) as i32);
        if let Some(after) = after {
            request = request.set_exclusive_start_key(Some(key(&after.pk, &after.sk)));
        }
        let output = request.send().await.map_err(|e| classify(&e))?;
        self.meter.scan(output.items());
        let mut items = Vec::new();
        for attributes in output.items() {
            items.push(from_attributes(attributes)?);
        }
        self.counted(items.len());
        // DynamoDB says where it stopped; no key means the table is done.
        let next = output.last_evaluated_key().and_then(|last| {
            Some(Cursor {
                pk: text_of(last, "pk")?.to_string(),
                sk: text_of(last, "sk")?.to_string(),
                index_sk: None,
            })
        });
        Ok(Page { items, next })
    }

    fn items_read(&self) -> u64 {
        self.items_read.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_survives_the_round_trip_with_sparse_indexes() {
        let mut item = Item::new("TICKET#t1", "META", serde_json::json!({"a": 1, "b": "x"}));
        item.gsi2 = Some(IndexKey::new("CO#ACME#OPEN", "2026#t1"));
        item.due = Some(IndexKey::new("DUE#1", "2026#t1"));
        item.outbox = Some(IndexKey::new("OUTBOX#1", "2026#t1"));
        item.summary = Some(serde_json::json!({"n": 1}));
        item.expires_at = Some(42);
        item.version = 7;
        let attributes = to_attributes(&item);
        assert!(!attributes.contains_key("gsi1pk"), "absent index keys stay absent");
        assert_eq!(from_attributes(&attributes).unwrap(), item);
    }

    #[test]
    fn absent_means_missing_or_expired() {
        let (expression, values) = condition_expression(Condition::Absent, 100).unwrap();
        assert!(expression.contains("attribute_not_exists(pk)"));
        assert!(expression.contains("expires_at <= :now"));
        assert_eq!(values[":now"], n(100));
    }
}
