//! Attachments: upload grants, downloads, and the local engine's upload target.

use crate::domain::knowledge::ArticleFileView;
use crate::domain::ticket::AttachmentView;
use crate::http::disposition::content_disposition;
use crate::http::openapi::{json, query, Doc, Link, Refusal};
use crate::http::problem::Problem;
use crate::http::routes::{declare, Function, Params};
use crate::http::{parse_body, Api, ApiRequest, ApiResponse};
use crate::ports::{Download, DOWNLOAD_CONTENT_TYPE};
use crate::services::ticket_id;
use crate::services::tickets::attachments::{UploadDraft, UploadGranted};

/// The query of the local upload target: the token is the credential.
#[derive(utoipa::IntoParams)]
#[allow(dead_code)] // read with `query_param("token")`; described here for the API document
struct UploadToken {
    /// The token in the upload URL the grant gave.
    token: String,
}

/// What the local upload target answers instead of taking the bytes.
const LOCAL_UPLOAD_REFUSALS: &[Refusal] = &[
    Refusal::new(404, "Unknown upload or bad token"),
    Refusal::new(409, "Already used"),
    Refusal::new(413, "Size differs or over the limit"),
    Refusal::RATE_LIMITED,
    Refusal::UNAVAILABLE,
];

pub const FUNCTIONS: &[&Function] = &[&UPLOAD_ATTACHMENT, &GET_ATTACHMENT, &LOCAL_UPLOAD];

declare! {
    UPLOAD_ATTACHMENT = "upload-attachment", "presigned upload grants", grants [WriteTable, PutUploads] {
        POST "/v1/tickets/{id}/attachments" Token => request_upload,
            Doc::new("requestUpload", "Ask for an upload URL")
                .takes(json::<UploadDraft>)
                .answers(201, "Upload granted", json::<UploadGranted>)
                .idempotent()
                .refuses(&[
                    Refusal::MALFORMED,
                    Refusal::UNAUTHENTICATED,
                    Refusal::FORBIDDEN,
                    Refusal::NOT_FOUND,
                    Refusal::CONFLICT,
                    Refusal::new(413, "Over the 20 MB per ticket"),
                    Refusal::INVALID,
                    Refusal::RATE_LIMITED,
                    Refusal::UNAVAILABLE,
                ])
                .links(&[Link::to(
                    "downloadAttachment",
                    &[("id", "$request.path.id"), ("attachment_id", "$response.body#/attachment/id")],
                )]),
    }
}

declare! {
    GET_ATTACHMENT = "get-attachment", "presigned downloads", grants [ReadTable, GetFiles] {
        GET "/v1/tickets/{id}/attachments/{attachment_id}" Token => download,
            Doc::new("downloadAttachment", "Download an attachment")
                .answers_bytes(200, "The file", "application/octet-stream")
                .or_redirects("Redirect to a short-lived download URL"),
    }
}

declare! {
    local_only LOCAL_UPLOAD = "local-upload", "the local engine's upload target", grants [] {
        PUT "/v1/uploads/{id}/{attachment_id}" Open => receive_upload,
            Doc::new("uploadBytes", "Upload an attachment's bytes (local engine; on AWS the URL is S3's)")
                .query(query::<UploadToken>)
                .takes_bytes("application/octet-stream")
                .answers(200, "Stored", json::<AttachmentView>)
                .refuses(LOCAL_UPLOAD_REFUSALS),
        PUT "/v1/uploads/articles/{id}/{attachment_id}" Open => receive_article_upload,
            Doc::new("uploadArticleBytes", "Upload an article file's bytes (local engine; on AWS the URL is S3's)")
                .query(query::<UploadToken>)
                .takes_bytes("application/octet-stream")
                .answers(200, "Stored", json::<ArticleFileView>)
                .refuses(LOCAL_UPLOAD_REFUSALS),
    }
}

async fn request_upload(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let id = params.get(0);
    let who = api.identity(request)?;
    let draft: UploadDraft = parse_body(&request.body)?;
    let draft = &draft;
    api.commit_on_ticket(id, request, &who.user_id, 201, move || async move {
        let (loaded, viewer) = api.core.open_ticket(who, &ticket_id(id)?).await?;
        api.core.plan_upload(&loaded, &viewer, draft).await
    })
    .await
}

async fn receive_upload(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let (id, attachment_id) = (params.get(0), params.get(1));
    // The unguessable token in the URL is the authority, as with a presigned S3 URL.
    let token = request.query_param("token").unwrap_or("");
    let attachment = api
        .core
        .receive_upload(&ticket_id(id)?, attachment_id, token, &request.body)
        .await
        .map_err(Problem::from)?;
    Ok(ApiResponse::json(200, &AttachmentView::from(&attachment)))
}

async fn receive_article_upload(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let (id, file_id) = (params.get(0), params.get(1));
    let token = request.query_param("token").unwrap_or("");
    let file = api
        .core
        .receive_article_upload(id, file_id, token, &request.body)
        .await?;
    Ok(ApiResponse::json(200, &file))
}

async fn download(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let (id, attachment_id) = (params.get(0), params.get(1));
    let who = api.identity(request)?;
    let (loaded, viewer) = api
        .core
        .open_ticket(who, &ticket_id(id)?)
        .await
        .map_err(Problem::from)?;
    let (attachment, download) = api
        .core
        .download(&loaded, &viewer, attachment_id)
        .await
        .map_err(Problem::from)?;
    Ok(file_response(&attachment.filename, download))
}

/// A download as the browser gets it: the bytes to save under `filename`, or a redirect to
/// a short-lived link that sends them so.
pub(crate) fn file_response(filename: &str, download: Download) -> ApiResponse {
    match download {
        Download::Bytes(body) => ApiResponse {
            status: 200,
            headers: vec![
                ("content-type".into(), DOWNLOAD_CONTENT_TYPE.into()),
                ("content-disposition".into(), content_disposition(filename)),
                ("x-content-type-options".into(), "nosniff".into()),
            ],
            body,
            file: None,
        },
        Download::Redirect(url) => ApiResponse {
            status: 302,
            headers: vec![("location".into(), url)],
            body: Vec::new(),
            file: None,
        },
    }
}
