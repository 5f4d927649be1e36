//! The web portal's static files (`portal/`), built into the binary and served on the API's
//! port: `/` and every `/portal/...` page path answer `index.html` (the portal routes in
//! the browser), other paths the file they name. On AWS, CloudFront serves the same files
//! from S3 with the same rule (a viewer-request function in `infra/template.yaml`).

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use include_dir::{include_dir, Dir};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::sync::LazyLock;

static FILES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/portal");

/// The portal's pages may run only their own scripts and talk only to their own origin.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

struct Asset {
    bytes: &'static [u8],
    gzipped: Vec<u8>,
    etag: String,
    content_type: &'static str,
}

static ASSETS: LazyLock<HashMap<String, Asset>> = LazyLock::new(|| {
    let mut assets = HashMap::new();
    collect(&FILES, &mut assets);
    assets
});

fn collect(dir: &'static Dir<'static>, into: &mut HashMap<String, Asset>) {
    for file in dir.files() {
        let path = file.path().to_string_lossy().replace('\\', "/");
        let bytes = file.contents();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let gzipped = gz.write_all(bytes).and_then(|_| gz.finish()).unwrap_or_default();
        let digest = Sha256::digest(bytes);
        let etag = format!(
            "\"{}\"",
            digest.iter().take(12).map(|b| format!("{b:02x}")).collect::<String>()
        );
        into.insert(
            format!("/{path}"),
            Asset {
                bytes,
                gzipped,
                etag,
                content_type: content_type(&path),
            },
        );
    }
    for sub in dir.dirs() {
        collect(sub, into);
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file a portal path is served from: `index.html` for `/` and the page paths.
pub fn file_of(path: &str) -> &str {
    if path == "/" || path == "/portal" || path.starts_with("/portal/") {
        "/index.html"
    } else {
        path
    }
}

/// Whether a path belongs to the portal rather than to the API.
pub fn is_portal_path(path: &str) -> bool {
    !(path == "/v1" || path.starts_with("/v1/"))
}

/// Answers a GET or HEAD of a portal path: the file, compressed when the browser takes
/// gzip, revalidated by its ETag (the files change with a build, not with a clock).
pub fn serve(path: &str, headers: &HeaderMap, head_only: bool) -> Response {
    let Some(asset) = ASSETS.get(file_of(path)) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "Not found\n",
        )
            .into_response();
    };
    let mut response = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == asset.etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let gzip = accepts_gzip(headers) && !asset.gzipped.is_empty();
        let body: &'static [u8] = asset.bytes;
        let mut response = if head_only {
            StatusCode::OK.into_response()
        } else if gzip {
            // The assets live for the whole run: no copy per request.
            (StatusCode::OK, asset.gzipped.as_slice()).into_response()
        } else {
            (StatusCode::OK, body).into_response()
        };
        if gzip {
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        response
    };
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    if let Ok(etag) = HeaderValue::from_str(&asset.etag) {
        out.insert(header::ETAG, etag);
    }
    out.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    out.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    out.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().split(';').next() == Some("gzip")))
}
