//! The local server: every route of the API on one port, over the embedded engine, with
//! the lifecycle sweep and the outbox worker running in-process. `main.rs` is its command
//! line; tests start it through [`start`] with a clock they control.

use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use claimdesk_core::domain::catalogue::Catalogue;
use claimdesk_core::http::limits::{self, RateLimiter, RateLimits};
use claimdesk_core::http::{auth, Api, ApiRequest, ApiResponse, Caller};
use claimdesk_core::ports::{Clock, Mailer, Publisher, SystemClock};
use claimdesk_core::services::mail::notify::Notice;
use claimdesk_core::services::{Core, Delivery, NumberPool, Pace, Settings};
use claimdesk_local::{EmlOutbox, EventLog, FileBlobs, InsertListener, LocalAccounts, SqliteTable};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{oneshot, Notify};

pub mod portal;

/// Uploads are at most 20 MB; an inbound raw mail carries up to 20 MB of attachments in
/// base64 (a third more). JSON bodies have their own, far smaller limit.
const MAX_REQUEST_BODY: usize = 32 * 1024 * 1024;

pub struct Config {
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    pub clock: Arc<dyn Clock>,
    /// How often the sweep and the outbox run on their own (a minute by default).
    pub tick: Duration,
    pub settings: Settings,
    /// A type catalogue file; the seeds' defaults when absent.
    pub catalogue_file: Option<PathBuf>,
    /// A catalogue of adjustment reasons for warranty claims; the defaults when absent.
    pub reasons_file: Option<PathBuf>,
    /// The business calendar and service-level targets; the seeds' when absent.
    pub service_levels_file: Option<PathBuf>,
    /// Per-user and per-company request rates; `None` serves without limits (benchmarks).
    pub rate_limits: Option<RateLimits>,
    /// The issuer and audience tokens must name, if any (from the environment by default).
    pub token_rules: auth::TokenRules,
}

/// Mails a second the local outbox writes at most.
pub const LOCAL_MAIL_SEND_RATE: f64 = 10_000.0;

impl Config {
    pub fn new(data_dir: &Path, bind: SocketAddr) -> Config {
        Config {
            data_dir: data_dir.to_path_buf(),
            bind,
            clock: Arc::new(SystemClock),
            tick: Duration::from_secs(60),
            settings: Settings {
                // Local mail is a file per message: no provider's sending quota to keep.
                mail_send_rate: LOCAL_MAIL_SEND_RATE,
                ..Settings::default()
            },
            catalogue_file: None,
            reasons_file: None,
            service_levels_file: None,
            rate_limits: Some(RateLimits::default()),
            token_rules: auth::TokenRules::from_env(),
        }
    }
}

/// The HS256 secret of local tokens: from `CLAIMDESK_JWT_SECRET`, else a random one kept in
/// the data folder so that tokens survive restarts.
pub fn jwt_secret(data_dir: &Path) -> std::io::Result<Vec<u8>> {
    kept_secret(data_dir, "CLAIMDESK_JWT_SECRET", "jwt-secret")
}

/// The key of reply addresses (`claimdesk_core::mail::address`): from `CLAIMDESK_MAIL_SECRET`,
/// else kept in the data folder so that replies to mail sent before a restart still land.
pub fn mail_secret(data_dir: &Path) -> std::io::Result<Vec<u8>> {
    kept_secret(data_dir, "CLAIMDESK_MAIL_SECRET", "mail-secret")
}

fn kept_secret(data_dir: &Path, variable: &str, file: &str) -> std::io::Result<Vec<u8>> {
    if let Ok(secret) = std::env::var(variable) {
        if !secret.is_empty() {
            return Ok(secret.into_bytes());
        }
    }
    std::fs::create_dir_all(data_dir)?;
    let path = data_dir.join(file);
    match std::fs::read(&path) {
        Ok(secret) if !secret.is_empty() => Ok(secret),
        _ => {
            use rand::RngCore;
            let mut raw = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut raw);
            let secret: String = raw.iter().map(|b| format!("{b:02x}")).collect();
            std::fs::write(&path, &secret)?;
            Ok(secret.into_bytes())
        }
    }
}

/// The notices the table's stream named (`Delivery::ProcessStream`), waiting for the
/// worker, which it wakes.
#[derive(Default)]
struct Named {
    keys: std::sync::Mutex<Vec<(String, String)>>,
    wake: Notify,
}

