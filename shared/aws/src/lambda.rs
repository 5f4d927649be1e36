//! The Lambda entry points. Each function's `main` calls one `run_*` here; the `handle_*`
//! functions are what the runtime calls per event, and what the tests call with the
//! payloads in `events/`.

use crate::engine::Engine;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::s3::S3Event;
use claimdesk_core::http::auth::identity_from_claims;
use claimdesk_core::http::{ApiRequest, ApiResponse, Caller, Function};
use claimdesk_core::services::mail::inbound::InboundReport;
use claimdesk_core::services::mail::notify::Notice;
use claimdesk_core::services::mail::outbox::{all_shards, DeliveryReport};
use claimdesk_core::services::tickets::sweep::SweepReport;
use claimdesk_core::services::ServiceError;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Error, LambdaEvent, Request, RequestExt, Response};
use serde::Serialize;
use std::time::Instant;

/// JSON logs without timestamps (CloudWatch stamps each line), levels from `RUST_LOG`.
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_current_span(false)
        .without_time()
        .with_target(false)
        .try_init();
}

async fn engine() -> Result<Engine, Error> {
    init_tracing();
    Engine::from_env().await.map_err(|e| {
        tracing::error!(error = %e, "configuration");
        Error::from(e.to_string())
    })
}

/// Who API Gateway's JWT authorizer says is calling. A route without the authorizer (the
/// guest routes, the OpenAPI document) passes no claims: the caller is anonymous.
fn caller_of(request: &Request) -> Caller {
    let claims = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .map(|jwt| jwt.claims.clone()),
        _ => None,
    };
    match claims {
        None => Caller::Anonymous,
        Some(claims) => {
            let claims = claims
                .into_iter()
                .map(|(name, value)| (name, serde_json::Value::String(value)))
                .collect();
            match identity_from_claims(&claims) {
                Ok(who) => Caller::Verified(who),
                Err(why) => Caller::Rejected(why),
            }
        }
    }
}

pub fn api_request(request: Request) -> ApiRequest {
    let caller = caller_of(&request);
    let path = match request.raw_http_path() {
        "" => request.uri().path().to_string(),
        raw => raw.to_string(),
    };
    let query = request
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let headers = request
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), claimdesk_core::http::header_text(v.as_bytes())))
        .collect();
    let source = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
        _ => None,
    };
    ApiRequest {
        method: request.method().to_string(),
        path,
        query,
        headers,
        body: request.body().to_vec(),
        caller,
        source,
        // API Gateway answers HTTPS only.
        over_tls: true,
    }
}

