//! The conversation around a ticket: replies and notes, collaborators, followers, guest links.

use crate::domain::guest;
use crate::domain::ticket::Collaborator;
use crate::http::openapi::{json, query, Doc};
use crate::http::problem::Problem;
use crate::http::routes::{declare, Function, Params};
use crate::http::{parse_body, Api, ApiRequest, ApiResponse};
use crate::services::ticket_id;
use crate::services::tickets::conversation::{MessageDraft, MessageOutcome};
use crate::services::tickets::sharing::{CollaboratorDraft, Following, GuestKeysRevoked};
use crate::services::tickets::TicketView;

/// The query of the guest routes: the key is the credential.
#[derive(utoipa::IntoParams)]
#[allow(dead_code)] // read with `query_param("key")`; described here for the API document
struct GuestKey {
    /// The guest access key from the receipt mail.
    key: String,
}

pub const FUNCTIONS: &[&Function] = &[
    &ADD_MESSAGE,
    &ADD_COLLABORATOR,
    &FOLLOW_TICKET,
    &REVOKE_GUEST_KEYS,
    &GUEST_TICKET,
];

declare! {
    ADD_MESSAGE = "add-message", "replies and internal notes", grants [WriteTable] {
        POST "/v1/tickets/{id}/messages" Token => add_message,
            Doc::new("addMessage", "Reply, or write an internal note; on a Closed ticket a customer's reply opens a follow-up case")
                .takes(json::<MessageDraft>)
                .answers(201, "Added, or a follow-up case opened", json::<MessageOutcome>)
                .idempotent(),
    }
}

declare! {
    ADD_COLLABORATOR = "add-collaborator", "adds a collaborator", grants [WriteTable] {
        POST "/v1/tickets/{id}/collaborators" Token => add_collaborator,
            Doc::new("addCollaborator", "Add a collaborator by email")
                .takes(json::<CollaboratorDraft>)
                .answers(201, "Added", json::<Collaborator>)
                .idempotent(),
    }
}

declare! {
    FOLLOW_TICKET = "follow-ticket", "follows a case, or stops", grants [WriteTable] {
        PUT "/v1/tickets/{id}/following" Token => follow,
            Doc::new("followTicket", "Follow a case one may read: its replies and status changes are mailed to you and ring your bell")
                .answers(200, "Following", json::<Following>)
                .idempotent(),
        DELETE "/v1/tickets/{id}/following" Token => unfollow,
            Doc::new("unfollowTicket", "Stop following a case")
                .answers(200, "Not following", json::<Following>)
                .idempotent(),
    }
}

declare! {
    REVOKE_GUEST_KEYS = "revoke-guest-keys", "revokes guest links", grants [WriteTable] {
        POST "/v1/tickets/{id}/guest-keys/revoke" Token => revoke_guest_keys,
            Doc::new("revokeGuestKeys", "Revoke every guest key of the ticket")
                .answers(200, "Revoked", json::<GuestKeysRevoked>)
                .idempotent(),
    }
}

declare! {
    GUEST_TICKET = "guest-ticket", "guest view and reply", grants [WriteTable] {
        GET "/v1/guest/tickets/{id}" Open => guest_ticket,
            Doc::new("guestTicket", "The ticket, opened with a guest key")
                .query(query::<GuestKey>)
                .answers(200, "The ticket", json::<TicketView>),
        POST "/v1/guest/tickets/{id}/messages" Open => guest_message,
            Doc::new("guestMessage", "Reply with a guest key")
                .query(query::<GuestKey>)
                .takes(json::<MessageDraft>)
                .answers(201, "Added", json::<MessageOutcome>)
                .idempotent(),
    }
}

async fn add_message(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let id = params.get(0);
    let who = api.identity(request)?;
    let draft: MessageDraft = parse_body(&request.body)?;
    let draft = &draft;
    api.commit_on_ticket(id, request, &who.user_id, 201, move || async move {
        let (loaded, viewer) = api.core.open_ticket(who, &ticket_id(id)?).await?;
        api.core.plan_add_message(&loaded, &viewer, draft).await
    })
    .await
}

async fn add_collaborator(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let id = params.get(0);
    let who = api.identity(request)?;
    let draft: CollaboratorDraft = parse_body(&request.body)?;
    let draft = &draft;
    api.commit_on_ticket(id, request, &who.user_id, 201, move || async move {
        let (loaded, _viewer) = api.core.open_ticket(who, &ticket_id(id)?).await?;
        api.core.plan_add_collaborator(who, &loaded, draft).await
    })
    .await
}

async fn follow(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    set_following(api, request, params.get(0), true).await
}

async fn unfollow(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    set_following(api, request, params.get(0), false).await
}

async fn set_following(api: &Api, request: &ApiRequest, id: &str, follow: bool) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    api.commit_on_ticket(id, request, &who.user_id, 200, move || async move {
        let (loaded, viewer) = api.core.open_ticket(who, &ticket_id(id)?).await?;
        api.core.plan_follow(&loaded, &viewer, follow)
    })
    .await
}

async fn revoke_guest_keys(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let id = params.get(0);
    let who = api.identity(request)?;
    api.commit_on_ticket(id, request, &who.user_id, 200, move || async move {
        let (loaded, viewer) = api.core.open_ticket(who, &ticket_id(id)?).await?;
        api.core.plan_revoke_guest_keys(&loaded, &viewer).await
    })
    .await
}

async fn guest_ticket(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let id = params.get(0);
    let key = request.query_param("key").unwrap_or("");
    let (loaded, viewer) = api
        .core
        .guest_viewer(&ticket_id(id)?, key)
        .await
        .map_err(Problem::from)?;
    let view = api.core.ticket_view(&loaded, &viewer).await.map_err(Problem::from)?;
    Ok(ApiResponse::json(200, &view))
}

async fn guest_message(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let id = params.get(0);
    let key = request.query_param("key").unwrap_or("");
    let draft: MessageDraft = parse_body(&request.body)?;
    let draft = &draft;
    // A guest has no user id: their Idempotency-Keys are scoped by the guest key's hash.
    let scope = format!("guest:{}", guest::hash_key(key));
    api.commit_on_ticket(id, request, &scope, 201, move || async move {
        let (loaded, viewer) = api.core.guest_viewer(&ticket_id(id)?, key).await?;
        api.core.plan_add_message(&loaded, &viewer, draft).await
    })
    .await
}
