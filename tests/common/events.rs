//! The real-shaped payloads of `events/`, and API Gateway v2 events built from them.

/// The `events/api/` file of a route, as the generator names it.
pub use claimdesk_aws::generate::event_file as event_file_of;
pub use claimdesk_core::http::lambda_routes;
use claimdesk_core::http::{Function, Route};
use rand::RngCore;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("events")
}

pub fn event_file(name: &str) -> String {
    std::fs::read_to_string(events_dir().join(name)).unwrap_or_else(|e| panic!("events/{name}: {e}"))
}

pub(super) fn templates() -> &'static HashMap<String, Value> {
    static TEMPLATES: OnceLock<HashMap<String, Value>> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        lambda_routes()
            .map(|(f, r)| {
                let file = event_file_of(f, r);
                (file.clone(), serde_json::from_str(&event_file(&file)).unwrap())
            })
            .collect()
    })
}

/// The route's `events/api/` payload with this request's path, query, headers, body and
/// the authorizer's claims (as strings, the way API Gateway passes JWT claims on).
pub(super) fn api_event(
    function: &Function,
    route: &Route,
    path: &str,
    query: &str,
    claims: Option<serde_json::Map<String, Value>>,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
) -> Value {
    let mut event = templates()[&event_file_of(function, route)].clone();
    event["rawPath"] = json!(path);
    event["rawQueryString"] = json!(query);
    let parameters: serde_json::Map<String, Value> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .map(|(k, v)| (k, json!(v)))
        .collect();
    event["queryStringParameters"] = Value::Object(parameters);
    let path_parameters: serde_json::Map<String, Value> = route
        .path
        .split('/')
        .zip(path.split('/'))
        .filter(|(pattern, _)| pattern.starts_with('{'))
        .map(|(pattern, value)| (pattern.trim_matches(['{', '}']).to_string(), json!(value)))
        .collect();
    event["pathParameters"] = Value::Object(path_parameters);
    let mut header_map = event["headers"].as_object().cloned().unwrap_or_default();
    header_map.remove("idempotency-key");
    header_map.remove("content-type");
    for (name, value) in headers {
        header_map.insert(name.to_ascii_lowercase(), json!(value));
    }
    match &body {
        Some(bytes) => {
            header_map.insert("content-length".into(), json!(bytes.len().to_string()));
            match std::str::from_utf8(bytes) {
                Ok(text) => {
                    event["body"] = json!(text);
                    event["isBase64Encoded"] = json!(false);
                }
                Err(_) => {
                    use base64::Engine as _;
                    event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(bytes));
                    event["isBase64Encoded"] = json!(true);
                }
            }
        }
        None => {
            header_map.insert("content-length".into(), json!("0"));
            event.as_object_mut().unwrap().remove("body");
            event["isBase64Encoded"] = json!(false);
        }
    }
    event["headers"] = Value::Object(header_map);
    let context = &mut event["requestContext"];
    context["http"]["path"] = json!(path);
    let mut id = [0u8; 8];
    rand::thread_rng().fill_bytes(&mut id);
    context["requestId"] = json!(id.iter().map(|b| format!("{b:02x}")).collect::<String>());
    match claims {
        Some(claims) => {
            let as_strings: serde_json::Map<String, Value> = claims
                .into_iter()
                .map(|(name, value)| {
                    let text = match value {
                        Value::String(s) => s,
                        // API Gateway flattens arrays to "[a b]".
                        Value::Array(items) => format!(
                            "[{}]",
                            items
                                .iter()
                                .map(|i| i.as_str().map(str::to_string).unwrap_or_else(|| i.to_string()))
                                .collect::<Vec<_>>()
                                .join(" ")
                        ),
                        other => other.to_string(),
                    };
                    (name, json!(text))
                })
                .collect();
            context["authorizer"] = json!({ "jwt": { "claims": as_strings, "scopes": null } });
        }
        None => {
            context.as_object_mut().unwrap().remove("authorizer");
        }
    }
    event
}
