//! A minimal Lambda Runtime API (the 2018-06-01 interface a function's runtime polls): it
//! hands out queued events with the headers the Lambda service sends, and reports each
//! answer (response or error) with the time it arrived.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, Mutex};

/// One answer from the function: `kind` is "response", "error" or "init-error".
#[derive(Debug, Clone)]
pub struct Answer {
    pub request_id: String,
    pub kind: String,
    pub body: Value,
    pub at: Instant,
}

#[derive(Clone)]
struct Shared {
    events: Arc<Mutex<mpsc::Receiver<(String, Value)>>>,
    answers: mpsc::Sender<Answer>,
    function_arn: String,
    /// When the function first asked for an event: the end of its init.
    first_poll: Arc<std::sync::Mutex<Option<Instant>>>,
}

pub struct RuntimeApi {
    pub address: SocketAddr,
    events: mpsc::Sender<(String, Value)>,
    answers: mpsc::Receiver<Answer>,
    next_id: u64,
    server: tokio::task::JoinHandle<()>,
    first_poll: Arc<std::sync::Mutex<Option<Instant>>>,
}

async fn next(State(shared): State<Shared>) -> (HeaderMap, String) {
    shared
        .first_poll
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(Instant::now);
    let Some((id, event)) = shared.events.lock().await.recv().await else {
        // No more events: hold the poll open, as the Lambda service does between requests.
        std::future::pending::<()>().await;
        unreachable!()
    };
    let mut headers = HeaderMap::new();
    let deadline = chrono::Utc::now().timestamp_millis() + 60_000;
    let pairs = [
        ("lambda-runtime-aws-request-id", id),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        ("lambda-runtime-invoked-function-arn", shared.function_arn.clone()),
        (
            "lambda-runtime-trace-id",
            "Root=1-6743a1b2-0123456789abcdef01234567".to_string(),
        ),
    ];
    for (name, value) in pairs {
        if let Ok(value) = value.parse() {
            headers.insert(name, value);
        }
    }
    (headers, event.to_string())
}

async fn answer(State(shared): State<Shared>, Path((id, kind)): Path<(String, String)>, body: String) -> &'static str {
    let at = Instant::now();
    let body = serde_json::from_str(&body).unwrap_or(Value::String(body));
    let _ = shared
        .answers
        .send(Answer {
            request_id: id,
            kind,
            body,
            at,
        })
        .await;
    ""
}

async fn init_error(State(shared): State<Shared>, body: String) -> &'static str {
    let at = Instant::now();
    let answer = Answer {
        request_id: String::new(),
        kind: "init-error".into(),
        body: Value::String(body),
        at,
    };
    let _ = shared.answers.send(answer).await;
    ""
}

impl RuntimeApi {
    pub async fn start(function_name: &str) -> std::io::Result<RuntimeApi> {
        let (event_tx, event_rx) = mpsc::channel(1024);
        let (answer_tx, answer_rx) = mpsc::channel(1024);
        let first_poll = Arc::new(std::sync::Mutex::new(None));
        let shared = Shared {
            events: Arc::new(Mutex::new(event_rx)),
            answers: answer_tx,
            first_poll: first_poll.clone(),
            function_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{function_name}"),
        };
        let app = axum::Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/{kind}", post(answer))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RuntimeApi {
            address,
            events: event_tx,
            answers: answer_rx,
            next_id: 0,
            server,
            first_poll,
        })
    }

    /// Queues an event; returns its request id.
    pub async fn invoke(&mut self, event: Value) -> String {
        self.next_id += 1;
        let id = format!("req-{}", self.next_id);
        let _ = self.events.send((id.clone(), event)).await;
        id
    }

    /// When the function first asked for an event (its init was over), if it has.
    pub fn first_poll(&self) -> Option<Instant> {
        *self.first_poll.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next answer, or None once the runtime API is gone.
    pub async fn answer(&mut self) -> Option<Answer> {
        self.answers.recv().await
    }

    /// The environment the Lambda service gives a function, pointed at this runtime API.
    pub fn lambda_environment(&self, function_name: &str) -> Vec<(String, String)> {
        [
            ("AWS_LAMBDA_RUNTIME_API", self.address.to_string()),
            ("AWS_LAMBDA_FUNCTION_NAME", function_name.to_string()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".to_string()),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
            ("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{function_name}")),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/11/24/[$LATEST]0123456789abcdef".to_string(),
            ),
            ("AWS_REGION", "us-east-1".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}
