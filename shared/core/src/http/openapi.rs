//! The OpenAPI 3.1 document, derived, never written by hand. Each route's `Doc` (in its
//! `declare!`, beside the handler) names the Rust types it takes and answers and its
//! refusals; the schemas come from those types through utoipa's `ToSchema` derive (serde's
//! renames, defaults and `deny_unknown_fields` included, validation limits in
//! `#[schema(...)]` beside the fields); the problem types come from `ProblemKind`.
//! `cargo run -p claimdesk-aws --bin generate` writes `shared/core/openapi.json` from
//! [`render`], the server serves that file as it is, and a test holds the two equal.

use super::idempotency;
use super::routes::{routes, Access, Route};
use serde_json::{json, Map, Value};
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::{schema::Schema, Ref, RefOr};
use utoipa::{IntoParams, ToSchema};

/// The version of the API contract (not of the crate).
const API_VERSION: &str = "1.0.0";

/// A named schema and every schema it refers to.
pub struct SchemaDef {
    pub name: String,
    pub components: Vec<(String, RefOr<Schema>)>,
}

/// How a `Doc` names a type: `json::<TicketDraft>`.
pub type SchemaOf = fn() -> SchemaDef;

/// The schema of `T`, for a `Doc`.
pub fn json<T: ToSchema>() -> SchemaDef {
    let mut components = vec![(T::name().into_owned(), T::schema())];
    T::schemas(&mut components);
    SchemaDef {
        name: T::name().into_owned(),
        components,
    }
}

/// How a `Doc` names its query parameters: `query::<ListRequest>`.
pub type ParamsOf = fn() -> Vec<Parameter>;

/// The query parameters `T` describes (utoipa's `IntoParams`).
pub fn query<T: IntoParams>() -> Vec<Parameter> {
    T::into_params(|| Some(ParameterIn::Query))
}

/// A body: JSON of a type, or bytes of a media type.
#[derive(Debug, Clone, Copy)]
pub enum Payload {
    Json(SchemaOf),
    Bytes(&'static str),
}

/// The answer of a route that worked.
#[derive(Debug, Clone, Copy)]
pub struct Answer {
    pub status: u16,
    pub description: &'static str,
    pub payload: Option<Payload>,
    /// A response header worth naming (`Cache-Control`).
    pub header: Option<&'static str>,
}

/// A problem+json answer a route may give, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub why: &'static str,
}

impl Refusal {
    pub const MALFORMED: Refusal = Refusal::new(400, "Malformed body");
    pub const UNAUTHENTICATED: Refusal = Refusal::new(401, "No or bad token");
    pub const FORBIDDEN: Refusal = Refusal::new(403, "Not allowed");
    pub const NOT_FOUND: Refusal = Refusal::new(404, "Unknown, or not yours");
    pub const CONFLICT: Refusal = Refusal::new(409, "Conflicting state");
    pub const TOO_LARGE: Refusal = Refusal::new(413, "Body too large");
    pub const INVALID: Refusal = Refusal::new(422, "Invalid field");
    pub const RATE_LIMITED: Refusal = Refusal::new(429, "Too many requests from this user or company; see Retry-After");
    pub const UNAVAILABLE: Refusal = Refusal::new(503, "Temporarily unavailable; see Retry-After");

    pub const fn new(status: u16, why: &'static str) -> Refusal {
        Refusal { status, why }
    }

    /// The shared answers in `components/responses` (with their Retry-After header).
    const SHARED: [(Refusal, &'static str); 3] = [
        (Refusal::TOO_LARGE, "BodyTooLarge"),
        (Refusal::RATE_LIMITED, "TooManyRequests"),
        (Refusal::UNAVAILABLE, "Unavailable"),
    ];
}

/// What any route may answer unless its `Doc` says less.
pub const EVERY_REFUSAL: &[Refusal] = &[
    Refusal::MALFORMED,
    Refusal::UNAUTHENTICATED,
    Refusal::FORBIDDEN,
    Refusal::NOT_FOUND,
    Refusal::CONFLICT,
    Refusal::TOO_LARGE,
    Refusal::INVALID,
    Refusal::RATE_LIMITED,
    Refusal::UNAVAILABLE,
];

/// An OpenAPI link from a route's answer to another operation: which operation, and where
/// each of its parameters comes from (`$response.body#/id`).
#[derive(Debug, Clone, Copy)]
pub struct Link {
    pub operation: &'static str,
    pub parameters: &'static [(&'static str, &'static str)],
}

impl Link {
    pub const fn to(operation: &'static str, parameters: &'static [(&'static str, &'static str)]) -> Link {
        Link { operation, parameters }
    }
}

/// What the API document says about one route, declared with the route.
#[derive(Debug, Clone, Copy)]
pub struct Doc {
    pub operation_id: &'static str,
    pub summary: &'static str,
    pub takes: Option<Payload>,
    pub query: Option<ParamsOf>,
    pub answer: Answer,
    /// A 302 it may answer instead (a download on AWS).
    pub redirect: Option<&'static str>,
    pub refusals: &'static [Refusal],
    /// It honours `Idempotency-Key`.
    pub idempotent: bool,
    pub links: &'static [Link],
}

impl Doc {
    pub const fn new(operation_id: &'static str, summary: &'static str) -> Doc {
        Doc {
            operation_id,
            summary,
            takes: None,
            query: None,
            answer: Answer {
                status: 200,
                description: "OK",
                payload: None,
                header: None,
            },
            redirect: None,
            refusals: EVERY_REFUSAL,
            idempotent: false,
            links: &[],
        }
    }

