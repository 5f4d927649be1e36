//! The directory: opening accounts (the first staff admin, invitations, approved access
//! requests), listing a company's people, changing roles and state, and the record of
//! every change. The rules are `domain::directory`'s; the sign-in side follows through the
//! engine's `Accounts` (Cognito's admin calls on AWS) before the directory commits.

use super::EmailRecord;
use crate::domain::directory::{
    self, AccountChange, FieldChange, Invitation, InviteDraft, LinkPurpose, PasswordLink, PatchRefusal, UserPatch,
};
use crate::domain::ids::{CompanyCode, UserId};
use crate::domain::people::{User, UserState, VENDOR};
use crate::domain::roles::{Identity, Role};
use crate::domain::validate::{self, Invalid};
use crate::mail::templates::MailKind;
use crate::ports::{AccountError, Cursor, Index, NewAccount, Query, SortKey, Write};
use crate::services::commit::Commit;
use crate::services::mail::notify::Outbox;
use crate::services::problems::ProblemKind;
use crate::services::{item_of, new_id, Core, ServiceError};
use crate::store;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Who the system's own changes are by.
pub const SYSTEM: &str = "claimdesk";

/// A page of one kind of record and the cursor of the next, one named type per kind (the
/// API document names each page's schema).
macro_rules! page_type {
    ($($name:ident of $item:ty),+ $(,)?) => {$(
        #[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            pub next_cursor: Option<String>,
        }
    )+};
}

pub(crate) use page_type;

page_type! {
    UserPage of User,
    AccountChangePage of AccountChange,
    AccessRequestPage of crate::domain::directory::AccessRequest,
    CompanyPage of crate::domain::company::Company,
}

/// The query of a people list: which company (staff; everyone else lists their own), a
/// name prefix or an exact email, a cursor and a page size.
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
pub struct PeopleQuery {
    /// Staff: the company to list (everyone else lists their own).
    #[param(nullable = false)]
    pub company: Option<String>,
    /// The start of a name, or a whole email address.
    #[param(nullable = false, max_length = 120)]
    pub search: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(nullable = false)]
    pub cursor: Option<String>,
    /// At most this many (25 when absent).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

/// The query of the record of changes and of access requests.
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
pub struct CompanyPageQuery {
    /// Staff: the company (all of them when absent, for access requests; staff's own for
    /// changes); everyone else gets their own.
    #[param(nullable = false)]
    pub company: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(nullable = false)]
    pub cursor: Option<String>,
    /// At most this many (25 when absent).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

/// The query of staff's list of companies.
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
pub struct CompanySearch {
    /// The start of a company's name.
    #[param(nullable = false, max_length = 200)]
    pub search: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(nullable = false)]
    pub cursor: Option<String>,
    /// At most this many (25 when absent).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

/// The page size and start a list query asks for.
pub(crate) fn page_of(cursor: Option<&str>, limit: Option<usize>) -> Result<(usize, Option<Cursor>), Invalid> {
    let limit = limit.unwrap_or(25);
    if !(1..=100).contains(&limit) {
        return Err(Invalid::new("limit", "must be between 1 and 100"));
    }
    let after = match cursor {
        Some(c) => Some(Cursor::decode(c).ok_or_else(|| Invalid::new("cursor", "is not a cursor this API gave out"))?),
        None => None,
    };
    Ok((limit, after))
}

/// A list's `search`: at most `max` characters as sent (what the API document says), then
/// trimmed; empty is none.
pub(crate) fn search_of(raw: Option<&str>, max: usize) -> Result<Option<String>, Invalid> {
    if raw.is_some_and(|s| s.chars().count() > max) {
        return Err(Invalid::new("search", format!("must be at most {max} characters")));
    }
    validate::optional_line("search", raw, max)
}

/// The company a request names: staff may name any; everyone else gets their own.
fn company_for(who: &Identity, named: Option<&str>) -> Result<String, Invalid> {
    match named {
        Some(code) if who.is_agent() => validate::code("company", Some(code), 12),
        _ => Ok(who.company.to_string()),
    }
}

