//! A loopback HTTP proxy in front of the AWS emulator that plays the network and the
//! region: it can answer chosen calls with throttling or server errors (the trust suite's
//! fault tests), and it can hold chosen calls for a fixed time, as a round trip to a real
//! region takes (the scale benchmark: 5 ms per DynamoDB request, 50 ms per SES send).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the proxy answers instead of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// DynamoDB's `ThrottlingException` (HTTP 400), as when a table's capacity is exceeded.
    Throttle,
    /// DynamoDB's `InternalServerError` (HTTP 500).
    ServerError,
}

struct Plan {
    /// `X-Amz-Target` prefixes the fault applies to (e.g. `DynamoDB_20120810.TransactWriteItems`).
    targets: Vec<String>,
    fault: Option<Fault>,
    /// How many more matching calls fail; `None`: all of them.
    remaining: Option<u32>,
}

struct ProxyState {
    target: String,
    client: reqwest::Client,
    plan: Mutex<Plan>,
    /// Call prefixes held for a while before they are forwarded.
    delays: Mutex<Vec<(String, Duration)>>,
    /// Every call seen: its `X-Amz-Target` (or method and path), when, and whether it failed.
    seen: Mutex<Vec<(String, Instant, bool)>>,
}

/// An HTTP proxy on loopback in front of the emulator. SDK clients configured with its
/// URL talk to it; it forwards every call (after its delay, if one is set for the call's
/// operation), unless a fault is planned for that operation.
pub struct FaultProxy {
    addr: std::net::SocketAddr,
    state: Arc<ProxyState>,
}

impl FaultProxy {
    pub async fn start(target: &str) -> FaultProxy {
        let state = Arc::new(ProxyState {
            target: target.trim_end_matches('/').to_string(),
            client: reqwest::Client::new(),
            plan: Mutex::new(Plan {
                targets: Vec::new(),
                fault: None,
                remaining: None,
            }),
            delays: Mutex::new(Vec::new()),
            seen: Mutex::new(Vec::new()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(forward).with_state(state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FaultProxy { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The next `times` calls to these operations (all of them when `None`) get `fault`.
    pub fn fail(&self, targets: &[&str], fault: Fault, times: Option<u32>) {
        let mut plan = self.state.plan.lock().unwrap();
        plan.targets = targets.iter().map(|t| t.to_string()).collect();
        plan.fault = Some(fault);
        plan.remaining = times;
    }

    /// Holds every call whose operation starts with `prefix` for `delay` before forwarding
    /// it (a round trip to a region). Operations are `X-Amz-Target`s (DynamoDB) or
    /// `METHOD /path` (REST services: [`SES_SEND`]).
    pub fn delay(&self, prefix: &str, delay: Duration) {
        self.state.delays.lock().unwrap().push((prefix.to_string(), delay));
    }

    pub fn heal(&self) {
        self.state.plan.lock().unwrap().fault = None;
    }

    /// Calls seen so far to operations starting with `prefix`: (when, whether failed).
    pub fn calls(&self, prefix: &str) -> Vec<(Instant, bool)> {
        self.state
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|(target, _, _)| target.starts_with(prefix))
            .map(|(_, at, failed)| (*at, *failed))
            .collect()
    }

    pub fn forget_calls(&self) {
        self.state.seen.lock().unwrap().clear();
    }
}

/// DynamoDB's writes: what a fault on "the table's writes" means.
pub const DYNAMODB_WRITES: &[&str] = &[
    "DynamoDB_20120810.TransactWriteItems",
    "DynamoDB_20120810.PutItem",
    "DynamoDB_20120810.UpdateItem",
    "DynamoDB_20120810.DeleteItem",
    "DynamoDB_20120810.BatchWriteItem",
];

/// Every DynamoDB call.
pub const DYNAMODB: &[&str] = &["DynamoDB_20120810."];

/// SES v2's send (a REST call, named by method and path).
pub const SES_SEND: &str = "POST /v2/email/outbound-emails";

async fn forward(
    State(state): State<Arc<ProxyState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| format!("{method} {}", uri.path()));
    let fault = {
        let mut plan = state.plan.lock().unwrap();
        let applies = plan.fault.is_some()
            && plan.targets.iter().any(|t| target.starts_with(t.as_str()))
            && plan.remaining != Some(0);
        if applies {
            if let Some(n) = plan.remaining.as_mut() {
                *n -= 1;
            }
            plan.fault
        } else {
            None
        }
    };
    let delay = state
        .delays
        .lock()
        .unwrap()
        .iter()
        .find(|(prefix, _)| target.starts_with(prefix.as_str()))
        .map(|(_, delay)| *delay);
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    state
        .seen
        .lock()
        .unwrap()
        .push((target, Instant::now(), fault.is_some()));
    if let Some(fault) = fault {
        let (status, kind, message) = match fault {
            Fault::Throttle => (
                StatusCode::BAD_REQUEST,
                "ThrottlingException",
                "Rate of requests exceeds the allowed throughput.",
            ),
            Fault::ServerError => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                "Internal server error",
            ),
        };
        let body = serde_json::json!({
            "__type": format!("com.amazonaws.dynamodb.v20120810#{kind}"),
            "message": message,
        });
        return (
            status,
            [
                ("content-type", "application/x-amz-json-1.0"),
                ("x-amzn-errortype", kind),
            ],
            body.to_string(),
        )
            .into_response();
    }
    let url = format!(
        "{}{}",
        state.target,
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let mut request = state
        .client
        .request(reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap(), url);
    for (name, value) in &headers {
        if !matches!(
            name.as_str(),
            "host" | "content-length" | "connection" | "transfer-encoding"
        ) {
            request = request.header(name.as_str(), value.as_bytes());
        }
    }
    match request.body(body).send().await {
        Ok(answer) => {
            let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
            let mut out_headers = HeaderMap::new();
            for (name, value) in answer.headers() {
                if !matches!(name.as_str(), "content-length" | "connection" | "transfer-encoding") {
                    if let (Ok(n), Ok(v)) = (
                        axum::http::HeaderName::from_bytes(name.as_str().as_bytes()),
                        axum::http::HeaderValue::from_bytes(value.as_bytes()),
                    ) {
                        out_headers.append(n, v);
                    }
                }
            }
            let bytes = answer.bytes().await.unwrap_or_default();
            (status, out_headers, bytes).into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}