pub fn http_response(mut response: ApiResponse) -> Response<Body> {
    // The S3 blobs hand exports over as links; a file here would be another engine's.
    if let Some(path) = response.file.take() {
        response.body = std::fs::read(&path).unwrap_or_default();
        let _ = std::fs::remove_file(&path);
    }
    let textual = response
        .headers
        .iter()
        .any(|(n, v)| n == "content-type" && (v.contains("json") || v.starts_with("text/")));
    let body = match (response.body.is_empty(), textual) {
        (true, _) => Body::Empty,
        (false, true) => match String::from_utf8(response.body) {
            Ok(text) => Body::Text(text),
            Err(e) => Body::Binary(e.into_bytes()),
        },
        (false, false) => Body::Binary(response.body),
    };
    let mut builder = Response::builder().status(response.status);
    for (name, value) in &response.headers {
        builder = builder.header(name, value);
    }
    builder.body(body).unwrap_or_else(|e| {
        tracing::error!(error = %e, "response could not be built");
        let mut fallback = Response::new(Body::Empty);
        *fallback.status_mut() = lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}

/// One API request to `function` (it answers only its own routes).
pub async fn handle_http(engine: &Engine, function: &Function, request: Request) -> Response<Body> {
    let started = Instant::now();
    let request = api_request(request);
    let (method, path) = (request.method.clone(), request.path.clone());
    let response = engine.api.handle_as(function, request).await;
    tracing::info!(
        function = function.name,
        method = %method,
        path = %path,
        status = response.status,
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    http_response(response)
}

/// Serves one API function until the runtime stops it. Its `main` names the function's
/// declaration by Rust path (`claimdesk_core::http::endpoints::tickets::CREATE_TICKET`).
pub async fn run_http(function: &'static Function) -> Result<(), Error> {
    let engine = engine().await?;
    let engine = &engine;
    lambda_http::run(lambda_http::service_fn(move |request: Request| async move {
        Ok::<_, Error>(handle_http(engine, function, request).await)
    }))
    .await
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConfirmReport {
    pub stored: usize,
    pub refused: usize,
    pub ignored: usize,
}

/// S3 event keys are URL-encoded, with `+` for spaces.
fn decode_s3_key(key: &str) -> String {
    let key = key.replace('+', " ");
    percent_encoding::percent_decode_str(&key)
        .decode_utf8_lossy()
        .to_string()
}

/// Whose file an uploaded object is: `tickets/<ticket>/<attachment>` or
/// `articles/<article>/<file>`.
#[derive(Debug, PartialEq, Eq)]
enum Upload {
    Ticket(String, String),
    Article(String, String),
}

fn attachment_of_key(key: &str) -> Option<Upload> {
    let key = decode_s3_key(key);
    let mut parts = key.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(area), Some(owner), Some(file), None) if !owner.is_empty() && !file.is_empty() => match area {
            "tickets" => Some(Upload::Ticket(owner.to_string(), file.to_string())),
            "articles" => Some(Upload::Article(owner.to_string(), file.to_string())),
            _ => None,
        },
        _ => None,
    }
}

/// S3 ObjectCreated: confirms each uploaded attachment against its declared size and the
/// ticket's limit. A refusal is an answer, not a failure; only an outage fails the event,
/// so that Lambda retries it (and sends it to the dead-letter queue in the end).
pub async fn handle_object_created(engine: &Engine, event: S3Event) -> Result<ConfirmReport, Error> {
    let mut report = ConfirmReport::default();
    for record in event.records {
        let object = &record.s3.object;
        let (Some(key), Some(size)) = (object.key.as_deref(), object.size) else {
            report.ignored += 1;
            continue;
        };
        let size = size.max(0) as u64;
        let confirmed = match attachment_of_key(key) {
            // A malformed ticket id is as unknown as a missing one.
            Some(Upload::Ticket(ticket, attachment)) => match claimdesk_core::services::ticket_id(&ticket) {
                Ok(ticket) => engine.core.confirm_upload(&ticket, &attachment, size).await.map(|_| ()),
                Err(e) => Err(e),
            },
            Some(Upload::Article(article, file)) => engine
                .core
                .confirm_article_upload(&article, &file, size)
                .await
                .map(|_| ()),
            None => {
                tracing::warn!(key, "an object outside tickets/ and articles/ was ignored");
                report.ignored += 1;
                continue;
            }
        };
        match confirmed {
            Ok(_) => report.stored += 1,
            Err(ServiceError::TooLarge { detail, .. }) => {
                tracing::info!(key, %detail, "upload refused and deleted");
                report.refused += 1;
            }
            Err(ServiceError::NotFound(_)) => {
                tracing::warn!(key, "an object without a pending attachment was ignored");
                report.ignored += 1;
            }
            Err(e) => return Err(Error::from(e.to_string())),
        }
    }
    Ok(report)
}

pub async fn run_object_created() -> Result<(), Error> {
    let engine = engine().await?;
    let engine = &engine;
    lambda_http::lambda_runtime::run(lambda_http::service_fn(move |event: LambdaEvent<S3Event>| async move {
        handle_object_created(engine, event.payload).await
    }))
    .await
}

/// The scheduled lifecycle sweep. The event's content does not matter: what is due is read
/// from the table, so a late, doubled or concurrent run does the right thing. The core logs
/// a run that changed or deferred something (`Core::sweep`), on both engines.
/// Sweeps the shards the event names (`{"shards": [0, 1]}` in the schedule's input, so
/// several rules can split the work), or all of them.
pub async fn handle_sweep(engine: &Engine, event: &serde_json::Value) -> Result<SweepReport, Error> {
    let shards = shards_named(event).unwrap_or_else(all_shards);
    engine
        .core
        .sweep_shards(&shards)
        .await
        .map_err(|e| Error::from(e.to_string()))
}

/// `{"shards": [..]}` of a scheduled event's input.
fn shards_named(event: &serde_json::Value) -> Option<Vec<u32>> {
    let listed = event.get("shards")?.as_array()?;
    Some(listed.iter().filter_map(|s| s.as_u64()).map(|s| s as u32).collect())
}

/// The notices a stream batch brings new (`INSERT` records of notice items: `MAIL#…`
/// under a ticket, or `EVENT#…/EVENT`), by table key; `None` for an event that is not a
/// stream batch. A notice's later changes (put on the index for a retry, its close) are
/// the index runs' business, not the stream's.
fn stream_notices(event: &serde_json::Value) -> Option<Vec<(String, String)>> {
    let records = event.get("Records")?.as_array()?;
    Some(
        records
            .iter()
            .filter(|r| r.get("eventName").and_then(|n| n.as_str()) == Some("INSERT"))
            .filter_map(|r| {
                let key = |name: &str| Some(r.pointer(&format!("/dynamodb/Keys/{name}/S"))?.as_str()?.to_string());
                Some((key("pk")?, key("sk")?))
            })
            .filter(|(_, sk)| Notice::is_notice_key(sk))
            .collect(),
    )
}

pub async fn run_sweep() -> Result<(), Error> {
    let engine = engine().await?;
    let engine = &engine;
    lambda_http::lambda_runtime::run(lambda_http::service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move { handle_sweep(engine, &event.payload).await },
    ))
    .await
}

/// Delivers what the outbox holds (mail to SES, events to EventBridge). Invoked by the
/// table's stream when notices are written (it delivers the notices its records bring,
/// held for it since they were written: `mail::outbox`) and by a schedule for retries and
/// for what a stream run left (every shard, or those its input names).
pub async fn handle_deliver(engine: &Engine, event: &serde_json::Value) -> Result<DeliveryReport, Error> {
    let (mailer, publisher) = (engine.mailer.as_ref(), engine.publisher.as_ref());
    let report = match stream_notices(event) {
        Some(notices) => engine.core.deliver_notices(mailer, publisher, &notices).await,
        None => {
            let shards = shards_named(event).unwrap_or_else(all_shards);
            engine.core.deliver_outbox_shards(mailer, publisher, &shards).await
        }
    }
    .map_err(|e| Error::from(e.to_string()))?;
    if report != DeliveryReport::default() {
        tracing::info!(
            sent = report.sent,
            retried = report.retried,
            failed = report.failed,
            "outbox"
        );
    }
    Ok(report)
}

pub async fn run_deliver() -> Result<(), Error> {
    let engine = engine().await?;
    let engine = &engine;
    lambda_http::lambda_runtime::run(lambda_http::service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move { handle_deliver(engine, &event.payload).await },
    ))
    .await
}

