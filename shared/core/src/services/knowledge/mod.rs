//! The knowledge base's use cases: articles (staff write, everyone reads what its
//! visibility allows, readers vote), solutions published from resolved cases, and the
//! search and the suggestions that read the index (`ports::Search`).

use crate::domain::ids::TicketId;
use crate::domain::knowledge::{
    Article, ArticleDraft, ArticlePatch, ArticleState, ArticleVote, Solution, SolutionDraft,
};
use crate::domain::lifecycle::{Side, Status};
use crate::domain::roles::Identity;
use crate::domain::search::{Kind, SearchPage, SearchRequest, SuggestRequest, Suggestions, Viewer};
use crate::domain::validate::{self, Invalid};
use crate::ports::{Query, SortKey, Write};
use crate::services::people::directory::page_of;
use crate::services::problems::ProblemKind;
use crate::services::{item_of, new_id, Core, Loaded, Plan, ServiceError};
use crate::store;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

pub mod files;

/// The longest search text accepted (a query is at most `MAX_QUERY_WORDS` words anyway).
pub const QUERY_MAX: usize = 2_000;
/// A suggestion reads the new case's subject and description as typed so far: a case's
/// description is at most 20,000 characters, and so is what is read.
pub const SUGGEST_SUBJECT_MAX: usize = 1_000;
pub const SUGGEST_DESCRIPTION_MAX: usize = 20_000;
pub const SUGGESTIONS: usize = 5;
pub const SEARCH_PAGE_MAX: usize = 50;

/// An article in a list: everything but its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ArticleSummary {
    pub id: String,
    pub title: String,
    pub category: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub product: Option<String>,
    pub visibility: crate::domain::knowledge::Visibility,
    pub state: ArticleState,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub helpful: u32,
    #[serde(default)]
    pub not_helpful: u32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ArticlePage {
    pub items: Vec<ArticleSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Default, utoipa::IntoParams)]
pub struct ArticleQuery {
    /// Staff: draft, published (the default) or archived; everyone else lists the published.
    #[param(nullable = false)]
    pub state: Option<String>,
    /// Only this category.
    #[param(nullable = false, max_length = 80)]
    pub category: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(nullable = false)]
    pub cursor: Option<String>,
    /// At most this many (25 when absent).
    #[param(nullable = false, minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, Default, utoipa::IntoParams)]
pub struct SearchQuery {
    /// The words to look for (query syntax is not read: quotes, `*`, `OR`, `NEAR` are words).
    #[param(nullable = false, min_length = 1, max_length = 2000, pattern = "\\S")]
    pub q: Option<String>,
    /// ticket, article or solution; every kind when absent.
    #[param(nullable = false)]
    pub kind: Option<String>,
    /// A ticket's status (`pending_support` …) or an article's state.
    #[param(nullable = false, max_length = 40)]
    pub state: Option<String>,
    /// Created (tickets) or changed (articles, solutions) on or after: `YYYY-MM-DD` or RFC 3339.
    #[param(nullable = false)]
    pub from: Option<String>,
    /// … and before.
    #[param(nullable = false)]
    pub to: Option<String>,
    /// The `next` of the page before.
    #[param(nullable = false)]
    pub cursor: Option<String>,
    /// At most this many (20 when absent).
    #[param(nullable = false, minimum = 1, maximum = 50)]
    pub limit: Option<usize>,
}

/// What a new case says so far.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestionDraft {
    #[schema(max_length = 1000)]
    pub subject: Option<String>,
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    #[schema(max_length = 100)]
    pub ticket_type: Option<String>,
    #[schema(max_length = 64)]
    pub product: Option<String>,
    /// Whether the last word is still being typed (matches as a prefix); true when absent.
    pub typing: Option<bool>,
}

fn staff_or_404(who: &Identity, article: &Article) -> Result<(), ServiceError> {
    if article.readable_by(who) {
        Ok(())
    } else {
        Err(ServiceError::NotFound("article"))
    }
}

/// `YYYY-MM-DD` (the start of that UTC day) or an RFC 3339 instant.
fn instant(field: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, Invalid> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(day.and_hms_opt(0, 0, 0).map(|t| t.and_utc()));
    }
    DateTime::parse_from_rfc3339(value)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|_| Invalid::new(field, "must be a date (YYYY-MM-DD) or an RFC 3339 time"))
}

fn bounded(field: &str, value: Option<&str>, max: usize) -> Result<String, Invalid> {
    let value = value.unwrap_or("");
    if value.chars().count() > max {
        return Err(Invalid::new(field, format!("must be at most {max} characters")));
    }
    Ok(value.to_string())
}

