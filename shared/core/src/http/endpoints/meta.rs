//! What the API says about itself: its OpenAPI document and the ticket-type catalogue the
//! new-case form is built from.

use crate::http::problem::Problem;
use crate::http::routes::{declare, Function, Params};
use crate::http::{Api, ApiRequest, ApiResponse, OPENAPI};

pub const FUNCTIONS: &[&Function] = &[&OPENAPI_DOCUMENT];

declare! {
    OPENAPI_DOCUMENT = "openapi", "the OpenAPI document", grants [] {
        GET "/v1/openapi.json" Open => openapi,
    }
}

async fn openapi(_api: &Api, _request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    Ok(ApiResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: OPENAPI.as_bytes().to_vec(),
    })
}
