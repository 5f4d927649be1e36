//! Announcements (seed 002): staff post a message for everyone, one company or staff, shown
//! between a start and an end; users list the current ones and dismiss them.

use crate::domain::announcement::{Announcement, AnnouncementDraft, AnnouncementPatch};
use crate::http::openapi::{json, query, Doc};
use crate::http::problem::Problem;
use crate::http::routes::{declare, Function, Params};
use crate::http::{parse_body, Api, ApiRequest, ApiResponse};
use crate::services::announcements::AnnouncementPage;

pub const FUNCTIONS: &[&Function] = &[
    &CREATE_ANNOUNCEMENT,
    &LIST_ANNOUNCEMENTS,
    &UPDATE_ANNOUNCEMENT,
    &DISMISS_ANNOUNCEMENT,
];

/// Which announcements.
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
pub struct AnnouncementQuery {
    /// `current` (the default): those showing now for the caller, newest first, less the
    /// ones they dismissed. Staff: `all`, every announcement in pages.
    #[param(nullable = false)]
    pub scope: Option<String>,
    /// The `next_cursor` of the page before (`scope=all`).
    #[param(nullable = false)]
    pub cursor: Option<String>,
    /// At most this many (25 when absent; `scope=all`).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

declare! {
    CREATE_ANNOUNCEMENT = "create-announcement", "staff post an announcement", grants [WriteTable] {
        POST "/v1/announcements" Token => create_announcement,
            Doc::new("createAnnouncement", "Post an announcement (staff) for everyone, one company or staff, from a start (now) to an end, dismissible or not")
                .takes(json::<AnnouncementDraft>)
                .answers(201, "Posted", json::<Announcement>)
                .idempotent(),
    }
}

declare! {
    LIST_ANNOUNCEMENTS = "list-announcements", "the announcements showing now", grants [ReadTable] {
        GET "/v1/announcements" Token => list_announcements,
            Doc::new("listAnnouncements", "The announcements showing now for the caller, or for staff every one (scope=all)")
                .query(query::<AnnouncementQuery>)
                .answers(200, "Announcements", json::<AnnouncementPage>),
    }
}

declare! {
    UPDATE_ANNOUNCEMENT = "update-announcement", "staff change or end an announcement", grants [WriteTable] {
        PATCH "/v1/announcements/{id}" Token => update_announcement,
            Doc::new("updateAnnouncement", "Change an announcement, or end it early (ends_at)")
                .takes(json::<AnnouncementPatch>)
                .answers(200, "Changed", json::<Announcement>)
                .idempotent(),
    }
}

declare! {
    DISMISS_ANNOUNCEMENT = "dismiss-announcement", "a reader puts an announcement away", grants [WriteTable] {
        POST "/v1/announcements/{id}/dismiss" Token => dismiss_announcement,
            Doc::new("dismissAnnouncement", "Stop showing an announcement to the caller (409 for one that cannot be dismissed)")
                .answers(200, "Dismissed", json::<Announcement>),
    }
}

async fn create_announcement(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let draft: AnnouncementDraft = parse_body(&request.body)?;
    api.commit(request, &who.user_id, 201, || {
        api.core.plan_create_announcement(who, draft.clone())
    })
    .await
}

async fn list_announcements(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    // Checked whatever the scope, so a bad one is refused, not ignored.
    let (limit, after) =
        crate::services::people::directory::page_of(request.query_param("cursor"), request.limit_param()?)
            .map_err(crate::services::ServiceError::from)?;
    let page = match request.query_param("scope") {
        None | Some("") | Some("current") => AnnouncementPage {
            items: api.core.current_announcements(who).await?,
            next_cursor: None,
        },
        Some("all") => api.core.all_announcements(who, limit, after).await?,
        Some(_) => {
            return Err(
                crate::services::ServiceError::from(crate::domain::validate::Invalid::new(
                    "scope",
                    "must be current or all",
                ))
                .into(),
            )
        }
    };
    Ok(ApiResponse::json(200, &page))
}

async fn update_announcement(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let patch: AnnouncementPatch = parse_body(&request.body)?;
    let id = params.get(0);
    api.commit(request, &who.user_id, 200, || {
        api.core.plan_update_announcement(who, id, patch.clone())
    })
    .await
}

async fn dismiss_announcement(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let id = params.get(0);
    api.commit(request, &who.user_id, 200, || {
        api.core.plan_dismiss_announcement(who, id)
    })
    .await
}
