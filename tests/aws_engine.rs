//! What only the AWS engine has: the functions and their `events/` payloads, and what the
//! engine leaves in DynamoDB, S3 and EventBridge, read back through the SDK.

use crate::common::*;
use aws_sdk_dynamodb::types::AttributeValue;
use claimdesk_aws::generate::EVENT_FUNCTIONS;
use claimdesk_core::http::{function_named, lambda_functions};
use serde_json::{json, Value};
use std::collections::HashMap;

#[test]
fn the_functions_folder_has_one_binary_per_function_and_no_other() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("functions");
    let found = claimdesk_bench::function_binaries();
    let mut expected: Vec<String> = lambda_functions().map(|f| f.name.to_string()).collect();
    expected.extend(EVENT_FUNCTIONS.iter().map(|s| s.to_string()));
    expected.sort();
    assert_eq!(found, expected);
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    for name in &expected {
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name} is not a [[bin]]"
        );
    }
}

#[test]
fn every_route_has_a_real_shaped_event() {
    for (function, route) in lambda_routes() {
        let file = event_file_of(function, route);
        let event: Value = serde_json::from_str(&event_file(&file)).unwrap();
        assert_eq!(event["version"], "2.0", "{file}");
        assert_eq!(event["routeKey"], format!("{} {}", route.method, route.path), "{file}");
        assert_eq!(event["requestContext"]["http"]["method"], route.method, "{file}");
        let claims = &event["requestContext"]["authorizer"]["jwt"]["claims"];
        assert_eq!(
            claims.is_object(),
            !route.public(),
            "{file}: authorizer claims on private routes only"
        );
        lambda_http::request::from_str(&event.to_string()).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_event_as_recorded_gets_a_clear_answer_from_its_function_and_only_from_it() {
    let desk = Desk::aws().await;
    let engine = &desk.aws_desk().engine;
    for (function, route) in lambda_routes() {
        let file = event_file_of(function, route);
        let text = event_file(&file);
        let request = lambda_http::request::from_str(&text).unwrap();
        let response = claimdesk_aws::lambda::handle_http(engine, function, request).await;
        let status = response.status().as_u16();
        // The recorded ids do not exist on a fresh deployment: a clear 4xx, never a 5xx.
        assert!(status < 500, "{file}: {status}");
        if status >= 400 {
            let content_type = response.headers()["content-type"].to_str().unwrap();
            assert_eq!(content_type, "application/problem+json", "{file}");
        }
        let other = function_named(if function.name == "get-ticket" {
            "openapi"
        } else {
            "get-ticket"
        })
        .unwrap();
        let request = lambda_http::request::from_str(&text).unwrap();
        let misrouted = claimdesk_aws::lambda::handle_http(engine, other, request).await;
        assert_eq!(misrouted.status().as_u16(), 404, "{file} answered by {}", other.name);
    }
}

async fn item(desk: &Desk, pk: &str, sk: &str) -> Option<HashMap<String, AttributeValue>> {
    let aws = desk.aws_desk();
    aws_sdk_dynamodb::Client::new(&aws.sdk)
        .get_item()
        .table_name(&aws.names.table)
        .key("pk", AttributeValue::S(pk.into()))
        .key("sk", AttributeValue::S(sk.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

fn text<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_holds_keys_indexes_versions_and_ttls_as_architecture_md_says() {
    let desk = Desk::aws().await;
    let cast = company_with_cast(&desk).await;
    let aws = desk.aws_desk();
    let dynamo = aws_sdk_dynamodb::Client::new(&aws.sdk);
    let ttl = dynamo
        .describe_time_to_live()
        .table_name(&aws.names.table)
        .send()
        .await
        .unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("expires_at"));

    let (status, ticket) = desk
        .call_with(
            "POST",
            "/v1/tickets",
            Some(&cast.admin),
            Some(ticket_body(Some("vendor"))),
            Some("create-1"),
        )
        .await;
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_str().unwrap();
    let stored = item(&desk, &format!("TICKET#{id}"), "META")
        .await
        .expect("the ticket item");
    assert_eq!(text(&stored, "gsi1pk"), Some("USER#u-owner@acme.test#OPEN"));
    assert_eq!(text(&stored, "gsi2pk"), Some("CO#ACME#OPEN"));
    assert_eq!(text(&stored, "gsi3pk"), Some("QUEUE#VENDOR"));
    assert_eq!(stored["version"].as_n().unwrap(), "1");
    // A new ticket is on the due index at its first service-level alarm: the warning at
    // 75 % of a High ticket's four business hours, Monday 10:00 Central.
    assert_eq!(text(&stored, "duepk").map(|p| p.starts_with("DUE#")), Some(true));
    assert!(text(&stored, "duesk").unwrap().starts_with("2026-11-02T16:00:00"));
    // The record is packed (deflated JSON, binary) and whole; a ticket has no list summary
    // (its list entries hold keys alone), and the item stays under a kilobyte.
    let data = claimdesk_core::store::unpack(stored["data"].as_b().unwrap().as_ref()).unwrap();
    assert_eq!(data["number"], "ACME-000001");
    assert!(data["description"].is_string(), "{data}");
    assert!(!stored.contains_key("summary"), "{stored:?}");
    assert!(claimdesk_aws::metering::item_size(&stored) < 1024, "{stored:?}");
    let counter = item(&desk, "COMPANY#ACME", "COUNTER")
        .await
        .expect("the company's counter");
    assert!(counter.contains_key("version"));

    // The idempotency record expires by TTL a day later.
    let idem = item(
        &desk,
        &claimdesk_core::store::idempotency_pk("u-owner@acme.test", "create-1"),
        "IDEM",
    )
    .await
    .expect("idempotency record");
    let expires: i64 = idem["expires_at"].as_n().unwrap().parse().unwrap();
    assert_eq!(expires, (day_one() + chrono::Duration::hours(24)).timestamp());

    // Waiting For Customer puts the ticket on the sparse due index; the sweep takes it off
    // when the timer fires (Resolved then waits for its own timer), and Closed has none.
    // (Answered first, so the first response's clock has stopped and the resolution's stands
    // still while waiting.)
    desk.act(id, &cast.agent, "assign").await;
    desk.say(id, &cast.agent, "Which claim?").await;
    desk.act(id, &cast.agent, "wait_for_customer").await;
    let waiting = item(&desk, &format!("TICKET#{id}"), "META").await.unwrap();
    assert!(text(&waiting, "duepk").unwrap().starts_with("DUE#"));
    assert!(
        text(&waiting, "duesk").unwrap().starts_with("2026-11-03T09:00:00"),
        "first reminder due next day"
    );
    assert_eq!(waiting["version"].as_n().unwrap(), "4");
    desk.advance_days(8).await;
    let closed = item(&desk, &format!("TICKET#{id}"), "META").await.unwrap();
    assert!(!closed.contains_key("duepk"));
    assert_eq!(text(&closed, "gsi2pk"), Some("CO#ACME#CLOSED"));

    // Every notice was delivered and left the outbox index.
    for shard in 0..claimdesk_core::store::DUE_SHARDS {
        let pending = dynamo
            .query()
            .table_name(&aws.names.table)
            .index_name("outbox")
            .key_condition_expression("outboxpk = :p")
            .expression_attribute_values(":p", AttributeValue::S(format!("OUTBOX#{shard}")))
            .send()
            .await
            .unwrap();
        assert_eq!(pending.count(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_land_in_s3_under_id_keys_and_refused_ones_are_deleted() {
    let desk = Desk::aws().await;
    let cast = company_with_cast(&desk).await;
    let id = &vendor_ticket(&desk, &cast).await;
    let path = format!("/v1/tickets/{id}/attachments");
    let s3 = aws_sdk_s3::Client::new(&desk.aws_desk().sdk);
    let bucket = &desk.aws_desk().names.bucket;

    let (_, good) = desk
        .call(
            "POST",
            &path,
            Some(&cast.admin),
            Some(json!({"filename": "../../etc/passwd\u{7}.txt", "content_type": "text/plain", "size": 5})),
        )
        .await;
    let key = format!("tickets/{id}/{}", good["attachment"]["id"].as_str().unwrap());
    assert!(
        good["upload"]["url"].as_str().unwrap().contains(&key),
        "the key is made of ids only"
    );
    assert!(desk.upload(&good, b"hello".to_vec()).await);
    let head = s3.head_object().bucket(bucket).key(&key).send().await.unwrap();
    assert_eq!(head.content_length(), Some(5));

    let (_, bad) = desk
        .call(
            "POST",
            &path,
            Some(&cast.admin),
            Some(json!({"filename": "b.txt", "content_type": "text/plain", "size": 5})),
        )
        .await;
    let bad_key = format!("tickets/{id}/{}", bad["attachment"]["id"].as_str().unwrap());
    assert!(!desk.upload(&bad, b"far more than declared".to_vec()).await);
    assert!(
        s3.head_object().bucket(bucket).key(&bad_key).send().await.is_err(),
        "refused object deleted"
    );
    // A second delivery of the same S3 event changes nothing.
    let again = desk.aws_desk().object_created(&key, 5).await;
    assert_eq!((again.stored, again.refused), (1, 0));
    let (_, t) = desk
        .call("GET", &format!("/v1/tickets/{id}"), Some(&cast.admin), None)
        .await;
    assert_eq!(t["attachment_bytes"], 5);
    assert_eq!(t["attachments"].as_array().unwrap().len(), 1);
    assert_eq!(t["attachments"][0]["filename"], "passwd.txt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domain_events_reach_subscribers_of_the_custom_bus() {
    let desk = Desk::aws().await;
    let aws = desk.aws_desk();
    // A subscriber: a rule on the bus for everything Claimdesk publishes, into a queue.
    let sqs = aws_sdk_sqs::Client::new(&aws.sdk);
    let queue = sqs
        .create_queue()
        .queue_name(format!("{}-subscriber", aws.names.bus))
        .send()
        .await
        .unwrap();
    let queue_url = queue.queue_url().unwrap().to_string();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes()
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    let bridge = aws_sdk_eventbridge::Client::new(&aws.sdk);
    bridge
        .put_rule()
        .name("everything")
        .event_bus_name(&aws.names.bus)
        .event_pattern(json!({"source": [claimdesk_aws::events::EVENT_SOURCE]}).to_string())
        .send()
        .await
        .unwrap();
    bridge
        .put_targets()
        .rule("everything")
        .event_bus_name(&aws.names.bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(queue_arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let cast = company_with_cast(&desk).await;
    let id = &vendor_ticket(&desk, &cast).await;
    desk.say(id, &cast.admin, "More detail").await;
    desk.deliver_now().await;
    desk.deliver_now().await; // a second run finds nothing left to send

    let mut seen = Vec::new();
    loop {
        let batch = sqs
            .receive_message()
            .queue_url(&queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        if batch.messages().is_empty() {
            break;
        }
        for message in batch.messages() {
            let event: Value = serde_json::from_str(message.body().unwrap()).unwrap();
            assert_eq!(event["source"], "claimdesk");
            seen.push((
                event["detail-type"].as_str().unwrap().to_string(),
                event["detail"]["event_id"].as_str().unwrap().to_string(),
            ));
            sqs.delete_message()
                .queue_url(&queue_url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    let kinds: Vec<&str> = seen.iter().map(|(kind, _)| kind.as_str()).collect();
    assert!(kinds.contains(&"ticket.created"), "{kinds:?}");
    assert!(kinds.contains(&"ticket.reply_added"), "{kinds:?}");
    let mut ids: Vec<&str> = seen.iter().map(|(_, id)| id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), seen.len(), "each event published once");
}