    /// Its JSON body is a `T`: `.takes(json::<T>)`.
    pub const fn takes(mut self, schema: SchemaOf) -> Doc {
        self.takes = Some(Payload::Json(schema));
        self
    }

    /// Its body is raw bytes of this media type.
    pub const fn takes_bytes(mut self, media_type: &'static str) -> Doc {
        self.takes = Some(Payload::Bytes(media_type));
        self
    }

    pub const fn query(mut self, params: ParamsOf) -> Doc {
        self.query = Some(params);
        self
    }

    /// It answers `status` with a JSON `T`: `.answers(201, "Filed", json::<T>)`.
    pub const fn answers(self, status: u16, description: &'static str, schema: SchemaOf) -> Doc {
        self.answering(status, description, Payload::Json(schema))
    }

    /// It answers `status` with raw bytes of this media type (or of these, comma-separated).
    pub const fn answers_bytes(self, status: u16, description: &'static str, media_type: &'static str) -> Doc {
        self.answering(status, description, Payload::Bytes(media_type))
    }

    const fn answering(mut self, status: u16, description: &'static str, payload: Payload) -> Doc {
        self.answer = Answer {
            status,
            description,
            payload: Some(payload),
            header: None,
        };
        self
    }

    /// Its answer carries this header.
    pub const fn with_header(mut self, name: &'static str) -> Doc {
        self.answer.header = Some(name);
        self
    }

    pub const fn or_redirects(mut self, description: &'static str) -> Doc {
        self.redirect = Some(description);
        self
    }

    /// The problems it may answer, when not all of `EVERY_REFUSAL`.
    pub const fn refuses(mut self, refusals: &'static [Refusal]) -> Doc {
        self.refusals = refusals;
        self
    }

    pub const fn idempotent(mut self) -> Doc {
        self.idempotent = true;
        self
    }

    pub const fn links(mut self, links: &'static [Link]) -> Doc {
        self.links = links;
        self
    }
}

/// The document as the file `shared/core/openapi.json` holds it.
pub fn render() -> String {
    serde_json::to_string_pretty(&document()).unwrap_or_default() + "\n"
}

/// The whole document: every route's operation, and the schemas they name.
pub fn document() -> Value {
    let mut schemas = Map::new();
    let mut paths = Map::new();
    let problem = json::<super::problem::Problem>();
    add_components(&mut schemas, &problem);
    for (_, route) in routes() {
        let operation = operation(route, &mut schemas);
        let item = paths
            .entry(route.path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        item[route.method.to_ascii_lowercase()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Claimdesk API",
            "version": API_VERSION,
            "description": "Support desk and warranty claims. Errors are RFC 9457 problem+json with a stable type."
        },
        "servers": [{ "url": "http://127.0.0.1:3000" }],
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Claims: sub, email, name, company, roles (see README)"
                }
            },
            "parameters": { "IdempotencyKey": idempotency_key() },
            "responses": shared_responses(),
            "schemas": schemas,
        }
    })
}

fn idempotency_key() -> Value {
    let max = idempotency::MAX_LEN;
    json!({
        "name": "Idempotency-Key",
        "in": "header",
        "required": false,
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": max,
            "pattern": format!("^[A-Za-z0-9._~:+/=-]{{1,{max}}}$")
        },
        "description": format!(
            "A retried request with the same key returns the first response. 1 to {max} characters: letters, digits and . _ ~ : + / = -"
        )
    })
}

