//! RFC 9457 problem details: every error the API gives has a stable `type`, a status, a
//! human `detail` and, for bad input, the `field` at fault.

use super::ApiResponse;
use crate::services::problems::ProblemKind;
use crate::services::ServiceError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Stable: clients may switch on it.
    #[serde(rename = "type")]
    #[schema(schema_with = problem_types)]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The field at fault, for bad input: `subject`, `contact.email`, `fields.amount`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = String)]
    pub field: Option<String>,
    #[serde(skip)]
    pub retry_after: Option<u32>,
    /// One more response header (`Allow` on a 405); boxed to keep errors small.
    #[serde(skip)]
    pub header: Option<Box<(String, String)>>,
}

pub const PROBLEM_TYPE_PREFIX: &str = "urn:claimdesk:problem:";

/// Every problem type there is, for the API document.
fn problem_types() -> utoipa::openapi::schema::Object {
    let types: Vec<String> = ProblemKind::ALL
        .iter()
        .map(|kind| format!("{PROBLEM_TYPE_PREFIX}{kind}"))
        .collect();
    crate::slugs::one_of(types.iter().map(String::as_str))
}

impl Problem {
    pub fn new(status: u16, kind: ProblemKind, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("{PROBLEM_TYPE_PREFIX}{kind}"),
            title: title.to_string(),
            status,
            detail: detail.into(),
            field: None,
            retry_after: None,
            header: None,
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Problem {
        self.header = Some(Box::new((name.to_string(), value.into())));
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Problem {
        self.field = Some(field.into());
        self
    }

    pub fn not_found() -> Problem {
        Problem::new(404, ProblemKind::NotFound, "Not found", "no such resource")
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Problem {
        Problem::new(401, ProblemKind::Unauthenticated, "Sign-in required", detail)
    }

    pub fn into_response(self) -> ApiResponse {
        let mut headers = vec![("content-type".to_string(), "application/problem+json".to_string())];
        if let Some(seconds) = self.retry_after {
            headers.push(("retry-after".to_string(), seconds.to_string()));
        }
        if self.status == 401 {
            headers.push(("www-authenticate".to_string(), "Bearer".to_string()));
        }
        headers.extend(self.header.as_deref().cloned());
        ApiResponse {
            status: self.status,
            headers,
            body: serde_json::to_vec(&self).unwrap_or_default(),
            file: None,
        }
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Problem {
        match e {
            ServiceError::Invalid(i) => Problem::new(
                422,
                ProblemKind::Validation,
                "Invalid input",
                format!("{}: {}", i.field, i.message),
            )
            .with_field(i.field),
            ServiceError::NotFound(what) => {
                Problem::new(404, ProblemKind::NotFound, "Not found", format!("{what} not found"))
            }
            ServiceError::Forbidden { kind, detail } => Problem::new(403, kind, "Not allowed", detail),
            ServiceError::Conflict { kind, detail } => Problem::new(409, kind, "Conflict", detail),
            ServiceError::TooLarge { field, detail } => {
                Problem::new(413, ProblemKind::AttachmentLimit, "Attachment limit exceeded", detail).with_field(field)
            }
            ServiceError::Unauthenticated(detail) => Problem::unauthenticated(detail),
            ServiceError::RateLimited { detail, retry_after } => {
                let mut p = Problem::new(429, ProblemKind::RateLimited, "Too many requests", detail);
                p.retry_after = Some(retry_after);
                p
            }
            ServiceError::Unavailable(detail) => {
                tracing::warn!(%detail, "store unavailable");
                let mut p = Problem::new(
                    503,
                    ProblemKind::Unavailable,
                    "Temporarily unavailable",
                    "the service is busy; retry shortly",
                );
                p.retry_after = Some(5);
                p
            }
            ServiceError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                Problem::new(
                    500,
                    ProblemKind::Internal,
                    "Internal error",
                    "something went wrong on our side",
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_document_lists_every_problem_type_and_no_other() {
        let doc: serde_json::Value = serde_json::from_str(super::super::OPENAPI).unwrap();
        let listed: Vec<&str> = doc["components"]["schemas"]["Problem"]["properties"]["type"]["enum"]
            .as_array()
            .expect("the Problem schema lists its types")
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let kinds: Vec<String> = ProblemKind::ALL
            .iter()
            .map(|k| format!("{PROBLEM_TYPE_PREFIX}{}", k.slug()))
            .collect();
        assert_eq!(listed, kinds);
    }
}
