//! Staff's management of companies: the list by name, renaming, the first level of support,
//! deactivation and reactivation. A deactivated company files no tickets, takes no
//! invitations or approvals, and its people are deactivated with it (each as an account
//! change, Cognito disabling them on AWS); reactivating it brings back exactly those.

use super::directory::{page_of, search_of, summary_of, CompanyPage};
use crate::domain::company::{Company, CompanyPatch};
use crate::domain::directory::{state_name, FieldChange};
use crate::domain::people::{User, UserState};
use crate::domain::roles::{Identity, Role};
use crate::domain::validate;
use crate::ports::{Index, Query, Write};
use crate::services::commit::Commit;
use crate::services::problems::ProblemKind;
use crate::services::{Core, ServiceError};
use crate::store;

fn staff_admins_only() -> ServiceError {
    ServiceError::forbidden(ProblemKind::StaffOnly, "only the staff admin manages companies")
}

impl Core {
    /// `GET /v1/companies`: every company by name (staff); `search` is a name's start.
    pub async fn list_companies(
        &self,
        who: &Identity,
        search: Option<&str>,
        cursor: Option<&str>,
        limit: Option<usize>,
    ) -> Result<CompanyPage, ServiceError> {
        self.require_agent(who, "list companies")?;
        let (limit, after) = page_of(cursor, limit)?;
        let mut query = Query::new(Index::Gsi3, store::ALL_COMPANIES);
        query.limit = limit;
        query.after = after;
        if let Some(prefix) = search_of(search, 200)? {
            query.sort = crate::ports::SortKey::BeginsWith(prefix.to_lowercase());
        }
        let page = self.table.query(&query).await?;
        Ok(CompanyPage {
            items: page.items.iter().map(summary_of).collect::<Result<_, _>>()?,
            next_cursor: page.next.map(|c| c.encode()),
        })
    }

    /// `PATCH /v1/companies/{code}` (the staff admin). Deactivating goes on to every person
    /// of the company not yet deactivated, so sending it again finishes a run that stopped
    /// half-way; reactivating brings back those the company's deactivation took.
    pub async fn update_company(
        &self,
        who: &Identity,
        code: &str,
        patch: &CompanyPatch,
    ) -> Result<Company, ServiceError> {
        if !who.roles.contains(&Role::StaffAdmin) {
            return Err(staff_admins_only());
        }
        let code = validate::code("code", Some(code), 12).map_err(|_| ServiceError::NotFound("company"))?;
        let loaded = self
            .get_record::<Company>(&store::company_pk(&code), store::META)
            .await?
            .ok_or(ServiceError::NotFound("company"))?;
        let (after, changes) = patch.apply(&loaded.record)?;
        if !changes.is_empty() {
            let write = Write::replace(store::company_item(&after, loaded.version), loaded.version);
            if self.commit(vec![write]).await? == Commit::Lost {
                return Err(ServiceError::conflict(
                    ProblemKind::ConcurrentUpdate,
                    "the company changed meanwhile; read it again and retry",
                ));
            }
        }
        let reactivated = after.active && !loaded.record.active;
        if !after.active || reactivated {
            self.follow_company(who, &after).await?;
        }
        Ok(after)
    }

    /// Deactivates the people of a deactivated company, or brings back those its
    /// deactivation took, a page at a time.
    async fn follow_company(&self, who: &Identity, company: &Company) -> Result<(), ServiceError> {
        let mut query = Query::new(Index::Gsi2, store::people_view(&company.code));
        loop {
            let page = self.table.query(&query).await?;
            for item in &page.items {
                let listed: User = summary_of(item)?;
                let moves = if company.active {
                    listed.deactivated_with_company
                } else {
                    listed.state != UserState::Deactivated
                };
                if moves {
                    self.follow_one(who, &listed.id, company.active).await?;
                }
            }
            match page.next {
                Some(next) => query.after = Some(next),
                None => return Ok(()),
            }
        }
    }

    async fn follow_one(&self, who: &Identity, id: &str, active: bool) -> Result<(), ServiceError> {
        let Some(loaded) = self.get_record::<User>(&store::user_pk(id), store::META).await? else {
            return Ok(());
        };
        let before = loaded.record;
        let mut after = before.clone();
        if active {
            if !before.deactivated_with_company {
                return Ok(());
            }
            after.state = if before.activated_at.is_some() {
                UserState::Active
            } else {
                UserState::Invited
            };
            after.deactivated_with_company = false;
        } else {
            if before.state == UserState::Deactivated {
                return Ok(());
            }
            after.state = UserState::Deactivated;
            after.deactivated_with_company = true;
            after.end_sessions();
        }
        after.updated_at = self.now();
        let change = FieldChange {
            what: "state",
            from: state_name(before.state),
            to: format!("{} (with the company)", state_name(after.state)),
        };
        self.change_user(who.email.as_str(), &before, after, loaded.version, &[change])
            .await?;
        Ok(())
    }
}
