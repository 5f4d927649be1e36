//! Help resources (seeds 002–004): the knowledge base's articles, solutions published from
//! resolved cases, one search across what the caller may see, and suggestions while a new
//! case is typed.

use crate::domain::knowledge::{Article, ArticleDraft, ArticlePatch, ArticleVote, Solution, SolutionDraft};
use crate::domain::search::{SearchPage, Suggestions};
use crate::http::endpoints::files::file_response;
use crate::http::openapi::{json, query, Doc, Link, Refusal};
use crate::http::problem::Problem;
use crate::http::routes::{declare, Function, Params};
use crate::http::{parse_body, Api, ApiRequest, ApiResponse};
use crate::services::knowledge::files::ArticleFileGranted;
use crate::services::knowledge::{ArticlePage, ArticleQuery, SearchQuery, SuggestionDraft};
use crate::services::tickets::attachments::UploadDraft;

pub const FUNCTIONS: &[&Function] = &[
    &CREATE_ARTICLE,
    &UPDATE_ARTICLE,
    &GET_ARTICLE,
    &LIST_ARTICLES,
    &VOTE_ARTICLE,
    &UPLOAD_ARTICLE_FILE,
    &GET_ARTICLE_FILE,
    &REMOVE_ARTICLE_FILE,
    &PUBLISH_SOLUTION,
    &GET_SOLUTION,
    &SEARCH,
    &SUGGEST,
];

declare! {
    CREATE_ARTICLE = "create-article", "staff write a knowledge-base article", grants [WriteTable] {
        POST "/v1/articles" Token => create_article,
            Doc::new("createArticle", "Write an article (staff): HTML body (script, event handlers and javascript: links are removed), category, tags, product, for clients or staff only, as a draft or published")
                .takes(json::<ArticleDraft>)
                .answers(201, "Written", json::<Article>)
                .idempotent(),
    }
}

declare! {
    UPDATE_ARTICLE = "update-article", "staff change an article", grants [WriteTable] {
        PATCH "/v1/articles/{id}" Token => update_article,
            Doc::new("updateArticle", "Change an article's fields, visibility or state (publish, archive)")
                .takes(json::<ArticlePatch>)
                .answers(200, "Changed", json::<Article>)
                .idempotent(),
    }
}

declare! {
    GET_ARTICLE = "get-article", "one article", grants [ReadRecords] {
        GET "/v1/articles/{id}" Token => get_article,
            Doc::new("getArticle", "An article: staff read any; everyone else a published one written for clients (404 otherwise)")
                .answers(200, "The article", json::<Article>),
    }
}

declare! {
    LIST_ARTICLES = "list-articles", "the knowledge base", grants [ReadTable] {
        GET "/v1/articles" Token => list_articles,
            Doc::new("listArticles", "The knowledge base by category, then title: the published articles written for clients, or for staff any state and visibility")
                .query(query::<ArticleQuery>)
                .answers(200, "A page of articles", json::<ArticlePage>),
    }
}

declare! {
    VOTE_ARTICLE = "vote-article", "readers say whether an article helped", grants [WriteTable] {
        POST "/v1/articles/{id}/votes" Token => vote_article,
            Doc::new("voteArticle", "Say whether an article helped (one vote each; a second one replaces the first)")
                .takes(json::<ArticleVote>)
                .answers(200, "Counted", json::<Article>)
                .idempotent(),
    }
}

declare! {
    UPLOAD_ARTICLE_FILE = "upload-article-file", "staff add a file to an article", grants [WriteTable, PutUploads] {
        POST "/v1/articles/{id}/attachments" Token => request_article_upload,
            Doc::new("requestArticleUpload", "Ask for an upload URL for an article's file (staff): listed on the article once its bytes arrive")
                .takes(json::<UploadDraft>)
                .answers(201, "Upload granted", json::<ArticleFileGranted>)
                .idempotent()
                .refuses(&[
                    Refusal::MALFORMED,
                    Refusal::UNAUTHENTICATED,
                    Refusal::FORBIDDEN,
                    Refusal::NOT_FOUND,
                    Refusal::new(409, "The article holds 20 files already"),
                    Refusal::new(413, "Over the 20 MB per article"),
                    Refusal::INVALID,
                    Refusal::RATE_LIMITED,
                    Refusal::UNAVAILABLE,
                ])
                .links(&[Link::to(
                    "downloadArticleFile",
                    &[("id", "$request.path.id"), ("attachment_id", "$response.body#/file/id")],
                )]),
    }
}

declare! {
    GET_ARTICLE_FILE = "get-article-file", "downloads of an article's files", grants [ReadRecords, GetFiles] {
        GET "/v1/articles/{id}/attachments/{attachment_id}" Token => download_article_file,
            Doc::new("downloadArticleFile", "Download an article's file: whoever may read the article (404 for everyone else)")
                .answers_bytes(200, "The file", "application/octet-stream")
                .or_redirects("Redirect to a short-lived download URL"),
    }
}

