//! Exports of the warranty lists (issue 15): a claim or RMA list with its filters, every
//! page, as CSV or Excel. The file is written here, then handed to the engine
//! (`ports::Blobs::publish_export`): the local server streams it, S3 keeps it behind a
//! five-minute link (a Lambda response cannot exceed 6 MB).

use crate::domain::ids::new_id;
use crate::domain::roles::Identity;
use crate::http::disposition::content_disposition;
use crate::http::openapi::{query, Doc};
use crate::http::problem::Problem;
use crate::http::routes::{declare, Function, Params};
use crate::http::{Api, ApiRequest, ApiResponse};
use crate::ports::Exported;
use crate::services::warranty::export::ExportFormat;
use crate::services::ServiceError;

pub const FUNCTIONS: &[&Function] = &[&EXPORT_WARRANTY_CLAIMS, &EXPORT_RMAS];

/// What an export answers: the file (locally) or a redirect to its link (AWS).
const FILE_TYPES: &str = "text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

declare! {
    EXPORT_WARRANTY_CLAIMS = "export-warranty-claims", "warranty claim lists as CSV or Excel", grants [ReadTable, Exports] {
        GET "/v1/exports/warranty-claims" Token => export_claims,
            Doc::new("exportWarrantyClaims", "A claim list with its filters (as GET /v1/warranty-claims), every page, as CSV (RFC 4180) or Excel .xlsx; formula-like cells neutralised. Locally the file itself; on AWS a redirect to a link that works for five minutes")
                .query(query::<ExportQuery>)
                .answers_bytes(200, "The file", FILE_TYPES)
                .or_redirects("On AWS: a redirect to the file's short-lived link"),
    }
}

declare! {
    EXPORT_RMAS = "export-rmas", "RMA lists as CSV or Excel", grants [ReadTable, Exports] {
        GET "/v1/exports/rmas" Token => export_rmas,
            Doc::new("exportRmas", "An RMA list with its filters (as GET /v1/rmas), every page, as CSV (RFC 4180) or Excel .xlsx; formula-like cells neutralised. Locally the file itself; on AWS a redirect to a link that works for five minutes")
                .query(query::<ExportQuery>)
                .answers_bytes(200, "The file", FILE_TYPES)
                .or_redirects("On AWS: a redirect to the file's short-lived link"),
    }
}

/// The query of an export: the list's (`list`, `dealer`) and the format.
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
pub struct ExportQuery {
    /// `csv` (the default) or `xlsx`.
    #[param(nullable = false)]
    pub format: Option<String>,
    /// As for the list.
    #[param(nullable = false)]
    pub list: Option<String>,
    /// Support: the dealer whose list to export.
    #[param(nullable = false)]
    pub dealer: Option<String>,
}

async fn export_claims(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    export(api, request, "warranty-claims", |who, format, file| async move {
        let query = request.dealer_list_query()?;
        Ok(api.core.export_claims(who, &query, format, &file).await?)
    })
    .await
}

async fn export_rmas(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    export(api, request, "rmas", |who, format, file| async move {
        let query = request.dealer_list_query()?;
        Ok(api.core.export_rmas(who, &query, format, &file).await?)
    })
    .await
}

/// Writes an export with `write` into a temporary file (removed if anything fails before
/// it is handed over), hands it to the engine and answers with it.
async fn export<'a, F, Fut>(api: &'a Api, request: &'a ApiRequest, name: &str, write: F) -> Result<ApiResponse, Problem>
where
    F: FnOnce(&'a Identity, ExportFormat, std::path::PathBuf) -> Fut,
    Fut: std::future::Future<Output = Result<usize, Problem>>,
{
    let who = api.identity(request)?;
    let format = ExportFormat::parse(request.query_param("format")).map_err(ServiceError::from)?;
    let file = tempfile::Builder::new()
        .prefix("claimdesk-export-")
        .tempfile()
        .map_err(|e| ServiceError::Internal(format!("no room for an export: {e}")))?
        .into_temp_path();
    let rows = write(who, format, file.to_path_buf()).await?;
    let filename = format!("{name}-{}.{}", api.core.now().format("%Y-%m-%d"), format.extension());
    let key = format!("exports/{}/{}.{}", who.user_id, new_id("x"), format.extension());
    let path = file
        .keep()
        .map_err(|e| ServiceError::Internal(format!("the export could not be kept: {e}")))?;
    let exported = match api
        .core
        .blobs
        .publish_export(&path, &key, &filename, format.content_type())
        .await
    {
        Ok(exported) => exported,
        Err(e) => {
            let _ = std::fs::remove_file(&path);
            return Err(ServiceError::from(e).into());
        }
    };
    let rows = ("x-export-rows".to_string(), rows.to_string());
    Ok(match exported {
        Exported::File(path) => ApiResponse {
            status: 200,
            headers: vec![
                ("content-type".into(), format.content_type().into()),
                ("content-disposition".into(), content_disposition(&filename)),
                ("x-content-type-options".into(), "nosniff".into()),
                rows,
            ],
            body: Vec::new(),
            file: Some(path),
        },
        Exported::Link(url) => ApiResponse {
            status: 302,
            headers: vec![("location".into(), url), rows],
            ..ApiResponse::default()
        },
    })
}
