//! Warranty claims (seed 004): drafting one, the lists and queues, one claim, and the
//! actions of its lifecycle.

use crate::domain::ids::new_id;
use crate::domain::warranty_claim::draft::ClaimDraft;
use crate::domain::warranty_claim::Claim;
use crate::http::disposition::content_disposition;
use crate::http::openapi::{json, query, Doc};
use crate::http::problem::Problem;
use crate::http::routes::{declare, Function, Params};
use crate::http::{parse_body, Api, ApiRequest, ApiResponse};
use crate::ports::Exported;
use crate::services::warranty::claims::{ClaimAction, ClaimPage, ClaimQuery};
use crate::services::warranty::export::ExportFormat;
use crate::services::ServiceError;

pub const FUNCTIONS: &[&Function] = &[
    &CREATE_WARRANTY_CLAIM,
    &LIST_WARRANTY_CLAIMS,
    &GET_WARRANTY_CLAIM,
    &EDIT_WARRANTY_CLAIM,
    &WARRANTY_CLAIM_ACTION,
    &EXPORT_WARRANTY_CLAIMS,
];

declare! {
    CREATE_WARRANTY_CLAIM = "create-warranty-claim", "dealers draft warranty claims", grants [WriteTable] {
        POST "/v1/warranty-claims" Token => create_claim,
            Doc::new("createWarrantyClaim", "Draft a warranty claim on one of the dealer's units (seed 004)")
                .takes(json::<ClaimDraft>)
                .answers(201, "Drafted", json::<Claim>)
                .idempotent(),
    }
}

declare! {
    LIST_WARRANTY_CLAIMS = "list-warranty-claims", "warranty claim lists and queues", grants [ReadTable] {
        GET "/v1/warranty-claims" Token => list_claims,
            Doc::new("listWarrantyClaims", "A dealer's claims, newest first: list=active, draft, closed or all (the default). The support side's queues, oldest change first: list=submitted (the default), mine (the claims this agent is reviewing) or information_requested; or a dealer's lists with dealer=CODE")
                .query(query::<ClaimQuery>)
                .answers(200, "A page of claims", json::<ClaimPage>),
    }
}

declare! {
    GET_WARRANTY_CLAIM = "get-warranty-claim", "one warranty claim", grants [ReadRecords] {
        GET "/v1/warranty-claims/{id}" Token => get_claim,
            Doc::new("getWarrantyClaim", "A claim with its lines, decisions, warranty check and history")
                .answers(200, "The claim", json::<Claim>),
    }
}

declare! {
    EDIT_WARRANTY_CLAIM = "edit-warranty-claim", "dealers edit their draft claims", grants [WriteTable] {
        PATCH "/v1/warranty-claims/{id}" Token => edit_claim,
            Doc::new("editWarrantyClaim", "Rewrite a draft claim, or one sent back for information, before submitting it")
                .takes(json::<ClaimDraft>)
                .answers(200, "Edited", json::<Claim>)
                .idempotent(),
    }
}

declare! {
    WARRANTY_CLAIM_ACTION = "warranty-claim-action", "a warranty claim's lifecycle", grants [WriteTable] {
        POST "/v1/warranty-claims/{id}/actions" Token => claim_action,
            Doc::new("warrantyClaimAction", "Submit, take, request information, decide, pay or close a claim")
                .takes(json::<ClaimAction>)
                .answers(200, "Done", json::<Claim>)
                .idempotent(),
    }
}

declare! {
    EXPORT_WARRANTY_CLAIMS = "export-warranty-claims", "warranty claim lists as CSV or Excel", grants [ReadTable, Exports] {
        GET "/v1/exports/warranty-claims" Token => export_claims,
            Doc::new("exportWarrantyClaims", "A claim list with its filters, every page, as CSV (RFC 4180) or Excel .xlsx; formula-like cells neutralised. Locally the file itself; on AWS a redirect to a link that works for five minutes")
                .query(query::<ExportQuery>)
                .answers_bytes(200, "The file", "text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .or_redirects("On AWS: a redirect to the file's short-lived link"),
    }
}

async fn create_claim(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let draft: ClaimDraft = parse_body(&request.body)?;
    api.commit(request, &who.user_id, 201, || api.core.plan_create_claim(who, &draft))
        .await
}

async fn list_claims(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let query = request.dealer_list_query()?;
    Ok(ApiResponse::json(200, &api.core.list_claims(who, &query).await?))
}

/// The query of an export: a list's (`GET /v1/warranty-claims`) and the format.
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
pub struct ExportQuery {
    /// `csv` (the default) or `xlsx`.
    #[param(nullable = false)]
    pub format: Option<String>,
    /// As for the list.
    #[param(nullable = false)]
    pub list: Option<String>,
    /// Support: the dealer whose claims to export.
    #[param(nullable = false)]
    pub dealer: Option<String>,
}

async fn export_claims(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let format = ExportFormat::parse(request.query_param("format")).map_err(ServiceError::from)?;
    let query = ClaimQuery {
        list: request.query_param("list").map(str::to_string),
        dealer: request.query_param("dealer").map(str::to_string),
        cursor: None,
        limit: None,
    };
    // Removed if anything fails before the file is handed over.
    let file = tempfile::Builder::new()
        .prefix("claimdesk-export-")
        .tempfile()
        .map_err(|e| ServiceError::Internal(format!("no room for an export: {e}")))?
        .into_temp_path();
    let rows = api.core.export_claims(who, &query, format, &file).await?;
    let id = new_id("x");
    let filename = format!(
        "warranty-claims-{}.{}",
        api.core.now().format("%Y-%m-%d"),
        format.extension()
    );
    let key = format!("exports/{}/{id}.{}", who.user_id, format.extension());
    let path = file
        .keep()
        .map_err(|e| ServiceError::Internal(format!("the export could not be kept: {e}")))?;
    let published = api
        .core
        .blobs
        .publish_export(&path, &key, &filename, format.content_type())
        .await;
    let exported = match published {
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

async fn get_claim(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let loaded = api.core.open_claim(who, params.get(0)).await?;
    Ok(ApiResponse::json(200, &loaded.record))
}

async fn edit_claim(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let draft: ClaimDraft = parse_body(&request.body)?;
    let id = params.get(0);
    api.commit(request, &who.user_id, 200, || api.core.plan_edit_claim(who, id, &draft))
        .await
}

async fn claim_action(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let action: ClaimAction = parse_body(&request.body)?;
    let id = params.get(0);
    api.commit(request, &who.user_id, 200, || {
        api.core.plan_claim_action(who, id, &action)
    })
    .await
}
