//! Identity. On AWS the API Gateway JWT authorizer verifies the token and passes its claims
//! on; the local server verifies HS256 tokens itself. Both end in the same claims parser.

use crate::domain::ids::{CompanyCode, Email, UserId};
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// How the holder proved who they are (RFC 8176): `["pwd"]` on the tokens signing in
    /// gives, which the local server holds to the user's directory record on every request
    /// (`session_epoch_of`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// The user's `session_epoch` when the token was issued (`User::session_holds`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_epoch: Option<u32>,
}

/// The session epoch a token was issued under, if signing in with a password issued it
/// (its `amr` says `pwd`): such a token speaks for its user only while the directory still
/// lets them in and their sessions were not ended since.
pub fn session_epoch_of(claims: &serde_json::Map<String, serde_json::Value>) -> Option<u32> {
    let by_password = claims
        .get("amr")
        .and_then(|v| v.as_array())
        .is_some_and(|methods| methods.iter().any(|m| m.as_str() == Some("pwd")));
    if by_password {
        let epoch = claims.get("session_epoch").and_then(|v| v.as_u64());
        // A token without one can match no user's epoch.
        Some(epoch.and_then(|e| u32::try_from(e).ok()).unwrap_or(u32::MAX))
    } else {
        None
    }
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
        user_id: UserId::new(user_id),
        email: Email::new(email),
        name: text(&["name"]),
        company: CompanyCode::new(company),
        roles,
    })
}

/// What a local token must say besides its signature and expiry: the issuer and audience
/// the deployment names, if it names them (`CLAIMDESK_TOKEN_ISSUER`, `CLAIMDESK_TOKEN_AUDIENCE`).
/// API Gateway's JWT authorizer checks the same of Cognito's tokens on AWS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenRules {
    pub issuer: Option<String>,
    pub audience: Option<String>,
}

impl TokenRules {
    /// The rules named in the environment (empty values count as unset).
    pub fn from_env() -> TokenRules {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        TokenRules {
            issuer: var("CLAIMDESK_TOKEN_ISSUER"),
            audience: var("CLAIMDESK_TOKEN_AUDIENCE"),
        }
    }
}

/// How far the clocks of the token's issuer and ours may disagree.
pub const CLOCK_SKEW_SECONDS: i64 = 30;

pub fn issue_token(secret: &[u8], identity: &Identity, now: i64, ttl_seconds: i64) -> String {
    issue_token_for(secret, identity, now, ttl_seconds, &TokenRules::default())
}

/// A token with the issuer and audience `rules` name.
pub fn issue_token_for(secret: &[u8], identity: &Identity, now: i64, ttl_seconds: i64, rules: &TokenRules) -> String {
    sign(secret, &claims_for(identity, now, ttl_seconds, rules))
}

/// The access token signing in with a password gives (marked `amr: ["pwd"]`), issued
/// under the user's session epoch.
pub fn issue_session_token(
    secret: &[u8],
    identity: &Identity,
    (now, epoch): (i64, u32),
    ttl_seconds: i64,
    rules: &TokenRules,
) -> String {
    let mut claims = claims_for(identity, now, ttl_seconds, rules);
    claims.amr = Some(vec!["pwd".into()]);
    claims.session_epoch = Some(epoch);
    sign(secret, &claims)
}

fn claims_for(identity: &Identity, now: i64, ttl_seconds: i64, rules: &TokenRules) -> TokenClaims {
    TokenClaims {
        sub: identity.user_id.to_string(),
        email: identity.email.to_string(),
        name: identity.name.clone(),
        company: identity.company.to_string(),
        roles: identity.roles.iter().map(|r| r.as_str().to_string()).collect(),
        exp: now + ttl_seconds,
        iat: now,
        nbf: None,
        iss: rules.issuer.clone(),
        aud: rules.audience.clone(),
        amr: None,
        session_epoch: None,
    }
}

/// Signs claims as they are (tests use it for tokens that must be refused).
pub fn sign(secret: &[u8], claims: &TokenClaims) -> String {
    // HS256 over serialisable claims cannot fail.
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap_or_default()
}

