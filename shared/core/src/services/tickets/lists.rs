//! The views a user expects (seed 002): my open cases, my company's open cases, closed
//! cases, cases I collaborate on, and the support side's queue. Each is one index query (of
//! keys) and one batch read of the page's tickets.
//! The support side's work lists (an agent's open cases, a queue) are sorted by the next
//! service-level target, soonest first (gsi3's sort key, `store::ticket_item`).

use crate::domain::access;
use crate::domain::ids::{CompanyCode, TicketId};
use crate::domain::lifecycle::{Desk, Level, Side, Status};
use crate::domain::roles::{Identity, Role, Standing};
use crate::domain::service_levels::clock::ServiceSummary;
use crate::domain::ticket::{LastReply, Priority};
use crate::domain::validate::{self, Invalid};
use crate::ports::{Cursor, Index, Item, Query};
use crate::services::problems::ProblemKind;
use crate::services::tickets::SeenMarker;
use crate::services::{Core, ServiceError};
use crate::store::{self, Listing};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The query of `GET /v1/tickets`.
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
pub struct ListRequest {
    /// Which list; `mine` when absent.
    #[param(schema_with = views)]
    pub view: Option<String>,
    /// Agents: the company to list.
    #[param(nullable = false)]
    pub company: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(nullable = false)]
    pub cursor: Option<String>,
    /// At most this many (25 when absent).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

/// The lists there are (`ListRequest::view`).
pub const VIEWS: [&str; 7] = [
    "mine",
    "company",
    "closed",
    "collaborating",
    "following",
    "queue",
    "level",
];

