//! A user's own profile (seed 004): name, title, date format; a new password (the other
//! sessions end, this one goes on with new tokens); a new email address, which changes only
//! once a link mailed to it is used (the old address is told).

use super::throttle::Scope;
use crate::domain::directory::{LinkPurpose, PasswordLink, EMAIL_CONFIRMATION_HOURS};
use crate::domain::ids::Email;
use crate::domain::people::{check_new_password, EmailChange, EmailConfirmation, PasswordChange, ProfilePatch, User};
use crate::domain::roles::Identity;
use crate::domain::validate::{self, Invalid};
use crate::mail::templates::MailKind;
use crate::ports::{AccountError, Condition, Tokens, Write};
use crate::services::commit::Commit;
use crate::services::mail::notify::Outbox;
use crate::services::problems::ProblemKind;
use crate::services::{item_of, Core, Loaded, ServiceError};
use crate::store;
use serde_json::json;

/// The one answer to an email link that is not (or no longer) one.
const LINK_SPENT: &str = "this link is used, expired or unknown; ask for a new one";

impl Core {
    /// The caller's own directory record (a script's token has none: 404).
    async fn own_account(&self, who: &Identity) -> Result<Loaded<User>, ServiceError> {
        self.get_record::<User>(&store::user_pk(&who.user_id), store::META)
            .await?
            .filter(|l| l.record.email == who.email)
            .ok_or(ServiceError::NotFound("account"))
    }

    /// `PATCH /v1/me`: name, title, date format.
    pub async fn update_profile(&self, who: &Identity, patch: &ProfilePatch) -> Result<User, ServiceError> {
        let loaded = self.own_account(who).await?;
        let before = loaded.record;
        let after = patch.apply(&before, self.now())?;
        if after == before {
            return Ok(before);
        }
        let changes: Vec<crate::domain::directory::FieldChange> = [
            ("name", before.name.clone(), after.name.clone()),
            (
                "title",
                before.title.clone().unwrap_or_default(),
                after.title.clone().unwrap_or_default(),
            ),
            (
                "date_format",
                before.date_format.slug().to_string(),
                after.date_format.slug().to_string(),
            ),
        ]
        .into_iter()
        .filter(|(_, from, to)| from != to)
        .map(|(what, from, to)| crate::domain::directory::FieldChange { what, from, to })
        .collect();
        self.change_user(who.email.as_str(), &before, after, loaded.version, &changes)
            .await
    }

    /// `POST /v1/me/password`: checks the current password (a wrong one counts as a failed
    /// sign-in of the account and the address), sets the new one, ends every session, and
    /// signs the caller in again with the new password.
    pub async fn change_password(
        &self,
        who: &Identity,
        change: &PasswordChange,
        address: Option<&str>,
    ) -> Result<Tokens, ServiceError> {
        let current = change.current_password.as_deref().unwrap_or_default();
        if current.is_empty() || current.chars().count() > crate::domain::people::PASSWORD_MAX_CHARS {
            return Err(Invalid::new("current_password", "is required (at most 256 characters)").into());
        }
        let new = change.new_password.as_deref().unwrap_or_default();
        check_new_password("new_password", new)?;
        let loaded = self.own_account(who).await?;
        let user = loaded.record;
        let mut scopes = vec![Scope::account(&user.email)];
        scopes.extend(address.map(Scope::address));
        let seen = self.refuse_while_paused(&scopes).await?;
        match self.accounts.sign_in(&user.email, current).await {
            Ok(_) => {}
            Err(AccountError::Refused) => {
                for (scope, seen) in scopes.iter().zip(seen) {
                    self.count_failure(scope, seen).await?;
                }
                return Err(Invalid::new("current_password", "is not your current password").into());
            }
            Err(other) => return Err(other.into()),
        }
        let engine_writes = self.accounts.set_password(&user, new).await?;
        let mut after = user.clone();
        after.end_sessions();
        after.updated_at = self.now();
        let mut writes = vec![
            Write::replace(store::user_item(&after, loaded.version), loaded.version),
            self.change_write(who.email.as_str(), &after, "password", "", "changed"),
        ];
        writes.extend(engine_writes);
        if self.commit(writes).await? == Commit::Lost {
            return Err(ServiceError::conflict(
                ProblemKind::ConcurrentUpdate,
                "the account changed meanwhile; sign in again",
            ));
        }
        Ok(self.accounts.sign_in(&after.email, new).await?)
    }

