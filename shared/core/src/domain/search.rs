//! What the search index holds, and who may find what in it.
//!
//! The index is fed with the table's items as they change (locally inside the same SQLite
//! transaction, on AWS from the table's stream), so it knows nothing the table does not:
//! `changes_of` turns one item into its index change. Who finds what is `Viewer`, the same
//! facts `access::side_for` decides a ticket's side from: the engine's query applies them
//! (`claimdesk_search`), and its tests hold the two equal for every standing, company and desk.

use super::knowledge::{self, Article, ArticleState, Solution, Visibility};
use super::lifecycle::Desk;
use super::roles::Identity;
use super::ticket::{Collaborator, Message, Ticket};
use crate::ports::Item;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a search can find.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Ticket,
    Article,
    Solution,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ticket => "ticket",
            Kind::Article => "article",
            Kind::Solution => "solution",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "ticket" | "tickets" => Some(Kind::Ticket),
            "article" | "articles" => Some(Kind::Article),
            "solution" | "solutions" => Some(Kind::Solution),
            _ => None,
        }
    }
}

/// One searchable text and the facts that decide who may find it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The item it was made from: `pk|sk` (a delete names only the keys).
    pub item: String,
    pub kind: Kind,
    /// For a ticket and its messages: the ticket's id (visibility is the ticket's).
    pub ticket: Option<String>,
    /// A message of a ticket (found as its ticket).
    pub message: bool,
    /// A message that is an internal note (the support side's only).
    pub internal: bool,
    pub company: Option<String>,
    pub desk: Option<Desk>,
    /// Articles: who they are written for.
    pub visibility: Option<Visibility>,
    /// A ticket's status, an article's state (solutions: `published`).
    pub state: String,
    pub at: DateTime<Utc>,
    /// Weighted above the body: a title, a number, tags, a category, a product.
    pub title: String,
    pub body: String,
    /// What a hit shows.
    pub hit: Hit,
}

/// One change to the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Put(Box<Document>),
    /// A collaborator added to a ticket finds it as the customer side does.
    Collaborator {
        ticket: String,
        email: String,
    },
    /// The item is gone (or no longer searchable): whatever it made goes.
    Remove {
        item: String,
    },
}

/// A result as the caller sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Hit {
    pub kind: Kind,
    /// The ticket's, article's or solution's id.
    pub id: String,
    pub title: String,
    /// The start of the matching text.
    pub excerpt: String,
    /// A ticket's number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// A ticket's status or an article's state.
    pub state: String,
    pub at: DateTime<Utc>,
}

/// Who is searching, reduced to what visibility rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// The vendor's staff: every vendor-desk ticket with its notes, every article.
    pub staff: bool,
    pub company: String,
    /// A company admin: the support side of the company's internal-desk tickets.
    pub company_admin: bool,
    /// Tickets this address collaborates on.
    pub email: String,
}

impl From<&Identity> for Viewer {
    fn from(who: &Identity) -> Viewer {
        Viewer {
            staff: who.is_agent(),
            company: who.company.to_string(),
            company_admin: who.is_client_admin(),
            email: who.email.to_string(),
        }
    }
}

pub const EXCERPT_CHARS: usize = 240;

