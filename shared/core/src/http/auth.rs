//! Identity. On AWS the API Gateway JWT authorizer verifies the token and passes its claims
//! on; the local server verifies HS256 tokens itself. Both end in the same claims parser.

use crate::domain::roles::{Identity, Role};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The claims our tokens carry, in the shape Cognito and API Gateway pass them on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenClaims {
    pub sub: String,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub company: String,
    pub roles: Vec<String>,
    pub exp: i64,
    pub iat: i64,
}

/// Builds an identity from authorizer claims. API Gateway hands every claim over as a
/// string, so roles may arrive as a JSON array, "[a b]", "a,b" or "a b".
pub fn identity_from_claims(claims: &serde_json::Map<String, serde_json::Value>) -> Result<Identity, String> {
    let text = |names: &[&str]| -> Option<String> {
        names
            .iter()
            .find_map(|n| claims.get(*n))
            .and_then(|v| v.as_str().map(str::to_string))
            .filter(|s| !s.trim().is_empty())
    };
    let user_id = text(&["sub"]).ok_or("the token has no subject")?;
    let email = text(&["email"]).ok_or("the token has no email")?.to_ascii_lowercase();
    let company = text(&["company", "custom:company"])
        .ok_or("the token has no company")?
        .to_ascii_uppercase();
    let raw_roles: Vec<String> = match claims
        .get("roles")
        .or_else(|| claims.get("custom:roles"))
        .or_else(|| claims.get("cognito:groups"))
    {
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        Some(serde_json::Value::String(s)) => s
            .trim_matches(|c| c == '[' || c == ']')
            .split([',', ' '])
            .map(|r| r.trim_matches('"').to_string())
            .filter(|r| !r.is_empty())
            .collect(),
        _ => Vec::new(),
    };
    let roles: Vec<Role> = raw_roles.iter().filter_map(|r| Role::parse(r)).collect();
    if roles.is_empty() {
        return Err("the token carries no known role".into());
    }
    Ok(Identity {
        user_id,
        email,
        name: text(&["name"]),
        company,
        roles,
    })
}

pub fn issue_token(secret: &[u8], identity: &Identity, now: i64, ttl_seconds: i64) -> String {
    let claims = TokenClaims {
        sub: identity.user_id.clone(),
        email: identity.email.clone(),
        name: identity.name.clone(),
        company: identity.company.clone(),
        roles: identity.roles.iter().map(|r| r.as_str().to_string()).collect(),
        exp: now + ttl_seconds,
        iat: now,
    };
    // HS256 over serialisable claims cannot fail.
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap_or_default()
}

/// Verifies an HS256 token (signature and expiry) and returns who it names.
pub fn verify_token(secret: &[u8], token: &str) -> Result<Identity, String> {
    identity_from_claims(&verified_claims(secret, token)?)
}

/// The claims of a token whose signature and expiry hold: what API Gateway's JWT
/// authorizer passes on to a function.
pub fn verified_claims(secret: &[u8], token: &str) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 30;
    validation.set_required_spec_claims(&["exp", "sub"]);
    jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
        token,
        &DecodingKey::from_secret(secret),
        &validation,
    )
    .map(|data| data.claims)
    .map_err(|e| format!("invalid token: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann() -> Identity {
        Identity {
            user_id: "u1".into(),
            email: "ann@acme.test".into(),
            name: Some("Ann".into()),
            company: "ACME".into(),
            roles: vec![Role::Owner],
        }
    }

    #[test]
    fn a_token_round_trips_and_a_forged_one_fails() {
        let now = chrono::Utc::now().timestamp();
        let token = issue_token(b"secret", &ann(), now, 3600);
        assert_eq!(verify_token(b"secret", &token).unwrap(), ann());
        assert!(verify_token(b"other", &token).is_err());
        let expired = issue_token(b"secret", &ann(), now - 7200, 3600);
        assert!(verify_token(b"secret", &expired).is_err());
    }

    #[test]
    fn authorizer_claims_as_strings_are_understood() {
        let claims = serde_json::json!({
            "sub": "u9", "email": "Bo@X.test", "custom:company": "acme", "cognito:groups": "[agent_l1 owner]"
        });
        let who = identity_from_claims(claims.as_object().unwrap()).unwrap();
        assert_eq!(who.company, "ACME");
        assert_eq!(who.email, "bo@x.test");
        assert_eq!(who.roles, vec![Role::AgentL1, Role::Owner]);
    }
}
