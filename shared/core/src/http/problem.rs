//! RFC 9457 problem details: every error the API gives has a stable `type`, a status, a
//! human `detail` and, for bad input, the `field` at fault.

use super::ApiResponse;
use crate::services::ServiceError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip)]
    pub retry_after: Option<u32>,
    /// One more response header (`Allow` on a 405); boxed to keep errors small.
    #[serde(skip)]
    pub header: Option<Box<(String, String)>>,
}

pub const PROBLEM_TYPE_PREFIX: &str = "urn:claimdesk:problem:";

impl Problem {
    pub fn new(status: u16, kind: &str, title: &str, detail: impl Into<String>) -> Problem {
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
        Problem::new(404, "not-found", "Not found", "no such resource")
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Problem {
        Problem::new(401, "unauthenticated", "Sign-in required", detail)
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
        }
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Problem {
        match e {
            ServiceError::Invalid(i) => Problem::new(
                422,
                "validation",
                "Invalid input",
                format!("{}: {}", i.field, i.message),
            )
            .with_field(i.field),
            ServiceError::NotFound(what) => Problem::new(404, "not-found", "Not found", format!("{what} not found")),
            ServiceError::Forbidden { kind, detail } => Problem::new(403, kind, "Not allowed", detail),
            ServiceError::Conflict { kind, detail } => Problem::new(409, kind, "Conflict", detail),
            ServiceError::TooLarge { field, detail } => {
                Problem::new(413, "attachment-limit", "Attachment limit exceeded", detail).with_field(field)
            }
            ServiceError::Unavailable(detail) => {
                tracing::warn!(%detail, "store unavailable");
                let mut p = Problem::new(
                    503,
                    "unavailable",
                    "Temporarily unavailable",
                    "the service is busy; retry shortly",
                );
                p.retry_after = Some(5);
                p
            }
            ServiceError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                Problem::new(500, "internal", "Internal error", "something went wrong on our side")
            }
        }
    }
}
