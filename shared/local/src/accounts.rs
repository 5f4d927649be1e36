//! The local engine's accounts: passwords hashed with Argon2id into the table, access
//! tokens signed with the data folder's HS256 secret (the same tokens `claimdesk token`
//! prints and the server verifies), refresh sessions kept in the user's partition by the
//! hash of their token's secret and replaced at every refresh. A refresh token reads
//! `<user id>.<secret>`: the id finds the partition, the secret (256 random bits) is the
//! proof, and only its SHA-256 is stored.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use claimdesk_core::domain::ids::{new_id, Email, UserId};
use claimdesk_core::domain::people::{User, UserState, SESSION_DAYS};
use claimdesk_core::http::auth::{issue_session_token, TokenRules};
use claimdesk_core::ports::{AccountError, Accounts, Clock, Condition, Item, NewAccount, Table, Tokens, Write};
use claimdesk_core::services::people::EmailRecord;
use claimdesk_core::store;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// OWASP's minimum for Argon2id: 19 MiB of memory, two passes, one lane.
pub const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
pub const ARGON2_PASSES: u32 = 2;
pub const ARGON2_LANES: u32 = 1;
/// How long an access token holds; the refresh token gets the next one.
pub const ACCESS_TOKEN_SECONDS: i64 = 15 * 60;

/// A user's password, as its Argon2id hash in PHC form (parameters and salt included).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PasswordRecord {
    hash: String,
    changed_at: DateTime<Utc>,
}

/// A refresh session, kept under the hash of its secret (the secret itself is never stored).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionRecord {
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    /// The user's session epoch when it began.
    #[serde(default)]
    epoch: u32,
}

/// Where a refresh token's session is: its user's partition and the hash of its secret.
/// Anything not of the form `<user id>.<secret>` is no session.
fn session_key(refresh_token: &str) -> Option<(String, String)> {
    let (user_id, secret) = refresh_token.split_once('.')?;
    let plausible = |part: &str| {
        !part.is_empty() && part.len() <= 128 && part.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b))
    };
    (plausible(user_id) && plausible(secret))
        .then(|| (store::user_pk(user_id), store::session_sk(&store::sha256_hex(secret))))
}

pub fn hasher() -> Argon2<'static> {
    let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, ARGON2_LANES, None)
        .expect("OWASP's parameters are valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password` under a fresh salt.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| AccountError::Other(e.to_string()))?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AccountError::Other(e.to_string()))
}

/// Whether `password` is the one `phc` was made from (false for a malformed hash too).
pub fn password_matches(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| hasher().verify_password(password.as_bytes(), &hash).is_ok())
}

pub struct LocalAccounts {
    table: Arc<dyn Table>,
    clock: Arc<dyn Clock>,
    secret: Arc<Vec<u8>>,
    rules: TokenRules,
    /// Checked against when the account is unknown, so that a sign-in takes as long whether
    /// or not the email has an account.
    stand_in_hash: String,
}

impl LocalAccounts {
    pub fn new(table: Arc<dyn Table>, clock: Arc<dyn Clock>, secret: Arc<Vec<u8>>, rules: TokenRules) -> LocalAccounts {
        let mut random = [0u8; 24];
        rand::thread_rng().fill_bytes(&mut random);
        let stand_in_hash =
            hash_password(&URL_SAFE_NO_PAD.encode(random)).expect("hashing a random password with valid parameters");
        LocalAccounts {
            table,
            clock,
            secret,
            rules,
            stand_in_hash,
        }
    }

    fn record<T: serde::de::DeserializeOwned>(&self, item: Option<&Item>) -> Result<Option<T>, AccountError> {
        let now = self.clock.now();
        match item.filter(|item| !item.is_expired(now)) {
            Some(item) => store::from_item(item).map(Some).map_err(AccountError::from),
            None => Ok(None),
        }
    }

