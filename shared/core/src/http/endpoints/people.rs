//! Who is signed in: what the portal shows of the caller and decides its menus by.

use crate::domain::people::Me;
use crate::http::openapi::{json, Doc, Refusal};
use crate::http::problem::Problem;
use crate::http::routes::{declare, Function, Params};
use crate::http::{Api, ApiRequest, ApiResponse};

pub const FUNCTIONS: &[&Function] = &[&ME];

declare! {
    ME = "me", "who is signed in", grants [ReadRecords] {
        GET "/v1/me" Token => me,
            Doc::new("getMe", "Who is signed in: the token's identity and the directory's record")
                .answers(200, "The caller", json::<Me>)
                .refuses(&[Refusal::UNAUTHENTICATED, Refusal::RATE_LIMITED, Refusal::UNAVAILABLE]),
    }
}

async fn me(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let account = api.core.user(&who.user_id).await?;
    Ok(ApiResponse::json(200, &Me::of(who, account)))
}
