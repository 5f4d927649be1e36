//! Staff's catalogue records (companies, products, serials) and warranty lookup and
//! registration.

use crate::domain::company::{Company, CompanyDraft};
use crate::domain::warranty::{Product, ProductDraft, RegistrationDraft, Serial, SerialDraft};
use crate::http::openapi::{json, query, Doc, Link};
use crate::http::problem::Problem;
use crate::http::routes::{declare, Function, Params};
use crate::http::{parse_body, Api, ApiRequest, ApiResponse};
use crate::services::warranty::{SerialLookup, UnitPage, UnitQuery};

pub const FUNCTIONS: &[&Function] = &[
    &CREATE_COMPANY,
    &CREATE_PRODUCT,
    &CREATE_SERIAL,
    &LOOKUP_SERIAL,
    &REGISTER_WARRANTY,
    &PENDING_REGISTRATIONS,
];

declare! {
    CREATE_COMPANY = "create-company", "staff: companies", grants [WriteTable] {
        POST "/v1/companies" Token => create_company,
            Doc::new("createCompany", "Register a company (staff)")
                .takes(json::<CompanyDraft>)
                .answers(201, "Registered", json::<Company>)
                .idempotent(),
    }
}

declare! {
    CREATE_PRODUCT = "create-product", "staff: products", grants [WriteTable] {
        POST "/v1/products" Token => create_product,
            Doc::new("createProduct", "Define a product and its warranty terms (staff)")
                .takes(json::<ProductDraft>)
                .answers(201, "Defined", json::<Product>)
                .idempotent(),
    }
}

declare! {
    CREATE_SERIAL = "create-serial", "staff: serials", grants [WriteTable] {
        POST "/v1/serials" Token => create_serial,
            Doc::new("createSerial", "Create a serial number for a dealer company (staff)")
                .takes(json::<SerialDraft>)
                .answers(201, "Created", json::<Serial>)
                .idempotent()
                .links(&[Link::to("lookupSerial", &[("serial", "$response.body#/serial")])]),
    }
}

declare! {
    LOOKUP_SERIAL = "lookup-serial", "warranty lookup", grants [ReadTable] {
        GET "/v1/serials/{serial}" Token => lookup_serial,
            Doc::new("lookupSerial", "Look a serial number up")
                .answers(200, "Found", json::<SerialLookup>),
    }
}

declare! {
    REGISTER_WARRANTY = "register-warranty", "dealer warranty registration", grants [WriteTable] {
        POST "/v1/warranties" Token => register_warranty,
            Doc::new("registerWarranty", "Register the warranty of a serial (its dealer)")
                .takes(json::<RegistrationDraft>)
                .answers(201, "Registered", json::<Serial>)
                .idempotent(),
    }
}

declare! {
    PENDING_REGISTRATIONS = "pending-registrations", "a dealer's units pending registration", grants [ReadTable] {
        GET "/v1/pending-registrations" Token => pending_registrations,
            Doc::new("listPendingRegistrations", "A dealer's units whose warranty is not registered yet, by serial (seed 004)")
                .query(query::<UnitQuery>)
                .answers(200, "A page of serials", json::<UnitPage>),
    }
}

async fn pending_registrations(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let page = api
        .core
        .pending_units(
            who,
            request.query_param("dealer"),
            request.query_param("cursor"),
            request.limit_param()?,
        )
        .await?;
    Ok(ApiResponse::json(200, &page))
}

async fn create_company(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let draft = parse_body(&request.body)?;
    api.commit(request, &who.user_id, 201, || api.core.plan_create_company(who, &draft))
        .await
}

async fn create_product(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let draft = parse_body(&request.body)?;
    api.commit(request, &who.user_id, 201, || api.core.plan_create_product(who, &draft))
        .await
}

async fn create_serial(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let draft = parse_body(&request.body)?;
    api.commit(request, &who.user_id, 201, || api.core.plan_create_serial(who, &draft))
        .await
}

async fn lookup_serial(api: &Api, request: &ApiRequest, params: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let found = api
        .core
        .lookup_serial(who, params.get(0))
        .await
        .map_err(Problem::from)?;
    Ok(ApiResponse::json(200, &found))
}

async fn register_warranty(api: &Api, request: &ApiRequest, _: Params) -> Result<ApiResponse, Problem> {
    let who = api.identity(request)?;
    let draft = parse_body(&request.body)?;
    api.commit(request, &who.user_id, 201, || {
        api.core.plan_register_warranty(who, &draft)
    })
    .await
}
