//! Access requests (seeds 002, 003): a public form that asks a company's account managers
//! (or the vendor's staff, for a company not registered yet) to let someone in. Approving
//! opens an invited account and mails the requester a set-password link; rejecting mails
//! them the decider's message. Pending requests lapse after `ACCESS_REQUEST_DAYS`.

use super::directory::{page_of, summary_of, AccessRequestPage};
use super::throttle::Scope;
use crate::domain::directory::{
    self, Accepted, AccessRequest, AccessRequestDraft, Decision, DecisionDraft, RequestState,
};
use crate::domain::people::{User, UserState};
use crate::domain::roles::Identity;
use crate::domain::validate;
use crate::mail::templates::MailKind;
use crate::ports::{Index, NewAccount, Query, Write};
use crate::services::commit::Commit;
use crate::services::mail::notify::Outbox;
use crate::services::problems::ProblemKind;
use crate::services::{new_id, Core, ServiceError};
use crate::store;
use chrono::Duration;
use serde_json::json;

/// What the public form answers, whatever the email.
pub const REQUEST_ACCEPTED: &str =
    "thank you: the company's account managers will look at your request, and you will hear from us by email";
/// How long a decided request stays listed.
const DECIDED_KEPT_DAYS: i64 = 90;
/// The most account managers one request is mailed to.
const MOST_MANAGERS_MAILED: usize = 20;

impl Core {
    /// `POST /v1/access-requests`: the public form. Counted against the address it came
    /// from and the email it names; an email that already has an account gets a mail
    /// saying so (with the way to a new password), and the answer is the same.
    pub async fn submit_access_request(
        &self,
        draft: &AccessRequestDraft,
        address: Option<&str>,
    ) -> Result<Accepted, ServiceError> {
        let now = self.now();
        // The whole shape first (field by field), before anything is read or counted.
        let shaped = draft.validate(new_id("ar"), false, now)?;
        let mut scopes = vec![Scope::form_email(&shaped.email)];
        scopes.extend(address.map(Scope::form_address));
        self.count_form(&scopes).await?;
        let accepted = Accepted {
            accepted: true,
            detail: REQUEST_ACCEPTED.into(),
        };
        let mut outbox = Outbox::new(self);
        if self.user_by_email(&shaped.email).await?.is_some() {
            outbox.account_mail(
                MailKind::AccountExists,
                &shaped.email,
                json!({
                    "email": shaped.email,
                    "link": format!("{}/portal/forgot-password", self.settings.public_base_url),
                }),
            );
            self.commit(outbox.into_writes()).await?;
            return Ok(accepted);
        }
        let company = self.company(&draft.company_code()?).await?.filter(|c| c.active);
        let request = AccessRequest {
            known_company: company.is_some(),
            ..shaped
        };
        let company_name = company.map_or_else(|| request.company.to_string(), |c| c.name);
        let context = json!({
            "request": request,
            "company_name": company_name,
            "link": format!("{}/portal/access-requests", self.settings.public_base_url),
            "expires": store::ts(request.expires_at),
        });
        for manager in self.deciders_of(&request).await? {
            outbox.account_mail(MailKind::AccessRequested, &manager, context.clone());
        }
        let mut writes = vec![Write::create(store::access_request_item(
            &request,
            1,
            request.expires_at,
        ))];
        writes.extend(outbox.into_writes());
        self.commit(writes).await?;
        Ok(accepted)
    }

    /// Who hears of a request: the company's active account managers, or the vendor's
    /// desk when the company is not registered or has none.
    async fn deciders_of(&self, request: &AccessRequest) -> Result<Vec<String>, ServiceError> {
        let mut managers = Vec::new();
        if request.known_company {
            let mut query = Query::new(Index::Gsi2, store::people_view(&request.company));
            loop {
                let page = self.table.query(&query).await?;
                for item in &page.items {
                    let user: User = summary_of(item)?;
                    if user.state == UserState::Active && user.roles.iter().any(|r| r.manages_accounts()) {
                        managers.push(user.email.to_string());
                    }
                }
                match page.next {
                    Some(next) if managers.len() < MOST_MANAGERS_MAILED => query.after = Some(next),
                    _ => break,
                }
            }
            managers.truncate(MOST_MANAGERS_MAILED);
        }
        if managers.is_empty() {
            managers.push(self.settings.vendor_desk_email.clone());
        }
        Ok(managers)
    }

