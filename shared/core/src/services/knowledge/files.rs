//! An article's files (manuals, drivers, forms), uploaded as a ticket's are: staff ask for
//! an upload URL, send the bytes there, and only a file that arrived within the article's
//! limits (20 files, 20 MB in all) is listed on it. Whoever may read the article may
//! download its files; nobody else learns they exist.

use super::staff_or_404;
use crate::domain::knowledge::{Article, ArticleFile, ArticleFileView, FileState, FILES_MAX};
use crate::domain::roles::Identity;
use crate::ports::{Download, UploadTarget, Write};
use crate::services::commit::{kept_changing, Commit, Replans};
use crate::services::problems::ProblemKind;
use crate::services::tickets::attachments::{size_mismatch, upload_used, Arrival, UploadDraft};
use crate::services::{item_of, new_id, Core, Plan, ServiceError};
use crate::store;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ArticleFileGranted {
    pub file: ArticleFileView,
    pub upload: UploadTarget,
}

fn file_item(file: &ArticleFile) -> crate::ports::Item {
    item_of(
        store::article_pk(&file.article_id),
        store::article_file_sk(&file.id),
        file,
    )
}

fn too_many_files() -> ServiceError {
    ServiceError::conflict(
        ProblemKind::AttachmentLimit,
        format!("an article holds at most {FILES_MAX} files; remove one first"),
    )
}

impl Core {
    async fn load_article_file(
        &self,
        article_id: &str,
        file_id: &str,
    ) -> Result<crate::services::Loaded<ArticleFile>, ServiceError> {
        if !crate::domain::ids::plausible_id("att", file_id) {
            return Err(ServiceError::NotFound("file"));
        }
        self.get_record::<ArticleFile>(&store::article_pk(article_id), &store::article_file_sk(file_id))
            .await?
            .ok_or(ServiceError::NotFound("file"))
    }

    /// Staff ask to add a file to an article: a pending record and a URL bound to the
    /// declared size and type. The article itself changes only once the bytes arrive.
    pub async fn plan_article_upload(
        &self,
        who: &Identity,
        article_id: &str,
        draft: &UploadDraft,
    ) -> Result<Plan<ArticleFileGranted>, ServiceError> {
        let loaded = self.load_article(article_id).await?;
        let article = &loaded.record;
        staff_or_404(who, article)?;
        self.require_agent(who, "add files to articles")?;
        let (filename, content_type, size) = draft.check()?;
        if article.files.len() >= FILES_MAX {
            return Err(too_many_files());
        }
        if article.file_bytes().saturating_add(size) > self.settings.attachment_limit_bytes {
            return Err(self.limit_problem("an article", article.file_bytes()));
        }
        let now = self.now();
        let id = new_id("att");
        let blob_key = format!("articles/{}/{id}", article.id);
        let (upload, token_hash) = self
            .upload_url(&blob_key, &article.id, &id, &content_type, size, now)
            .await?;
        let file = ArticleFile {
            blob_key,
            id: id.clone(),
            article_id: article.id.clone(),
            filename,
            content_type,
            declared_size: size,
            size: None,
            state: FileState::Pending,
            uploaded_by: who.email.to_string(),
            upload_token_hash: token_hash,
            created_at: now,
        };
        Ok(Plan::new(
            vec![Write::create(file_item(&file))],
            ArticleFileGranted {
                file: ArticleFileView::from(&file),
                upload,
            },
        ))
    }

    /// The local engine's upload target for an article's file (see `receive_upload`).
    pub async fn receive_article_upload(
        &self,
        article_id: &str,
        file_id: &str,
        token: &str,
        bytes: &[u8],
    ) -> Result<ArticleFileView, ServiceError> {
        let file = self
            .load_article_file(article_id, file_id)
            .await
            .map_err(|_| ServiceError::NotFound("upload"))?
            .record;
        if !self.upload_token_opens(token, &file.upload_token_hash, file.created_at) {
            return Err(ServiceError::NotFound("upload"));
        }
        if file.state != FileState::Pending {
            return Err(upload_used());
        }
        if bytes.len() as u64 != file.declared_size {
            return Err(size_mismatch(bytes.len() as u64, file.declared_size));
        }
        let size = bytes.len() as u64;
        let file = self
            .store_then_claim(&file.blob_key, bytes, |own_key| async move {
                self.claim_article_file(article_id, file_id, size, Some(&own_key)).await
            })
            .await?;
        Ok(ArticleFileView::from(&file))
    }

    /// S3 reported an article file's bytes: listed on the article, or refused and deleted.
    /// An event delivered twice finds the file done: Ok.
    pub async fn confirm_article_upload(
        &self,
        article_id: &str,
        file_id: &str,
        size: u64,
    ) -> Result<ArticleFileView, ServiceError> {
        match self.claim_article_file(article_id, file_id, size, None).await? {
            Arrival::Now(file) | Arrival::Already(file) => Ok(ArticleFileView::from(&file)),
        }
    }

