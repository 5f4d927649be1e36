//! The `Table` port's contract, written once and run on both engines: `SqliteTable` under
//! the local server and `DynamoTable` against the emulator. Every promise the services lean
//! on is here: all-or-nothing batches that name the failing write, optimistic locking,
//! deletes with conditions, sparse indexes paged by cursors (the last page has none), sort
//! ranges in both orders, batch gets, and expired items counting as absent everywhere.

use crate::common::*;
use claimdesk_core::ports::{Clock, Condition, Index, IndexKey, Item, Query, SortKey, StoreError, Table, Write};
use serde_json::json;

/// Keys of this run only: the desk's table also holds whatever its boot wrote.
fn run_keys() -> String {
    format!("CONTRACT{}", rand::random::<u32>())
}

fn pks(items: &[Item]) -> Vec<&str> {
    items.iter().map(|i| i.pk.as_str()).collect()
}

async fn the_table_keeps_its_contract_on_either_engine(desk: Desk) {
    let table: &dyn Table = desk.core().table.as_ref();
    let run = run_keys();
    let key = |name: &str| format!("{run}#{name}");

    // A batch is all or nothing, and a failed condition names its write.
    table
        .write(vec![Write::create(Item::new(key("A"), "1", json!({"n": 1})))])
        .await
        .unwrap();
    let clash = table
        .write(vec![
            Write::create(Item::new(key("B"), "1", json!({}))),
            Write::create(Item::new(key("A"), "1", json!({"n": 2}))),
        ])
        .await;
    assert_eq!(clash, Err(StoreError::ConditionFailed(1)));
    assert!(table.get(&key("B"), "1").await.unwrap().is_none());
    assert_eq!(table.get(&key("A"), "1").await.unwrap().unwrap().data["n"], 1);

    // Versions guard updates: the second writer from the same read loses.
    let read = table.get(&key("A"), "1").await.unwrap().unwrap();
    assert_eq!(read.version, 1);
    table.write(vec![Write::replace(read.clone(), 1)]).await.unwrap();
    assert_eq!(
        table.write(vec![Write::replace(read, 1)]).await,
        Err(StoreError::ConditionFailed(0))
    );
    assert_eq!(table.get(&key("A"), "1").await.unwrap().unwrap().version, 2);

    // Deletes honour their condition; Exists fails on what is not there.
    let delete = |condition| Write::Delete {
        pk: key("A"),
        sk: "1".into(),
        condition,
    };
    assert_eq!(
        table.write(vec![delete(Condition::Version(1))]).await,
        Err(StoreError::ConditionFailed(0))
    );
    table.write(vec![delete(Condition::Version(2))]).await.unwrap();
    assert!(table.get(&key("A"), "1").await.unwrap().is_none());
    assert_eq!(
        table.write(vec![delete(Condition::Exists)]).await,
        Err(StoreError::ConditionFailed(0))
    );

    // A sparse index: only items with its key are on it, paged with cursors, ranged by sort
    // key, in either order; the last page carries no cursor.
    let due = key("DUE");
    let mut writes = Vec::new();
    for i in 0..7 {
        let mut item = Item::new(key(&format!("T{i}")), "META", json!({ "i": i }));
        if i % 2 == 0 {
            item.due = Some(IndexKey::new(&due, format!("2026-01-0{}#T{i}", i + 1)));
        }
        writes.push(Write::create(item));
    }
    table.write(writes).await.unwrap();
    let mut query = Query::new(Index::Due, &due);
    query.sort = SortKey::AtMost("2026-01-05~".into());
    query.limit = 2;
    let first = table.query(&query).await.unwrap();
    assert_eq!(pks(&first.items), [key("T0"), key("T2")]);
    query.after = first.next;
    let second = table.query(&query).await.unwrap();
    assert_eq!(pks(&second.items), [key("T4")]);
    assert!(second.next.is_none(), "the last page has no cursor");
    query.newest_first = true;
    query.after = None;
    query.limit = 10;
    query.sort = SortKey::All;
    assert_eq!(
        pks(&table.query(&query).await.unwrap().items),
        [key("T6"), key("T4"), key("T2"), key("T0")]
    );
    query.limit = 4;
    assert!(
        table.query(&query).await.unwrap().next.is_none(),
        "a page that holds exactly the rest has no cursor"
    );

    // One partition of the table, by sort-key prefix.
    let mut writes = Vec::new();
    for sk in ["MSG#1", "MSG#2", "NOTE#1", "META"] {
        writes.push(Write::create(Item::new(key("P"), sk, json!({ "sk": sk }))));
    }
    table.write(writes).await.unwrap();
    let mut partition = Query::new(Index::Table, key("P"));
    partition.sort = SortKey::BeginsWith("MSG#".into());
    let messages = table.query(&partition).await.unwrap();
    assert_eq!(
        messages.items.iter().map(|i| i.sk.as_str()).collect::<Vec<_>>(),
        ["MSG#1", "MSG#2"]
    );

    // Batch gets return what exists, whatever is missing.
    let keys = vec![
        (key("P"), "META".to_string()),
        (key("P"), "MISSING".to_string()),
        (key("T3"), "META".to_string()),
    ];
    let mut found: Vec<String> = table
        .get_many(&keys)
        .await
        .unwrap()
        .into_iter()
        .map(|i| format!("{}/{}", i.pk, i.sk))
        .collect();
    found.sort();
    assert_eq!(found, [format!("{}/META", key("P")), format!("{}/META", key("T3"))]);

    // An expired item is absent to reads, to conditions and to indexes, before TTL deletes it.
    let now = desk.clock.now().timestamp();
    let mut expired = Item::new(key("I"), "IDEM", json!({}));
    expired.expires_at = Some(now - 1);
    expired.due = Some(IndexKey::new(key("EXP"), "x"));
    table.write(vec![Write::create(expired.clone())]).await.unwrap();
    assert!(table.get(&key("I"), "IDEM").await.unwrap().is_none());
    assert!(table.get_many(&[(key("I"), "IDEM".into())]).await.unwrap().is_empty());
    assert!(table
        .query(&Query::new(Index::Due, key("EXP")))
        .await
        .unwrap()
        .items
        .is_empty());
    table.write(vec![Write::create(expired)]).await.unwrap();
    let mut alive = Item::new(key("J"), "IDEM", json!({}));
    alive.expires_at = Some(now + 3600);
    table.write(vec![Write::create(alive.clone())]).await.unwrap();
    assert_eq!(
        table.write(vec![Write::create(alive)]).await,
        Err(StoreError::ConditionFailed(0))
    );

    // A scan (the layout migration's walk) pages through every item once, in pages of the
    // size asked, and resumes from any page's cursor.
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = table.scan(cursor.as_ref(), 3).await.unwrap();
        assert!(page.items.len() <= 3);
        seen.extend(page.items.iter().map(|i| format!("{}/{}", i.pk, i.sk)));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no item twice");
    for i in 0..7 {
        assert!(
            seen.contains(&format!("{}/META", key(&format!("T{i}")))),
            "T{i} scanned"
        );
    }
}

on_both_engines!(the_table_keeps_its_contract_on_either_engine);