    /// `POST /v1/me/email`: mails a confirmation link to the new address and a note to the
    /// old one; nothing changes until the link is used.
    pub async fn request_email_change(&self, who: &Identity, change: &EmailChange) -> Result<(), ServiceError> {
        let new = Email::new(validate::email("email", change.email.as_deref())?);
        let user = self.own_account(who).await?.record;
        if new == user.email {
            return Err(Invalid::new("email", "is your email already").into());
        }
        if self.user_by_email(&new).await?.is_some() {
            return Err(AccountError::Taken.into());
        }
        let mut link = PasswordLink::new(user.id.clone(), LinkPurpose::ConfirmEmail, self.now());
        link.new_email = Some(new.clone());
        let (secret, link_write) = self.link(link);
        let mut outbox = Outbox::new(self);
        outbox.account_mail(
            MailKind::EmailConfirm,
            &new,
            json!({
                "name": user.name,
                "old_email": user.email,
                "link": format!("{}/portal/confirm-email#token={secret}", self.settings.public_base_url),
                "hours": EMAIL_CONFIRMATION_HOURS,
            }),
        );
        outbox.account_mail(
            MailKind::EmailChangeNotice,
            &user.email,
            json!({ "name": user.name, "old_email": user.email, "new_email": new }),
        );
        let mut writes = vec![link_write];
        writes.extend(outbox.into_writes());
        self.commit(writes).await?;
        Ok(())
    }

    /// `POST /v1/email-confirmations`: moves the account to the confirmed address (the
    /// sign-in side first), in one commit with the link marked used, the new address's
    /// record, the old one's retired and the change record. The user signs in anew.
    pub async fn confirm_email(&self, confirmation: &EmailConfirmation) -> Result<User, ServiceError> {
        let token = validate::line("token", confirmation.token.as_deref(), 128)?;
        let spent = || ServiceError::Invalid(Invalid::new("token", LINK_SPENT));
        let link_pk = store::password_link_pk(&store::sha256_hex(&token));
        let link = self
            .get_record::<PasswordLink>(&link_pk, store::META)
            .await?
            .filter(|l| l.record.usable_at(self.now()) && l.record.purpose == LinkPurpose::ConfirmEmail)
            .ok_or_else(spent)?;
        let new = link.record.new_email.clone().ok_or_else(spent)?;
        let loaded = self
            .get_record::<User>(&store::user_pk(&link.record.user_id), store::META)
            .await?
            .ok_or_else(spent)?;
        let before = loaded.record;
        if self.user_by_email(&new).await?.is_some() {
            return Err(AccountError::Taken.into());
        }
        self.accounts.change_email(&before, &new).await?;
        let now = self.now();
        let mut after = before.clone();
        after.email = new.clone();
        after.end_sessions();
        after.updated_at = now;
        let mut used = link.record.clone();
        used.used_at = Some(now);
        let mut link_item = item_of(link_pk, store::META, &used);
        link_item.expires_at = Some(used.expires_at.timestamp());
        // The old address's record is retired by expiring it now (readers treat an expired
        // item as absent; the table's TTL removes it): the API's roles put, never delete.
        let mut retired = item_of(
            store::email_pk(&before.email),
            store::META,
            &super::EmailRecord {
                user_id: before.id.clone(),
            },
        );
        retired.expires_at = Some(now.timestamp());
        let writes = vec![
            Write::replace(link_item, link.version),
            Write::replace(store::user_item(&after, loaded.version), loaded.version),
            Write::create(item_of(
                store::email_pk(&new),
                store::META,
                &super::EmailRecord {
                    user_id: after.id.clone(),
                },
            )),
            Write::Put {
                item: retired,
                condition: Condition::None,
            },
            self.change_write(before.email.as_str(), &after, "email", &before.email, &new),
        ];
        match self.commit(writes).await? {
            Commit::Done => Ok(after),
            Commit::Lost => Err(ServiceError::conflict(ProblemKind::ConcurrentUpdate, LINK_SPENT)),
        }
    }
}
