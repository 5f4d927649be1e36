//! People: the directory's users, and signing in, refreshing and signing out through the
//! engine's `Accounts` (passwords and sessions), with failed sign-ins slowed down per
//! account and per address (`throttle`).

pub mod access_requests;
pub mod companies;
pub mod directory;
pub mod passwords;
pub mod profile;
pub mod throttle;

use crate::domain::ids::{Email, UserId};
use crate::domain::people::{AdminDraft, SignInRequest, User, VENDOR};
use crate::domain::roles::Role;
use crate::ports::{AccountError, NewAccount, Tokens};
use crate::services::problems::ProblemKind;
use crate::services::{Core, ServiceError};
use crate::store;
use serde::{Deserialize, Serialize};
use throttle::Scope;

/// Which user an email's account is (`store::email_pk`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmailRecord {
    pub user_id: UserId,
}

/// The one answer to a failed sign-in, whatever failed.
pub const WRONG_CREDENTIALS: &str = "the email or the password is wrong, or the account is not active";
/// The one answer to a refresh or sign-out with a session that is not (or no longer) one.
pub const SESSION_ENDED: &str = "the session has ended; sign in again";

impl From<AccountError> for ServiceError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Refused => ServiceError::Unauthenticated(WRONG_CREDENTIALS.into()),
            AccountError::Taken => {
                ServiceError::conflict(ProblemKind::AlreadyExists, "that email already has an account")
            }
            AccountError::Unavailable(m) => ServiceError::Unavailable(m),
            AccountError::Other(m) => ServiceError::Internal(m),
        }
    }
}

impl Core {
    /// The directory record of a user.
    pub async fn user(&self, id: &UserId) -> Result<Option<User>, ServiceError> {
        Ok(self
            .get_record::<User>(&store::user_pk(id), store::META)
            .await?
            .map(|l| l.record))
    }

    /// The user an email's account belongs to.
    pub async fn user_by_email(&self, email: &Email) -> Result<Option<User>, ServiceError> {
        match self
            .get_record::<EmailRecord>(&store::email_pk(email), store::META)
            .await?
        {
            Some(found) => self.user(&found.record.user_id).await,
            None => Ok(None),
        }
    }

    /// The first person who can sign in: a staff admin of the vendor, made from the command
    /// line with a password the operator chose (there is no default password).
    pub async fn create_staff_admin(&self, draft: &AdminDraft) -> Result<User, ServiceError> {
        let valid = draft.validate()?;
        let account = NewAccount {
            email: valid.email,
            name: valid.name,
            company: VENDOR.into(),
            roles: vec![Role::StaffAdmin],
        };
        self.open_account(account, Some(&valid.password), |user| {
            vec![self.change_write(directory::SYSTEM, user, "created", "", "staff_admin")]
        })
        .await
    }

    /// Signs in with an email and a password, unless failures from this account or this
    /// address call for a pause first. Every refusal is the same 401, and an unknown account
    /// counts failures just as a known one does.
    pub async fn sign_in(&self, request: &SignInRequest, address: Option<&str>) -> Result<Tokens, ServiceError> {
        let email = request.email()?;
        request.check_password_shape()?;
        let mut scopes = vec![Scope::account(&email)];
        scopes.extend(address.map(Scope::address));
        let mut seen = self.refuse_while_paused(&scopes).await?;
        match self.accounts.sign_in(&email, &request.password).await {
            Ok(tokens) => {
                self.forget_failures(&scopes[0], seen.swap_remove(0)).await?;
                Ok(tokens)
            }
            Err(AccountError::Refused) => {
                for (scope, seen) in scopes.iter().zip(seen) {
                    self.count_failure(scope, seen).await?;
                }
                Err(AccountError::Refused.into())
            }
            Err(other) => Err(other.into()),
        }
    }

    /// A new access token for a refresh token.
    pub async fn refresh_session(&self, refresh_token: &str) -> Result<Tokens, ServiceError> {
        self.accounts.refresh(refresh_token).await.map_err(session_error)
    }

    /// Ends the session of a refresh token.
    pub async fn sign_out(&self, refresh_token: &str) -> Result<(), ServiceError> {
        self.accounts.sign_out(refresh_token).await.map_err(session_error)
    }
}

fn session_error(e: AccountError) -> ServiceError {
    match e {
        AccountError::Refused => ServiceError::Unauthenticated(SESSION_ENDED.into()),
        other => other.into(),
    }
}
