//! A real browser for the portal's tests: Debian's chromium, headless, driven through
//! chromedriver (WebDriver) with fantoccini. The test command installs both; their paths
//! come from `CLAIMDESK_CHROMEDRIVER` and `CLAIMDESK_CHROMIUM` (Debian's paths otherwise).
//! Helpers act as a person does: fields are found by their label, buttons by their text.

use fantoccini::{elements::Element, Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// How long a step may take to show its result before the test gives up on it. Not a
/// performance limit: a generous bound so that a broken page fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(30);

/// The vendored axe-core (tests/portal/vendor/README.md).
const AXE: &str = include_str!("../portal/vendor/axe-core-4.14.1/axe.min.js");

pub struct Browser {
    pub client: Client,
    driver: Child,
    pub base: String,
    pub downloads: PathBuf,
    shots: PathBuf,
    _profile: tempfile::TempDir,
}

fn tool(variable: &str, debian: &str) -> String {
    match std::env::var(variable) {
        Ok(path) if !path.is_empty() => path,
        _ if Path::new(debian).exists() => debian.to_string(),
        _ => panic!("{variable} is not set and {debian} is missing: run the suite with `bash scripts/test.sh`, which installs chromium and chromium-driver"),
    }
}

impl Browser {
    /// Starts chromedriver on a free loopback port and a headless chromium session on it.
    pub async fn start(base: &str) -> Browser {
        let driver_path = tool("CLAIMDESK_CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = tool("CLAIMDESK_CHROMIUM", "/usr/bin/chromium");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().unwrap();
        let downloads = profile.path().join("downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/portal-screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        let capabilities = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    "--lang=en-US", "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.path().join("profile").display()),
                ],
                "prefs": {
                    "download.default_directory": downloads.display().to_string(),
                    "download.prompt_for_download": false,
                    "intl.accept_languages": "en-US,en",
                },
            },
        });
        let capabilities = match capabilities {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        let url = format!("http://127.0.0.1:{port}");
        let mut client = None;
        for _ in 0..100 {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
        let client = client.expect("a chromium session through chromedriver");
        Browser {
            client,
            driver,
            base: base.to_string(),
            downloads,
            shots,
            _profile: profile,
        }
    }

    pub async fn stop(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }

    /// Opens a portal path as a fresh page load and waits until it is usable.
    pub async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("the page loads");
        self.ready().await;
    }

    /// Waits until the current page has rendered (its heading is there, nothing is busy).
    pub async fn ready(&self) {
        self.wait_until("document.querySelector('main h1') && !document.querySelector('main[aria-busy]')")
            .await;
    }

    /// Waits until a JavaScript expression is true in the page.
    pub async fn wait_until(&self, expression: &str) {
        let script = format!("return Boolean({expression});");
        let started = std::time::Instant::now();
        loop {
            if let Ok(Value::Bool(true)) = self.client.execute(&script, vec![]).await {
                return;
            }
            if started.elapsed() > PATIENCE {
                let text = self.main_text().await;
                panic!(
                    "waited in vain for `{expression}` at {}; the page says:\n{text}",
                    self.path().await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn path(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.path().to_string())
            .unwrap_or_default()
    }

    pub async fn main_text(&self) -> String {
        match self.client.find(Locator::Css("main")).await {
            Ok(main) => main.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits until the page's main part shows `text`.
    pub async fn sees(&self, text: &str) {
        let quoted = serde_json::to_string(text).unwrap();
        self.wait_until(&format!(
            "document.querySelector('main') && document.querySelector('main').innerText.includes({quoted})"
        ))
        .await;
    }

    /// Waits until the page's live regions (what a screen reader says) carry `text`.
    pub async fn hears(&self, text: &str) {
        let quoted = serde_json::to_string(text).unwrap();
        self.wait_until(&format!(
            "['status', 'alert'].some(id => document.getElementById(id).textContent.includes({quoted}))"
        ))
        .await;
    }

    /// The page's heading.
    pub async fn heading(&self) -> String {
        self.client
            .find(Locator::Css("main h1"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The control a label names (the label's text starts with `label`), within `scope`
    /// (a CSS selector) when given.
    pub async fn field(&self, label: &str) -> Element {
        self.field_in("main", label).await
    }

    pub async fn field_in(&self, scope: &str, label: &str) -> Element {
        let quoted = serde_json::to_string(label).unwrap();
        let scope_q = serde_json::to_string(scope).unwrap();
        let script = format!(
            "const scope = document.querySelector({scope_q});
             const label = scope && [...scope.querySelectorAll('label')].find(l => l.textContent.trim().startsWith({quoted}));
             return label ? label.htmlFor : null;"
        );
        let started = std::time::Instant::now();
        loop {
            if let Ok(Value::String(id)) = self.client.execute(&script, vec![]).await {
                if !id.is_empty() {
                    return self.client.find(Locator::Id(&id)).await.expect("the labelled control");
                }
            }
            if started.elapsed() > PATIENCE {
                panic!(
                    "no field labelled {label:?} in {scope} at {}; the page says:\n{}",
                    self.path().await,
                    self.main_text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types into the field a label names (what was there is cleared first).
    pub async fn fill(&self, label: &str, text: &str) {
        let field = self.field(label).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    pub async fn fill_in(&self, scope: &str, label: &str, text: &str) {
        let field = self.field_in(scope, label).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Picks an option of the select a label names, by its value.
    pub async fn choose(&self, label: &str, value: &str) {
        self.field(label).await.select_by_value(value).await.unwrap();
    }

    /// Ticks the check box a label names.
    pub async fn tick(&self, label: &str) {
        let field = self.field(label).await;
        if !field.is_selected().await.unwrap() {
            field.click().await.unwrap();
        }
    }

    /// Clicks the button or link whose text starts with `text`.
    pub async fn press(&self, text: &str) {
        self.press_in("body", text).await
    }

    pub async fn press_in(&self, scope: &str, text: &str) {
        let quoted = serde_json::to_string(text).unwrap();
        let scope_q = serde_json::to_string(scope).unwrap();
        // The button is found and marked in the page; the click goes through WebDriver, as
        // a person's would (it fails if something covers the button).
        let find = format!(
            "(() => {{
               document.querySelectorAll('[data-to-press]').forEach(e => e.removeAttribute('data-to-press'));
               const scope = document.querySelector({scope_q});
               const el = scope && [...scope.querySelectorAll('button, a')].find(b => b.textContent.trim().startsWith({quoted}) && b.offsetParent !== null && !b.disabled);
               if (!el) return false;
               el.setAttribute('data-to-press', '');
               el.scrollIntoView({{block: 'center'}});
               return true;
             }})()"
        );
        self.wait_until(&find).await;
        let element = self.client.find(Locator::Css("[data-to-press]")).await.unwrap();
        element.click().await.unwrap();
    }

    /// Picks a language from the header's list, as a person does.
    pub async fn language(&self, code: &str) {
        let picker = self.client.find(Locator::Id("language")).await.unwrap();
        picker.select_by_value(code).await.unwrap();
        self.wait_until(&format!("document.documentElement.lang === '{code}'"))
            .await;
    }

    /// Signs in through the sign-in page and waits for the home page.
    pub async fn sign_in(&self, email: &str, password: &str) {
        self.open("/portal/sign-in").await;
        self.fill("Email", email).await;
        self.fill("Password", password).await;
        self.press_in("main", "Sign in").await;
        self.wait_until("location.pathname === '/portal' && document.querySelector('#sign-out')")
            .await;
        self.ready().await;
    }

    pub async fn sign_out(&self) {
        self.press("Sign out").await;
        self.wait_until("location.pathname === '/portal/sign-in'").await;
        self.ready().await;
    }

    async fn cdp(&self, command: &'static str, params: Value) {
        self.client.issue_cmd(Cdp { command, params }).await.expect(command);
    }

    /// Lays the page out `width` px wide and 844 px high, as on a phone (without the
    /// mobile viewport's zoom, so the screenshot shows the layout itself).
    async fn phone(&self, width: u32) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": 844, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    /// Checks the page as it is now: axe-core finds no serious or critical violation;
    /// nothing sticks out sideways at 360 px; screenshots at 390 px and 1280 px go under
    /// target/portal-screenshots/; the load's
    /// figures (from the browser's navigation timing) are printed, not asserted.
    pub async fn check_page(&self, name: &str) -> PageFigures {
        let violations = self
            .client
            .execute_async(
                &format!(
                    "const done = arguments[arguments.length - 1];
                     if (!window.axe) {{ {AXE} }}
                     axe.run(document, {{ resultTypes: ['violations'] }}).then(r => done(r.violations.map(v => ({{
                         id: v.id, impact: v.impact, help: v.help,
                         nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))
                     }})))).catch(e => done([{{ id: 'axe-error', impact: 'critical', help: String(e), nodes: [] }}]));"
                ),
                vec![],
            )
            .await
            .expect("axe runs");
        let grave: Vec<&Value> = violations
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious") | Some("critical")))
            .collect();
        assert!(
            grave.is_empty(),
            "axe on the {name} page: {}",
            serde_json::to_string_pretty(&grave).unwrap()
        );
        // No value went missing on the way to the screen.
        let text = self
            .client
            .execute("return document.body.innerText;", vec![])
            .await
            .unwrap();
        let text = text.as_str().unwrap_or_default();
        for word in ["undefined", "null", "NaN", "[object Object]"] {
            assert!(
                !text
                    .split(|c: char| !c.is_alphanumeric() && c != '[' && c != ']')
                    .any(|w| w == word)
                    && !text.contains("[object Object]"),
                "the {name} page shows {word:?}:\n{text}"
            );
        }
        // Phone widths are emulated (a headless window is at least 500 px wide): at 360 px
        // nothing may stick out sideways; the screenshots are at 390 px and 1280 px.
        for width in [360u32, 390] {
            self.phone(width).await;
            // What sticks out is named.
            let wide = self
                .client
                .execute(
                    "const w = arguments[0];
                     return [document.documentElement.scrollWidth,
                             [...document.querySelectorAll('body *')]
                               .filter(e => e.getBoundingClientRect().right > w + 1)
                               .slice(-5)
                               .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ' + (e.textContent || '').trim().slice(0, 40))];",
                    vec![json!(width)],
                )
                .await
                .unwrap();
            assert!(
                wide[0].as_u64().unwrap() <= width as u64,
                "the {name} page is {} px wide on a {width} px phone; sticking out: {}",
                wide[0],
                wide[1]
            );
            if width == 390 {
                let png = self.client.screenshot().await.unwrap();
                std::fs::write(self.shots.join(format!("{name}-390.png")), png).unwrap();
            }
        }
        self.cdp("Emulation.clearDeviceMetricsOverride", json!({})).await;
        self.client.set_window_size(1280, 900).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{name}-1280.png")), png).unwrap();
        let figures = self
            .client
            .execute(
                "const nav = performance.getEntriesByType('navigation')[0];
                 const ready = performance.getEntriesByName('claimdesk:ready')[0];
                 const resources = performance.getEntriesByType('resource');
                 const portal = resources.filter(r => !new URL(r.name).pathname.startsWith('/v1/'));
                 return {
                   ready_ms: ready ? ready.startTime : null,
                   transfer_bytes: (nav ? nav.transferSize : 0) + portal.reduce((s, r) => s + r.transferSize, 0),
                   requests: portal.length + 1,
                 };",
                vec![],
            )
            .await
            .unwrap();
        let figures = PageFigures {
            name: name.to_string(),
            ready_ms: figures["ready_ms"].as_f64().unwrap_or(f64::NAN),
            transfer_bytes: figures["transfer_bytes"].as_u64().unwrap_or(0),
            requests: figures["requests"].as_u64().unwrap_or(0),
            axe_minor: violations.as_array().unwrap().len() - grave.len(),
        };
        println!(
            "portal page {:<17} interactive {:>5.0} ms  {:>5.1} KB over the wire ({} files)  axe: 0 serious/critical, {} minor",
            figures.name,
            figures.ready_ms,
            figures.transfer_bytes as f64 / 1024.0,
            figures.requests,
            figures.axe_minor
        );
        figures
    }
}

/// A Chrome DevTools Protocol command, sent through chromedriver's `goog/cdp/execute`.
#[derive(Debug)]
struct Cdp {
    command: &'static str,
    params: Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.command, "params": self.params});
        (http::Method::POST, Some(body.to_string()))
    }
}

/// What `check_page` measured of one page.
#[derive(Debug, Clone)]
pub struct PageFigures {
    pub name: String,
    /// From navigation start to the portal's `claimdesk:ready` mark.
    pub ready_ms: f64,
    /// Bytes over the wire for the page and its files, headers included: the whole
    /// (gzip-compressed) files on a first load, revalidations (304) after it.
    pub transfer_bytes: u64,
    pub requests: u64,
    pub axe_minor: usize,
}
