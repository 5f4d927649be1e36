//! Idempotency-Keys: a POST retried with the same key gets the first answer instead of doing
//! the work twice. The key is parsed once into a type that can only hold an allowed key; its
//! record is keyed by a hash of who sent it and the key (unambiguous, see `store`), and holds
//! the request's fingerprint so the same key with another request is refused.

use super::problem::Problem;
use super::{ApiRequest, ApiResponse};
use crate::ports::Write;
use crate::services::problems::ProblemKind;
use crate::services::{item_of, Core};
use crate::store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long an answer is kept for retries.
const HOURS: i64 = 24;
pub(super) const MAX_LEN: usize = 200;

/// The characters a key may hold (as in the OpenAPI document): letters, digits and
/// `. _ ~ : + / = -`, so UUIDs, ULIDs and base64 fit, and nothing can be mistaken for a
/// separator or a control character.
fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._~:+/=-".contains(c)
}

/// A valid Idempotency-Key header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The request's key, if it sent one; a key outside the documented form is a 400.
    pub(super) fn of(request: &ApiRequest) -> Result<Option<IdempotencyKey>, Problem> {
        let Some(key) = request.header("idempotency-key") else {
            return Ok(None);
        };
        if key.is_empty() || key.len() > MAX_LEN || !key.chars().all(allowed) {
            return Err(Problem::new(
                400,
                ProblemKind::IdempotencyKey,
                "Bad Idempotency-Key",
                format!("the key must be 1 to {MAX_LEN} characters: letters, digits and . _ ~ : + / = -"),
            )
            .with_field("Idempotency-Key"));
        }
        Ok(Some(IdempotencyKey(key.to_string())))
    }

    pub(super) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored answer to a POST with an Idempotency-Key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct StoredResponse {
    pub fingerprint: String,
    pub status: u16,
    pub body: serde_json::Value,
}

impl StoredResponse {
    /// The first answer again, or a 422 when the key came with another request.
    pub(super) fn replay(self, fingerprint: &str) -> Result<ApiResponse, Problem> {
        if self.fingerprint != fingerprint {
            return Err(Problem::new(
                422,
                ProblemKind::IdempotencyKeyReused,
                "Idempotency-Key reused",
                "this Idempotency-Key was used for a different request",
            )
            .with_field("Idempotency-Key"));
        }
        let mut response = ApiResponse::json(self.status, &self.body);
        response.headers.push(("idempotent-replayed".into(), "true".into()));
        Ok(response)
    }
}

/// One request's idempotency: where its record lives (keyed by who sent it and the key)
/// and the fingerprint that makes a retry "the same request". It reads the first answer,
/// replays it, and hands the commit the record to write with the plan.
pub(super) struct Idempotency {
    pk: String,
    fingerprint: String,
}

impl Idempotency {
    /// The request's idempotency, if it sent a key; `scope` names whose keys these are (a
    /// user id, or a guest key's hash).
    pub(super) fn of(request: &ApiRequest, scope: &str) -> Result<Option<Idempotency>, Problem> {
        Ok(IdempotencyKey::of(request)?.map(|key| Idempotency {
            pk: store::idempotency_pk(scope, key.as_str()),
            fingerprint: fingerprint(request),
        }))
    }

    /// The first answer to this key, if there was one.
    pub(super) async fn first_answer(&self, core: &Core) -> Result<Option<StoredResponse>, Problem> {
        Ok(core
            .get_record::<StoredResponse>(&self.pk, store::IDEMPOTENCY_SK)
            .await
            .map_err(Problem::from)?
            .map(|stored| stored.record))
    }

    /// The first answer again, or a 422 when the key came with another request.
    pub(super) fn replay(&self, first: StoredResponse) -> Result<ApiResponse, Problem> {
        first.replay(&self.fingerprint)
    }

    /// The record of this answer, written in the same transaction as the change it
    /// answers, kept for `HOURS`.
    pub(super) fn record(&self, status: u16, body: &serde_json::Value, now: DateTime<Utc>) -> Write {
        let stored = StoredResponse {
            fingerprint: self.fingerprint.clone(),
            status,
            body: body.clone(),
        };
        let mut item = item_of(self.pk.clone(), store::IDEMPOTENCY_SK, &stored);
        item.expires_at = Some((now + chrono::Duration::hours(HOURS)).timestamp());
        Write::create(item)
    }
}

/// What makes two requests "the same": method, path and body.
fn fingerprint(request: &ApiRequest) -> String {
    let mut hash = Sha256::new();
    hash.update(request.method.as_bytes());
    hash.update(b" ");
    hash.update(request.path.as_bytes());
    hash.update(b"\n");
    hash.update(&request.body);
    crate::store::hex(&hash.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Caller;

    fn with_key(key: &str) -> ApiRequest {
        ApiRequest {
            method: "POST".into(),
            path: "/v1/tickets".into(),
            query: Vec::new(),
            headers: vec![("idempotency-key".into(), key.into())],
            body: Vec::new(),
            caller: Caller::Anonymous,
            source: None,
            over_tls: false,
        }
    }

    #[test]
    fn keys_outside_the_documented_form_are_refused() {
        for good in ["a", "3f2b6c1e-8d7a-4c7e-9a51-0e1f2a3b4c5d", "b64+/=", "x.y_z~1:2"] {
            assert_eq!(IdempotencyKey::of(&with_key(good)).unwrap().unwrap().as_str(), good);
        }
        let long = "k".repeat(MAX_LEN + 1);
        for bad in ["", " lead", "a#b", "a b", "é", "a\u{7f}", long.as_str()] {
            let problem = IdempotencyKey::of(&with_key(bad)).unwrap_err();
            assert_eq!(problem.status, 400, "{bad:?}");
        }
    }
}
