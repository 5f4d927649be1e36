//! Warranty claims (seed 004): drafting one, the lists and queues, one claim, and the
//! actions of its lifecycle.

use crate::domain::warranty_claim::draft::ClaimDraft;
use crate::domain::warranty_claim::{Claim, Reason};
use crate::http::openapi::{json, query, Doc, Refusal};
use crate::http::problem::Problem;
use crate::http::routes::{declare, Function, Params};
use crate::http::{parse_body, Api, ApiRequest, ApiResponse};
use crate::services::warranty::claims::{ClaimAction, ClaimPage, ClaimQuery};

pub const FUNCTIONS: &[&Function] = &[
    &CREATE_WARRANTY_CLAIM,
    &LIST_WARRANTY_CLAIMS,
    &GET_WARRANTY_CLAIM,
    &EDIT_WARRANTY_CLAIM,
    &WARRANTY_CLAIM_ACTION,
    &LIST_ADJUSTMENT_REASONS,
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
    LIST_ADJUSTMENT_REASONS = "list-adjustment-reasons", "the reasons a claim's line may be approved for less", grants [] {
        GET "/v1/adjustment-reasons" Token => list_reasons,
            Doc::new("listAdjustmentReasons", "The deployment's reason codes for approving a claim's line for less than claimed (for the decision form)")
                .answers(200, "The catalogue, in its own order", json::<ReasonList>)
                .with_header("Cache-Control")
                .refuses(&[Refusal::UNAUTHENTICATED, Refusal::TOO_LARGE, Refusal::RATE_LIMITED, Refusal::UNAVAILABLE]),
    }
}

/// The reason catalogue as `GET /v1/adjustment-reasons` answers it.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct ReasonList<'a> {
    items: &'a [Reason],
}

async fn list_reasons(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    api.identity(request)?;
    let reasons = ReasonList {
        items: &api.core.settings.adjustment_reasons.reasons,
    };
    let mut response = ApiResponse::json(200, &reasons);
    // The catalogue changes only with a deployment.
    response
        .headers
        .push(("cache-control".into(), "private, max-age=300".into()));
    Ok(response)
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