    /// `GET /v1/access-requests`: a company's requests for its account managers; staff see
    /// one company's (`company`) or everyone's. Newest first.
    pub async fn list_access_requests(
        &self,
        who: &Identity,
        company: Option<&str>,
        cursor: Option<&str>,
        limit: Option<usize>,
    ) -> Result<AccessRequestPage, ServiceError> {
        let (limit, after) = page_of(cursor, limit)?;
        let mut query = match company {
            Some(code) if who.is_agent() => Query::new(
                Index::Gsi2,
                store::access_requests_view(&validate::code("company", Some(code), 12)?),
            ),
            None if who.is_agent() => Query::new(Index::Gsi3, store::ALL_ACCESS_REQUESTS),
            _ if directory::may_decide(who, &who.company) => {
                Query::new(Index::Gsi2, store::access_requests_view(&who.company))
            }
            _ => {
                return Err(ServiceError::forbidden(
                    ProblemKind::ManagersOnly,
                    "access requests are for the company's account managers and staff",
                ))
            }
        };
        query.newest_first = true;
        query.limit = limit;
        query.after = after;
        let page = self.table.query(&query).await?;
        Ok(AccessRequestPage {
            items: page.items.iter().map(summary_of).collect::<Result<_, _>>()?,
            next_cursor: page.next.map(|c| c.encode()),
        })
    }

    /// `POST /v1/access-requests/{id}/decision`: approve with roles (an invited account
    /// and its set-password mail) or reject with a message (mailed). Once only.
    pub async fn decide_access_request(
        &self,
        who: &Identity,
        id: &str,
        draft: &DecisionDraft,
    ) -> Result<AccessRequest, ServiceError> {
        let plausible = id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b));
        if !plausible {
            return Err(ServiceError::NotFound("access request"));
        }
        let loaded = self
            .get_record::<AccessRequest>(&store::access_request_pk(id), store::META)
            .await?
            .filter(|l| directory::may_decide(who, &l.record.company))
            .ok_or(ServiceError::NotFound("access request"))?;
        let request = loaded.record;
        if request.state != RequestState::Pending {
            return Err(ServiceError::conflict(
                ProblemKind::AlreadyDecided,
                "this request was decided already",
            ));
        }
        let decision = draft.validate(&request.company)?;
        let now = self.now();
        let mut decided = request.clone();
        decided.decided_by = Some(who.email.clone());
        decided.decided_at = Some(now);
        let kept_until = now + Duration::days(DECIDED_KEPT_DAYS);
        match decision {
            Decision::Approve(roles) => {
                let company_name = match self.company(&request.company).await? {
                    Some(company) if company.active => company.name,
                    _ => {
                        return Err(ServiceError::conflict(
                            ProblemKind::Lifecycle,
                            format!(
                                "company {} is not registered or is deactivated; staff register or reactivate it first",
                                request.company
                            ),
                        ))
                    }
                };
                directory::may_grant(who, &roles)?;
                decided.state = RequestState::Approved;
                decided.roles = roles.clone();
                let account = NewAccount {
                    email: request.email.clone(),
                    name: request.name.clone(),
                    company: request.company.clone(),
                    roles,
                };
                let user = self
                    .open_account(account, None, |user| {
                        decided.user_id = Some(user.id.clone());
                        let mut writes = vec![Write::replace(
                            store::access_request_item(&decided, loaded.version, kept_until),
                            loaded.version,
                        )];
                        writes.extend(self.welcome(user, who, MailKind::AccessApproved, &company_name));
                        writes
                    })
                    .await?;
                decided.user_id = Some(user.id);
                Ok(decided)
            }
            Decision::Reject(message) => {
                decided.state = RequestState::Rejected;
                decided.message = message;
                let company_name = self
                    .company(&request.company)
                    .await?
                    .map_or_else(|| request.company.to_string(), |c| c.name);
                let mut outbox = Outbox::new(self);
                outbox.account_mail(
                    MailKind::AccessRejected,
                    &request.email,
                    json!({ "name": request.name, "company_name": company_name, "message": decided.message }),
                );
                let mut writes = vec![Write::replace(
                    store::access_request_item(&decided, loaded.version, kept_until),
                    loaded.version,
                )];
                writes.extend(outbox.into_writes());
                match self.commit(writes).await? {
                    Commit::Done => Ok(decided),
                    Commit::Lost => Err(ServiceError::conflict(
                        ProblemKind::AlreadyDecided,
                        "this request was decided meanwhile",
                    )),
                }
            }
        }
    }
}