/// The first `EXCERPT_CHARS` characters of a text, on one line.
pub fn excerpt(text: &str) -> String {
    let mut out = String::new();
    for word in text.split_whitespace() {
        if out.chars().count() + word.chars().count() + 1 > EXCERPT_CHARS {
            out.push('…');
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

fn item_key(pk: &str, sk: &str) -> String {
    format!("{pk}|{sk}")
}

/// An item's record, read in place: every local write passes here, so the JSON is not
/// copied first.
fn record<T: serde::de::DeserializeOwned>(item: &Item) -> Option<T> {
    T::deserialize(&item.data).ok()
}

/// The index change an item makes, or `None` for an item search does not hold.
pub fn changes_of(item: &Item) -> Option<Change> {
    let key = item_key(&item.pk, &item.sk);
    if let Some(ticket) = item.pk.strip_prefix(crate::store::TICKET_PREFIX) {
        if item.sk == crate::store::META {
            // A ticket's record is completed by its summary (`store::ticket_record`).
            let ticket: Ticket = crate::store::from_item(item).ok()?;
            return Some(Change::Put(Box::new(ticket_document(key, &ticket))));
        }
        if item.sk.starts_with(crate::store::MESSAGE_PREFIX) {
            let message: Message = record(item)?;
            return Some(Change::Put(Box::new(message_document(key, ticket, &message))));
        }
        if item.sk.starts_with(crate::store::COLLABORATOR_PREFIX) {
            let collaborator: Collaborator = record(item)?;
            return Some(Change::Collaborator {
                ticket: ticket.to_string(),
                email: collaborator.email,
            });
        }
        return None;
    }
    if item.pk.starts_with(crate::store::ARTICLE_PREFIX) && item.sk == crate::store::META {
        let article: Article = record(item)?;
        return Some(Change::Put(Box::new(article_document(key, &article))));
    }
    if item.pk.starts_with(crate::store::SOLUTION_PREFIX) && item.sk == crate::store::META {
        let solution: Solution = record(item)?;
        return Some(Change::Put(Box::new(solution_document(key, &solution))));
    }
    None
}

/// The index change a deleted item makes.
pub fn removal_of(pk: &str, sk: &str) -> Option<Change> {
    let searchable = (pk.starts_with(crate::store::TICKET_PREFIX)
        && (sk == crate::store::META
            || sk.starts_with(crate::store::MESSAGE_PREFIX)
            || sk.starts_with(crate::store::COLLABORATOR_PREFIX)))
        || ((pk.starts_with(crate::store::ARTICLE_PREFIX) || pk.starts_with(crate::store::SOLUTION_PREFIX))
            && sk == crate::store::META);
    searchable.then(|| Change::Remove { item: item_key(pk, sk) })
}

fn state_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn ticket_document(item: String, ticket: &Ticket) -> Document {
    let status = state_name(&ticket.lifecycle.status);
    Document {
        item,
        kind: Kind::Ticket,
        ticket: Some(ticket.id.to_string()),
        message: false,
        internal: false,
        company: Some(ticket.company.to_string()),
        desk: Some(ticket.lifecycle.desk),
        visibility: None,
        state: status.clone(),
        at: ticket.created_at,
        title: format!("{} {}", ticket.number, ticket.subject),
        body: ticket.description.clone(),
        hit: Hit {
            kind: Kind::Ticket,
            id: ticket.id.to_string(),
            title: ticket.subject.clone(),
            excerpt: excerpt(&ticket.description),
            number: Some(ticket.number.clone()),
            state: status,
            at: ticket.created_at,
        },
    }
}

fn message_document(item: String, ticket: &str, message: &Message) -> Document {
    Document {
        item,
        kind: Kind::Ticket,
        ticket: Some(ticket.to_string()),
        message: true,
        internal: message.internal,
        company: None,
        desk: None,
        visibility: None,
        state: String::new(),
        at: message.created_at,
        title: String::new(),
        body: message.body.clone(),
        // The ticket's own hit is shown; this one lends its excerpt.
        hit: Hit {
            kind: Kind::Ticket,
            id: ticket.to_string(),
            title: String::new(),
            excerpt: excerpt(&message.body),
            number: None,
            state: String::new(),
            at: message.created_at,
        },
    }
}

fn article_document(item: String, article: &Article) -> Document {
    let text = knowledge::text_of_html(&article.body);
    let mut title = vec![article.title.clone(), article.category.clone()];
    title.extend(article.tags.iter().cloned());
    title.extend(article.product.iter().cloned());
    Document {
        item,
        kind: Kind::Article,
        ticket: None,
        message: false,
        internal: false,
        company: None,
        desk: None,
        visibility: Some(article.visibility),
        state: article.state.as_str().to_string(),
        at: article.updated_at,
        title: title.join(" "),
        body: text.clone(),
        hit: Hit {
            kind: Kind::Article,
            id: article.id.clone(),
            title: article.title.clone(),
            excerpt: excerpt(&text),
            number: None,
            state: article.state.as_str().to_string(),
            at: article.updated_at,
        },
    }
}

fn solution_document(item: String, solution: &Solution) -> Document {
    let mut title = vec![solution.title.clone(), solution.ticket_type.clone()];
    title.extend(solution.product.iter().cloned());
    Document {
        item,
        kind: Kind::Solution,
        ticket: None,
        message: false,
        internal: false,
        company: None,
        desk: None,
        visibility: None,
        state: ArticleState::Published.as_str().to_string(),
        at: solution.updated_at,
        title: title.join(" "),
        body: solution.body.clone(),
        hit: Hit {
            kind: Kind::Solution,
            id: solution.id.clone(),
            title: solution.title.clone(),
            excerpt: excerpt(&solution.body),
            number: None,
            state: ArticleState::Published.as_str().to_string(),
            at: solution.updated_at,
        },
    }
}

/// What a search asks.
#[derive(Debug, Clone)]
pub struct SearchRequest {
    pub viewer: Viewer,
    pub text: String,
    /// Empty: every kind.
    pub kinds: Vec<Kind>,
    pub state: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub offset: usize,
    pub limit: usize,
}

/// What a new case's author has typed so far.
#[derive(Debug, Clone)]
pub struct SuggestRequest {
    pub viewer: Viewer,
    pub text: String,
    /// The last word is still being typed: it matches as a prefix.
    pub typing: bool,
    pub limit: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Suggestions {
    pub articles: Vec<Hit>,
    pub solutions: Vec<Hit>,
}

/// One page of a search, best first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SearchPage {
    pub hits: Vec<Hit>,
    /// Pass as `cursor` for the next page; absent on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_stops_at_a_word() {
        let text = "word ".repeat(100);
        let cut = excerpt(&text);
        assert!(cut.chars().count() <= EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(excerpt("a\n b"), "a b");
    }

    #[test]
    fn only_searchable_items_are_removed() {
        assert!(removal_of("TICKET#t_1", "META").is_some());
        assert!(removal_of("TICKET#t_1", "MAIL#x").is_none());
        assert!(removal_of("ARTICLE#a_1", "META").is_some());
        assert!(removal_of("ARTICLE#a_1", "VOTE#u").is_none());
        assert!(removal_of("USER#u", "META").is_none());
    }
}
