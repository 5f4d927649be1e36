//! Domain events on one machine: appended, one JSON object a line, to `events.jsonl`.

use async_trait::async_trait;
use claimdesk_core::ports::{DeliveryError, DomainEvent, Publisher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub struct EventLog {
    path: PathBuf,
    /// Opened on the first event and kept: opening the file for every line cost the local
    /// server a system call and a path walk per event.
    file: Mutex<Option<std::fs::File>>,
}

impl EventLog {
    pub fn new(path: &Path) -> EventLog {
        EventLog {
            path: path.to_path_buf(),
            file: Mutex::new(None),
        }
    }
}

#[async_trait]
impl Publisher for EventLog {
    async fn publish(&self, event: &DomainEvent) -> Result<(), DeliveryError> {
        let line = serde_json::to_string(event).map_err(|e| DeliveryError(e.to_string()))?;
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if file.is_none() {
            let opened = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(|e| DeliveryError(e.to_string()))?;
            *file = Some(opened);
        }
        let Some(open) = file.as_mut() else {
            return Err(DeliveryError("event log not open".into()));
        };
        // One write of the whole line, so lines from two logs on one file never interleave.
        open.write_all(format!("{line}\n").as_bytes())
            .map_err(|e| DeliveryError(e.to_string()))
    }
}
