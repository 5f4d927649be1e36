//! Attachments in S3. Clients upload straight to S3 with a presigned PUT that is bound to
//! the declared size and content type (both are signed headers, so S3 refuses anything
//! else); the `attachment-confirmed` function then checks the real size. Downloads are
//! presigned GETs that expire. Keys are built from ids only (`tickets/<id>/<id>`).

use crate::lazy::LazyClient;
use async_trait::async_trait;
use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use claimdesk_core::http::disposition::content_disposition;
use claimdesk_core::ports::{
    Blobs, Download, Exported, StoreError, UploadRequest, UploadTarget, DOWNLOAD_CONTENT_TYPE,
};
use std::sync::Arc;
use std::time::Duration;

/// How long a download link works.
pub const DOWNLOAD_VALID_FOR: Duration = Duration::from_secs(5 * 60);

pub struct S3Blobs {
    client: Arc<LazyClient<Client>>,
    bucket: String,
}

fn unavailable(e: impl std::fmt::Debug) -> StoreError {
    StoreError::Unavailable(format!("{e:?}"))
}

fn presigning(valid_for: Duration) -> Result<PresigningConfig, StoreError> {
    PresigningConfig::expires_in(valid_for).map_err(|e| StoreError::Other(e.to_string()))
}

fn target_of(presigned: PresignedRequest, expires_at: chrono::DateTime<chrono::Utc>) -> UploadTarget {
    UploadTarget {
        method: presigned.method().to_string(),
        url: presigned.uri().to_string(),
        headers: presigned
            .headers()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.to_string()))
            .collect(),
        expires_at,
    }
}

impl S3Blobs {
    pub fn new(client: Arc<LazyClient<Client>>, bucket: impl Into<String>) -> S3Blobs {
        S3Blobs {
            client,
            bucket: bucket.into(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// A presigned GET of `key` that works for `DOWNLOAD_VALID_FOR`, sent as `content_type`
    /// under `filename` (an attachment).
    async fn link(&self, key: &str, filename: &str, content_type: &str) -> Result<String, StoreError> {
        let presigned = self
            .client
            .get()
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_disposition(content_disposition(filename))
            .response_content_type(content_type)
            .presigned(presigning(DOWNLOAD_VALID_FOR)?)
            .await
            .map_err(|e| StoreError::Other(format!("presigning failed: {e:?}")))?;
        Ok(presigned.uri().to_string())
    }
}

#[async_trait]
impl Blobs for S3Blobs {
    async fn upload_target(&self, request: &UploadRequest<'_>) -> Result<UploadTarget, StoreError> {
        let presigned = self
            .client
            .get()
            .put_object()
            .bucket(&self.bucket)
            .key(request.key)
            .content_type(request.content_type)
            .content_length(request.size as i64)
            // One upload per URL: S3 refuses a second PUT to the key (412), so concurrent
            // uploads with one grant cannot replace the bytes that were confirmed.
            .if_none_match("*")
            .presigned(presigning(request.valid_for)?)
            .await
            .map_err(|e| StoreError::Other(format!("presigning failed: {e:?}")))?;
        Ok(target_of(presigned, request.expires_at))
    }

    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.client
            .get()
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .body(ByteStream::from(bytes.to_vec()))
            .send()
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn download(&self, key: &str, filename: &str) -> Result<Option<Download>, StoreError> {
        let link = self.link(key, filename, DOWNLOAD_CONTENT_TYPE).await?;
        Ok(Some(Download::Redirect(link)))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .get()
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn publish_export(
        &self,
        file: &std::path::Path,
        key: &str,
        filename: &str,
        content_type: &str,
    ) -> Result<Exported, StoreError> {
        // Streamed from the file (no copy in memory); the bucket's lifecycle rule removes
        // exports after a day.
        let body = ByteStream::from_path(file).await.map_err(unavailable)?;
        let stored = self
            .client
            .get()
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(body)
            .send()
            .await
            .map_err(unavailable);
        let _ = tokio::fs::remove_file(file).await;
        stored?;
        Ok(Exported::Link(self.link(key, filename, content_type).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};

    fn blobs() -> S3Blobs {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDEXAMPLE", "secret", None, None, "test"))
            .build();
        S3Blobs::new(
            Arc::new(LazyClient::ready(Client::from_conf(config))),
            "claimdesk-attachments",
        )
    }

    fn query_value(url: &str, name: &str) -> String {
        url.split(['?', '&'])
            .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
            .unwrap_or_default()
            .to_string()
    }

    // moto does not check presigned signatures, so the bounds are proven on the signed
    // request itself: S3 refuses a PUT whose signed headers differ.
    #[tokio::test]
    async fn an_upload_url_is_bound_to_size_type_key_and_lifetime() {
        let expires_at = chrono::Utc::now();
        let target = blobs()
            .upload_target(&UploadRequest {
                key: "tickets/t_1/att_2",
                owner: "t_1",
                attachment_id: "att_2",
                token: "unused-on-s3",
                content_type: "application/pdf",
                size: 1234,
                expires_at,
                valid_for: Duration::from_secs(900),
            })
            .await
            .unwrap();
        assert_eq!(target.method, "PUT");
        assert!(target.url.contains("/tickets/t_1/att_2?"), "{}", target.url);
        let signed = query_value(&target.url, "X-Amz-SignedHeaders");
        assert!(signed.contains("content-length"), "{signed}");
        assert!(signed.contains("content-type"), "{signed}");
        assert!(signed.contains("if-none-match"), "{signed}");
        assert!(target.headers.contains(&("if-none-match".into(), "*".into())));
        assert_eq!(query_value(&target.url, "X-Amz-Expires"), "900");
        assert!(target.headers.contains(&("content-length".into(), "1234".into())));
        assert!(target
            .headers
            .contains(&("content-type".into(), "application/pdf".into())));
        assert_eq!(target.expires_at, expires_at);
    }

    #[tokio::test]
    async fn a_download_link_expires_and_names_the_file() {
        let Some(Download::Redirect(url)) = blobs()
            .download("tickets/t_1/att_2", "informe final.pdf")
            .await
            .unwrap()
        else {
            panic!("a presigned link");
        };
        assert_eq!(query_value(&url, "X-Amz-Expires"), "300");
        assert!(query_value(&url, "response-content-disposition").contains("informe%20final.pdf"));
        assert_eq!(query_value(&url, "response-content-type"), "application%2Foctet-stream");
    }
}
