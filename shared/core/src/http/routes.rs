//! The route table and one small handler per route: parse, call a service, answer.

use super::problem::Problem;
use super::{parse_body, Api, ApiRequest, ApiResponse, OPENAPI};
use crate::ports::Download;
use crate::services::lists::ListRequest;

/// One route: method, path pattern (OpenAPI style), the name of the Lambda function that
/// serves it on AWS, and whether callers must bring a token (the API Gateway authorizer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub function: &'static str,
    pub public: bool,
}

const fn route(method: &'static str, path: &'static str, function: &'static str) -> Route {
    Route {
        method,
        path,
        function,
        public: false,
    }
}

/// A route without the authorizer: the API description, guest links (the key in the URL
/// is the credential), and the local engine's upload target (the token in the URL).
const fn open_route(method: &'static str, path: &'static str, function: &'static str) -> Route {
    Route {
        method,
        path,
        function,
        public: true,
    }
}

/// Routes that exist only on the local server: on AWS, uploads go to S3, and inbound mail
/// reaches the `inbound-email` function through SES and S3.
pub const LOCAL_ONLY_FUNCTIONS: &[&str] = &["local-upload", "local-inbound-email"];

pub fn is_local_only(function: &str) -> bool {
    LOCAL_ONLY_FUNCTIONS.contains(&function)
}

/// The names of the Lambda functions that serve the API, in route order, without repeats.
pub fn api_functions() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for route in ROUTES {
        if !is_local_only(route.function) && !names.contains(&route.function) {
            names.push(route.function);
        }
    }
    names
}

pub const ROUTES: &[Route] = &[
    open_route("GET", "/v1/openapi.json", "openapi"),
    route("POST", "/v1/tickets", "create-ticket"),
    route("GET", "/v1/tickets", "list-tickets"),
    route("GET", "/v1/tickets/{id}", "get-ticket"),
    route("POST", "/v1/tickets/{id}/messages", "add-message"),
    route("POST", "/v1/tickets/{id}/status", "update-status"),
    route("POST", "/v1/tickets/{id}/attachments", "upload-attachment"),
    route("GET", "/v1/tickets/{id}/attachments/{attachment_id}", "get-attachment"),
    open_route("PUT", "/v1/uploads/{id}/{attachment_id}", "local-upload"),
    route("POST", "/v1/tickets/{id}/collaborators", "add-collaborator"),
    route("POST", "/v1/tickets/{id}/guest-keys/revoke", "revoke-guest-keys"),
    open_route("GET", "/v1/guest/tickets/{id}", "guest-ticket"),
    open_route("POST", "/v1/guest/tickets/{id}/messages", "guest-ticket"),
    route("POST", "/v1/companies", "create-company"),
    route("POST", "/v1/products", "create-product"),
    route("POST", "/v1/serials", "create-serial"),
    route("GET", "/v1/serials/{serial}", "lookup-serial"),
    route("POST", "/v1/warranties", "register-warranty"),
    route("GET", "/v1/held-mail", "list-held-mail"),
    // Anyone may send mail, as anyone may reach an MX: the mail is judged by its content.
    open_route("POST", "/v1/inbound-email", "local-inbound-email"),
];

/// Matches a concrete path against a pattern, returning the `{…}` segments in order.
fn matches<'a>(pattern: &str, path: &'a str) -> Option<Vec<&'a str>> {
    let mut params = Vec::new();
    let mut pattern_parts = pattern.trim_end_matches('/').split('/');
    let mut path_parts = path.trim_end_matches('/').split('/');
    loop {
        match (pattern_parts.next(), path_parts.next()) {
            (None, None) => return Some(params),
            (Some(p), Some(s)) if p.starts_with('{') => {
                if s.is_empty() {
                    return None;
                }
                params.push(s);
            }
            (Some(p), Some(s)) if p == s => {}
            _ => return None,
        }
    }
}

