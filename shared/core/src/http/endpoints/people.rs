//! People: who is signed in, the directory (invite, list, change roles and state, the
//! record of changes), choosing a password through a mailed link, and access requests.

use crate::domain::company::{Company, CompanyPatch};
use crate::domain::directory::{
    Accepted, AccessRequest, AccessRequestDraft, DecisionDraft, InviteDraft, ResetRequest, SetPasswordRequest,
    UserPatch,
};
use crate::domain::people::{EmailChange, EmailConfirmation, Me, PasswordChange, ProfilePatch, SessionTokens, User};
use crate::http::openapi::{json, query, Doc, Refusal};
use crate::http::problem::Problem;
use crate::http::routes::{declare, Function, Params};
use crate::http::{parse_body, Api, ApiRequest, ApiResponse};
use crate::services::people::directory::{
    AccessRequestPage, AccountChangePage, CompanyPage, CompanyPageQuery, CompanySearch, PeopleQuery, UserPage,
};
use crate::services::people::passwords::PasswordSet;

pub const FUNCTIONS: &[&Function] = &[
    &ME,
    &INVITE_USER,
    &LIST_USERS,
    &UPDATE_USER,
    &ACCOUNT_CHANGES,
    &PASSWORDS,
    &REQUEST_ACCESS,
    &ACCESS_REQUESTS,
    &DECIDE_ACCESS_REQUEST,
    &LIST_COMPANIES,
    &UPDATE_COMPANY,
    &UPDATE_PROFILE,
    &CHANGE_PASSWORD,
    &CHANGE_EMAIL,
    &CONFIRM_EMAIL,
];

/// What the public forms may answer: they never say whether an email has an account.
const FORM_REFUSALS: &[Refusal] = &[
    Refusal::MALFORMED,
    Refusal::TOO_LARGE,
    Refusal::INVALID,
    Refusal::RATE_LIMITED,
    Refusal::UNAVAILABLE,
];

declare! {
    ME = "me", "who is signed in", grants [ReadRecords] {
        GET "/v1/me" Token => me,
            Doc::new("getMe", "Who is signed in: the token's identity and the directory's record")
                .answers(200, "The caller", json::<Me>)
                .refuses(&[Refusal::UNAUTHENTICATED, Refusal::RATE_LIMITED, Refusal::UNAVAILABLE]),
    }
}

declare! {
    INVITE_USER = "invite-user", "account managers: invite a user", grants [WriteTable, ManageUsers] {
        POST "/v1/users" Token => invite_user,
            Doc::new("inviteUser", "Invite someone (account managers, staff): they choose a password from the mailed link")
                .takes(json::<InviteDraft>)
                .answers(201, "Invited", json::<User>),
    }
}

declare! {
    LIST_USERS = "list-users", "account managers: the directory", grants [ReadTable] {
        GET "/v1/users" Token => list_users,
            Doc::new("listUsers", "A company's people by name (account managers, staff); `search` is a name's start or an email")
                .query(query::<PeopleQuery>)
                .answers(200, "A page of users", json::<UserPage>),
        GET "/v1/users/{id}" Token => get_user,
            Doc::new("getUser", "One user (account managers, staff, the user)")
                .answers(200, "The user", json::<User>),
    }
}

declare! {
    UPDATE_USER = "update-user", "account managers: roles and state", grants [WriteTable, ManageUsers] {
        PATCH "/v1/users/{id}" Token => update_user,
            Doc::new("updateUser", "Change a user's roles, deactivate or reactivate them (account managers, staff)")
                .takes(json::<UserPatch>)
                .answers(200, "Changed", json::<User>),
    }
}

declare! {
    ACCOUNT_CHANGES = "account-changes", "account managers: the record of changes", grants [ReadTable] {
        GET "/v1/account-changes" Token => account_changes,
            Doc::new("listAccountChanges", "Who changed whose account, when, from what to what; newest first")
                .query(query::<CompanyPageQuery>)
                .answers(200, "A page of changes", json::<AccountChangePage>),
    }
}

