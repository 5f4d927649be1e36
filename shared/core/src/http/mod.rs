//! The HTTP layer both the local server and every Lambda function use: a plain request in,
//! a plain response out. Adapters (axum, lambda_http) only translate to and from these.

pub mod auth;
pub mod disposition;
pub mod endpoints;
mod idempotency;
pub mod limits;
pub mod openapi;
pub mod problem;
pub mod routes;
mod turns;

use crate::domain::roles::Identity;
use crate::services::commit::{kept_changing, Commit, Replans};
use crate::services::problems::ProblemKind;
use crate::services::{Core, NumberLease, Plan, ServiceError};
use idempotency::Idempotency;
use problem::Problem;
use serde::Serialize;
use std::sync::Arc;

pub use routes::{
    function_named, functions, lambda_functions, lambda_routes, route_for, routes, Access, Deploy, Function, Grant,
    Route,
};

/// The OpenAPI 3.1 description of this API, served at /v1/openapi.json: derived from the
/// route declarations and the Rust types (`openapi::render`), written by the generator.
pub const OPENAPI: &str = include_str!("../../openapi.json");

/// JSON bodies above this are refused before parsing (uploads use their own route).
pub const MAX_JSON_BODY: usize = 256 * 1024;

/// Who the adapter says is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Verified(Identity),
    Anonymous,
    Rejected(String),
}

#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub caller: Caller,
    /// The caller's network address as the adapter saw it: the socket's peer on the local
    /// server, API Gateway's `sourceIp` on AWS.
    pub source: Option<String>,
    /// Whether the request reached us over TLS (always, through API Gateway): session
    /// cookies are `Secure` then.
    pub over_tls: bool,
}

impl ApiRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// A list's `limit` from the query: a number, or a 422 that names it.
    pub fn limit_param(&self) -> Result<Option<usize>, Problem> {
        match self.query_param("limit") {
            Some(l) => l.parse::<usize>().map(Some).map_err(|_| {
                Problem::new(
                    422,
                    crate::services::problems::ProblemKind::Validation,
                    "Invalid input",
                    "limit: must be a number",
                )
                .with_field("limit")
            }),
            None => Ok(None),
        }
    }

    /// A dealer list's or support queue's query (`list`, `dealer`, `cursor`, `limit`).
    pub fn dealer_list_query(&self) -> Result<crate::services::warranty::DealerListQuery, Problem> {
        Ok(crate::services::warranty::DealerListQuery {
            list: self.query_param("list").map(str::to_string),
            dealer: self.query_param("dealer").map(str::to_string),
            cursor: self.query_param("cursor").map(str::to_string),
            limit: self.limit_param()?,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// A file to send as the body instead (a local export): the adapter streams it and
    /// removes it.
    pub file: Option<std::path::PathBuf>,
}

impl ApiResponse {
    pub fn json<T: Serialize>(status: u16, value: &T) -> ApiResponse {
        ApiResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: serde_json::to_vec(value).unwrap_or_default(),
            file: None,
        }
    }
}

#[derive(Clone)]
pub struct Api {
    pub core: Core,
    turns: Arc<turns::Turns>,
}

impl Api {
    pub fn new(core: Core) -> Api {
        Api {
            core,
            turns: Arc::default(),
        }
    }

    pub async fn handle(&self, request: ApiRequest) -> ApiResponse {
        match routes::dispatch(self, &request).await {
            Ok(response) => response,
            Err(problem) => problem.into_response(),
        }
    }

    /// Serves a request as the Lambda function `function` would: only that function's routes
    /// answer; anything else is 404, as if API Gateway had no such route for it.
    pub async fn handle_as(&self, function: &Function, request: ApiRequest) -> ApiResponse {
        match routes::dispatch_in(self, function, &request).await {
            Ok(response) => response,
            Err(problem) => problem.into_response(),
        }
    }

    fn identity<'a>(&self, request: &'a ApiRequest) -> Result<&'a Identity, Problem> {
        match &request.caller {
            Caller::Verified(who) => Ok(who),
            Caller::Anonymous => Err(Problem::unauthenticated("send Authorization: Bearer <token>")),
            Caller::Rejected(why) => Err(Problem::unauthenticated(why.clone())),
        }
    }

    /// Commits what `plan` decides, as one transaction with the idempotency record, and
    /// answers with its value. A lost optimistic-locking race re-plans from fresh reads.
    /// `scope` names whose Idempotency-Keys these are (a user id, or a guest key's hash).
    async fn commit<T, F, Fut>(
        &self,
        request: &ApiRequest,
        scope: &str,
        status: u16,
        plan: F,
    ) -> Result<ApiResponse, Problem>
    where
        T: Serialize,
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Plan<T>, ServiceError>>,
    {
        let idempotency = Idempotency::of(request, scope)?;
        if let Some(idempotency) = &idempotency {
            if let Some(first) = idempotency.first_answer(&self.core).await? {
                // The first answer is only for a caller who may still reach what it names
                // (a revoked guest key, a collaborator taken off the ticket): the plan reads
                // again, and where it now answers 404 or 403, so does the replay.
                if let Err(e @ (ServiceError::NotFound(_) | ServiceError::Forbidden { .. })) = plan().await {
                    return Err(e.into());
                }
                return idempotency.replay(first);
            }
        }
        let mut replans = Replans::start();
        loop {
            let Plan {
                mut writes,
                value,
                numbers,
            } = plan().await.map_err(Problem::from)?;
            let body =
                serde_json::to_value(&value).map_err(|e| Problem::from(ServiceError::Internal(e.to_string())))?;
            if let Some(idempotency) = &idempotency {
                writes.push(idempotency.record(status, &body, self.core.now()));
            }
            match self.core.commit(writes).await? {
                Commit::Done => {
                    NumberLease::keep_all(numbers);
                    return Ok(ApiResponse::json(status, &body));
                }
                Commit::Lost => {
                    NumberLease::lost_race(numbers);
                    // Perhaps a concurrent retry of this very request won: answer as it did.
                    if let Some(idempotency) = &idempotency {
                        if let Some(first) = idempotency.first_answer(&self.core).await? {
                            return idempotency.replay(first);
                        }
                    }
                    if !replans.again().await {
                        return Err(kept_changing("the record kept changing; try again").into());
                    }
                }
            }
        }
    }

    /// `commit` for a change to one ticket, after the changes to it that this process
    /// already started (see `turns`).
    async fn commit_on_ticket<T, F, Fut>(
        &self,
        ticket_id: &str,
        request: &ApiRequest,
        scope: &str,
        status: u16,
        plan: F,
    ) -> Result<ApiResponse, Problem>
    where
        T: Serialize,
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Plan<T>, ServiceError>>,
    {
        let _turn = self.turns.take(ticket_id).await;
        self.commit(request, scope, status, plan).await
    }
}