impl Named {
    /// The table's insert listener: keeps the new notices' keys (other items pass) and
    /// wakes the worker. Called on the writer's thread after each commit: quick.
    fn listener(self: &Arc<Named>) -> InsertListener {
        let named = self.clone();
        Arc::new(move |inserted: Vec<(String, String)>| {
            let mut notices = inserted
                .into_iter()
                .filter(|(_, sk)| Notice::is_notice_key(sk))
                .peekable();
            if notices.peek().is_some() {
                named.add(notices);
                named.wake.notify_one();
            }
        })
    }

    fn add(&self, keys: impl IntoIterator<Item = (String, String)>) {
        self.keys.lock().unwrap_or_else(|e| e.into_inner()).extend(keys);
    }

    fn take(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.keys.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

struct Workers {
    /// One sweep or delivery at a time, so `sweep_now`/`deliver_now` return only once
    /// everything due has really been handled (not merely claimed by the background run).
    running: tokio::sync::Mutex<()>,
    core: Core,
    mailer: Arc<dyn Mailer>,
    publisher: Arc<dyn Publisher>,
    named: Arc<Named>,
}

impl Workers {
    async fn sweep(&self) {
        let _one_at_a_time = self.running.lock().await;
        if let Err(e) = self.core.sweep().await {
            tracing::warn!(error = %e, "lifecycle sweep failed; will retry next tick");
        }
    }

    /// Delivers the new notices the stream named, then everything due on the outbox index
    /// (retries, and notices whose hold ran out).
    async fn deliver(&self) {
        let _one_at_a_time = self.running.lock().await;
        self.deliver_named_now().await;
        if let Err(e) = self
            .core
            .deliver_outbox(self.mailer.as_ref(), self.publisher.as_ref())
            .await
        {
            tracing::warn!(error = %e, "outbox delivery failed; will retry next tick");
        }
    }

    /// Delivers the new notices the stream named: what the worker does after each commit
    /// that wrote any (no index query, no claims).
    async fn deliver_named(&self) {
        let _one_at_a_time = self.running.lock().await;
        self.deliver_named_now().await;
    }

    async fn deliver_named_now(&self) {
        let keys = self.named.take();
        if keys.is_empty() {
            return;
        }
        if let Err(e) = self
            .core
            .deliver_notices(self.mailer.as_ref(), self.publisher.as_ref(), &keys)
            .await
        {
            // Tried again at the next run (what was delivered meanwhile is passed then);
            // should the process stop first, each is on the outbox index, due when its hold ends.
            tracing::warn!(error = %e, "outbox delivery failed; will retry");
            self.named.add(keys);
        }
    }
}

#[derive(Clone)]
struct AppState {
    api: Api,
    secret: Arc<Vec<u8>>,
    token_rules: Arc<auth::TokenRules>,
    limiter: Option<Arc<RateLimiter>>,
}

/// A running server. Dropping it does not stop it; call [`ServerHandle::stop`].
pub struct ServerHandle {
    pub addr: SocketAddr,
    pub core: Core,
    workers: Arc<Workers>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl ServerHandle {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Runs the lifecycle sweep now, as the minute timer would.
    pub async fn sweep_now(&self) {
        self.workers.sweep().await;
    }

    /// Delivers the outbox now.
    pub async fn deliver_now(&self) {
        self.workers.deliver().await;
    }

    /// Runs `work` while the background sweep and delivery wait their turn (they share the
    /// table, and its read counter, with whatever a test measures).
    pub async fn while_workers_wait<T>(&self, work: impl std::future::Future<Output = T>) -> T {
        let _held = self.workers.running.lock().await;
        work.await
    }

    /// Stops accepting requests, lets those in flight finish, and stops the workers.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.task.await;
    }
}

/// One server to a data folder: the embedded engine keeps company records in memory
/// between reads and knows of every change only because its own writer makes them all
/// (`claimdesk_local`'s `kept.rs`). A second server on the same folder is refused, with the
/// reason, instead of serving stale companies. (`claimdesk token` and `claimdesk admin
/// create` may still open the folder beside it: they write no company.) The lock goes with
/// the server.
fn lock_data_folder(data_dir: &Path) -> std::io::Result<std::fs::File> {
    std::fs::create_dir_all(data_dir)?;
    let path = data_dir.join("claimdesk.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(std::io::Error::other(format!(
            "another claimdesk server is serving {} (it holds {})",
            data_dir.display(),
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

/// The core over a data folder: its table, files, accounts and secrets. `public_base_url`
/// is where links in mail point when the settings name none. `stream`, when given, hears of
/// every item the table inserts, and new notices are then held for it
/// (`Delivery::ProcessStream`); without one they go on the outbox index for the server's
/// runs (the one-off commands).
pub fn open_core(
    config: &Config,
    public_base_url: &str,
    stream: Option<InsertListener>,
) -> std::io::Result<(Core, Arc<Vec<u8>>)> {
    std::fs::create_dir_all(&config.data_dir)?;
    let secret = Arc::new(jwt_secret(&config.data_dir)?);
    let store_error = |e: claimdesk_core::ports::StoreError| std::io::Error::other(e.to_string());
    let table = SqliteTable::open(&config.data_dir.join("claimdesk.db"), config.clock.clone()).map_err(store_error)?;
    let mut settings = config.settings.clone();
    settings.mail_secret = mail_secret(&config.data_dir)?;
    if let Some(path) = &config.reasons_file {
        let reasons = claimdesk_core::domain::warranty_claim::Reasons::from_json(&std::fs::read_to_string(path)?)
            .map_err(std::io::Error::other)?;
        settings.adjustment_reasons = Arc::new(reasons);
    }
    if let Some(path) = &config.service_levels_file {
        let levels = claimdesk_core::domain::service_levels::ServiceLevels::from_json(&std::fs::read_to_string(path)?)
            .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?;
        settings.service_levels = Arc::new(claimdesk_core::domain::service_levels::SharedLevels::new(levels));
    }
    if settings.public_base_url == Settings::default().public_base_url {
        settings.public_base_url = public_base_url.to_string();
    }
    let blobs = FileBlobs::new(&config.data_dir.join("attachments"), &settings.public_base_url).map_err(store_error)?;
    let catalogue = match &config.catalogue_file {
        Some(path) => Catalogue::from_json(&std::fs::read_to_string(path)?).map_err(std::io::Error::other)?,
        None => Catalogue::defaults(),
    };
    if let Some(listener) = stream {
        table
            .on_insert(listener)
            .map_err(|_| std::io::Error::other("the table has a listener already"))?;
        settings.delivery = Delivery::ProcessStream;
    }
    let table = Arc::new(table);
    let search: Arc<dyn claimdesk_core::ports::Search> = table.clone();
    let table: Arc<dyn claimdesk_core::ports::Table> = table;
    let accounts = LocalAccounts::new(
        table.clone(),
        config.clock.clone(),
        secret.clone(),
        config.token_rules.clone(),
    );
    let core = Core {
        table,
        blobs: Arc::new(blobs),
        accounts: Arc::new(accounts),
        search,
        clock: config.clock.clone(),
        numbers: NumberPool::new(settings.number_block_max),
        pace: Arc::new(Pace::new(settings.mail_send_rate)),
        settings: Arc::new(settings),
        catalogue: Arc::new(catalogue),
    };
    Ok((core, secret))
}

pub async fn start(config: Config) -> std::io::Result<ServerHandle> {
    let listener = tokio::net::TcpListener::bind(config.bind).await?;
    let addr = listener.local_addr()?;
    let folder_lock = lock_data_folder(&config.data_dir)?;
    let named = Arc::new(Named::default());
    let (core, secret) = open_core(&config, &format!("http://{addr}"), Some(named.listener()))?;
    // A data folder from an earlier release is brought to the current layout before serving;
    // one already there is not walked again (its layout record says so).
    let migrated = core
        .ensure_current_layout()
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    if let Some(migrated) = migrated.filter(|m| m.rewritten > 0 || m.raced > 0) {
        tracing::info!(
            rewritten = migrated.rewritten,
            examined = migrated.examined,
            "data folder migrated"
        );
    }
    let workers = Arc::new(Workers {
        running: tokio::sync::Mutex::new(()),
        core: core.clone(),
        mailer: Arc::new(EmlOutbox::new(&config.data_dir.join("outbox"))?),
        publisher: Arc::new(EventLog::new(&config.data_dir.join("events.jsonl"))),
        named: named.clone(),
    });
    let state = AppState {
        api: Api::new(core.clone()),
        secret,
        token_rules: Arc::new(config.token_rules.clone()),
        limiter: config.rate_limits.map(|l| Arc::new(RateLimiter::new(l))),
    };
    let app = axum::Router::new()
        .fallback(handle)
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY))
        .with_state(state);
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let background = {
        let workers = workers.clone();
        let tick = config.tick;
        tokio::spawn(async move {
            let mut timer = tokio::time::interval(tick);
            loop {
                tokio::select! {
                    _ = timer.tick() => { workers.sweep().await; workers.deliver().await; }
                    _ = named.wake.notified() => workers.deliver_named().await,
                }
            }
        })
    };
    let task = tokio::spawn(async move {
        // The data folder stays locked while the server serves (`lock_data_folder`).
        let _locked = folder_lock;
        let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await;
        background.abort();
        if let Err(e) = served {
            tracing::error!(error = %e, "server stopped with an error");
        }
    });
    tracing::info!(%addr, data = %config.data_dir.display(), "claimdesk listening");
    Ok(ServerHandle {
        addr,
        core,
        workers,
        stop: Some(stop_tx),
        task,
    })
}

/// The caller a bearer token names. A token that signing in with a password gave speaks
/// for its user only while the directory lets them in: a deactivation or a password change
/// ends it at once, not when it expires.
async fn caller_of(state: &AppState, token: &str) -> Caller {
    let claims = match auth::verified_claims(&state.secret, token, &state.token_rules) {
        Ok(claims) => claims,
        Err(why) => return Caller::Rejected(why),
    };
    let who = match auth::identity_from_claims(&claims) {
        Ok(who) => who,
        Err(why) => return Caller::Rejected(why),
    };
    let Some(epoch) = auth::session_epoch_of(&claims) else {
        return Caller::Verified(who);
    };
    match state.api.core.user(&who.user_id).await {
        Ok(Some(user)) if user.session_holds(epoch) => Caller::Verified(who),
        Ok(_) => Caller::Rejected(claimdesk_core::services::people::SESSION_ENDED.into()),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the caller's account");
            Caller::Rejected("the account could not be checked; try again".into())
        }
    }
}

async fn handle(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    if portal::is_portal_path(uri.path()) {
        if method == Method::GET || method == Method::HEAD {
            return portal::serve(uri.path(), &headers, method == Method::HEAD);
        }
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(axum::http::header::ALLOW, "GET, HEAD")],
        )
            .into_response();
    }
    let caller = match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        None => Caller::Anonymous,
        Some(value) => match value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")) {
            Some(token) => caller_of(&state, token.trim()).await,
            None => Caller::Rejected("use Authorization: Bearer <token>".into()),
        },
    };
    if let Some(limiter) = &state.limiter {
        let address = peer.ip().to_string();
        let counted = match &caller {
            Caller::Verified(who) => limits::Caller::User {
                user_id: &who.user_id,
                company: &who.company,
            },
            _ => limits::Caller::Address(&address),
        };
        if let Err(problem) = limiter.admit(&counted, state.api.core.now()) {
            tracing::info!(method = %method, path = uri.path(), status = 429, "request");
            return into_axum(problem.into_response());
        }
    }
    let request = ApiRequest {
        method: method.to_string(),
        path: uri.path().to_string(),
        query: uri
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), claimdesk_core::http::header_text(v.as_bytes())))
            .collect(),
        body: body.to_vec(),
        caller,
        source: Some(peer.ip().to_string()),
        // The local server speaks plain HTTP on loopback.
        over_tls: false,
    };
    let response = state.api.handle(request).await;
    tracing::info!(
        method = %method,
        path = uri.path(),
        status = response.status,
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    into_axum(response)
}

fn into_axum(response: ApiResponse) -> Response {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut out = match &response.file {
        // An export, streamed from its file: open, then unlink (the open file stays
        // readable), so nothing is left behind however the download ends.
        Some(path) => match std::fs::File::open(path) {
            Ok(file) => {
                let _ = std::fs::remove_file(path);
                let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
                (status, axum::body::Body::from_stream(stream)).into_response()
            }
            Err(e) => {
                tracing::error!(error = %e, "an export's file could not be opened");
                let _ = std::fs::remove_file(path);
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        },
        None => (status, response.body).into_response(),
    };
    for (name, value) in response.headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            out.headers_mut().insert(name, value);
        }
    }
    out
}