    /// The claim of a pending file by the bytes that arrived: the file's record and the
    /// article's list change in one write; whoever finds the file no longer pending lost.
    async fn claim_article_file(
        &self,
        article_id: &str,
        file_id: &str,
        size: u64,
        blob_key: Option<&str>,
    ) -> Result<Arrival<ArticleFile>, ServiceError> {
        let mut replans = Replans::start();
        loop {
            let loaded = self
                .load_article(article_id)
                .await
                .map_err(|_| ServiceError::NotFound("upload"))?;
            let stored = self
                .load_article_file(article_id, file_id)
                .await
                .map_err(|_| ServiceError::NotFound("upload"))?;
            let mut file = stored.record;
            if file.state != FileState::Pending {
                return Ok(Arrival::Already(file));
            }
            if let Some(key) = blob_key {
                file.blob_key = key.to_string();
            }
            let mut article = loaded.record.clone();
            // Two grants handed out at once may both arrive: the second over a limit is
            // refused here, like a file of the wrong size.
            let refusal = if size != file.declared_size {
                Some(size_mismatch(size, file.declared_size))
            } else if article.file_bytes().saturating_add(size) > self.settings.attachment_limit_bytes {
                Some(self.limit_problem("an article", article.file_bytes()))
            } else if article.files.len() >= FILES_MAX {
                Some(ServiceError::TooLarge {
                    field: "size",
                    detail: format!("an article holds at most {FILES_MAX} files"),
                })
            } else {
                None
            };
            file.size = Some(size);
            file.state = match refusal {
                Some(_) => FileState::Refused,
                None => FileState::Stored,
            };
            let mut writes = vec![Write::replace(file_item(&file), stored.version)];
            if refusal.is_none() {
                article.files.push(ArticleFileView::from(&file));
                article.updated_at = self.now();
                writes.push(Write::replace(
                    store::article_item(&article, loaded.version),
                    loaded.version,
                ));
            }
            match (self.commit(writes).await?, refusal) {
                (Commit::Done, Some(refusal)) => {
                    self.blobs.delete(&file.blob_key).await?;
                    return Err(refusal);
                }
                (Commit::Done, None) => return Ok(Arrival::Now(file)),
                (Commit::Lost, _) if replans.again().await => continue,
                (Commit::Lost, _) => return Err(kept_changing("the article kept changing; try again")),
            }
        }
    }

    /// A file's bytes for someone who may read its article (404 for everyone else).
    pub async fn download_article_file(
        &self,
        who: &Identity,
        article_id: &str,
        file_id: &str,
    ) -> Result<(ArticleFile, Download), ServiceError> {
        self.read_article(who, article_id).await?;
        let file = self.load_article_file(article_id, file_id).await?.record;
        match file.state {
            FileState::Stored => {}
            FileState::Pending => {
                return Err(ServiceError::conflict(
                    ProblemKind::AttachmentPending,
                    "the file has not arrived yet; try again once its upload is done",
                ))
            }
            FileState::Refused | FileState::Removing => return Err(ServiceError::NotFound("file")),
        }
        let download = self
            .blobs
            .download(&file.blob_key, &file.filename)
            .await?
            .ok_or(ServiceError::NotFound("file"))?;
        Ok((file, download))
    }

    /// Staff take a file off an article. The article stops listing it and the file is marked
    /// `removing` in one write; then its bytes go; then its record expires at once (reads
    /// and conditions take it for absent, the table's TTL deletes it: no function needs
    /// DeleteItem). A failure on the way leaves it marked, and removing it again finishes.
    pub async fn remove_article_file(
        &self,
        who: &Identity,
        article_id: &str,
        file_id: &str,
    ) -> Result<Article, ServiceError> {
        let mut replans = Replans::start();
        let (article, file, version) = loop {
            let loaded = self.load_article(article_id).await?;
            staff_or_404(who, &loaded.record)?;
            self.require_agent(who, "remove an article's files")?;
            let stored = self.load_article_file(article_id, file_id).await?;
            if stored.record.state == FileState::Removing {
                break (loaded.record, stored.record, stored.version);
            }
            let mut file = stored.record;
            file.state = FileState::Removing;
            let mut article = loaded.record.clone();
            article.files.retain(|f| f.id != file.id);
            let mut writes = vec![Write::replace(file_item(&file), stored.version)];
            if article.files.len() != loaded.record.files.len() {
                article.updated_at = self.now();
                article.updated_by = Some(who.email.to_string());
                writes.push(Write::replace(
                    store::article_item(&article, loaded.version),
                    loaded.version,
                ));
            }
            match self.commit(writes).await? {
                Commit::Done => break (article, file, stored.version + 1),
                Commit::Lost if replans.again().await => continue,
                Commit::Lost => return Err(kept_changing("the article kept changing; try again")),
            }
        };
        self.blobs.delete(&file.blob_key).await?;
        let mut gone = file_item(&file);
        gone.expires_at = Some(self.now().timestamp() - 1);
        // Lost: a removal running beside this one finished first; the file is gone either way.
        self.commit(vec![Write::replace(gone, version)]).await?;
        Ok(article)
    }
}