declare! {
    PASSWORDS = "passwords", "choose a password by a mailed link", grants [WriteTable, ManageUsers] {
        POST "/v1/password-resets" Open => request_reset,
            Doc::new("requestPasswordReset", "Mail me a link to choose a new password (same answer for any email)")
                .takes(json::<ResetRequest>)
                .answers(202, "Accepted", json::<Accepted>)
                .refuses(FORM_REFUSALS),
        POST "/v1/passwords" Open => set_password,
            Doc::new("setPassword", "Choose a password with a mailed link's token (single use; ends every session)")
                .takes(json::<SetPasswordRequest>)
                .answers(200, "The password is set: sign in", json::<PasswordSet>)
                .refuses(&[
                    Refusal::MALFORMED,
                    Refusal::CONFLICT,
                    Refusal::TOO_LARGE,
                    Refusal::INVALID,
                    Refusal::RATE_LIMITED,
                    Refusal::UNAVAILABLE,
                ]),
    }
}

declare! {
    REQUEST_ACCESS = "request-access", "the public access-request form", grants [WriteTable] {
        POST "/v1/access-requests" Open => request_access,
            Doc::new("requestAccess", "Ask for access to a company's help desk (same answer for any email)")
                .takes(json::<AccessRequestDraft>)
                .answers(202, "Accepted", json::<Accepted>)
                .refuses(FORM_REFUSALS),
    }
}

declare! {
    ACCESS_REQUESTS = "access-requests", "account managers: pending access requests", grants [ReadTable] {
        GET "/v1/access-requests" Token => list_access_requests,
            Doc::new("listAccessRequests", "Access requests, newest first (the company's account managers; staff: any or all)")
                .query(query::<CompanyPageQuery>)
                .answers(200, "A page of requests", json::<AccessRequestPage>),
    }
}

declare! {
    DECIDE_ACCESS_REQUEST = "decide-access-request", "account managers: approve or reject", grants [WriteTable, ManageUsers] {
        POST "/v1/access-requests/{id}/decision" Token => decide_access_request,
            Doc::new("decideAccessRequest", "Approve with roles (the requester is mailed a set-password link) or reject with a message")
                .takes(json::<DecisionDraft>)
                .answers(200, "Decided", json::<AccessRequest>),
    }
}

declare! {
    LIST_COMPANIES = "list-companies", "staff: the companies", grants [ReadTable] {
        GET "/v1/companies" Token => list_companies,
            Doc::new("listCompanies", "Every company by name (staff); `search` is a name's start")
                .query(query::<CompanySearch>)
                .answers(200, "A page of companies", json::<CompanyPage>),
    }
}

declare! {
    UPDATE_COMPANY = "update-company", "staff admin: rename, first level, deactivate", grants [WriteTable, ManageUsers] {
        PATCH "/v1/companies/{code}" Token => update_company,
            Doc::new("updateCompany", "Rename a company, set its first level of support, deactivate or reactivate it (its people with it)")
                .takes(json::<CompanyPatch>)
                .answers(200, "Changed", json::<Company>),
    }
}

declare! {
    UPDATE_PROFILE = "update-profile", "one's own name, title, date format", grants [WriteTable, ManageUsers] {
        PATCH "/v1/me" Token => update_profile,
            Doc::new("updateProfile", "Change one's own name, title or date format")
                .takes(json::<ProfilePatch>)
                .answers(200, "Changed", json::<User>),
    }
}

declare! {
    CHANGE_PASSWORD = "change-password", "one's own password", grants [WriteTable, ManageUsers] {
        POST "/v1/me/password" Token => change_password,
            Doc::new("changePassword", "Change one's password: every other session ends, this answer is a new one")
                .takes(json::<PasswordChange>)
                .answers(200, "Changed; the new session", json::<SessionTokens>)
                .with_header("Set-Cookie"),
    }
}

declare! {
    CHANGE_EMAIL = "change-email", "one's own email address, by a confirmation mail", grants [WriteTable] {
        POST "/v1/me/email" Token => change_email,
            Doc::new("changeEmail", "Ask to sign in with another address: a link is mailed to it, the old one is told")
                .takes(json::<EmailChange>)
                .answers(202, "Mailed", json::<Accepted>),
    }
}

declare! {
    CONFIRM_EMAIL = "confirm-email", "confirm a new email address", grants [WriteTable, ManageUsers] {
        POST "/v1/email-confirmations" Open => confirm_email,
            Doc::new("confirmEmail", "Move an account to the address a mailed link confirms (every session ends)")
                .takes(json::<EmailConfirmation>)
                .answers(200, "Moved: sign in with it", json::<EmailConfirmed>)
                .refuses(&[
                    Refusal::MALFORMED,
                    Refusal::CONFLICT,
                    Refusal::TOO_LARGE,
                    Refusal::INVALID,
                    Refusal::RATE_LIMITED,
                    Refusal::UNAVAILABLE,
                ]),
    }
}

