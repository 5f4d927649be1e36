//! Mail seen from the API: inbound mail held for staff, and the local engine's mail intake.

use crate::http::openapi::{json, Doc, Refusal};
use crate::http::problem::Problem;
use crate::http::routes::{declare, Function, Params};
use crate::http::{Api, ApiRequest, ApiResponse};
use crate::services::mail::email_history::InboundRecord;
use crate::services::mail::inbound::InboundReport;
use crate::services::problems::ProblemKind;
use crate::services::{new_id, ServiceError};
use serde::Serialize;

/// What `GET /v1/held-mail` answers.
#[derive(Serialize, utoipa::ToSchema)]
struct HeldMail {
    /// Newest first, at most 100.
    items: Vec<InboundRecord>,
}

pub const FUNCTIONS: &[&Function] = &[&LIST_HELD_MAIL, &LOCAL_INBOUND_EMAIL];

declare! {
    LIST_HELD_MAIL = "list-held-mail", "inbound mail held for staff review", grants [ReadRecords] {
        GET "/v1/held-mail" Token => held_mail,
            Doc::new("listHeldMail", "Inbound mail held for staff review (unknown senders, no ticket, refused replies)")
                .answers(200, "Newest first, at most 100", json::<HeldMail>)
                .refuses(&[
                    Refusal::UNAUTHENTICATED,
                    Refusal::new(403, "Not support staff"),
                    Refusal::TOO_LARGE,
                    Refusal::RATE_LIMITED,
                    Refusal::UNAVAILABLE,
                ]),
    }
}

// Anyone may send mail, as anyone may reach an MX: the mail is judged by its content.
declare! {
    local_only LOCAL_INBOUND_EMAIL = "local-inbound-email", "the local engine's mail intake", grants [] {
        POST "/v1/inbound-email" Open => inbound_email,
            Doc::new("receiveEmail", "Receive one raw mail (local engine; on AWS, SES stores it in S3 and the inbound-email function reads it)")
                .takes_bytes("message/rfc822")
                .answers(200, "What the mail led to", json::<InboundReport>)
                .refuses(&[
                    Refusal::new(400, "Empty body"),
                    Refusal::TOO_LARGE,
                    Refusal::RATE_LIMITED,
                    Refusal::UNAVAILABLE,
                ]),
    }
}

async fn held_mail(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    api.core.require_agent(who, "review held mail").map_err(Problem::from)?;
    let held = api.core.held_mail(100).await.map_err(Problem::from)?;
    Ok(ApiResponse::json(200, &HeldMail { items: held }))
}

/// The local engine's mail intake: a raw RFC 5322 message in the body, as SES would store it.
async fn inbound_email(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    if request.body.is_empty() {
        return Err(Problem::new(
            400,
            ProblemKind::Validation,
            "Invalid input",
            "body: a raw message (message/rfc822) is required",
        )
        .with_field("body"));
    }
    let key = format!("inbound/{}", new_id("raw"));
    api.core
        .blobs
        .put(&key, &request.body)
        .await
        .map_err(|e| Problem::from(ServiceError::from(e)))?;
    let report = api
        .core
        .receive_mail(&request.body, &key)
        .await
        .map_err(Problem::from)?;
    Ok(ApiResponse::json(200, &report))
}
