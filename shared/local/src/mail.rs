//! Mail on one machine: each mail becomes an RFC 5322 `.eml` file in the outbox folder,
//! exactly the bytes the AWS engine hands to SES (`claimdesk_core::mime`).

use async_trait::async_trait;
use claimdesk_core::mime::render;
use claimdesk_core::ports::{DeliveryError, Mail, Mailer};
use std::path::{Path, PathBuf};

pub struct EmlOutbox {
    dir: PathBuf,
}

impl EmlOutbox {
    pub fn new(dir: &Path) -> std::io::Result<EmlOutbox> {
        std::fs::create_dir_all(dir)?;
        Ok(EmlOutbox { dir: dir.to_path_buf() })
    }
}

#[async_trait]
impl Mailer for EmlOutbox {
    async fn send(&self, mail: &Mail) -> Result<(), DeliveryError> {
        let bytes = render(mail).map_err(|e| DeliveryError(e.to_string()))?;
        // The id makes the name unique; writing the same mail twice overwrites, never doubles.
        let name = format!("{}-{}.eml", mail.kind, mail.id);
        let (partial, whole) = (self.dir.join(format!(".{name}.part")), self.dir.join(name));
        // One hand-off to a blocking thread for both steps: under load each hand-off is a
        // thread wake-up, and the outbox writes two mails for every ticket filed.
        tokio::task::spawn_blocking(move || {
            std::fs::write(&partial, bytes).and_then(|()| std::fs::rename(&partial, whole))
        })
        .await
        .map_err(|e| DeliveryError(e.to_string()))?
        .map_err(|e| DeliveryError(e.to_string()))
    }
}
