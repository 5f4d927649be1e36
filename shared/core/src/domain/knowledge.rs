//! The knowledge base (seeds 002–004): articles staff write for clients or for themselves,
//! and solutions published from resolved cases (seed 003: "all new support ticket issues and
//! solutions are stored … available for future access by all users").
//!
//! An article's body is HTML, cleaned on every write by `ammonia` (no script, no event
//! handlers, no `javascript:` links, links marked `noopener noreferrer`), so whatever a page
//! puts into the document is safe to show as it is. A solution is plain text an agent wrote
//! or edited from the conversation: it never carries the raw case, and it names neither the
//! company nor the people of the case it came from.

use super::roles::Identity;
use super::validate::{self, Invalid};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const TITLE_MAX: usize = 200;
/// As a case's description: the longest body whose JSON, every character escaped, still
/// fits the API's 256 KB request limit (so an overlong one is a 422 naming `body`).
pub const BODY_MAX: usize = 20_000;
pub const CATEGORY_MAX: usize = 80;
pub const TAG_MAX: usize = 40;
pub const TAGS_MAX: usize = 20;
pub const PRODUCT_MAX: usize = 64;
pub const SOLUTION_MAX: usize = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Every signed-in user, and staff.
    #[default]
    Clients,
    /// The vendor's staff only.
    Staff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArticleState {
    #[default]
    Draft,
    Published,
    Archived,
}

impl ArticleState {
    pub fn as_str(self) -> &'static str {
        match self {
            ArticleState::Draft => "draft",
            ArticleState::Published => "published",
            ArticleState::Archived => "archived",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Article {
    pub id: String,
    pub title: String,
    /// Cleaned HTML.
    pub body: String,
    pub category: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub product: Option<String>,
    pub visibility: Visibility,
    pub state: ArticleState,
    /// The staff member who wrote it first, and who changed it last.
    pub author: String,
    #[serde(default)]
    pub author_name: Option<String>,
    #[serde(default)]
    pub updated_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub helpful: u32,
    #[serde(default)]
    pub not_helpful: u32,
    /// The files readers may download with it (manuals, drivers, forms), oldest first.
    #[serde(default)]
    pub files: Vec<ArticleFileView>,
}

/// An article holds at most this many files (and, like a ticket, 20 MB of them in all).
pub const FILES_MAX: usize = 20;

/// A file of an article as readers see it: not where its bytes live, nor its upload token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ArticleFileView {
    pub id: String,
    pub filename: String,
    pub content_type: String,
    /// Bytes: the declared size until the file arrives, then the size that arrived.
    pub size: u64,
    pub state: FileState,
    pub added_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileState {
    /// An upload URL was handed out; the file has not arrived.
    Pending,
    /// Arrived within the limits: listed on the article.
    Stored,
    /// Arrived but broke a limit; its bytes were not kept.
    Refused,
    /// Taken off the article; its bytes are being deleted (a retried removal finishes it).
    Removing,
}

/// An article's file as stored, in the article's partition (`FILE#<id>`). The article lists
/// it from the moment its bytes arrived within the limits until staff remove it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleFile {
    pub id: String,
    pub article_id: String,
    pub filename: String,
    pub content_type: String,
    pub declared_size: u64,
    #[serde(default)]
    pub size: Option<u64>,
    pub state: FileState,
    pub uploaded_by: String,
    /// Where the bytes live; built from ids only, never from the user's file name.
    pub blob_key: String,
    /// SHA-256 of the upload token, like a ticket attachment's.
    pub upload_token_hash: String,
    pub created_at: DateTime<Utc>,
}

impl From<&ArticleFile> for ArticleFileView {
    fn from(file: &ArticleFile) -> Self {
        ArticleFileView {
            id: file.id.clone(),
            filename: file.filename.clone(),
            content_type: file.content_type.clone(),
            size: file.size.unwrap_or(file.declared_size),
            state: file.state,
            added_at: file.created_at,
        }
    }
}

/// What staff send to write an article.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleDraft {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub title: Option<String>,
    /// HTML; script, event handlers and `javascript:` links are removed.
    #[schema(min_length = 1, max_length = 20000, pattern = "\\S")]
    pub body: Option<String>,
    #[schema(min_length = 1, max_length = 80, pattern = "\\S")]
    pub category: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[schema(max_length = 64)]
    pub product: Option<String>,
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// `draft` when absent.
    #[serde(default)]
    pub state: Option<ArticleState>,
}

