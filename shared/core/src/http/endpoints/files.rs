//! Attachments: upload grants, downloads, and the local engine's upload target.

use crate::domain::ticket::AttachmentView;
use crate::http::disposition::content_disposition;
use crate::http::problem::Problem;
use crate::http::routes::{declare, Function, Params};
use crate::http::{parse_body, Api, ApiRequest, ApiResponse};
use crate::ports::{Download, DOWNLOAD_CONTENT_TYPE};
use crate::services::tickets::attachments::UploadDraft;

pub const FUNCTIONS: &[&Function] = &[&UPLOAD_ATTACHMENT, &GET_ATTACHMENT, &LOCAL_UPLOAD];

declare! {
    UPLOAD_ATTACHMENT = "upload-attachment", "presigned upload grants", grants [WriteTable, PutUploads] {
        POST "/v1/tickets/{id}/attachments" Token => request_upload,
    }
}

declare! {
    GET_ATTACHMENT = "get-attachment", "presigned downloads", grants [ReadTable, GetFiles] {
        GET "/v1/tickets/{id}/attachments/{attachment_id}" Token => download,
    }
}

declare! {
    local_only LOCAL_UPLOAD = "local-upload", "the local engine's upload target", grants [] {
        PUT "/v1/uploads/{id}/{attachment_id}" Open => receive_upload,
    }
}

async fn request_upload(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let id = params.get(0);
    let who = api.identity(request)?;
    let draft: UploadDraft = parse_body(&request.body)?;
    let draft = &draft;
    api.commit_on_ticket(id, request, &who.user_id, 201, move || async move {
        let (loaded, viewer) = api.core.open_ticket(who, id).await?;
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
        .receive_upload(id, attachment_id, token, &request.body)
        .await
        .map_err(Problem::from)?;
    Ok(ApiResponse::json(200, &AttachmentView::from(&attachment)))
}

async fn download(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let (id, attachment_id) = (params.get(0), params.get(1));
    let who = api.identity(request)?;
    let (loaded, viewer) = api.core.open_ticket(who, id).await.map_err(Problem::from)?;
    let (attachment, download) = api
        .core
        .download(&loaded, &viewer, attachment_id)
        .await
        .map_err(Problem::from)?;
    Ok(match download {
        Download::Bytes(body) => ApiResponse {
            status: 200,
            headers: vec![
                ("content-type".into(), DOWNLOAD_CONTENT_TYPE.into()),
                ("content-disposition".into(), content_disposition(&attachment.filename)),
                ("x-content-type-options".into(), "nosniff".into()),
            ],
            body,
        },
        Download::Redirect(url) => ApiResponse {
            status: 302,
            headers: vec![("location".into(), url)],
            body: Vec::new(),
        },
    })
}
