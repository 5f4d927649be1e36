//! What a route is, and how a request finds its route. The routes themselves are declared
//! once each, beside their handlers, in `endpoints/` (one module per area); everything else
//! is derived from those declarations: the local router (`FUNCTIONS`), each Lambda
//! function's dispatch (its `main` names its `Function` by Rust path), the SAM template's
//! per-function resources and the Lambda `main` files (`claimdesk_aws::generate`).

use super::endpoints;
use super::openapi::Doc;
use super::problem::Problem;
use super::{Api, ApiRequest, ApiResponse};
use crate::services::problems::ProblemKind;
use std::future::Future;
use std::pin::Pin;

/// What a handler returns: the future of its answer.
pub type Reply<'a> = Pin<Box<dyn Future<Output = Result<ApiResponse, Problem>> + Send + 'a>>;

/// A route's handler: the API, the request, and the path's `{…}` segments in order.
pub type Handler = for<'a> fn(&'a Api, &'a ApiRequest, Params) -> Reply<'a>;

/// The `{…}` segments of a matched path, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<String>);

impl Params {
    /// The `n`th `{…}` segment ("" when the pattern has fewer).
    pub fn get(&self, n: usize) -> &str {
        self.0.get(n).map(String::as_str).unwrap_or("")
    }
}

/// Whether callers must bring a token (API Gateway's JWT authorizer on AWS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Token,
    /// No authorizer: the API description, guest links (the key in the URL is the
    /// credential), the local engine's upload target (the token in the URL), local mail.
    Open,
}

/// What a function may touch on AWS; its IAM role grants exactly this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// GetItem and Query on the table itself, no index (records read by their key).
    ReadRecords,
    /// GetItem, BatchGetItem, Query on the table and its indexes.
    ReadTable,
    /// ReadTable and PutItem (transactions need the per-item actions).
    WriteTable,
    /// s3:PutObject under the attachment bucket's `tickets/` and `articles/` (presigned uploads).
    PutUploads,
    /// s3:GetObject of files: uploads (`tickets/`, `articles/`) and mailed files (`mail/`).
    GetFiles,
    /// s3:DeleteObject under `articles/`: staff take a file off an article.
    RemoveArticleFiles,
    /// s3:PutObject and s3:GetObject under the attachment bucket's `exports/` (a finished
    /// export, and the link that fetches it).
    Exports,
    /// s3:GetObject of the search index (`search/`): the search and suggestion functions
    /// copy the newest index to their local storage.
    ReadSearchIndex,
    /// Cognito's admin calls on the user pool (create, set a password, groups, disable,
    /// enable, sign out everywhere): the functions that manage accounts.
    ManageUsers,
}

/// Where a function runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deploy {
    /// A Lambda function behind API Gateway (and a route of the local server).
    Lambda,
    /// The local server only: on AWS, uploads go to S3 and mail reaches `inbound-email`
    /// through SES and S3.
    LocalOnly,
}

#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    /// OpenAPI style: `/v1/tickets/{id}`.
    pub path: &'static str,
    pub access: Access,
    pub handler: Handler,
    /// What the API document says of it (`openapi.rs`).
    pub doc: Doc,
}

impl Route {
    pub fn public(&self) -> bool {
        self.access == Access::Open
    }
}

/// One Lambda function of the API and the routes it serves.
#[derive(Debug, Clone, Copy)]
pub struct Function {
    /// The binary's and the function's name: `create-ticket`.
    pub name: &'static str,
    /// The Rust path of this declaration, for the generated `main`.
    pub rust_path: &'static str,
    /// What it does, in a few words (the function's Description on AWS).
    pub description: &'static str,
    pub grants: &'static [Grant],
    pub deploy: Deploy,
    pub routes: &'static [Route],
}

impl Function {
    /// The route of this function that a request takes, with its path parameters.
    pub fn route_for(&self, method: &str, path: &str) -> Option<(&'static Route, Params)> {
        self.routes
            .iter()
            .filter(|r| r.method == method)
            .find_map(|r| matches(r.path, path).map(|params| (r, params)))
    }

    /// Whether the function's role grants this (`WriteTable` includes `ReadTable`).
    pub fn may(&self, grant: Grant) -> bool {
        self.grants.contains(&grant) || grant == Grant::ReadTable && self.grants.contains(&Grant::WriteTable)
    }

    fn with_routes(&'static self) -> impl Iterator<Item = (&'static Function, &'static Route)> {
        self.routes.iter().map(move |r| (self, r))
    }
}