/// Someone with no business seeing a company's people gets 403 for the lists; a single
/// user they may not see is 404, like anything else not theirs.
fn managers_only() -> ServiceError {
    ServiceError::forbidden(
        ProblemKind::ManagersOnly,
        format!(
            "only the company's {} (or staff) see and manage its people",
            crate::domain::roles::ACCOUNT_MANAGERS
        ),
    )
}

impl Core {
    /// The name mail uses for a company: the vendor's staff, or the company's record.
    pub(super) async fn company_name(&self, code: &str, field: &str) -> Result<String, ServiceError> {
        if code == VENDOR {
            return Ok("Claimdesk support".into());
        }
        match self.company(code).await? {
            Some(company) if company.active => Ok(company.name),
            Some(_) => Err(ServiceError::conflict(
                ProblemKind::Lifecycle,
                format!("company {code} is deactivated; staff may reactivate it"),
            )),
            None => Err(Invalid::new(field, format!("company {code} is not registered")).into()),
        }
    }

    /// Opens an account: the engine's sign-in first (Cognito's AdminCreateUser on AWS),
    /// then the directory record, the email's record, the engine's writes and whatever
    /// `also` adds for the new user (a link and its mail, a change record, a decided
    /// request), in one commit.
    pub(super) async fn open_account(
        &self,
        account: NewAccount,
        password: Option<&str>,
        also: impl FnOnce(&User) -> Vec<Write>,
    ) -> Result<User, ServiceError> {
        if self.user_by_email(&account.email).await?.is_some() {
            return Err(AccountError::Taken.into());
        }
        let (id, engine_writes) = self.accounts.create(&account, password).await?;
        let user = User::new(
            id.clone(),
            account.email,
            account.name,
            account.company,
            account.roles,
            self.now(),
            password.is_some(),
        );
        let mut writes = vec![
            Write::create(store::user_item(&user, 1)),
            Write::create(item_of(
                store::email_pk(&user.email),
                store::META,
                &EmailRecord { user_id: id },
            )),
        ];
        writes.extend(engine_writes);
        writes.extend(also(&user));
        match self.commit(writes).await? {
            Commit::Done => Ok(user),
            Commit::Lost => Err(ServiceError::conflict(
                ProblemKind::ConcurrentUpdate,
                "the email got an account, or the request was decided, meanwhile",
            )),
        }
    }

    /// A fresh single-use link for `user`: its secret (for the mail) and the write that
    /// keeps its hash.
    pub(super) fn password_link(&self, user: &User, purpose: LinkPurpose) -> (String, Write) {
        self.link(PasswordLink::new(user.id.clone(), purpose, self.now()))
    }