impl Core {
    async fn load_article(&self, id: &str) -> Result<Loaded<Article>, ServiceError> {
        if !crate::domain::ids::plausible_id("art", id) {
            return Err(ServiceError::NotFound("article"));
        }
        self.get_record::<Article>(&store::article_pk(id), store::META)
            .await?
            .ok_or(ServiceError::NotFound("article"))
    }

    pub async fn plan_create_article(
        &self,
        who: &Identity,
        draft: ArticleDraft,
    ) -> Result<Plan<Article>, ServiceError> {
        self.require_agent(who, "write articles")?;
        let article = draft.into_article(new_id("art"), who, self.now())?;
        Ok(Plan::new(
            vec![Write::create(store::article_item(&article, 1))],
            article,
        ))
    }

    pub async fn plan_update_article(
        &self,
        who: &Identity,
        id: &str,
        patch: ArticlePatch,
    ) -> Result<Plan<Article>, ServiceError> {
        // An article the caller may not read is not there for them (404 before 403).
        let loaded = self.load_article(id).await?;
        staff_or_404(who, &loaded.record)?;
        self.require_agent(who, "change articles")?;
        match patch.apply(&loaded.record, who, self.now())? {
            None => Ok(Plan::new(Vec::new(), loaded.record)),
            Some(article) => Ok(Plan::new(
                vec![Write::replace(
                    store::article_item(&article, loaded.version),
                    loaded.version,
                )],
                article,
            )),
        }
    }

    pub async fn read_article(&self, who: &Identity, id: &str) -> Result<Article, ServiceError> {
        let loaded = self.load_article(id).await?;
        staff_or_404(who, &loaded.record)?;
        Ok(loaded.record)
    }

    /// Everyone lists the published articles written for clients; staff list any state
    /// (`published` by default). By category, then title; `category` narrows it.
    pub async fn list_articles(&self, who: &Identity, query: &ArticleQuery) -> Result<ArticlePage, ServiceError> {
        let (limit, after) = page_of(query.cursor.as_deref(), query.limit)?;
        let state = match query.state.as_deref() {
            None | Some("") => ArticleState::Published,
            Some(name) => serde_json::from_value(serde_json::Value::String(name.into()))
                .map_err(|_| Invalid::new("state", "must be draft, published or archived"))?,
        };
        let category = validate::optional_line(
            "category",
            query.category.as_deref(),
            crate::domain::knowledge::CATEGORY_MAX,
        )?;
        let mut q = if who.is_agent() {
            Query::new(crate::ports::Index::Gsi2, store::articles_view(state))
        } else if state == ArticleState::Published {
            Query::new(crate::ports::Index::Gsi3, store::CLIENT_ARTICLES)
        } else {
            return Err(ServiceError::forbidden(
                ProblemKind::StaffOnly,
                "only support staff may list drafts and archived articles",
            ));
        };
        if let Some(category) = category {
            q.sort = SortKey::BeginsWith(store::article_sort(&category));
        }
        q.newest_first = false;
        q.limit = limit;
        q.after = after;
        let page = self.table.query(&q).await?;
        let items = page
            .items
            .iter()
            .map(|item| {
                item.summary
                    .clone()
                    .and_then(|s| serde_json::from_value(s).ok())
                    .ok_or_else(|| ServiceError::Internal(format!("article {} has no summary", item.pk)))
            })
            .collect::<Result<_, _>>()?;
        Ok(ArticlePage {
            items,
            next_cursor: page.next.map(|c| c.encode()),
        })
    }

    /// A reader says whether an article helped: one vote each, which they may change.
    pub async fn plan_vote_article(
        &self,
        who: &Identity,
        id: &str,
        vote: &ArticleVote,
    ) -> Result<Plan<Article>, ServiceError> {
        let loaded = self.load_article(id).await?;
        staff_or_404(who, &loaded.record)?;
        let pk = store::article_pk(id);
        let sk = store::vote_sk(&who.user_id);
        let before = self.get_record::<ArticleVote>(&pk, &sk).await?;
        if before.as_ref().map(|b| b.record.helpful) == Some(vote.helpful) {
            return Ok(Plan::new(Vec::new(), loaded.record));
        }
        let mut article = loaded.record;
        article.count_vote(before.as_ref().map(|b| b.record.helpful), vote.helpful);
        let mut vote_item = item_of(pk, sk, &serde_json::json!({ "helpful": vote.helpful }));
        let vote_write = match before {
            Some(b) => Write::replace(vote_item, b.version),
            None => {
                vote_item.version = 1;
                Write::create(vote_item)
            }
        };
        Ok(Plan::new(
            vec![
                Write::replace(store::article_item(&article, loaded.version), loaded.version),
                vote_write,
            ],
            article,
        ))
    }