/// What confirming an address answers.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct EmailConfirmed {
    pub email: crate::domain::ids::Email,
}

async fn me(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let account = api.core.user(&who.user_id).await?;
    Ok(ApiResponse::json(200, &Me::of(who, account)))
}

async fn invite_user(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let draft: InviteDraft = parse_body(&request.body)?;
    let user = api.core.invite_user(who, &draft).await?;
    Ok(ApiResponse::json(201, &user))
}

async fn list_users(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let query = PeopleQuery {
        company: request.query_param("company").map(str::to_string),
        search: request.query_param("search").map(str::to_string),
        cursor: request.query_param("cursor").map(str::to_string),
        limit: request.limit_param()?,
    };
    Ok(ApiResponse::json(200, &api.core.list_users(who, &query).await?))
}

async fn get_user(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    Ok(ApiResponse::json(200, &api.core.get_user(who, params.get(0)).await?))
}

async fn update_user(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let patch: UserPatch = parse_body(&request.body)?;
    Ok(ApiResponse::json(
        200,
        &api.core.update_user(who, params.get(0), &patch).await?,
    ))
}

async fn account_changes(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let page = api
        .core
        .account_changes(
            who,
            request.query_param("company"),
            request.query_param("cursor"),
            request.limit_param()?,
        )
        .await?;
    Ok(ApiResponse::json(200, &page))
}

async fn request_reset(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let reset: ResetRequest = parse_body(&request.body)?;
    let accepted = api
        .core
        .request_password_reset(&reset, request.source.as_deref())
        .await?;
    Ok(ApiResponse::json(202, &accepted))
}

async fn set_password(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let set: SetPasswordRequest = parse_body(&request.body)?;
    let done = api.core.set_password_with_link(&set).await?;
    let mut response = ApiResponse::json(200, &done);
    response.headers.push(("cache-control".into(), "no-store".into()));
    Ok(response)
}

async fn request_access(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let draft: AccessRequestDraft = parse_body(&request.body)?;
    let accepted = api
        .core
        .submit_access_request(&draft, request.source.as_deref())
        .await?;
    Ok(ApiResponse::json(202, &accepted))
}

async fn list_access_requests(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let page = api
        .core
        .list_access_requests(
            who,
            request.query_param("company"),
            request.query_param("cursor"),
            request.limit_param()?,
        )
        .await?;
    Ok(ApiResponse::json(200, &page))
}

async fn decide_access_request(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let draft: DecisionDraft = parse_body(&request.body)?;
    let decided = api.core.decide_access_request(who, params.get(0), &draft).await?;
    Ok(ApiResponse::json(200, &decided))
}

async fn list_companies(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let page = api
        .core
        .list_companies(
            who,
            request.query_param("search"),
            request.query_param("cursor"),
            request.limit_param()?,
        )
        .await?;
    Ok(ApiResponse::json(200, &page))
}

async fn update_company(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let patch: CompanyPatch = parse_body(&request.body)?;
    Ok(ApiResponse::json(
        200,
        &api.core.update_company(who, params.get(0), &patch).await?,
    ))
}

async fn update_profile(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let patch: ProfilePatch = parse_body(&request.body)?;
    Ok(ApiResponse::json(200, &api.core.update_profile(who, &patch).await?))
}

async fn change_password(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let change: PasswordChange = parse_body(&request.body)?;
    let tokens = api
        .core
        .change_password(who, &change, request.source.as_deref())
        .await?;
    Ok(super::sessions::answer(request, tokens, change.session))
}

async fn change_email(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let change: EmailChange = parse_body(&request.body)?;
    api.core.request_email_change(who, &change).await?;
    let accepted = Accepted {
        accepted: true,
        detail: "a link to confirm it is on its way to the new address".into(),
    };
    Ok(ApiResponse::json(202, &accepted))
}

async fn confirm_email(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let confirmation: EmailConfirmation = parse_body(&request.body)?;
    let user = api.core.confirm_email(&confirmation).await?;
    Ok(ApiResponse::json(200, &EmailConfirmed { email: user.email }))
}