fn problem_content() -> Value {
    json!({ "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } })
}

fn shared_responses() -> Value {
    let retry_after = json!({
        "Retry-After": { "description": "Seconds to wait before retrying", "schema": { "type": "string", "pattern": "^[0-9]+$" } }
    });
    let mut out = Map::new();
    for (refusal, name) in Refusal::SHARED {
        let mut response = json!({ "description": refusal.why, "content": problem_content() });
        if refusal.status != 413 {
            response["headers"] = retry_after.clone();
        }
        out.insert(name.to_string(), response);
    }
    Value::Object(out)
}

fn add_components(schemas: &mut Map<String, Value>, def: &SchemaDef) {
    for (name, schema) in &def.components {
        schemas
            .entry(name.clone())
            .or_insert_with(|| serde_json::to_value(schema).unwrap_or_default());
    }
}

fn content(payload: Payload, schemas: &mut Map<String, Value>) -> Value {
    match payload {
        Payload::Json(of) => {
            let def = of();
            add_components(schemas, &def);
            let reference =
                serde_json::to_value(RefOr::<Schema>::Ref(Ref::from_schema_name(&def.name))).unwrap_or_default();
            json!({ "application/json": { "schema": reference } })
        }
        // One or more media types, separated by commas.
        Payload::Bytes(media_types) => Value::Object(
            media_types
                .split(',')
                .map(|m| {
                    (
                        m.trim().to_string(),
                        json!({ "schema": { "type": "string", "format": "binary" } }),
                    )
                })
                .collect(),
        ),
    }
}

fn operation(route: &Route, schemas: &mut Map<String, Value>) -> Value {
    let doc = &route.doc;
    let mut parameters: Vec<Value> = route
        .path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    if let Some(of) = doc.query {
        parameters.extend(of().iter().map(|p| serde_json::to_value(p).unwrap_or_default()));
    }
    if doc.idempotent {
        parameters.push(json!({ "$ref": "#/components/parameters/IdempotencyKey" }));
    }
    let mut responses = Map::new();
    let mut answer = json!({ "description": doc.answer.description });
    if let Some(payload) = doc.answer.payload {
        answer["content"] = content(payload, schemas);
    }
    if let Some(header) = doc.answer.header {
        answer["headers"] = json!({ header: { "schema": { "type": "string" } } });
    }
    if !doc.links.is_empty() {
        let links: Map<String, Value> = doc
            .links
            .iter()
            .map(|link| {
                let parameters: Map<String, Value> =
                    link.parameters.iter().map(|(n, v)| (n.to_string(), json!(v))).collect();
                (
                    capitalized(link.operation),
                    json!({ "operationId": link.operation, "parameters": parameters }),
                )
            })
            .collect();
        answer["links"] = Value::Object(links);
    }
    responses.insert(doc.answer.status.to_string(), answer);
    if let Some(description) = doc.redirect {
        responses.insert("302".into(), json!({ "description": description }));
    }
    for refusal in doc.refusals {
        let shared = Refusal::SHARED.iter().find(|(r, _)| r == refusal);
        let response = match shared {
            Some((_, name)) => json!({ "$ref": format!("#/components/responses/{name}") }),
            None => json!({ "description": refusal.why, "content": problem_content() }),
        };
        responses.insert(refusal.status.to_string(), response);
    }
    let mut operation = json!({
        "operationId": doc.operation_id,
        "summary": doc.summary,
        "responses": responses,
    });
    if !parameters.is_empty() {
        operation["parameters"] = Value::Array(parameters);
    }
    if let Some(payload) = doc.takes {
        operation["requestBody"] = json!({ "required": true, "content": content(payload, schemas) });
    }
    if route.access == Access::Open {
        operation["security"] = json!([]);
    }
    operation
}

fn capitalized(operation_id: &str) -> String {
    let mut chars = operation_id.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// utoipa names a schema after its Rust type, so two types of one name in different
    /// modules would silently share one schema (an access request's `DecisionDraft` once
    /// described a claim's decisions): every type that derives `ToSchema` has its own name.
    #[test]
    fn no_two_schema_types_share_a_name() {
        fn walk(dir: &std::path::Path, names: &mut std::collections::BTreeMap<String, Vec<String>>) {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, names);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let mut deriving = false;
                for line in text.lines().map(str::trim) {
                    if line.starts_with("#[derive(") && line.contains("ToSchema") {
                        deriving = true;
                    } else if deriving
                        && (line.starts_with("pub struct ")
                            || line.starts_with("pub enum ")
                            || line.starts_with("struct "))
                    {
                        let name = line
                            .split_whitespace()
                            .find(|w| !["pub", "struct", "enum"].contains(w))
                            .unwrap_or("");
                        let name = name.split(['<', '{', '(', ';']).next().unwrap_or("").to_string();
                        names.entry(name).or_default().push(path.display().to_string());
                        deriving = false;
                    }
                }
            }
        }
        let mut names = std::collections::BTreeMap::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut names,
        );
        assert!(names.len() > 50, "the scan found the schema types: {names:?}");
        let shared: Vec<_> = names.iter().filter(|(_, files)| files.len() > 1).collect();
        assert!(shared.is_empty(), "schema types sharing a name: {shared:?}");
    }

    #[test]
    fn the_served_file_is_the_derived_document() {
        assert!(
            super::super::OPENAPI == render(),
            "shared/core/openapi.json is stale: run `cargo run -p claimdesk-aws --bin generate`"
        );
    }

    #[test]
    fn every_reference_resolves_and_every_operation_id_is_unique() {
        let doc = document();
        let text = doc.to_string();
        for piece in text.split("\"$ref\":\"#/components/").skip(1) {
            let target = piece.split('"').next().unwrap();
            let (kind, name) = target.split_once('/').unwrap();
            assert!(doc["components"][kind][name].is_object(), "{target} is not defined");
        }
        let mut ids: Vec<&str> = routes().map(|(_, r)| r.doc.operation_id).collect();
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count);
    }
}
