//! Domain events on one machine: appended, one JSON object a line, to `events.jsonl`.

use async_trait::async_trait;
use claimdesk_core::ports::{DeliveryError, DomainEvent, Publisher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub struct EventLog {
    path: PathBuf,
    lock: Mutex<()>,
}

impl EventLog {
    pub fn new(path: &Path) -> EventLog {
        EventLog {
            path: path.to_path_buf(),
            lock: Mutex::new(()),
        }
    }
}

#[async_trait]
impl Publisher for EventLog {
    async fn publish(&self, event: &DomainEvent) -> Result<(), DeliveryError> {
        let line = serde_json::to_string(event).map_err(|e| DeliveryError(e.to_string()))?;
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| DeliveryError(e.to_string()))?;
        writeln!(file, "{line}").map_err(|e| DeliveryError(e.to_string()))
    }
}
