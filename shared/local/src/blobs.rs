//! Attachment bytes as files under the data folder. Keys are built from ids only
//! (`tickets/<id>/<id>`), never from user input; `safe_path` refuses anything else anyway.

use async_trait::async_trait;
use claimdesk_core::ports::{Blobs, Download, Exported, StoreError, UploadRequest, UploadTarget};
use std::path::{Path, PathBuf};

pub struct FileBlobs {
    root: PathBuf,
    /// The local server's own address: uploads are PUT back to it.
    base_url: String,
}

impl FileBlobs {
    pub fn new(root: &Path, base_url: &str) -> Result<FileBlobs, StoreError> {
        std::fs::create_dir_all(root).map_err(|e| StoreError::Other(e.to_string()))?;
        Ok(FileBlobs {
            root: root.to_path_buf(),
            base_url: base_url.trim_end_matches('/').to_string(),
        })
    }

    fn safe_path(&self, key: &str) -> Result<PathBuf, StoreError> {
        let ok = !key.is_empty()
            && key.split('/').all(|part| {
                !part.is_empty()
                    && part != "."
                    && part != ".."
                    && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            });
        if ok {
            Ok(self.root.join(key))
        } else {
            Err(StoreError::Other(format!("unsafe blob key {key:?}")))
        }
    }
}

fn io(e: std::io::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

#[async_trait]
impl Blobs for FileBlobs {
    async fn upload_target(&self, request: &UploadRequest<'_>) -> Result<UploadTarget, StoreError> {
        // Tickets' files keep the shorter path they always had; articles' have their own.
        let area = if request.key.starts_with("articles/") {
            "articles/"
        } else {
            ""
        };
        Ok(UploadTarget {
            method: "PUT".into(),
            url: format!(
                "{}/v1/uploads/{area}{}/{}?token={}",
                self.base_url, request.owner, request.attachment_id, request.token
            ),
            headers: vec![("content-type".into(), request.content_type.to_string())],
            expires_at: request.expires_at,
        })
    }

    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.safe_path(key)?;
        if let Some(parent) = path.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(io)?;
        }
        // Write then rename, so a reader never sees half a file.
        let partial = path.with_extension("part");
        tokio::fs::write(&partial, bytes).await.map_err(io)?;
        tokio::fs::rename(&partial, &path).await.map_err(io)
    }

    async fn download(&self, key: &str, _filename: &str) -> Result<Option<Download>, StoreError> {
        match tokio::fs::read(self.safe_path(key)?).await {
            Ok(bytes) => Ok(Some(Download::Bytes(bytes))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match tokio::fs::remove_file(self.safe_path(key)?).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
            _ => Ok(()),
        }
    }

    async fn publish_export(
        &self,
        file: &std::path::Path,
        _key: &str,
        _filename: &str,
        _content_type: &str,
    ) -> Result<Exported, StoreError> {
        // The local server streams it from where it was written.
        Ok(Exported::File(file.to_path_buf()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keys_that_could_escape_the_folder_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FileBlobs::new(dir.path(), "http://x").unwrap();
        assert!(blobs.put("../evil", b"x").await.is_err());
        assert!(blobs.put("tickets/../../evil", b"x").await.is_err());
        blobs.put("tickets/t_1/att_1", b"hello").await.unwrap();
        assert_eq!(
            blobs.download("tickets/t_1/att_1", "").await.unwrap(),
            Some(Download::Bytes(b"hello".to_vec()))
        );
    }
}
