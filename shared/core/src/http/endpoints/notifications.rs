//! Notifications (seeds 001, 002): the bell's count (one query), the list, and marking one
//! or all seen.

use crate::http::openapi::{json, query, Doc};
use crate::http::problem::Problem;
use crate::http::routes::{declare, Function, Params};
use crate::http::{Api, ApiRequest, ApiResponse};
use crate::services::notifications::{NotificationPage, UnseenCount};

pub const FUNCTIONS: &[&Function] = &[&LIST_NOTIFICATIONS, &NOTIFICATION_COUNT, &SEE_NOTIFICATIONS];

/// A page of notifications.
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
pub struct NotificationQuery {
    /// The `next_cursor` of the page before.
    #[param(nullable = false)]
    pub cursor: Option<String>,
    /// At most this many (25 when absent).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

declare! {
    LIST_NOTIFICATIONS = "list-notifications", "the caller's notifications", grants [ReadRecords] {
        GET "/v1/notifications" Token => list_notifications,
            Doc::new("listNotifications", "The caller's notifications (replies and status changes on their cases), newest first, with the unseen count")
                .query(query::<NotificationQuery>)
                .answers(200, "Notifications", json::<NotificationPage>),
    }
}

declare! {
    NOTIFICATION_COUNT = "notification-count", "the bell's count", grants [ReadRecords] {
        GET "/v1/notifications/count" Token => notification_count,
            Doc::new("notificationCount", "How many of the caller's newest 100 notifications are unseen (100 reads as \"99+\")")
                .answers(200, "The count", json::<UnseenCount>),
    }
}

declare! {
    SEE_NOTIFICATIONS = "see-notifications", "marks notifications seen", grants [WriteTable] {
        POST "/v1/notifications/{id}/seen" Token => see_one,
            Doc::new("seeNotification", "Mark one notification seen")
                .answers(200, "The unseen count left", json::<UnseenCount>),
        POST "/v1/notifications/seen-all" Token => see_all,
            Doc::new("seeAllNotifications", "Mark the newest unseen notifications seen (90 at a time; the answer says how many are left)")
                .answers(200, "The unseen count left", json::<UnseenCount>),
    }
}

async fn list_notifications(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let page = api
        .core
        .list_notifications(who, request.query_param("cursor"), request.limit_param()?)
        .await?;
    Ok(ApiResponse::json(200, &page))
}

async fn notification_count(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    Ok(ApiResponse::json(200, &api.core.notification_count(who).await?))
}

async fn see_one(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let id = params.get(0);
    api.commit(request, &who.user_id, 200, || api.core.plan_see_notification(who, id))
        .await
}

async fn see_all(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    api.commit(request, &who.user_id, 200, || api.core.plan_see_all_notifications(who))
        .await
}