    /// Keeps a link under the hash of a fresh secret: the secret, and the write.
    pub(super) fn link(&self, link: PasswordLink) -> (String, Write) {
        let mut raw = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut raw);
        let secret = URL_SAFE_NO_PAD.encode(raw);
        let mut item = item_of(store::password_link_pk(&store::sha256_hex(&secret)), store::META, &link);
        item.expires_at = Some(link.expires_at.timestamp());
        (secret, Write::create(item))
    }

    /// Where a link's secret is used: the portal's set-password page. The secret rides in
    /// the fragment, which browsers never send to a server (so no log keeps it).
    pub(super) fn set_password_url(&self, secret: &str) -> String {
        format!("{}/portal/set-password#token={secret}", self.settings.public_base_url)
    }

    /// The record of one change, as a write.
    pub(super) fn change_write(&self, by: &str, user: &User, what: &str, from: &str, to: &str) -> Write {
        let change = AccountChange {
            id: new_id("c"),
            at: self.now(),
            company: user.company.clone(),
            by: by.to_string(),
            user_id: user.id.clone(),
            user_email: user.email.clone(),
            what: what.into(),
            from: from.into(),
            to: to.into(),
        };
        Write::create(store::account_change_item(&change))
    }

    /// The writes that welcome a new user: their set-password link and its mail (`kind`:
    /// an invitation or an approved request), and the record of who let them in.
    pub(super) fn welcome(&self, user: &User, by: &Identity, kind: MailKind, company_name: &str) -> Vec<Write> {
        let (secret, link) = self.password_link(user, LinkPurpose::Welcome);
        let mut outbox = Outbox::new(self);
        outbox.account_mail(
            kind,
            &user.email,
            json!({
                "name": user.name,
                "email": user.email,
                "company_name": company_name,
                "inviter": by.display_name(),
                "link": self.set_password_url(&secret),
                "days": directory::INVITATION_DAYS,
            }),
        );
        let mut writes = vec![link];
        writes.extend(outbox.into_writes());
        writes.push(self.change_write(
            by.email.as_str(),
            user,
            "invited",
            "",
            &directory::role_list(&user.roles),
        ));
        writes
    }

    /// `POST /v1/users`: invites someone; they choose a password from the mailed link.
    pub async fn invite_user(&self, who: &Identity, draft: &InviteDraft) -> Result<User, ServiceError> {
        if !directory::may_manage(who, &draft.company(who)?) {
            return Err(managers_only());
        }
        let Invitation {
            email,
            name,
            roles,
            company,
        } = draft.validate(who)?;
        let company_name = self.company_name(&company, "company").await?;
        let account = NewAccount {
            email,
            name,
            company,
            roles,
        };
        self.open_account(account, None, |user| {
            self.welcome(user, who, MailKind::Invitation, &company_name)
        })
        .await
    }

    /// `GET /v1/users`: a company's people by name, a page at a time; `search` is a name's
    /// beginning, or an email (exact).
    pub async fn list_users(&self, who: &Identity, request: &PeopleQuery) -> Result<UserPage, ServiceError> {
        let company = company_for(who, request.company.as_deref())?;
        if !directory::may_list(who, &company) {
            return Err(managers_only());
        }
        let (limit, after) = page_of(request.cursor.as_deref(), request.limit)?;
        let search = search_of(request.search.as_deref(), 120)?;
        if let Some(email) = search.as_deref().filter(|s| s.contains('@')) {
            let email = crate::domain::ids::Email::new(validate::email("search", Some(email))?);
            let found = self
                .user_by_email(&email)
                .await?
                .filter(|u| u.company.as_str() == company);
            return Ok(UserPage {
                items: found.into_iter().collect(),
                next_cursor: None,
            });
        }
        let mut query = Query::new(Index::Gsi2, store::people_view(&company));
        query.limit = limit;
        query.after = after;
        if let Some(prefix) = search {
            query.sort = SortKey::BeginsWith(prefix.to_lowercase());
        }
        let page = self.table.query(&query).await?;
        let items = page
            .items
            .iter()
            .map(summary_of::<User>)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(UserPage {
            items,
            next_cursor: page.next.map(|c| c.encode()),
        })
    }

    /// `GET /v1/users/{id}`: one user, for whoever may list their company (404 otherwise).
    pub async fn get_user(&self, who: &Identity, id: &str) -> Result<User, ServiceError> {
        let user = self.user(&user_id(id)?).await?.ok_or(ServiceError::NotFound("user"))?;
        if who.user_id == user.id || directory::may_list(who, &user.company) {
            Ok(user)
        } else {
            Err(ServiceError::NotFound("user"))
        }
    }

    /// `PATCH /v1/users/{id}`: roles, deactivation, reactivation. The sign-in side follows
    /// first (Cognito's groups, disable and global sign-out); then the record, its change
    /// records and, for a deactivation, the end of every session, commit together.
    pub async fn update_user(&self, who: &Identity, id: &str, patch: &UserPatch) -> Result<User, ServiceError> {
        let loaded = self
            .get_record::<User>(&store::user_pk(&user_id(id)?), store::META)
            .await?
            .ok_or(ServiceError::NotFound("user"))?;
        let before = loaded.record;
        if !directory::may_manage(who, &before.company) {
            return Err(
                if who.user_id == before.id || directory::may_list(who, &before.company) {
                    managers_only()
                } else {
                    ServiceError::NotFound("user")
                },
            );
        }
        let owners = if before.roles.contains(&Role::Owner) && before.state == UserState::Active {
            self.active_owners(&before.company).await?
        } else {
            0
        };
        let now = self.now();
        let (mut after, changes) =
            directory::apply_patch(who, &before, patch, owners, now).map_err(|refusal| match refusal {
                PatchRefusal::Invalid(invalid) => ServiceError::Invalid(invalid),
                PatchRefusal::OwnAccount(why) => ServiceError::forbidden(ProblemKind::OwnAccount, why),
                PatchRefusal::LastOwner => ServiceError::conflict(
                    ProblemKind::LastOwner,
                    "the company's last active Owner keeps the role; make someone else Owner first",
                ),
            })?;
        if changes.is_empty() {
            return Ok(before);
        }
        if after.state == UserState::Deactivated {
            after.end_sessions();
        }
        self.change_user(who.email.as_str(), &before, after, loaded.version, &changes)
            .await
    }

    /// Brings the sign-in side along (Cognito's groups, disable or enable and sign-out),
    /// then commits the user's record, conditioned on the version read, with a change
    /// record per field.
    pub(super) async fn change_user(
        &self,
        by: &str,
        before: &User,
        after: User,
        version: u64,
        changes: &[FieldChange],
    ) -> Result<User, ServiceError> {
        self.accounts.update(before, &after).await?;
        let mut writes = vec![Write::replace(store::user_item(&after, version), version)];
        writes.extend(
            changes
                .iter()
                .map(|c| self.change_write(by, &after, c.what, &c.from, &c.to)),
        );
        match self.commit(writes).await? {
            Commit::Done => Ok(after),
            Commit::Lost => Err(ServiceError::conflict(
                ProblemKind::ConcurrentUpdate,
                "the user changed meanwhile; read them again and retry",
            )),
        }
    }

    /// How many active Owners a company has (the last one may not go).
    async fn active_owners(&self, company: &CompanyCode) -> Result<usize, ServiceError> {
        let mut query = Query::new(Index::Gsi2, store::people_view(company));
        let mut owners = 0;
        loop {
            let page = self.table.query(&query).await?;
            for item in &page.items {
                let user: User = summary_of(item)?;
                if user.state == UserState::Active && user.roles.contains(&Role::Owner) {
                    owners += 1;
                }
            }
            match page.next {
                Some(next) if owners < 2 => query.after = Some(next),
                _ => return Ok(owners),
            }
        }
    }

    /// `GET /v1/account-changes`: who changed whom, when, from what to what; newest first.
    pub async fn account_changes(
        &self,
        who: &Identity,
        company: Option<&str>,
        cursor: Option<&str>,
        limit: Option<usize>,
    ) -> Result<AccountChangePage, ServiceError> {
        let company = company_for(who, company)?;
        if !(who.is_agent() || directory::may_manage(who, &company)) {
            return Err(managers_only());
        }
        let (limit, after) = page_of(cursor, limit)?;
        let mut query = Query::new(Index::Gsi2, store::account_changes_view(&company));
        query.newest_first = true;
        query.limit = limit;
        query.after = after;
        let page = self.table.query(&query).await?;
        Ok(AccountChangePage {
            items: page.items.iter().map(summary_of).collect::<Result<_, _>>()?,
            next_cursor: page.next.map(|c| c.encode()),
        })
    }
}

/// A record from a list index's summary.
pub(crate) fn summary_of<T: serde::de::DeserializeOwned>(item: &crate::ports::Item) -> Result<T, ServiceError> {
    let summary = item
        .summary
        .clone()
        .ok_or_else(|| ServiceError::Internal(format!("item {}/{} has no summary", item.pk, item.sk)))?;
    serde_json::from_value(summary).map_err(|e| ServiceError::Internal(format!("corrupt summary of {}: {e}", item.pk)))
}

/// A user id from a path: anything malformed is simply nobody.
fn user_id(text: &str) -> Result<UserId, ServiceError> {
    let plausible =
        !text.is_empty() && text.len() <= 128 && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b));
    if plausible {
        Ok(UserId::new(text))
    } else {
        Err(ServiceError::NotFound("user"))
    }
}
