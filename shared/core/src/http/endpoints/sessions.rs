//! Signing in, refreshing and signing out: one way for the portal and for API clients on
//! both engines. API clients keep the refresh token from the body; the portal asks for
//! `"session": "cookie"`, and the refresh token then lives only in an HttpOnly,
//! SameSite=Strict cookie scoped to these routes, out of reach of page scripts.

use crate::domain::people::{SessionKind, SessionRequest, SessionTokens, SignInRequest, SESSION_DAYS};
use crate::http::openapi::{json, Doc, Refusal};
use crate::http::problem::Problem;
use crate::http::routes::{declare, Function, Params};
use crate::http::{parse_body, Api, ApiRequest, ApiResponse};
use crate::ports::Tokens;
use serde::Serialize;

pub const FUNCTIONS: &[&Function] = &[&SESSIONS];

/// The cookie that carries a portal's refresh token.
pub const SESSION_COOKIE: &str = "claimdesk_session";
/// Where the browser sends it: these routes only.
const COOKIE_PATH: &str = "/v1/sessions";

const SIGN_IN_REFUSALS: &[Refusal] = &[
    Refusal::MALFORMED,
    Refusal::UNAUTHENTICATED,
    Refusal::TOO_LARGE,
    Refusal::INVALID,
    Refusal::RATE_LIMITED,
    Refusal::UNAVAILABLE,
];

declare! {
    SESSIONS = "sessions", "sign in, refresh, sign out", grants [WriteTable] {
        POST "/v1/sessions" Open => sign_in,
            Doc::new("signIn", "Sign in with an email and a password")
                .takes(json::<SignInRequest>)
                .answers(200, "Signed in", json::<SessionTokens>)
                .with_header("Set-Cookie")
                .refuses(SIGN_IN_REFUSALS),
        POST "/v1/sessions/refresh" Open => refresh,
            Doc::new("refreshSession", "A new access token for a refresh token (body or cookie)")
                .takes(json::<SessionRequest>)
                .answers(200, "Refreshed", json::<SessionTokens>)
                .with_header("Set-Cookie")
                .refuses(SIGN_IN_REFUSALS),
        POST "/v1/sessions/sign-out" Open => sign_out,
            Doc::new("signOut", "End the session of a refresh token (body or cookie)")
                .takes(json::<SessionRequest>)
                .answers(200, "Signed out", json::<SignedOut>)
                .with_header("Set-Cookie")
                .refuses(SIGN_IN_REFUSALS),
    }
}

/// What signing out answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SignedOut {
    pub signed_out: bool,
}

async fn sign_in(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let sign_in: SignInRequest = parse_body(&request.body)?;
    let tokens = api.core.sign_in(&sign_in, request.source.as_deref()).await?;
    Ok(answer(request, tokens, sign_in.session))
}

async fn refresh(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let (token, kind) = refresh_token_of(request)?;
    let tokens = api.core.refresh_session(&token).await?;
    Ok(answer(request, tokens, kind))
}

async fn sign_out(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let (token, kind) = refresh_token_of(request)?;
    api.core.sign_out(&token).await?;
    let mut response = ApiResponse::json(200, &SignedOut { signed_out: true });
    if kind == SessionKind::Cookie {
        response.headers.push(("set-cookie".into(), cookie(request, "", 0)));
    }
    Ok(response)
}

/// The refresh token from the body, or else from the session cookie (and which it was).
fn refresh_token_of(request: &ApiRequest) -> Result<(String, SessionKind), Problem> {
    let body: SessionRequest = if request.body.iter().all(u8::is_ascii_whitespace) {
        SessionRequest::default()
    } else {
        parse_body(&request.body)?
    };
    if let Some(token) = body.refresh_token.filter(|t| !t.trim().is_empty()) {
        return Ok((token.trim().to_string(), SessionKind::Token));
    }
    match cookie_value(request, SESSION_COOKIE) {
        Some(token) => Ok((token, SessionKind::Cookie)),
        None => Err(Problem::unauthenticated(
            "send the refresh token in the body or the session cookie",
        )),
    }
}

/// One cookie's value from the `Cookie` header(s).
fn cookie_value(request: &ApiRequest, name: &str) -> Option<String> {
    request
        .headers
        .iter()
        .filter(|(n, _)| n == "cookie")
        .flat_map(|(_, value)| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, v)| *n == name && !v.is_empty())
        .map(|(_, v)| v.to_string())
}

/// The session cookie: HttpOnly, SameSite=Strict, these routes only, Secure over TLS.
fn cookie(request: &ApiRequest, value: &str, max_age_seconds: i64) -> String {
    let secure = if request.over_tls { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={value}; Path={COOKIE_PATH}; Max-Age={max_age_seconds}; HttpOnly; SameSite=Strict{secure}"
    )
}

/// The tokens of a new session: in the body, or the refresh token in the cookie.
pub(crate) fn answer(request: &ApiRequest, tokens: Tokens, kind: SessionKind) -> ApiResponse {
    let in_body = kind == SessionKind::Token;
    let mut response = ApiResponse::json(
        200,
        &SessionTokens {
            access_token: tokens.access_token,
            token_type: "Bearer".into(),
            expires_in: tokens.expires_in,
            refresh_token: in_body.then(|| tokens.refresh_token.clone()),
        },
    );
    // Tokens are not to be kept by caches on the way.
    response.headers.push(("cache-control".into(), "no-store".into()));
    if !in_body {
        let cookie = cookie(request, &tokens.refresh_token, SESSION_DAYS * 24 * 3600);
        response.headers.push(("set-cookie".into(), cookie));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Caller;

    fn request(headers: &[(&str, &str)], body: &str, over_tls: bool) -> ApiRequest {
        ApiRequest {
            method: "POST".into(),
            path: "/v1/sessions/refresh".into(),
            query: Vec::new(),
            headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
            body: body.as_bytes().to_vec(),
            caller: Caller::Anonymous,
            source: None,
            over_tls,
        }
    }

    #[test]
    fn the_refresh_token_comes_from_the_body_first_then_the_cookie() {
        let both = request(
            &[("cookie", "a=1; claimdesk_session=from-cookie")],
            r#"{"refresh_token":"from-body"}"#,
            false,
        );
        assert_eq!(
            refresh_token_of(&both).unwrap(),
            ("from-body".into(), SessionKind::Token)
        );
        let cookie_only = request(&[("cookie", "a=1; claimdesk_session=from-cookie")], "", false);
        assert_eq!(
            refresh_token_of(&cookie_only).unwrap(),
            ("from-cookie".into(), SessionKind::Cookie)
        );
        assert_eq!(refresh_token_of(&request(&[], "{}", false)).unwrap_err().status, 401);
        let unknown_field = refresh_token_of(&request(&[], "{\"x\":1}", false)).unwrap_err();
        assert_eq!(unknown_field.status, 400, "{unknown_field:?}");
    }

    #[test]
    fn the_cookie_is_http_only_strict_scoped_and_secure_only_over_tls() {
        let plain = cookie(&request(&[], "", false), "v", 60);
        assert_eq!(
            plain,
            "claimdesk_session=v; Path=/v1/sessions; Max-Age=60; HttpOnly; SameSite=Strict"
        );
        assert!(cookie(&request(&[], "", true), "v", 60).ends_with("; Secure"));
    }
}
