//! Announcements: staff post and change them; each user lists the current ones meant for
//! them (everyone's, and their company's or staff's), less those they dismissed.

use crate::domain::announcement::{Announcement, AnnouncementDraft, AnnouncementPatch, Audience};
use crate::domain::roles::Identity;
use crate::domain::validate::Invalid;
use crate::ports::{Index, Query, SortKey, Write};
use crate::services::problems::ProblemKind;
use crate::services::{item_of, new_id, Core, Loaded, Plan, ServiceError};
use crate::store;
use serde::Serialize;

/// At most this many current announcements are shown at once (the newest).
pub const SHOWN_MAX: usize = 20;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnnouncementPage {
    pub items: Vec<Announcement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl Core {
    async fn load_announcement(&self, id: &str) -> Result<Loaded<Announcement>, ServiceError> {
        if !crate::domain::ids::plausible_id("ann", id) {
            return Err(ServiceError::NotFound("announcement"));
        }
        self.get_record::<Announcement>(&store::announcement_pk(id), store::META)
            .await?
            .ok_or(ServiceError::NotFound("announcement"))
    }

    async fn require_company(&self, announcement: &Announcement) -> Result<(), ServiceError> {
        if let (Audience::Company, Some(code)) = (announcement.audience, &announcement.company) {
            if self.company(code).await?.is_none() {
                return Err(Invalid::new("company", "unknown company").into());
            }
        }
        Ok(())
    }

    pub async fn plan_create_announcement(
        &self,
        who: &Identity,
        draft: AnnouncementDraft,
    ) -> Result<Plan<Announcement>, ServiceError> {
        self.require_agent(who, "post announcements")?;
        let announcement = draft.into_announcement(new_id("ann"), who, self.now())?;
        self.require_company(&announcement).await?;
        Ok(Plan::new(
            vec![Write::create(store::announcement_item(&announcement, 1))],
            announcement,
        ))
    }

    pub async fn plan_update_announcement(
        &self,
        who: &Identity,
        id: &str,
        patch: AnnouncementPatch,
    ) -> Result<Plan<Announcement>, ServiceError> {
        // One not meant for the caller is not there for them (404 before 403).
        let loaded = self.load_announcement(id).await?;
        if !who.is_agent() && !loaded.record.reaches(who) {
            return Err(ServiceError::NotFound("announcement"));
        }
        self.require_agent(who, "change announcements")?;
        let announcement = patch.apply(&loaded.record, self.now())?;
        self.require_company(&announcement).await?;
        Ok(Plan::new(
            vec![Write::replace(
                store::announcement_item(&announcement, loaded.version),
                loaded.version,
            )],
            announcement,
        ))
    }

    /// The announcements showing now for the caller, newest first, without those they put
    /// away: three queries (everyone's, their company's or staff's, their dismissals).
    pub async fn current_announcements(&self, who: &Identity) -> Result<Vec<Announcement>, ServiceError> {
        let now = self.now();
        let mine = if who.is_agent() {
            store::audience_view(Audience::Staff, None)
        } else {
            store::audience_view(Audience::Company, Some(&who.company))
        };
        let mut shown = Vec::new();
        for list in [store::audience_view(Audience::Everyone, None), mine] {
            let mut query = Query::new(Index::Gsi2, list);
            query.limit = 100;
            for item in self.table.query(&query).await?.items {
                let announcement: Announcement = item
                    .summary
                    .and_then(|s| serde_json::from_value(s).ok())
                    .ok_or_else(|| ServiceError::Internal("an announcement without its summary".into()))?;
                if announcement.is_current(now) && announcement.reaches(who) {
                    shown.push(announcement);
                }
            }
        }
        let mut dismissed = Query::new(Index::Table, store::user_pk(&who.user_id));
        dismissed.sort = SortKey::BeginsWith(store::DISMISSED_PREFIX.into());
        dismissed.limit = 200;
        let gone: Vec<String> = self
            .table
            .query(&dismissed)
            .await?
            .items
            .iter()
            .map(|i| i.sk.trim_start_matches(store::DISMISSED_PREFIX).to_string())
            .collect();
        shown.retain(|a| !(a.dismissible && gone.contains(&a.id)));
        shown.sort_by_key(|a| std::cmp::Reverse(a.starts_at));
        shown.truncate(SHOWN_MAX);
        Ok(shown)
    }

    /// Staff's list of every announcement (scheduled, showing, ended within a month),
    /// newest start first.
    pub async fn all_announcements(
        &self,
        who: &Identity,
        limit: usize,
        after: Option<crate::ports::Cursor>,
    ) -> Result<AnnouncementPage, ServiceError> {
        self.require_agent(who, "list every announcement")?;
        let mut query = Query::new(Index::Gsi3, store::ALL_ANNOUNCEMENTS);
        query.limit = limit;
        query.after = after;
        let page = self.table.query(&query).await?;
        Ok(AnnouncementPage {
            items: page
                .items
                .into_iter()
                .filter_map(|i| i.summary.and_then(|s| serde_json::from_value(s).ok()))
                .collect(),
            next_cursor: page.next.map(|c| c.encode()),
        })
    }

    /// The caller puts a current announcement meant for them away; one that insists stays.
    pub async fn plan_dismiss_announcement(
        &self,
        who: &Identity,
        id: &str,
    ) -> Result<Plan<Announcement>, ServiceError> {
        let loaded = self.load_announcement(id).await?;
        let announcement = loaded.record;
        if !announcement.reaches(who) {
            return Err(ServiceError::NotFound("announcement"));
        }
        if !announcement.dismissible {
            return Err(ServiceError::conflict(
                ProblemKind::NotAllowed,
                "this announcement cannot be dismissed",
            ));
        }
        let pk = store::user_pk(&who.user_id);
        let sk = store::dismissed_sk(&announcement.id);
        if self.table.get(&pk, &sk).await?.is_some() {
            return Ok(Plan::new(Vec::new(), announcement));
        }
        let mut item = item_of(pk, sk, &serde_json::json!({ "at": self.now() }));
        item.version = 1;
        item.expires_at =
            Some((announcement.ends_at + chrono::Duration::days(store::ENDED_ANNOUNCEMENT_DAYS)).timestamp());
        Ok(Plan::new(vec![Write::create(item)], announcement))
    }
}