/// The route a request would take, if any: what API Gateway's route table decides on AWS.
pub fn route_for(method: &str, path: &str) -> Option<&'static Route> {
    ROUTES
        .iter()
        .find(|r| r.method == method && matches(r.path, path).is_some())
}

pub(super) async fn dispatch(api: &Api, request: &ApiRequest) -> Result<ApiResponse, Problem> {
    let mut allowed: Vec<&str> = Vec::new();
    for route in ROUTES {
        let Some(params) = matches(route.path, &request.path) else {
            continue;
        };
        if route.method != request.method {
            allowed.push(route.method);
            continue;
        }
        let id = params.first().copied().unwrap_or("");
        let second = params.get(1).copied().unwrap_or("");
        return match (route.method, route.path) {
            ("GET", "/v1/openapi.json") => Ok(ApiResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: OPENAPI.as_bytes().to_vec(),
            }),
            ("POST", "/v1/tickets") => create_ticket(api, request).await,
            ("GET", "/v1/tickets") => list_tickets(api, request).await,
            ("GET", "/v1/tickets/{id}") => get_ticket(api, request, id).await,
            ("POST", "/v1/tickets/{id}/messages") => add_message(api, request, id).await,
            ("POST", "/v1/tickets/{id}/status") => change_status(api, request, id).await,
            ("POST", "/v1/tickets/{id}/attachments") => request_upload(api, request, id).await,
            ("GET", "/v1/tickets/{id}/attachments/{attachment_id}") => download(api, request, id, second).await,
            ("PUT", "/v1/uploads/{id}/{attachment_id}") => receive_upload(api, request, id, second).await,
            ("POST", "/v1/tickets/{id}/collaborators") => add_collaborator(api, request, id).await,
            ("POST", "/v1/tickets/{id}/guest-keys/revoke") => revoke_guest_keys(api, request, id).await,
            ("GET", "/v1/guest/tickets/{id}") => guest_ticket(api, request, id).await,
            ("POST", "/v1/guest/tickets/{id}/messages") => guest_message(api, request, id).await,
            ("POST", "/v1/companies") => staff_create(api, request, Staff::Company).await,
            ("POST", "/v1/products") => staff_create(api, request, Staff::Product).await,
            ("POST", "/v1/serials") => staff_create(api, request, Staff::Serial).await,
            ("GET", "/v1/serials/{serial}") => lookup_serial(api, request, id).await,
            ("POST", "/v1/warranties") => register_warranty(api, request).await,
            ("GET", "/v1/held-mail") => held_mail(api, request).await,
            ("POST", "/v1/inbound-email") => inbound_email(api, request).await,
            _ => Err(Problem::not_found()),
        };
    }
    if !allowed.is_empty() {
        // RFC 9110: a 405 names the methods that are allowed.
        Err(Problem::new(
            405,
            "method-not-allowed",
            "Method not allowed",
            format!("{} is not allowed here", request.method),
        )
        .with_header("allow", allowed.join(", ")))
    } else {
        Err(Problem::not_found())
    }
}

async fn create_ticket(api: &Api, request: &ApiRequest) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let draft: crate::domain::ticket::TicketDraft = parse_body(&request.body)?;
    api.commit(request, &who.user_id, 201, || api.core.plan_create_ticket(who, &draft))
        .await
}

async fn list_tickets(api: &Api, request: &ApiRequest) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let limit = match request.query_param("limit") {
        Some(l) => Some(l.parse::<usize>().map_err(|_| {
            Problem::new(422, "validation", "Invalid input", "limit: must be a number").with_field("limit")
        })?),
        None => None,
    };
    let list = ListRequest {
        view: request.query_param("view").map(str::to_string),
        company: request.query_param("company").map(str::to_string),
        cursor: request.query_param("cursor").map(str::to_string),
        limit,
    };
    let page = api.core.list_tickets(who, &list).await.map_err(Problem::from)?;
    Ok(ApiResponse::json(200, &page))
}