/// A change to an article: only the fields sent change.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticlePatch {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub title: Option<String>,
    #[schema(min_length = 1, max_length = 20000, pattern = "\\S")]
    pub body: Option<String>,
    #[schema(min_length = 1, max_length = 80, pattern = "\\S")]
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    #[schema(max_length = 64)]
    pub product: Option<String>,
    pub visibility: Option<Visibility>,
    pub state: Option<ArticleState>,
}

/// A reader's vote on an article.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleVote {
    pub helpful: bool,
}

/// The cleaned HTML of an article body: what `ammonia` keeps of it (its default list of
/// harmless tags and attributes; URLs only of http, https, mailto and relative).
pub fn clean_html(html: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .clean(html)
        .to_string()
}

/// The words of cleaned HTML, for the index and excerpts: tags dropped, the entities
/// ammonia writes read back.
pub fn text_of_html(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

fn tags(field: &str, tags: &[String]) -> Result<Vec<String>, Invalid> {
    if tags.len() > TAGS_MAX {
        return Err(Invalid::new(field, format!("must hold at most {TAGS_MAX} tags")));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, tag) in tags.iter().enumerate() {
        let tag = validate::line(&format!("{field}[{i}]"), Some(tag), TAG_MAX)?.to_lowercase();
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Ok(out)
}

fn body(value: Option<&str>) -> Result<String, Invalid> {
    let raw = validate::text("body", value, BODY_MAX)?;
    let cleaned = clean_html(&raw);
    if text_of_html(&cleaned).trim().is_empty() {
        return Err(Invalid::new("body", "must hold some text once unsafe HTML is removed"));
    }
    Ok(cleaned)
}

impl ArticleDraft {
    pub fn into_article(self, id: String, who: &Identity, now: DateTime<Utc>) -> Result<Article, Invalid> {
        Ok(Article {
            id,
            title: validate::line("title", self.title.as_deref(), TITLE_MAX)?,
            body: body(self.body.as_deref())?,
            category: validate::line("category", self.category.as_deref(), CATEGORY_MAX)?,
            tags: tags("tags", &self.tags)?,
            product: validate::optional_line("product", self.product.as_deref(), PRODUCT_MAX)?,
            visibility: self.visibility.unwrap_or_default(),
            state: self.state.unwrap_or_default(),
            author: who.email.to_string(),
            author_name: who.name.clone(),
            updated_by: None,
            created_at: now,
            updated_at: now,
            helpful: 0,
            not_helpful: 0,
            files: Vec::new(),
        })
    }
}

impl ArticlePatch {
    /// The article as changed, or `None` when nothing would change.
    pub fn apply(self, article: &Article, who: &Identity, now: DateTime<Utc>) -> Result<Option<Article>, Invalid> {
        let mut changed = article.clone();
        if let Some(title) = self.title {
            changed.title = validate::line("title", Some(&title), TITLE_MAX)?;
        }
        if let Some(text) = self.body {
            changed.body = body(Some(&text))?;
        }
        if let Some(category) = self.category {
            changed.category = validate::line("category", Some(&category), CATEGORY_MAX)?;
        }
        if let Some(list) = self.tags {
            changed.tags = tags("tags", &list)?;
        }
        if let Some(product) = self.product {
            changed.product = validate::optional_line("product", Some(&product), PRODUCT_MAX)?;
        }
        if let Some(visibility) = self.visibility {
            changed.visibility = visibility;
        }
        if let Some(state) = self.state {
            changed.state = state;
        }
        if changed == *article {
            return Ok(None);
        }
        changed.updated_at = now;
        changed.updated_by = Some(who.email.to_string());
        Ok(Some(changed))
    }
}

impl Article {
    /// Staff read every article; everyone else the published ones written for clients.
    pub fn readable_by(&self, who: &Identity) -> bool {
        who.is_agent() || (self.visibility == Visibility::Clients && self.state == ArticleState::Published)
    }

    /// The bytes of the files it lists.
    pub fn file_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }

    /// Counts a vote, taking back the reader's earlier one if they change their mind.
    pub fn count_vote(&mut self, before: Option<bool>, helpful: bool) {
        match before {
            Some(true) => self.helpful = self.helpful.saturating_sub(1),
            Some(false) => self.not_helpful = self.not_helpful.saturating_sub(1),
            None => {}
        }
        if helpful {
            self.helpful += 1;
        } else {
            self.not_helpful += 1;
        }
    }
}

/// A solution published from a resolved case: what any client may find. Its id is the
/// case's (one solution per case; publishing again replaces it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Solution {
    pub id: String,
    pub title: String,
    pub body: String,
    /// The case's type, so suggestions can favour the same kind of problem.
    pub ticket_type: String,
    #[serde(default)]
    pub product: Option<String>,
    pub author: String,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What an agent sends to publish a case's solution.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SolutionDraft {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub title: Option<String>,
    /// Plain text: the answer in the agent's words, without the customer's details.
    #[schema(min_length = 1, max_length = 20000, pattern = "\\S")]
    pub body: Option<String>,
    #[schema(max_length = 64)]
    pub product: Option<String>,
}

