//! What the API says about itself: its OpenAPI document and the ticket-type catalogue the
//! new-case form is built from.

use crate::http::openapi::{Doc, Refusal, SchemaDef};
use crate::http::problem::Problem;
use crate::http::routes::{declare, Function, Params};
use crate::http::{Api, ApiRequest, ApiResponse, OPENAPI};

pub const FUNCTIONS: &[&Function] = &[&OPENAPI_DOCUMENT];

declare! {
    OPENAPI_DOCUMENT = "openapi", "the OpenAPI document", grants [] {
        GET "/v1/openapi.json" Open => openapi,
            Doc::new("getOpenApi", "This document")
                .answers(200, "The OpenAPI document", document_schema)
                .refuses(&[Refusal::TOO_LARGE, Refusal::RATE_LIMITED, Refusal::UNAVAILABLE]),
    }
}

/// The document describes itself only as a JSON object.
fn document_schema() -> SchemaDef {
    let object = utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Object)
        .description(Some("An OpenAPI 3.1 document"))
        .build();
    SchemaDef {
        name: "OpenApiDocument".into(),
        components: vec![("OpenApiDocument".into(), object.into())],
    }
}

async fn openapi(_api: &Api, _request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    Ok(ApiResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: OPENAPI.as_bytes().to_vec(),
        file: None,
    })
}
