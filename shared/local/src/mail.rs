//! Mail on one machine: each mail becomes an RFC 5322 `.eml` file in the outbox folder,
//! exactly the bytes the AWS engine hands to SES (`claimdesk_core::mime`).
//!
//! One thread of its own writes the files, one after another. Why (issue 12): the outbox
//! writes two mails for every ticket filed, and with a blocking task per mail, several
//! threads created files in the one folder at once; each creation takes the folder's
//! lock, and the kernel spins while it waits for it. Under `bench/run.sh load` that
//! spinning was about 8 % of the server's CPU (`perf`), time the requests then lacked.

use async_trait::async_trait;
use claimdesk_core::mime::render;
use claimdesk_core::ports::{DeliveryError, Mail, Mailer};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// One mail to write: its bytes go to `partial`, which is then renamed to `whole`, so a
/// reader of the folder never sees half a mail.
struct MailFile {
    partial: PathBuf,
    whole: PathBuf,
    bytes: Vec<u8>,
    written: oneshot::Sender<std::io::Result<()>>,
}

pub struct EmlOutbox {
    dir: PathBuf,
    writer: mpsc::Sender<MailFile>,
}

impl EmlOutbox {
    pub fn new(dir: &Path) -> std::io::Result<EmlOutbox> {
        std::fs::create_dir_all(dir)?;
        let (writer, files) = mpsc::channel::<MailFile>();
        // The thread ends when the outbox (the only sender) is dropped.
        std::thread::Builder::new().name("eml-writer".into()).spawn(move || {
            for file in files {
                let outcome = std::fs::write(&file.partial, &file.bytes)
                    .and_then(|()| std::fs::rename(&file.partial, &file.whole));
                let _ = file.written.send(outcome);
            }
        })?;
        Ok(EmlOutbox {
            dir: dir.to_path_buf(),
            writer,
        })
    }
}

#[async_trait]
impl Mailer for EmlOutbox {
    async fn send(&self, mail: &Mail) -> Result<(), DeliveryError> {
        let bytes = render(mail).map_err(|e| DeliveryError(e.to_string()))?;
        // The id makes the name unique; writing the same mail twice overwrites, never doubles.
        let name = format!("{}-{}.eml", mail.kind, mail.id);
        let (written, outcome) = oneshot::channel();
        let file = MailFile {
            partial: self.dir.join(format!(".{name}.part")),
            whole: self.dir.join(name),
            bytes,
            written,
        };
        let stopped = || DeliveryError("the outbox's writer has stopped".into());
        self.writer.send(file).map_err(|_| stopped())?;
        outcome
            .await
            .map_err(|_| stopped())?
            .map_err(|e| DeliveryError(e.to_string()))
    }
}