declare! {
    REMOVE_ARTICLE_FILE = "remove-article-file", "staff take a file off an article", grants [WriteTable, RemoveArticleFiles] {
        DELETE "/v1/articles/{id}/attachments/{attachment_id}" Token => remove_article_file,
            Doc::new("removeArticleFile", "Take a file off an article (staff): its bytes are deleted; removing it again after a failure finishes the job")
                .answers(200, "The article without the file", json::<Article>),
    }
}

declare! {
    PUBLISH_SOLUTION = "publish-solution", "support publishes what solved a case", grants [WriteTable] {
        PUT "/v1/tickets/{id}/solution" Token => publish_solution,
            Doc::new("publishSolution", "Publish (or rewrite) a resolved case's solution, in the agent's words: every client can then find it; the case itself stays its company's")
                .takes(json::<SolutionDraft>)
                .answers(200, "Published", json::<Solution>)
                .idempotent(),
    }
}

declare! {
    GET_SOLUTION = "get-solution", "one published solution", grants [ReadRecords] {
        GET "/v1/solutions/{id}" Token => get_solution,
            Doc::new("getSolution", "A published solution (its id is the case's)")
                .answers(200, "The solution", json::<Solution>),
    }
}

declare! {
    SEARCH = "search", "one search across what the caller may see", grants [ReadRecords, ReadSearchIndex] {
        GET "/v1/search" Token => search,
            Doc::new("search", "Search tickets (number, subject, description, messages; internal notes for the support side only), articles and solutions, exactly as the lists show them, best first")
                .query(query::<SearchQuery>)
                .answers(200, "A page of hits", json::<SearchPage>),
    }
}

declare! {
    SUGGEST = "suggest", "articles and solutions for a case being written", grants [ReadRecords, ReadSearchIndex] {
        POST "/v1/suggestions" Token => suggest,
            Doc::new("suggest", "The five best published articles and solutions for what a new case says so far (the last word matches as a prefix while typing)")
                .takes(json::<SuggestionDraft>)
                .answers(200, "Suggestions", json::<Suggestions>),
    }
}

async fn create_article(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let draft: ArticleDraft = parse_body(&request.body)?;
    api.commit(request, &who.user_id, 201, || {
        api.core.plan_create_article(who, draft.clone())
    })
    .await
}

async fn update_article(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let patch: ArticlePatch = parse_body(&request.body)?;
    let id = params.get(0);
    api.commit(request, &who.user_id, 200, || {
        api.core.plan_update_article(who, id, patch.clone())
    })
    .await
}

async fn get_article(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    Ok(ApiResponse::json(
        200,
        &api.core.read_article(who, params.get(0)).await?,
    ))
}

async fn list_articles(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let query = ArticleQuery {
        state: request.query_param("state").map(str::to_string),
        category: request.query_param("category").map(str::to_string),
        cursor: request.query_param("cursor").map(str::to_string),
        limit: request.limit_param()?,
    };
    Ok(ApiResponse::json(200, &api.core.list_articles(who, &query).await?))
}

async fn vote_article(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let vote: ArticleVote = parse_body(&request.body)?;
    let id = params.get(0);
    api.commit(request, &who.user_id, 200, || {
        api.core.plan_vote_article(who, id, &vote)
    })
    .await
}

async fn request_article_upload(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let draft: UploadDraft = parse_body(&request.body)?;
    let id = params.get(0);
    api.commit(request, &who.user_id, 201, || {
        api.core.plan_article_upload(who, id, &draft)
    })
    .await
}

async fn download_article_file(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let (file, download) = api
        .core
        .download_article_file(who, params.get(0), params.get(1))
        .await?;
    Ok(file_response(&file.filename, download))
}

async fn remove_article_file(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let article = api.core.remove_article_file(who, params.get(0), params.get(1)).await?;
    Ok(ApiResponse::json(200, &article))
}

async fn publish_solution(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let draft: SolutionDraft = parse_body(&request.body)?;
    let id = params.get(0);
    api.commit(request, &who.user_id, 200, || {
        api.core.plan_publish_solution(who, id, &draft)
    })
    .await
}

async fn get_solution(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    Ok(ApiResponse::json(
        200,
        &api.core.read_solution(who, params.get(0)).await?,
    ))
}

async fn search(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let query = SearchQuery {
        q: request.query_param("q").map(str::to_string),
        kind: request.query_param("kind").map(str::to_string),
        state: request.query_param("state").map(str::to_string),
        from: request.query_param("from").map(str::to_string),
        to: request.query_param("to").map(str::to_string),
        cursor: request.query_param("cursor").map(str::to_string),
        limit: request.limit_param()?,
    };
    Ok(ApiResponse::json(200, &api.core.search(who, &query).await?))
}

async fn suggest(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    if request.body.iter().all(u8::is_ascii_whitespace) {
        // Every field may be left out, but not the body: `{}` asks for nothing.
        return Err(Problem::new(
            400,
            crate::services::problems::ProblemKind::MalformedBody,
            "Malformed body",
            "a JSON object is required",
        ));
    }
    let draft: SuggestionDraft = parse_body(&request.body)?;
    Ok(ApiResponse::json(200, &api.core.suggest(who, &draft).await?))
}
