//! Field checks shared by every input: a failure names the field, so the API can say which.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Invalid {
        Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A required single-line text: trimmed, non-empty, at most `max` characters, no control
/// characters (they would break mail headers and logs).
pub fn line(field: &str, value: Option<&str>, max: usize) -> Result<String, Invalid> {
    let value = value.map(str::trim).unwrap_or("");
    if value.is_empty() {
        return Err(Invalid::new(field, "is required"));
    }
    optional_line(field, Some(value), max).map(|v| v.unwrap_or_default())
}

pub fn optional_line(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, Invalid> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max {
        return Err(Invalid::new(field, format!("must be at most {max} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(Invalid::new(
            field,
            "must not contain control characters or line breaks",
        ));
    }
    Ok(Some(value.to_string()))
}

/// Free text (descriptions, replies): line breaks allowed, other control characters not.
pub fn text(field: &str, value: Option<&str>, max: usize) -> Result<String, Invalid> {
    let value = value.map(str::trim).unwrap_or("");
    if value.is_empty() {
        return Err(Invalid::new(field, "is required"));
    }
    if value.chars().count() > max {
        return Err(Invalid::new(field, format!("must be at most {max} characters")));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(Invalid::new(field, "must not contain control characters"));
    }
    Ok(value.to_string())
}

/// Free text that may be left out (blank is left out).
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, Invalid> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => text(field, Some(v), max).map(Some),
    }
}

/// A plausible mailbox address, lower-cased. Deliberately strict: it ends up in headers.
pub fn email(field: &str, value: Option<&str>) -> Result<String, Invalid> {
    let value = line(field, value, 254)?;
    let valid = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && value.chars().all(|c| c.is_ascii_alphanumeric() || "@.-_+'".contains(c))
                && value.matches('@').count() == 1
        }
        None => false,
    };
    if valid {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(Invalid::new(field, "must be an email address such as name@example.com"))
    }
}

/// A short code of letters and digits (company codes, product SKUs).
pub fn code(field: &str, value: Option<&str>, max: usize) -> Result<String, Invalid> {
    // The API document's `maxLength` counts the text as sent, spaces around it included.
    if value.is_some_and(|v| v.chars().count() > max) {
        return Err(Invalid::new(field, format!("must be at most {max} characters")));
    }
    let value = line(field, value, max)?;
    if value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Ok(value.to_ascii_uppercase())
    } else {
        Err(Invalid::new(field, "must hold only letters, digits and dashes"))
    }
}

/// Reads an optional whole number, written as `3` or `3.0` (JSON Schema calls both
/// integers, and so does the API document): for `#[serde(deserialize_with = …)]`.
pub fn whole_number<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    use serde::de::Error;
    let Some(number) = <Option<serde_json::Number> as serde::Deserialize>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let whole = match (number.as_u64(), number.as_f64()) {
        (Some(n), _) => Some(n),
        // Below 2^53 every whole f64 is exact.
        (None, Some(f)) if f.fract() == 0.0 && (0.0..9_007_199_254_740_992.0).contains(&f) => Some(f as u64),
        _ => None,
    };
    whole
        .and_then(|n| T::try_from(n).ok())
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("invalid value: {number}, expected a whole number in range")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_refuse_line_breaks_that_could_forge_mail_headers() {
        let err = line("subject", Some("hi\r\nBcc: x@y.z"), 200).unwrap_err();
        assert_eq!(err.field, "subject");
    }

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(email("e", Some(" Ann@Example.COM ")).unwrap(), "ann@example.com");
        for bad in ["ann", "ann@", "@x.com", "a@b", "a b@c.com", "a@b@c.com", "a@x.com\nbcc"] {
            assert!(email("e", Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn overlong_text_is_refused_by_name() {
        let long = "x".repeat(11);
        assert_eq!(text("description", Some(&long), 10).unwrap_err().field, "description");
    }

    #[derive(serde::Deserialize)]
    struct Sized {
        #[serde(default, deserialize_with = "whole_number")]
        size: Option<u32>,
    }

    #[test]
    fn whole_numbers_may_be_written_with_a_zero_fraction() {
        let size = |json: &str| serde_json::from_str::<Sized>(json).map(|s| s.size);
        assert_eq!(size(r#"{"size": 3}"#).unwrap(), Some(3));
        assert_eq!(size(r#"{"size": 3.0}"#).unwrap(), Some(3));
        assert_eq!(size(r#"{"size": null}"#).unwrap(), None);
        assert_eq!(size(r#"{}"#).unwrap(), None);
        for bad in [
            r#"{"size": 3.5}"#,
            r#"{"size": -1}"#,
            r#"{"size": 1e20}"#,
            r#"{"size": "3"}"#,
        ] {
            assert!(size(bad).is_err(), "{bad}");
        }
    }
}

/// How the API document states these rules, for `#[schema(schema_with = …)]` on the drafts'
/// fields: the same limits, as JSON Schema, so clients (and the schema fuzzer) can check a
/// value before sending it. Each is no stricter than the rule above it.
pub mod schemas {
    use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

    /// `email`: one `@`, a dot in the domain, letters, digits and `.-_+'`.
    const EMAIL: &str = r"^\s*[A-Za-z0-9._+'-]+@[A-Za-z0-9_+'-][A-Za-z0-9._+'-]*\.[A-Za-z0-9._+'-]*[A-Za-z0-9_+'-]\s*$";
    /// `code`: letters, digits and dashes.
    const CODE: &str = r"^\s*[A-Za-z0-9-]+\s*$";

    fn string(pattern: &str, max_length: usize) -> ObjectBuilder {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .max_length(Some(max_length))
            .pattern(Some(pattern))
    }

    /// A required email address.
    pub fn email() -> Object {
        string(EMAIL, 254).build()
    }

    /// An email address that may be empty, null or absent.
    pub fn optional_email() -> Object {
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
            .max_length(Some(254))
            .pattern(Some(format!(r"^\s*$|{EMAIL}")))
            .description(Some("Empty or absent for none"))
            .build()
    }

    /// A product's SKU (`code`, at most 40).
    pub fn sku() -> Object {
        string(CODE, 40).build()
    }

    /// A serial number (`code`, at most 60).
    pub fn serial() -> Object {
        string(CODE, 60).build()
    }

    /// A company code (`code`, at most 12).
    pub fn company_code() -> Object {
        string(CODE, 12).build()
    }
}
