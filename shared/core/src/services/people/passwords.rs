//! Choosing a password through a mailed single-use link (an invitation, an approved access
//! request, a forgotten password). The link's secret is 256 random bits; only its SHA-256
//! is kept, with an expiry; using it marks it used in the same commit that activates the
//! user and ends their sessions.

use super::throttle::Scope;
use crate::domain::directory::{self, Accepted, LinkPurpose, PasswordLink, ResetRequest, SetPasswordRequest};
use crate::domain::ids::Email;
use crate::domain::people::{check_new_password, User, UserState};
use crate::domain::validate::{self, Invalid};
use crate::mail::templates::MailKind;
use crate::ports::Write;
use crate::services::commit::Commit;
use crate::services::mail::notify::Outbox;
use crate::services::problems::ProblemKind;
use crate::services::{Core, ServiceError};
use crate::store;
use serde::Serialize;
use serde_json::json;

/// The one answer to a link that is not (or no longer) one.
const LINK_SPENT: &str = "this link is used, expired or unknown; ask for a new one";

/// What choosing a password answers: who can now sign in.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PasswordSet {
    pub email: Email,
    pub state: UserState,
}

/// What a reset request answers, whatever the email.
pub const RESET_ACCEPTED: &str = "if the email has an account, a link to choose a new password is on its way";

impl Core {
    /// `POST /v1/passwords`: the link's secret and a new password.
    pub async fn set_password_with_link(&self, request: &SetPasswordRequest) -> Result<PasswordSet, ServiceError> {
        let token = validate::line("token", request.token.as_deref(), 128)?;
        let password = request.password.as_deref().unwrap_or_default();
        check_new_password("password", password)?;
        let spent = || ServiceError::Invalid(Invalid::new("token", LINK_SPENT));
        let link_pk = store::password_link_pk(&store::sha256_hex(&token));
        let link = self
            .get_record::<PasswordLink>(&link_pk, store::META)
            .await?
            .filter(|l| l.record.usable_at(self.now()) && l.record.purpose != LinkPurpose::ConfirmEmail)
            .ok_or_else(spent)?;
        let user = self
            .get_record::<User>(&store::user_pk(&link.record.user_id), store::META)
            .await?
            .filter(|u| u.record.state != UserState::Deactivated)
            .ok_or_else(spent)?;
        let now = self.now();
        let engine_writes = self.accounts.set_password(&user.record, password).await?;
        let mut used = link.record.clone();
        used.used_at = Some(now);
        let mut link_item = crate::services::item_of(link_pk, store::META, &used);
        link_item.expires_at = Some(used.expires_at.timestamp());
        let mut after = user.record.clone();
        after.state = UserState::Active;
        after.activated_at = after.activated_at.or(Some(now));
        after.end_sessions();
        after.updated_at = now;
        let what = match link.record.purpose {
            LinkPurpose::Welcome => "first password set",
            LinkPurpose::Reset | LinkPurpose::ConfirmEmail => "password reset",
        };
        let mut writes = vec![
            Write::replace(link_item, link.version),
            Write::replace(store::user_item(&after, user.version), user.version),
            self.change_write(after.email.as_str(), &after, "password", "", what),
        ];
        if user.record.state != after.state {
            writes.push(self.change_write(
                after.email.as_str(),
                &after,
                "state",
                &directory::state_name(user.record.state),
                &directory::state_name(after.state),
            ));
        }
        writes.extend(engine_writes);
        match self.commit(writes).await? {
            Commit::Done => Ok(PasswordSet {
                email: after.email,
                state: after.state,
            }),
            // The link was used (or the user changed) meanwhile.
            Commit::Lost => Err(ServiceError::conflict(ProblemKind::ConcurrentUpdate, LINK_SPENT)),
        }
    }

    /// `POST /v1/password-resets`: mails a reset link if the email has an account that may
    /// sign in (or is invited still); answers the same either way, and counts every request
    /// against the address it came from and the email it names.
    pub async fn request_password_reset(
        &self,
        request: &ResetRequest,
        address: Option<&str>,
    ) -> Result<Accepted, ServiceError> {
        let email = Email::new(validate::email("email", request.email.as_deref())?);
        let mut scopes = vec![Scope::form_email(&email)];
        scopes.extend(address.map(Scope::form_address));
        self.count_form(&scopes).await?;
        if let Some(user) = self.user_by_email(&email).await? {
            if user.state != UserState::Deactivated {
                let (secret, link) = self.password_link(&user, LinkPurpose::Reset);
                let mut outbox = Outbox::new(self);
                outbox.account_mail(
                    MailKind::PasswordReset,
                    &user.email,
                    json!({
                        "name": user.name,
                        "email": user.email,
                        "link": self.set_password_url(&secret),
                        "minutes": directory::RESET_MINUTES,
                    }),
                );
                let mut writes = vec![link];
                writes.extend(outbox.into_writes());
                self.commit(writes).await?;
            }
        }
        Ok(Accepted {
            accepted: true,
            detail: RESET_ACCEPTED.into(),
        })
    }
}