/// A header's value as the API reads it. A value that is not visible ASCII is kept
/// (lossily), not dropped: an Idempotency-Key of other bytes must be refused, not taken for
/// no key. Both engines' adapters read headers through this.
pub fn header_text(value: &[u8]) -> String {
    String::from_utf8_lossy(value).into_owned()
}

/// Parses a JSON body, naming the offending field where serde can tell it.
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    if body.len() > MAX_JSON_BODY {
        return Err(Problem::new(
            413,
            ProblemKind::BodyTooLarge,
            "Body too large",
            format!("JSON bodies are limited to {MAX_JSON_BODY} bytes"),
        ));
    }
    let text = std::str::from_utf8(body).map_err(|_| {
        Problem::new(
            400,
            ProblemKind::MalformedBody,
            "Malformed body",
            "the body is not valid UTF-8",
        )
    })?;
    let text = if text.trim().is_empty() { "{}" } else { text };
    // The path of the value at fault (`lines[0].amount`) names the field, as a check by the
    // service would; an unknown field is named by itself.
    let mut reader = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut reader).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let problem = Problem::new(400, ProblemKind::MalformedBody, "Malformed body", message.clone());
        // The path of a missing field is its parent's; every other error's is its own.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        match (missing, path.as_str()) {
            (Some(field), "." | "") => problem.with_field(field),
            (Some(field), parent) => problem.with_field(format!("{parent}.{field}")),
            // A body that is an array, not an object, or that ends too soon has no field to name.
            (None, at) if at == "." || at.is_empty() || at.starts_with('[') || at.contains('?') => problem,
            (None, at) => problem.with_field(at),
        }
    })
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        lines: Vec<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        amount: u32,
    }

    fn field(body: &str) -> Option<String> {
        parse_body::<Outer>(body.as_bytes()).unwrap_err().field
    }

    #[test]
    fn a_body_that_does_not_parse_names_the_field_at_fault() {
        assert_eq!(
            field(r#"{"name": "x", "lines": [{"amount": 1}, {"amount": -1}]}"#).as_deref(),
            Some("lines[1].amount")
        );
        assert_eq!(field(r#"{"name": 5, "lines": []}"#).as_deref(), Some("name"));
        assert_eq!(
            field(r#"{"name": "x", "lines": [], "extra": 1}"#).as_deref(),
            Some("extra")
        );
        assert_eq!(
            field(r#"{"name": "x", "lines": [{"amount": 1, "currency": "EUR"}]}"#).as_deref(),
            Some("lines[0].currency")
        );
        assert_eq!(field(r#"{"lines": []}"#).as_deref(), Some("name"));
        assert_eq!(
            field(r#"{"name": "x", "lines": [{}]}"#).as_deref(),
            Some("lines[0].amount")
        );
        assert_eq!(field("[1, 2]"), None);
        assert_eq!(field("{"), None);
    }
}
