//! Tickets: filing one, the list views, one ticket with its conversation, status changes.

use crate::domain::catalogue::TicketType;
use crate::domain::ticket::TicketDraft;
use crate::http::openapi::{json, query, Doc, Link, Refusal};
use crate::http::problem::Problem;
use crate::http::routes::{declare, Function, Params};
use crate::http::{parse_body, Api, ApiRequest, ApiResponse};
use crate::services::ticket_id;
use crate::services::tickets::lists::{ListRequest, TicketPage};
use crate::services::tickets::service_levels::ServiceLevelReport;
use crate::services::tickets::status::{StatusChange, StatusChanged};
use crate::services::tickets::TicketView;
use serde::Serialize;

/// From a ticket just filed to what can be done with it.
const ON_THE_NEW_TICKET: &[Link] = &[
    Link::to("getTicket", &[("id", "$response.body#/id")]),
    Link::to("addMessage", &[("id", "$response.body#/id")]),
    Link::to("changeStatus", &[("id", "$response.body#/id")]),
    Link::to("requestUpload", &[("id", "$response.body#/id")]),
    Link::to("addCollaborator", &[("id", "$response.body#/id")]),
    Link::to("revokeGuestKeys", &[("id", "$response.body#/id")]),
];

pub const FUNCTIONS: &[&Function] = &[
    &CREATE_TICKET,
    &LIST_TICKETS,
    &GET_TICKET,
    &UPDATE_STATUS,
    &LIST_TICKET_TYPES,
    &SERVICE_LEVEL_REPORT,
];

declare! {
    CREATE_TICKET = "create-ticket", "files a ticket", grants [WriteTable] {
        POST "/v1/tickets" Token => create_ticket,
            Doc::new("createTicket", "File a ticket")
                .takes(json::<TicketDraft>)
                .answers(201, "Filed", json::<TicketView>)
                .idempotent()
                .links(ON_THE_NEW_TICKET),
    }
}

declare! {
    LIST_TICKETS = "list-tickets", "the list views", grants [ReadTable] {
        GET "/v1/tickets" Token => list_tickets,
            Doc::new("listTickets", "List tickets of a view")
                .query(query::<ListRequest>)
                .answers(200, "A page", json::<TicketPage>),
    }
}

declare! {
    GET_TICKET = "get-ticket", "a ticket with its conversation and history", grants [WriteTable] {
        GET "/v1/tickets/{id}" Token => get_ticket,
            Doc::new("getTicket", "A ticket with its conversation, attachments and history; marks replies seen")
                .answers(200, "The ticket", json::<TicketView>),
    }
}

declare! {
    UPDATE_STATUS = "update-status", "status changes", grants [WriteTable] {
        POST "/v1/tickets/{id}/status" Token => change_status,
            Doc::new("changeStatus", "Change the status")
                .takes(json::<StatusChange>)
                .answers(200, "Changed", json::<StatusChanged>)
                .idempotent(),
    }
}

declare! {
    SERVICE_LEVEL_REPORT = "service-level-report", "targets met and missed per month and priority (staff)", grants [ReadTable] {
        GET "/v1/reports/service-levels" Token => service_level_report,
            Doc::new("serviceLevelReport", "For the vendor's staff: the cases filed in a month (of one company, or all), counted per priority by whether their first-response and resolution targets were met, missed or are still open")
                .query(query::<ReportQuery>)
                .answers(200, "The report", json::<ServiceLevelReport>),
        GET "/v1/reports/service-levels.csv" Token => service_level_report_csv,
            Doc::new("serviceLevelReportCsv", "The same report as CSV (RFC 4180), one row per priority")
                .query(query::<ReportQuery>)
                .answers_bytes(200, "The report", "text/csv"),
    }
}

/// Which month, and whose cases.
#[derive(Debug, Clone, Default, utoipa::IntoParams)]
pub struct ReportQuery {
    /// `YYYY-MM` (UTC); this month when absent.
    #[param(nullable = false, pattern = "^[0-9]{4}-[0-9]{2}$")]
    pub month: Option<String>,
    /// A company's code; every company when absent.
    #[param(nullable = false, max_length = 12)]
    pub company: Option<String>,
}

declare! {
    LIST_TICKET_TYPES = "list-ticket-types", "the ticket types and their fields, for the new-case form", grants [] {
        GET "/v1/ticket-types" Token => list_ticket_types,
            Doc::new("listTicketTypes", "The ticket types this desk offers, each with the fields it requires (for the new-case form)")
                .answers(200, "The catalogue, in the order the form shows it", json::<TicketTypes>)
                .with_header("Cache-Control")
                .refuses(&[Refusal::UNAUTHENTICATED, Refusal::TOO_LARGE, Refusal::RATE_LIMITED, Refusal::UNAVAILABLE]),
    }
}

async fn create_ticket(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let draft: TicketDraft = parse_body(&request.body)?;
    api.commit(request, &who.user_id, 201, || api.core.plan_create_ticket(who, &draft))
        .await
}

async fn list_tickets(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let limit = request.limit_param()?;
    let list = ListRequest {
        view: request.query_param("view").map(str::to_string),
        company: request.query_param("company").map(str::to_string),
        cursor: request.query_param("cursor").map(str::to_string),
        limit,
    };
    let page = api.core.list_tickets(who, &list).await.map_err(Problem::from)?;
    Ok(ApiResponse::json(200, &page))
}

async fn get_ticket(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let id = params.get(0);
    let who = api.identity(request)?;
    let (loaded, viewer) = api
        .core
        .open_ticket(who, &ticket_id(id)?)
        .await
        .map_err(Problem::from)?;
    let view = api.core.ticket_view(&loaded, &viewer).await.map_err(Problem::from)?;
    Ok(ApiResponse::json(200, &view))
}

async fn change_status(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let id = params.get(0);
    let who = api.identity(request)?;
    let change: StatusChange = parse_body(&request.body)?;
    let change = &change;
    api.commit_on_ticket(id, request, &who.user_id, 200, move || async move {
        let (loaded, viewer) = api.core.open_ticket(who, &ticket_id(id)?).await?;
        api.core.plan_status_change(&loaded, &viewer, change).await
    })
    .await
}

/// The deployment's ticket types, each with the fields it requires, in catalogue order: what
/// the new-case form offers. Types flagged `account_management` are listed so the form can
/// send the person to their administrator instead of filing.
async fn list_ticket_types(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    api.identity(request)?;
    let types = TicketTypes {
        items: &api.core.catalogue.types,
    };
    let mut response = ApiResponse::json(200, &types);
    // The catalogue changes only with a deployment: a form may keep it for a few minutes.
    response
        .headers
        .push(("cache-control".into(), "private, max-age=300".into()));
    Ok(response)
}

/// The catalogue as `GET /v1/ticket-types` answers it.
#[derive(Serialize, utoipa::ToSchema)]
struct TicketTypes<'a> {
    items: &'a [TicketType],
}

async fn report(api: &Api, request: &ApiRequest) -> Result<ServiceLevelReport, Problem> {
    let who = api.identity(request)?;
    Ok(api
        .core
        .service_level_report(who, request.query_param("month"), request.query_param("company"))
        .await?)
}

async fn service_level_report(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    Ok(ApiResponse::json(200, &report(api, request).await?))
}

async fn service_level_report_csv(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let report = report(api, request).await?;
    let filename = format!("service-levels-{}.csv", report.month);
    Ok(ApiResponse {
        status: 200,
        headers: vec![
            ("content-type".into(), "text/csv; charset=utf-8".into()),
            (
                "content-disposition".into(),
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body: report.to_csv()?,
        file: None,
    })
}