    /// The user and their password hash, reading as much for an unknown email as for a
    /// known one.
    async fn user_and_hash(&self, email: &Email) -> Result<Option<(User, String)>, AccountError> {
        let found = self.table.get(&store::email_pk(email), store::META).await?;
        let user_id = self
            .record::<EmailRecord>(found.as_ref())?
            .map_or_else(|| "-".to_string(), |r| r.user_id.to_string());
        let pk = store::user_pk(&user_id);
        let items = self
            .table
            .get_many(&[(pk.clone(), store::META.into()), (pk, store::PASSWORD.into())])
            .await?;
        let user = self.record::<User>(items.iter().find(|i| i.sk == store::META))?;
        let password = self.record::<PasswordRecord>(items.iter().find(|i| i.sk == store::PASSWORD))?;
        Ok(user.zip(password.map(|p| p.hash)))
    }

    /// A new refresh session for `user`, and the write that keeps it.
    fn new_session(&self, user: &User) -> (String, Write) {
        let mut raw = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut raw);
        let secret = URL_SAFE_NO_PAD.encode(raw);
        let now = self.clock.now();
        let record = SessionRecord {
            created_at: now,
            expires_at: now + Duration::days(SESSION_DAYS),
            epoch: user.session_epoch,
        };
        let mut item = Item::new(
            store::user_pk(&user.id),
            store::session_sk(&store::sha256_hex(&secret)),
            store::to_data(&record),
        );
        item.expires_at = Some(record.expires_at.timestamp());
        (format!("{}.{secret}", user.id), Write::create(item))
    }

    /// The password item of a user: the Argon2id hash of `password`.
    async fn password_item(&self, id: &UserId, password: &str) -> Result<Item, AccountError> {
        let password = password.to_string();
        let hash = blocking(move || hash_password(&password)).await??;
        let record = PasswordRecord {
            hash,
            changed_at: self.clock.now(),
        };
        Ok(Item::new(store::user_pk(id), store::PASSWORD, store::to_data(&record)))
    }

    fn tokens(&self, user: &User, refresh_token: String) -> Tokens {
        // Tokens are checked against the wall clock (as API Gateway checks Cognito's), so they
        // are stamped with it; the service clock, which tests move, times the sessions.
        let now = (Utc::now().timestamp(), user.session_epoch);
        Tokens {
            access_token: issue_session_token(&self.secret, &user.identity(), now, ACCESS_TOKEN_SECONDS, &self.rules),
            expires_in: ACCESS_TOKEN_SECONDS,
            refresh_token,
        }
    }

    /// The live session of a refresh token and its active user: the session's key and
    /// version, and the user; `Refused` for anything else.
    async fn session(&self, refresh_token: &str) -> Result<((String, String), u64, User), AccountError> {
        let (pk, sk) = session_key(refresh_token).ok_or(AccountError::Refused)?;
        let items = self
            .table
            .get_many(&[(pk.clone(), sk.clone()), (pk.clone(), store::META.to_string())])
            .await?;
        let session = items.iter().find(|i| i.sk == sk);
        let version = session.map_or(0, |i| i.version);
        let record = self.record::<SessionRecord>(session)?.ok_or(AccountError::Refused)?;
        let user: User = self
            .record(items.iter().find(|i| i.sk == store::META))?
            .ok_or(AccountError::Refused)?;
        // A password set or a deactivation since it began ended it.
        if !user.session_holds(record.epoch) {
            return Err(AccountError::Refused);
        }
        Ok(((pk, sk), version, user))
    }
}

/// Argon2 takes tens of milliseconds of CPU: off the async workers.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, AccountError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AccountError::Other(e.to_string()))
}

#[async_trait]
impl Accounts for LocalAccounts {
    async fn create(
        &self,
        _account: &NewAccount,
        password: Option<&str>,
    ) -> Result<(UserId, Vec<Write>), AccountError> {
        let id = UserId::new(new_id("u"));
        let writes = match password {
            Some(password) => vec![Write::create(self.password_item(&id, password).await?)],
            None => Vec::new(),
        };
        Ok((id, writes))
    }