/// What `inbound-email` did with each stored message.
#[derive(Debug, Default, Serialize)]
pub struct InboundBatch {
    pub reports: Vec<InboundReport>,
    pub ignored: usize,
}

/// SES stored a received mail in the inbound bucket (receipt rule → S3 → ObjectCreated):
/// read it and hand it to the core. A failure to read or record fails the event, so Lambda
/// retries it; a message handled before is recognised by its Message-ID.
pub async fn handle_inbound_email(engine: &Engine, event: S3Event) -> Result<InboundBatch, Error> {
    let mut batch = InboundBatch::default();
    for record in event.records {
        let (Some(bucket), Some(key)) = (record.s3.bucket.name.as_deref(), record.s3.object.key.as_deref()) else {
            batch.ignored += 1;
            continue;
        };
        let key = decode_s3_key(key);
        let object = engine
            .s3
            .get()
            .get_object()
            .bucket(bucket)
            .key(&key)
            .send()
            .await
            .map_err(|e| Error::from(format!("reading s3://{bucket}/{key}: {e:?}")))?;
        let raw = object
            .body
            .collect()
            .await
            .map_err(|e| Error::from(format!("reading s3://{bucket}/{key}: {e}")))?
            .into_bytes();
        let report = engine
            .core
            .receive_mail(&raw, &format!("s3://{bucket}/{key}"))
            .await
            .map_err(|e| Error::from(e.to_string()))?;
        batch.reports.push(report);
    }
    Ok(batch)
}

pub async fn run_inbound_email() -> Result<(), Error> {
    let engine = engine().await?;
    let engine = &engine;
    lambda_http::lambda_runtime::run(lambda_http::service_fn(move |event: LambdaEvent<S3Event>| async move {
        handle_inbound_email(engine, event.payload).await
    }))
    .await
}

/// SES's bounce and complaint events, from the configuration set through EventBridge.
pub async fn handle_mail_feedback(engine: &Engine, event: EventBridgeEvent<serde_json::Value>) -> Result<usize, Error> {
    let feedback = crate::feedback::from_ses_event(&event.detail);
    if feedback.is_empty() {
        tracing::info!(detail_type = ?event.detail_type, "an SES event without bounce or complaint was ignored");
        return Ok(0);
    }
    engine
        .core
        .record_feedback(&feedback)
        .await
        .map_err(|e| Error::from(e.to_string()))?;
    tracing::info!(addresses = feedback.len(), "mail feedback recorded");
    Ok(feedback.len())
}

