//! RMAs (seed 004): issuing one from a claim, the lists, one RMA, and its steps.

use crate::domain::warranty_claim::rma::Rma;
use crate::http::openapi::{json, query, Doc};
use crate::http::problem::Problem;
use crate::http::routes::{declare, Function, Params};
use crate::http::{parse_body, Api, ApiRequest, ApiResponse};
use crate::services::warranty::rmas::{RmaAction, RmaPage, RmaQuery, RmaRequest};

pub const FUNCTIONS: &[&Function] = &[&ISSUE_RMA, &LIST_RMAS, &GET_RMA, &RMA_ACTION];

declare! {
    ISSUE_RMA = "issue-rma", "the support side asks parts of a claim back", grants [WriteTable] {
        POST "/v1/warranty-claims/{id}/rmas" Token => issue_rma,
            Doc::new("issueRma", "Issue an RMA for parts of a claim (numbered per dealer: ACME-RMA-000123); the dealer is mailed")
                .takes(json::<RmaRequest>)
                .answers(201, "Issued", json::<Rma>)
                .idempotent(),
    }
}

declare! {
    LIST_RMAS = "list-rmas", "RMA lists and queues", grants [ReadTable] {
        GET "/v1/rmas" Token => list_rmas,
            Doc::new("listRmas", "Every RMA issued to the dealer, newest first. The support side's queues, oldest change first: list=issued, shipped (the default) or received; or a dealer's RMAs with dealer=CODE")
                .query(query::<RmaQuery>)
                .answers(200, "A page of RMAs", json::<RmaPage>),
    }
}

declare! {
    GET_RMA = "get-rma", "one RMA", grants [ReadRecords] {
        GET "/v1/rmas/{id}" Token => get_rma,
            Doc::new("getRma", "An RMA with its parts, shipment, counts and history")
                .answers(200, "The RMA", json::<Rma>),
    }
}

declare! {
    RMA_ACTION = "rma-action", "an RMA's steps", grants [WriteTable] {
        POST "/v1/rmas/{id}/actions" Token => rma_action,
            Doc::new("rmaAction", "Ship (the dealer), receive, credit, replace or close an RMA; the other side is mailed")
                .takes(json::<RmaAction>)
                .answers(200, "Done", json::<Rma>)
                .idempotent(),
    }
}

async fn issue_rma(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let body: RmaRequest = parse_body(&request.body)?;
    let id = params.get(0);
    api.commit(request, &who.user_id, 201, || api.core.plan_issue_rma(who, id, &body))
        .await
}

async fn list_rmas(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let query = request.dealer_list_query()?;
    Ok(ApiResponse::json(200, &api.core.list_rmas(who, &query).await?))
}

async fn get_rma(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let loaded = api.core.open_rma(who, params.get(0)).await?;
    Ok(ApiResponse::json(200, &loaded.record))
}

async fn rma_action(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let action: RmaAction = parse_body(&request.body)?;
    let id = params.get(0);
    api.commit(request, &who.user_id, 200, || {
        api.core.plan_rma_action(who, id, &action)
    })
    .await
}