    /// The new hash replaces the old whatever it was; the core's stamp on the directory
    /// record (`User::end_sessions`) ends the sessions, which `session` checks.
    async fn set_password(&self, user: &User, password: &str) -> Result<Vec<Write>, AccountError> {
        let item = self.password_item(&user.id, password).await?;
        Ok(vec![Write::Put {
            item,
            condition: Condition::None,
        }])
    }

    /// Roles and state live in the directory record, which sign-in and refresh read: a
    /// deactivated user is refused there, and the local server refuses their access
    /// tokens on the next request (`User::session_holds`).
    async fn update(&self, _before: &User, _after: &User) -> Result<(), AccountError> {
        Ok(())
    }

    /// Sign-in finds the user through the email's record, which the core's commit moves.
    async fn change_email(&self, _user: &User, _new_email: &Email) -> Result<(), AccountError> {
        Ok(())
    }

    async fn sign_in(&self, email: &Email, password: &str) -> Result<Tokens, AccountError> {
        let found = self.user_and_hash(email).await?;
        let hash = found
            .as_ref()
            .map_or_else(|| self.stand_in_hash.clone(), |(_, hash)| hash.clone());
        let password = password.to_string();
        let matches = blocking(move || password_matches(&password, &hash)).await?;
        let user = match found {
            Some((user, _)) if matches && user.state == UserState::Active => user,
            _ => return Err(AccountError::Refused),
        };
        let (refresh_token, write) = self.new_session(&user);
        self.table.write(vec![write]).await?;
        Ok(self.tokens(&user, refresh_token))
    }

    /// Replaces the session: the old refresh token is spent, so a stolen one that was used
    /// once by its owner no longer works (and two refreshes racing get one new session).
    async fn refresh(&self, refresh_token: &str) -> Result<Tokens, AccountError> {
        let ((pk, sk), version, user) = self.session(refresh_token).await?;
        let (next, create) = self.new_session(&user);
        let spend = Write::Delete {
            pk,
            sk,
            condition: Condition::Version(version),
        };
        match self.table.write(vec![spend, create]).await {
            Ok(()) => Ok(self.tokens(&user, next)),
            Err(claimdesk_core::ports::StoreError::ConditionFailed(_)) => Err(AccountError::Refused),
            Err(e) => Err(e.into()),
        }
    }

    async fn sign_out(&self, refresh_token: &str) -> Result<(), AccountError> {
        let (pk, sk) = session_key(refresh_token).ok_or(AccountError::Refused)?;
        let item = self.table.get(&pk, &sk).await?;
        if self.record::<SessionRecord>(item.as_ref())?.is_none() {
            return Err(AccountError::Refused);
        }
        self.table
            .write(vec![Write::Delete {
                pk,
                sk,
                condition: Condition::None,
            }])
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_matches_its_own_hash_only() {
        let hash = hash_password("Correct-Horse-7").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(password_matches("Correct-Horse-7", &hash));
        assert!(!password_matches("correct-horse-7", &hash));
        assert!(!password_matches("Correct-Horse-7", "not a hash"));
        assert_ne!(
            hash,
            hash_password("Correct-Horse-7").unwrap(),
            "each hash has its own salt"
        );
    }

    #[test]
    fn a_refresh_token_names_its_users_partition_and_hides_its_secret() {
        let (pk, sk) = session_key("u_abc.s3cr3t-_x").unwrap();
        assert_eq!(pk, "USER#u_abc");
        assert_eq!(sk, format!("SESSION#{}", store::sha256_hex("s3cr3t-_x")));
        for junk in [
            "",
            "nodot",
            ".secret",
            "u_abc.",
            "u#x.secret",
            "u_abc.sec ret",
            "not-a-session-3",
        ] {
            assert_eq!(session_key(junk), None, "{junk}");
        }
    }
}