/// Declares one function of the API and its routes, beside their handlers:
///
/// ```ignore
/// declare! {
///     CREATE_TICKET = "create-ticket", "files a ticket", grants [WriteTable] {
///         POST "/v1/tickets" Token => create_ticket,
///             Doc::new("createTicket", "File a ticket")
///                 .takes(json::<TicketDraft>)
///                 .answers(201, "Filed", json::<TicketView>)
///                 .idempotent(),
///     }
/// }
/// ```
///
/// Each handler is an `async fn(&Api, &ApiRequest, Params) -> Result<ApiResponse, Problem>`;
/// the `Doc` after it is the route's entry in the OpenAPI document (`openapi.rs`).
/// `local_only` before the name keeps a function off AWS.
macro_rules! declare {
    (local_only $($rest:tt)+) => { declare!(@with LocalOnly $($rest)+); };
    (@with $deploy:ident $constant:ident = $name:literal, $description:literal, grants [$($grant:ident),*] {
        $($method:ident $path:literal $access:ident => $handler:path, $doc:expr),+ $(,)?
    }) => {
        pub const $constant: $crate::http::routes::Function = $crate::http::routes::Function {
            name: $name,
            rust_path: concat!(module_path!(), "::", stringify!($constant)),
            description: $description,
            grants: &[$($crate::http::routes::Grant::$grant),*],
            deploy: $crate::http::routes::Deploy::$deploy,
            routes: &[$($crate::http::routes::Route {
                method: stringify!($method),
                path: $path,
                access: $crate::http::routes::Access::$access,
                handler: {
                    fn call<'a>(
                        api: &'a $crate::http::Api,
                        request: &'a $crate::http::ApiRequest,
                        params: $crate::http::routes::Params,
                    ) -> $crate::http::routes::Reply<'a> {
                        Box::pin($handler(api, request, params))
                    }
                    call
                },
                doc: $doc,
            }),+],
        };
    };
    ($($rest:tt)+) => { declare!(@with Lambda $($rest)+); };
}
pub(crate) use declare;

/// Every function of the API, local-only ones included, area by area.
pub fn functions() -> impl Iterator<Item = &'static Function> {
    endpoints::AREAS.iter().flat_map(|area| area.iter().copied())
}

/// The functions deployed to AWS Lambda, in declaration order.
pub fn lambda_functions() -> impl Iterator<Item = &'static Function> {
    functions().filter(|f| f.deploy == Deploy::Lambda)
}

/// Every route with the function that serves it.
pub fn routes() -> impl Iterator<Item = (&'static Function, &'static Route)> {
    functions().flat_map(Function::with_routes)
}

/// Every route served by a Lambda function, with its function.
pub fn lambda_routes() -> impl Iterator<Item = (&'static Function, &'static Route)> {
    lambda_functions().flat_map(Function::with_routes)
}

/// The function with this name, if the API has one.
pub fn function_named(name: &str) -> Option<&'static Function> {
    functions().find(|f| f.name == name)
}

/// The function and route a request would take, if any: what API Gateway's route table
/// decides on AWS.
pub fn route_for(method: &str, path: &str) -> Option<(&'static Function, &'static Route)> {
    routes().find(|(_, r)| r.method == method && matches(r.path, path).is_some())
}

/// Matches a concrete path against a pattern, returning the `{…}` segments in order.
fn matches(pattern: &str, path: &str) -> Option<Params> {
    let mut params = Vec::new();
    let mut pattern_parts = pattern.trim_end_matches('/').split('/');
    let mut path_parts = path.trim_end_matches('/').split('/');
    loop {
        match (pattern_parts.next(), path_parts.next()) {
            (None, None) => return Some(Params(params)),
            (Some(p), Some(s)) if p.starts_with('{') => {
                if s.is_empty() {
                    return None;
                }
                params.push(s.to_string());
            }
            (Some(p), Some(s)) if p == s => {}
            _ => return None,
        }
    }
}

/// The local router: every route of every function; a known path with another method is
/// 405 with `Allow`.
pub(super) async fn dispatch(api: &Api, request: &ApiRequest) -> Result<ApiResponse, Problem> {
    let mut allowed: Vec<&str> = Vec::new();
    for (_, route) in routes() {
        let Some(params) = matches(route.path, &request.path) else {
            continue;
        };
        if route.method != request.method {
            allowed.push(route.method);
            continue;
        }
        return (route.handler)(api, request, params).await;
    }
    if !allowed.is_empty() {
        // RFC 9110: a 405 names the methods that are allowed.
        Err(Problem::new(
            405,
            ProblemKind::MethodNotAllowed,
            "Method not allowed",
            format!("{} is not allowed here", request.method),
        )
        .with_header("allow", allowed.join(", ")))
    } else {
        Err(Problem::not_found())
    }
}

/// One Lambda function's dispatch: only its own routes answer, anything else is 404 as if
/// API Gateway had no such route for it. It names no other function's handler, so a
/// function's binary links only its own.
pub(super) async fn dispatch_in(api: &Api, function: &Function, request: &ApiRequest) -> Result<ApiResponse, Problem> {
    match function.route_for(&request.method, &request.path) {
        Some((route, params)) => (route.handler)(api, request, params).await,
        None => Err(Problem::not_found()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn segments(pattern: &str, path: &str) -> Option<Vec<String>> {
        matches(pattern, path).map(|p| p.0)
    }

    #[test]
    fn patterns_match_segments_and_capture_parameters() {
        assert_eq!(
            segments("/v1/tickets/{id}", "/v1/tickets/t_1"),
            Some(vec!["t_1".into()])
        );
        assert_eq!(segments("/v1/tickets/{id}", "/v1/tickets/"), None);
        assert_eq!(segments("/v1/tickets", "/v1/tickets/x"), None);
        assert_eq!(
            segments("/v1/uploads/{id}/{attachment_id}", "/v1/uploads/a/b"),
            Some(vec!["a".into(), "b".into()])
        );
    }

    #[test]
    fn names_routes_and_rust_paths_are_unique() {
        let names: BTreeSet<_> = functions().map(|f| f.name).collect();
        assert_eq!(names.len(), functions().count());
        let keys: BTreeSet<_> = routes().map(|(_, r)| (r.method, r.path)).collect();
        assert_eq!(keys.len(), routes().count());
        for function in functions() {
            assert!(function.rust_path.starts_with("claimdesk_core::http::endpoints::"));
            assert!(!function.routes.is_empty(), "{}", function.name);
        }
    }
}
