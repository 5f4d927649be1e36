//! Domain events to a custom EventBridge bus (source `claimdesk`, detail-type such as
//! `ticket.created`, `ticket.status_changed`, `ticket.reply_added`, `warranty.registered`),
//! so other systems subscribe with a rule instead of polling us.

use crate::lazy::LazyClient;
use async_trait::async_trait;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;
use claimdesk_core::ports::{DeliveryError, DomainEvent, Publisher};

pub const EVENT_SOURCE: &str = "claimdesk";

pub struct BusPublisher {
    client: LazyClient<Client>,
    bus: String,
}

impl BusPublisher {
    pub fn new(client: LazyClient<Client>, bus: impl Into<String>) -> BusPublisher {
        BusPublisher {
            client,
            bus: bus.into(),
        }
    }
}

/// The event's detail with its id, so subscribers can drop the rare duplicate.
pub fn detail_of(event: &DomainEvent) -> serde_json::Value {
    let mut detail = match &event.detail {
        serde_json::Value::Object(map) => map.clone(),
        other => serde_json::Map::from_iter([("value".to_string(), other.clone())]),
    };
    detail.insert("event_id".into(), event.id.clone().into());
    serde_json::Value::Object(detail)
}

#[async_trait]
impl Publisher for BusPublisher {
    async fn publish(&self, event: &DomainEvent) -> Result<(), DeliveryError> {
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(EVENT_SOURCE)
            .detail_type(&event.detail_type)
            .detail(detail_of(event).to_string())
            .time(aws_sdk_eventbridge::primitives::DateTime::from_secs(
                event.at.timestamp(),
            ))
            .build();
        let output = self
            .client
            .get()
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| DeliveryError(format!("EventBridge unreachable: {e:?}")))?;
        if output.failed_entry_count() > 0 {
            let why = output
                .entries()
                .iter()
                .filter_map(|e| e.error_message())
                .collect::<Vec<_>>()
                .join("; ");
            return Err(DeliveryError(format!("EventBridge refused the event: {why}")));
        }
        Ok(())
    }
}