/// Verifies an HS256 token and returns who it names.
pub fn verify_token(secret: &[u8], token: &str, rules: &TokenRules) -> Result<Identity, String> {
    identity_from_claims(&verified_claims(secret, token, rules)?)
}

/// The claims of a token that holds: signature, `exp`, `nbf`, an `iat` not in the future,
/// and the issuer and audience when `rules` name them, each with `CLOCK_SKEW_SECONDS` of
/// leeway. This is what API Gateway's JWT authorizer passes on to a function.
pub fn verified_claims(
    secret: &[u8],
    token: &str,
    rules: &TokenRules,
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = CLOCK_SKEW_SECONDS as u64;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "sub"]);
    match &rules.audience {
        Some(audience) => validation.set_audience(&[audience]),
        None => validation.validate_aud = false,
    }
    if let Some(issuer) = &rules.issuer {
        validation.set_issuer(&[issuer]);
        validation.required_spec_claims.insert("iss".into());
    }
    let claims = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
        token,
        &DecodingKey::from_secret(secret),
        &validation,
    )
    .map(|data| data.claims)
    .map_err(|e| format!("invalid token: {e}"))?;
    let now = chrono::Utc::now().timestamp();
    match claims.get("iat") {
        None => {}
        Some(iat) => match iat.as_i64() {
            Some(iat) if iat <= now + CLOCK_SKEW_SECONDS => {}
            Some(_) => return Err("invalid token: issued in the future".into()),
            None => return Err("invalid token: iat is not a number".into()),
        },
    }
    Ok(claims)
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
        let none = TokenRules::default();
        let token = issue_token(b"secret", &ann(), now, 3600);
        assert_eq!(verify_token(b"secret", &token, &none).unwrap(), ann());
        assert!(verify_token(b"other", &token, &none).is_err());
        let expired = issue_token(b"secret", &ann(), now - 7200, 3600);
        assert!(verify_token(b"secret", &expired, &none).is_err());
    }

    fn claims(now: i64) -> TokenClaims {
        TokenClaims {
            sub: "u1".into(),
            email: "ann@acme.test".into(),
            name: None,
            company: "ACME".into(),
            roles: vec!["owner".into()],
            exp: now + 3600,
            iat: now,
            nbf: None,
            iss: None,
            aud: None,
            amr: None,
            session_epoch: None,
        }
    }

    #[test]
    fn tokens_not_yet_valid_or_issued_in_the_future_are_refused() {
        let now = chrono::Utc::now().timestamp();
        let none = TokenRules::default();
        let ok = |c: &TokenClaims| verify_token(b"k", &sign(b"k", c), &none).is_ok();
        assert!(ok(&claims(now)));
        // Within the clock skew both ways is fine; beyond it is not.
        assert!(ok(&TokenClaims {
            nbf: Some(now + 10),
            ..claims(now)
        }));
        assert!(!ok(&TokenClaims {
            nbf: Some(now + 600),
            ..claims(now)
        }));
        assert!(ok(&TokenClaims {
            iat: now + 10,
            ..claims(now)
        }));
        assert!(!ok(&TokenClaims {
            iat: now + 600,
            ..claims(now)
        }));
    }

    #[test]
    fn issuer_and_audience_are_checked_when_configured() {
        let now = chrono::Utc::now().timestamp();
        let rules = TokenRules {
            issuer: Some("https://idp.test".into()),
            audience: Some("claimdesk".into()),
        };
        let good = issue_token_for(b"k", &ann(), now, 3600, &rules);
        assert!(verify_token(b"k", &good, &rules).is_ok());
        // Unconfigured deployments take both (and tokens without them).
        assert!(verify_token(b"k", &good, &TokenRules::default()).is_ok());
        for wrong in [
            TokenRules {
                issuer: Some("https://evil.test".into()),
                ..rules.clone()
            },
            TokenRules {
                audience: Some("other-app".into()),
                ..rules.clone()
            },
        ] {
            let token = issue_token_for(b"k", &ann(), now, 3600, &wrong);
            assert!(verify_token(b"k", &token, &rules).is_err(), "{wrong:?}");
        }
        let bare = issue_token(b"k", &ann(), now, 3600);
        assert!(verify_token(b"k", &bare, &rules).is_err());
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