    /// The support side publishes what solved a resolved (or closed) case, in its own words:
    /// every client may then find it. Publishing again replaces it.
    pub async fn plan_publish_solution(
        &self,
        who: &Identity,
        ticket_id: &str,
        draft: &SolutionDraft,
    ) -> Result<Plan<Solution>, ServiceError> {
        let id = crate::services::ticket_id(ticket_id)?;
        let (loaded, viewer) = self.open_ticket(who, &id).await?;
        if viewer.side != Side::Support || !who.is_agent() {
            return Err(ServiceError::forbidden(
                ProblemKind::StaffOnly,
                "only the vendor's support staff may publish a case's solution",
            ));
        }
        let ticket = loaded.record;
        if !matches!(ticket.lifecycle.status, Status::Resolved | Status::Closed) {
            return Err(ServiceError::conflict(
                ProblemKind::Lifecycle,
                "a solution is published once the case is resolved",
            ));
        }
        let (title, body, product) = draft.check()?;
        let now = self.now();
        let pk = store::solution_pk(&ticket.id);
        let existing = self.get_record::<Solution>(&pk, store::META).await?;
        let solution = Solution {
            id: ticket.id.to_string(),
            title,
            body,
            ticket_type: ticket.ticket_type.clone(),
            product: product.or_else(|| ticket.fields.get("product").cloned()),
            author: who.email.to_string(),
            published_at: existing.as_ref().map_or(now, |e| e.record.published_at),
            updated_at: now,
        };
        let mut item = item_of(pk, store::META, &solution);
        let write = match existing {
            Some(e) => Write::replace(item, e.version),
            None => {
                item.version = 1;
                Write::create(item)
            }
        };
        Ok(Plan::new(vec![write], solution))
    }

    /// A published solution: anyone signed in may read it (it holds no raw case).
    pub async fn read_solution(&self, _who: &Identity, id: &str) -> Result<Solution, ServiceError> {
        let id: TicketId = TicketId::parse(id).ok_or(ServiceError::NotFound("solution"))?;
        Ok(self
            .get_record::<Solution>(&store::solution_pk(&id), store::META)
            .await?
            .ok_or(ServiceError::NotFound("solution"))?
            .record)
    }

    /// One search across what the caller may see, best first, in pages.
    pub async fn search(&self, who: &Identity, query: &SearchQuery) -> Result<SearchPage, ServiceError> {
        let text = bounded("q", query.q.as_deref(), QUERY_MAX)?;
        if text.trim().is_empty() {
            return Err(Invalid::new("q", "is required").into());
        }
        let kinds = match query.kind.as_deref().filter(|k| !k.is_empty()) {
            None => Vec::new(),
            Some(k) => vec![Kind::parse(k).ok_or_else(|| Invalid::new("kind", "must be ticket, article or solution"))?],
        };
        let limit = query.limit.unwrap_or(20);
        if !(1..=SEARCH_PAGE_MAX).contains(&limit) {
            return Err(Invalid::new("limit", format!("must be between 1 and {SEARCH_PAGE_MAX}")).into());
        }
        let offset = match query.cursor.as_deref() {
            None | Some("") => 0,
            Some(c) => c
                .strip_prefix('o')
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| *n <= 10_000)
                .ok_or_else(|| Invalid::new("cursor", "is not a cursor this API gave out"))?,
        };
        let state = validate::optional_line("state", query.state.as_deref(), 40)?;
        let request = SearchRequest {
            viewer: Viewer::from(who),
            text,
            kinds,
            state,
            from: instant("from", query.from.as_deref())?,
            to: instant("to", query.to.as_deref())?,
            offset,
            limit,
        };
        let mut hits = self.search.search(&request).await?;
        let next = (hits.len() > limit).then(|| format!("o{}", offset + limit));
        hits.truncate(limit);
        Ok(SearchPage { hits, next })
    }

    /// The best articles and solutions for a case being written.
    pub async fn suggest(&self, who: &Identity, draft: &SuggestionDraft) -> Result<Suggestions, ServiceError> {
        let subject = bounded("subject", draft.subject.as_deref(), SUGGEST_SUBJECT_MAX)?;
        let description = bounded("description", draft.description.as_deref(), SUGGEST_DESCRIPTION_MAX)?;
        let ticket_type = bounded("ticket_type", draft.ticket_type.as_deref(), 100)?;
        let product = bounded("product", draft.product.as_deref(), 64)?;
        // The words typed last are the description's, so it comes last.
        let text = format!("{ticket_type} {product} {subject} {description}");
        Ok(self
            .search
            .suggest(&SuggestRequest {
                viewer: Viewer::from(who),
                text,
                typing: draft.typing.unwrap_or(true),
                limit: SUGGESTIONS,
            })
            .await?)
    }
}