async fn get_ticket(api: &Api, request: &ApiRequest, id: &str) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let (loaded, viewer) = api.core.open_ticket(who, id).await.map_err(Problem::from)?;
    let view = api.core.ticket_view(&loaded, &viewer).await.map_err(Problem::from)?;
    api.core.mark_seen(id, &viewer.reader).await.map_err(Problem::from)?;
    Ok(ApiResponse::json(200, &view))
}

async fn add_message(api: &Api, request: &ApiRequest, id: &str) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let draft: crate::services::conversation::MessageDraft = parse_body(&request.body)?;
    let draft = &draft;
    api.commit_on_ticket(id, request, &who.user_id, 201, move || async move {
        let (loaded, viewer) = api.core.open_ticket(who, id).await?;
        api.core.plan_add_message(&loaded, &viewer, draft).await
    })
    .await
}

async fn change_status(api: &Api, request: &ApiRequest, id: &str) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let change: crate::services::status::StatusChange = parse_body(&request.body)?;
    let change = &change;
    api.commit_on_ticket(id, request, &who.user_id, 200, move || async move {
        let (loaded, viewer) = api.core.open_ticket(who, id).await?;
        api.core.plan_status_change(&loaded, &viewer, change).await
    })
    .await
}

async fn request_upload(api: &Api, request: &ApiRequest, id: &str) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let draft: crate::services::attachments::UploadDraft = parse_body(&request.body)?;
    let draft = &draft;
    api.commit_on_ticket(id, request, &who.user_id, 201, move || async move {
        let (loaded, viewer) = api.core.open_ticket(who, id).await?;
        api.core.plan_upload(&loaded, &viewer, draft).await
    })
    .await
}

async fn receive_upload(
    api: &Api,
    request: &ApiRequest,
    id: &str,
    attachment_id: &str,
) -> Result<ApiResponse, Problem> {
    // The unguessable token in the URL is the authority, as with a presigned S3 URL.
    let token = request.query_param("token").unwrap_or("");
    let attachment = api
        .core
        .receive_upload(id, attachment_id, token, &request.body)
        .await
        .map_err(Problem::from)?;
    Ok(ApiResponse::json(
        200,
        &crate::domain::ticket::AttachmentView::from(&attachment),
    ))
}

async fn download(api: &Api, request: &ApiRequest, id: &str, attachment_id: &str) -> Result<ApiResponse, Problem> {
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
                ("content-type".into(), crate::ports::DOWNLOAD_CONTENT_TYPE.into()),
                (
                    "content-disposition".into(),
                    crate::domain::ticket::content_disposition(&attachment.filename),
                ),
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

async fn add_collaborator(api: &Api, request: &ApiRequest, id: &str) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let draft: crate::services::sharing::CollaboratorDraft = parse_body(&request.body)?;
    let draft = &draft;
    api.commit_on_ticket(id, request, &who.user_id, 201, move || async move {
        let (loaded, _viewer) = api.core.open_ticket(who, id).await?;
        api.core.plan_add_collaborator(who, &loaded, draft).await
    })
    .await
}

async fn revoke_guest_keys(api: &Api, request: &ApiRequest, id: &str) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    api.commit_on_ticket(id, request, &who.user_id, 200, move || async move {
        let (loaded, viewer) = api.core.open_ticket(who, id).await?;
        api.core.plan_revoke_guest_keys(&loaded, &viewer).await
    })
    .await
}

async fn guest_ticket(api: &Api, request: &ApiRequest, id: &str) -> Result<ApiResponse, Problem> {
    let key = request.query_param("key").unwrap_or("");
    let (loaded, viewer) = api.core.guest_viewer(id, key).await.map_err(Problem::from)?;
    let view = api.core.ticket_view(&loaded, &viewer).await.map_err(Problem::from)?;
    api.core.mark_seen(id, &viewer.reader).await.map_err(Problem::from)?;
    Ok(ApiResponse::json(200, &view))
}