fn views() -> utoipa::openapi::schema::Object {
    let mut schema = crate::slugs::one_of(VIEWS);
    schema.description = Some("Which list; `mine` when absent".into());
    schema
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TicketSummary {
    pub id: TicketId,
    pub number: String,
    pub company: CompanyCode,
    pub subject: String,
    pub ticket_type: String,
    pub priority: Priority,
    pub status: Status,
    pub sub_status: Option<String>,
    pub desk: Desk,
    pub assignee: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// A public reply from the other side arrived after this reader last opened the ticket.
    pub unseen: bool,
    /// How its service levels stand, and the next target still running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceSummary>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TicketPage {
    pub items: Vec<TicketSummary>,
    pub next_cursor: Option<String>,
}

impl Core {
    pub async fn list_tickets(&self, who: &Identity, request: &ListRequest) -> Result<TicketPage, ServiceError> {
        let limit = request.limit.unwrap_or(25);
        if !(1..=100).contains(&limit) {
            return Err(Invalid::new("limit", "must be between 1 and 100").into());
        }
        let after = match &request.cursor {
            Some(c) => {
                Some(Cursor::decode(c).ok_or_else(|| Invalid::new("cursor", "is not a cursor this API gave out"))?)
            }
            None => None,
        };
        let view = request.view.as_deref().unwrap_or("mine");
        let agent = who.standing() == Standing::Agent;
        let other_company = || -> Result<String, ServiceError> {
            match &request.company {
                Some(c) if agent => Ok(validate::code("company", Some(c), 12)?),
                _ => Ok(who.company.to_string()),
            }
        };
        let email = who.email.to_ascii_lowercase();
        let (index, pk) = match view {
            "mine" if agent => (Index::Gsi3, store::agent_view(&email, true)),
            "mine" => (Index::Gsi1, store::requester_view(&who.user_id, true)),
            "company" => (Index::Gsi2, store::company_view(&other_company()?, true)),
            "closed" if agent && request.company.is_none() => (Index::Gsi3, store::agent_view(&email, false)),
            "closed" => (Index::Gsi2, store::company_view(&other_company()?, false)),
            "collaborating" => (Index::Gsi1, store::collaborator_view(&email)),
            "following" => (Index::Gsi1, store::following_view(&email)),
            "queue" if agent => (Index::Gsi3, store::queue_view(Desk::Vendor, "")),
            // The queue of the agent's own level (level 2 agents: what level 1 handed on).
            "level" if agent => {
                let level = if who.roles.contains(&Role::AgentL2) {
                    Level::L2
                } else {
                    Level::L1
                };
                (Index::Gsi3, store::level_queue_view(level))
            }
            "queue" if who.is_client_admin() => (Index::Gsi3, store::queue_view(Desk::Internal, &who.company)),
            "queue" => {
                return Err(ServiceError::forbidden(
                    ProblemKind::NotAllowed,
                    "the queue is for the support side",
                ))
            }
            "level" => {
                return Err(ServiceError::forbidden(
                    ProblemKind::NotAllowed,
                    "levels are the vendor's help desk's",
                ))
            }
            _ => {
                return Err(Invalid::new(
                    "view",
                    "must be one of mine, company, closed, collaborating, following, queue, level",
                )
                .into())
            }
        };
        // The support side's work lists (an agent's open cases, a queue) come soonest target
        // first; every other list newest first.
        let work_list = index == Index::Gsi3 && view != "closed";
        let mut query = Query::new(index, pk);
        query.newest_first = !work_list;
        query.limit = limit;
        query.after = after;
        let page = self.table.query(&query).await?;
        let listings = self.listings_of(&page.items).await?;
        let mut items = Vec::with_capacity(listings.len());
        let seen = self.seen_markers(&listings, &who.user_id).await?;
        for listing in listings {
            // The index decides the set; this check is the belt to its braces (agents see
            // vendor tickets only, whatever company they list).
            let side = access::side_for(who, &listing.company, listing.desk, view == "collaborating");
            let Some(side) = side else { continue };
            let unseen = is_unseen(listing.last_reply, side, seen.get(listing.id.as_str()).copied());
            items.push(summary(listing, unseen));
        }
        Ok(TicketPage {
            items,
            next_cursor: page.next.map(|c| c.encode()),
        })
    }

    /// The listings of the tickets a page of list-index entries names, in the page's order.
    /// The list indexes hold a ticket's keys alone (its item has no summary, so a change
    /// that moves no list key costs no index write: issue 12); the tickets are read in one
    /// batch. A collaborator's or follower's entry is its own item on the ticket.
    pub(crate) async fn listings_of(&self, entries: &[Item]) -> Result<Vec<Listing>, ServiceError> {
        let keys: Vec<(String, String)> = entries
            .iter()
            .map(|i| (i.pk.clone(), store::META.to_string()))
            .collect();
        let mut found: HashMap<String, Listing> = HashMap::new();
        for item in self.table.get_many_listed(&keys).await? {
            found.insert(item.pk.clone(), store::listing_of(&item)?);
        }
        Ok(keys.iter().filter_map(|(pk, _)| found.remove(pk)).collect())
    }

    async fn seen_markers(
        &self,
        listings: &[Listing],
        reader: &str,
    ) -> Result<HashMap<String, DateTime<Utc>>, ServiceError> {
        let keys: Vec<(String, String)> = listings
            .iter()
            .filter(|t| t.last_reply.is_some())
            .map(|t| (store::ticket_pk(&t.id), store::seen_sk(reader)))
            .collect();
        if keys.is_empty() {
            return Ok(HashMap::new());
        }
        let mut out = HashMap::new();
        for item in self.table.get_many(&keys).await? {
            let marker: SeenMarker = store::from_item(&item)?;
            out.insert(store::ticket_id_of(&item.pk).to_string(), marker.at);
        }
        Ok(out)
    }
}

fn is_unseen(last_reply: Option<LastReply>, side: Side, seen_at: Option<DateTime<Utc>>) -> bool {
    match last_reply {
        Some(reply) if reply.side != side => seen_at.is_none_or(|seen| seen < reply.at),
        _ => false,
    }
}

fn summary(listing: Listing, unseen: bool) -> TicketSummary {
    TicketSummary {
        id: listing.id,
        number: listing.number,
        company: listing.company,
        subject: listing.subject,
        ticket_type: listing.ticket_type,
        priority: listing.priority,
        status: listing.status,
        sub_status: listing.sub_status,
        desk: listing.desk,
        assignee: listing.assignee,
        created_at: listing.created_at,
        updated_at: listing.updated_at,
        unseen,
        service: listing.service,
    }
}