impl SolutionDraft {
    pub fn check(&self) -> Result<(String, String, Option<String>), Invalid> {
        Ok((
            validate::line("title", self.title.as_deref(), TITLE_MAX)?,
            validate::text("body", self.body.as_deref(), SOLUTION_MAX)?,
            validate::optional_line("product", self.product.as_deref(), PRODUCT_MAX)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning_removes_script_handlers_and_javascript_links() {
        let dirty = r#"<p onclick="steal()">Reset <b>the</b> printer</p><script>alert(1)</script><a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)><a href="https://example.com">ok</a>"#;
        let clean = clean_html(dirty);
        assert!(!clean.contains("script"), "{clean}");
        assert!(!clean.contains("onclick") && !clean.contains("onerror"), "{clean}");
        assert!(!clean.contains("javascript:"), "{clean}");
        assert!(clean.contains("<b>the</b>"), "{clean}");
        assert!(clean.contains(r#"rel="noopener noreferrer""#), "{clean}");
        assert_eq!(
            text_of_html(&clean).split_whitespace().collect::<Vec<_>>(),
            ["Reset", "the", "printer", "x", "ok"]
        );
    }

    #[test]
    fn a_body_of_nothing_but_script_is_refused() {
        let draft = ArticleDraft {
            title: Some("T".into()),
            body: Some("<script>alert(1)</script>".into()),
            category: Some("C".into()),
            ..Default::default()
        };
        let who = Identity {
            user_id: "u".to_string().into(),
            email: "a@b.test".to_string().into(),
            name: None,
            company: "VENDOR".to_string().into(),
            roles: vec![],
        };
        assert_eq!(
            draft.into_article("a".into(), &who, Utc::now()).unwrap_err().field,
            "body"
        );
    }

    #[test]
    fn a_changed_vote_moves_from_one_count_to_the_other() {
        let mut article: Article = serde_json::from_value(serde_json::json!({
            "id": "a", "title": "t", "body": "b", "category": "c", "visibility": "clients",
            "state": "published", "author": "x", "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z"
        }))
        .unwrap();
        article.count_vote(None, true);
        article.count_vote(Some(true), false);
        assert_eq!((article.helpful, article.not_helpful), (0, 1));
    }
}