async fn guest_message(api: &Api, request: &ApiRequest, id: &str) -> Result<ApiResponse, Problem> {
    let key = request.query_param("key").unwrap_or("");
    let draft: crate::services::conversation::MessageDraft = parse_body(&request.body)?;
    let draft = &draft;
    // A guest has no user id: their Idempotency-Keys are scoped by the guest key's hash.
    let scope = format!("guest:{}", crate::domain::guest::hash_key(key));
    api.commit_on_ticket(id, request, &scope, 201, move || async move {
        let (loaded, viewer) = api.core.guest_viewer(id, key).await?;
        api.core.plan_add_message(&loaded, &viewer, draft).await
    })
    .await
}

async fn held_mail(api: &Api, request: &ApiRequest) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    api.core.require_agent(who, "review held mail").map_err(Problem::from)?;
    let held = api.core.held_mail(100).await.map_err(Problem::from)?;
    Ok(ApiResponse::json(200, &serde_json::json!({ "items": held })))
}

/// The local engine's mail intake: a raw RFC 5322 message in the body, as SES would store it.
async fn inbound_email(api: &Api, request: &ApiRequest) -> Result<ApiResponse, Problem> {
    if request.body.is_empty() {
        return Err(Problem::new(
            400,
            "validation",
            "Invalid input",
            "body: a raw message (message/rfc822) is required",
        )
        .with_field("body"));
    }
    let key = format!("inbound/{}", crate::services::new_id("raw"));
    api.core
        .blobs
        .put(&key, &request.body)
        .await
        .map_err(|e| Problem::from(crate::services::ServiceError::from(e)))?;
    let report = api
        .core
        .receive_mail(&request.body, &key)
        .await
        .map_err(Problem::from)?;
    api.wake();
    Ok(ApiResponse::json(200, &report))
}

enum Staff {
    Company,
    Product,
    Serial,
}

async fn staff_create(api: &Api, request: &ApiRequest, what: Staff) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    match what {
        Staff::Company => {
            let draft = parse_body(&request.body)?;
            api.commit(request, &who.user_id, 201, || api.core.plan_create_company(who, &draft))
                .await
        }
        Staff::Product => {
            let draft = parse_body(&request.body)?;
            api.commit(request, &who.user_id, 201, || api.core.plan_create_product(who, &draft))
                .await
        }
        Staff::Serial => {
            let draft = parse_body(&request.body)?;
            api.commit(request, &who.user_id, 201, || api.core.plan_create_serial(who, &draft))
                .await
        }
    }
}

async fn lookup_serial(api: &Api, request: &ApiRequest, serial: &str) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let found = api.core.lookup_serial(who, serial).await.map_err(Problem::from)?;
    Ok(ApiResponse::json(200, &found))
}

async fn register_warranty(api: &Api, request: &ApiRequest) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let draft = parse_body(&request.body)?;
    api.commit(request, &who.user_id, 201, || {
        api.core.plan_register_warranty(who, &draft)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_segments_and_capture_parameters() {
        assert_eq!(matches("/v1/tickets/{id}", "/v1/tickets/t_1"), Some(vec!["t_1"]));
        assert_eq!(matches("/v1/tickets/{id}", "/v1/tickets/"), None);
        assert_eq!(matches("/v1/tickets", "/v1/tickets/x"), None);
        assert_eq!(
            matches("/v1/uploads/{id}/{attachment_id}", "/v1/uploads/a/b"),
            Some(vec!["a", "b"])
        );
    }

    #[test]
    fn every_route_is_in_the_openapi_document_and_nothing_else_is() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).expect("openapi.json parses");
        assert_eq!(doc["openapi"].as_str().map(|v| v.starts_with("3.1")), Some(true));
        let mut documented: Vec<(String, String)> = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                    documented.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        let mut served: Vec<(String, String)> = ROUTES
            .iter()
            .map(|r| (r.method.to_string(), r.path.to_string()))
            .collect();
        documented.sort();
        served.sort();
        assert_eq!(documented, served);
    }
}
