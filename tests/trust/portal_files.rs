//! The portal's files on the local server: only the files in `portal/` are served, never
//! anything outside it; page paths answer the one page; the API keeps its own answers;
//! every file goes with the headers that keep the page to its own scripts and origin.

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_serves_its_own_files_only_with_its_security_headers() {
    let desk = Desk::local().await;
    let page = desk.send("GET", "/", None, vec![], None).await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    let csp = page.header("content-security-policy").expect("a CSP");
    for directive in [
        "default-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "{csp} lacks {directive}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    // Page paths (the mailed links among them) answer the same page.
    for path in [
        "/portal",
        "/portal/cases/t_1",
        "/portal/set-password",
        "/portal/guest/t_1",
    ] {
        let same = desk.send("GET", path, None, vec![], None).await;
        assert_eq!((same.status, &same.body), (200, &page.body), "{path}");
    }
    // Nothing outside portal/, however the path is spelled.
    for path in [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/app/../../src/lib.rs",
        "/app/%2e%2e/%2e%2e/src/lib.rs",
        "/..%2fCargo.toml",
        "/app/..%5c..%5cCargo.toml",
        "//etc/passwd",
        "/etc/passwd",
        "/data/claimdesk.db",
        "/jwt-secret",
        "/app/main.js%00.html",
    ] {
        let answer = desk.send("GET", path, None, vec![], None).await;
        assert!(
            answer.status == 404 || answer.status == 400,
            "{path}: {} {}",
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
    }
    // A script is a script (with nosniff), revalidated by its ETag, compressed on request.
    let script = desk.send("GET", "/app/main.js", None, vec![], None).await;
    assert_eq!(script.status, 200);
    assert!(script.header("content-type").unwrap().starts_with("text/javascript"));
    let etag = script.header("etag").expect("an etag").to_string();
    let again = desk
        .send("GET", "/app/main.js", None, vec![("if-none-match".into(), etag)], None)
        .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    // Other methods on the portal's paths are refused; nothing there takes a body.
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let answer = desk
            .send(method, "/portal/new", None, vec![], Some(b"x".to_vec()))
            .await;
        assert_eq!(answer.status, 405, "{method}");
    }
    // The API keeps its own answers: an unknown /v1 route is a problem, not the page.
    let unknown = desk.send("GET", "/v1/portal", None, vec![], None).await;
    assert_eq!(unknown.status, 404);
    assert!(unknown
        .header("content-type")
        .unwrap()
        .starts_with("application/problem+json"));
}

/// The portal writes what people typed as text: no script of it parses HTML from strings
/// or runs strings as code. One place reads HTML, an article's body (which the API cleaned
/// when it was written): `pages/help.js::articleNodes` parses it inert with `DOMParser` and
/// builds the page from its own allow-list of elements and attributes.
#[test]
fn the_portal_never_turns_strings_into_markup_or_code() {
    fn walk(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "js" || e == "html") {
                found.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("portal"),
        &mut files,
    );
    assert!(files.len() > 5, "the portal's files: {files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
            "<script>",
        ] {
            assert!(!text.contains(sink), "{} uses {sink}", file.display());
        }
        let parses = text.matches("DOMParser").count();
        if file.ends_with("app/pages/help.js") {
            assert_eq!(parses, 1, "help.js parses HTML in articleNodes only");
            assert!(text.contains("function articleNodes(html)") && text.contains("const ALLOWED = {"));
        } else {
            assert_eq!(parses, 0, "{} parses HTML", file.display());
        }
    }
}