pub async fn run_mail_feedback() -> Result<(), Error> {
    let engine = engine().await?;
    let engine = &engine;
    lambda_http::lambda_runtime::run(lambda_http::service_fn(
        move |event: LambdaEvent<EventBridgeEvent<serde_json::Value>>| async move {
            handle_mail_feedback(engine, event.payload).await
        },
    ))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_batch_names_its_new_notices_and_a_schedule_may_name_shards() {
        let stream: serde_json::Value =
            serde_json::from_str(include_str!("../../../events/outbox-stream.json")).unwrap();
        // The batch's other records (a notice put back on the index for a retry, a ticket)
        // are not the stream run's.
        assert_eq!(stream["Records"].as_array().unwrap().len(), 3);
        assert_eq!(
            stream_notices(&stream),
            Some(vec![("EVENT#ev_01JEXAMPLE00000000000000".into(), "EVENT".into())])
        );
        let schedule: serde_json::Value =
            serde_json::from_str(include_str!("../../../events/scheduled-sweep.json")).unwrap();
        assert_eq!(stream_notices(&schedule), None);
        assert_eq!(shards_named(&schedule), None);
        assert_eq!(shards_named(&serde_json::json!({"shards": [0, 3]})), Some(vec![0, 3]));
    }

    #[test]
    fn s3_keys_are_decoded_and_only_attachment_keys_count() {
        assert_eq!(
            attachment_of_key("tickets/t_1/att_2"),
            Some(Upload::Ticket("t_1".into(), "att_2".into()))
        );
        assert_eq!(
            attachment_of_key("tickets/t%5F1/att+2"),
            Some(Upload::Ticket("t_1".into(), "att 2".into()))
        );
        assert_eq!(
            attachment_of_key("articles/art_1/att_2"),
            Some(Upload::Article("art_1".into(), "att_2".into()))
        );
        assert_eq!(attachment_of_key("search/index-3.db"), None);
        assert_eq!(attachment_of_key("tickets/t_1"), None);
        assert_eq!(attachment_of_key("other/t_1/att_2"), None);
        assert_eq!(attachment_of_key("tickets/t_1/att_2/x"), None);
    }
}

/// What `search-indexer` did with a stream batch.
#[derive(Debug, Default, Serialize)]
pub struct IndexReport {
    pub records: usize,
    pub changes: usize,
    /// The index version published (none when nothing searchable changed).
    pub version: Option<u64>,
}

/// The table's stream → the search index (`search.rs`): the batch's changes applied to the
/// working copy and published as the next version. A failure fails the batch, which Lambda
/// retries (applying a change twice changes nothing).
pub async fn handle_index(engine: &Engine, event: &serde_json::Value) -> Result<IndexReport, Error> {
    if event["rebuild"] == true {
        return rebuild_index(engine).await;
    }
    let now = engine.core.clock.now().timestamp();
    let changes = crate::search::changes_of_stream(event, now);
    let version = engine
        .search
        .index(&changes)
        .await
        .map_err(|e| Error::from(e.to_string()))?;
    let report = IndexReport {
        records: event["Records"].as_array().map_or(0, Vec::len),
        changes: changes.len(),
        version,
    };
    if report.changes > 0 {
        tracing::info!(records = report.records, changes = report.changes, version = ?report.version, "indexed");
    }
    Ok(report)
}

/// `{"rebuild": true}` (an operator's one-off, `aws lambda invoke`): every searchable item
/// of the table, read a page at a time, put into the index and published as one new
/// version: a table written before the index existed, or an index to start afresh. Changes
/// arriving meanwhile are applied by the stream's next batches on top (putting a document
/// again replaces it, so the order between the two does not matter).
async fn rebuild_index(engine: &Engine) -> Result<IndexReport, Error> {
    let now = engine.core.clock.now();
    let mut changes = Vec::new();
    let mut records = 0;
    let mut after = None;
    loop {
        let page = engine
            .core
            .table
            .scan(after.as_ref(), 500)
            .await
            .map_err(|e| Error::from(e.to_string()))?;
        records += page.items.len();
        changes.extend(
            page.items
                .iter()
                .filter(|item| !item.is_expired(now))
                .filter_map(claimdesk_core::domain::search::changes_of),
        );
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let version = engine
        .search
        .index(&changes)
        .await
        .map_err(|e| Error::from(e.to_string()))?;
    tracing::info!(records, changes = changes.len(), version = ?version, "index rebuilt");
    Ok(IndexReport {
        records,
        changes: changes.len(),
        version,
    })
}

pub async fn run_index() -> Result<(), Error> {
    let engine = engine().await?;
    let engine = &engine;
    lambda_http::lambda_runtime::run(lambda_http::service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move { handle_index(engine, &event.payload).await },
    ))
    .await
}
