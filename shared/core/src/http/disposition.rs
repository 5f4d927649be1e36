//! The Content-Disposition header of a download (RFC 6266), for the local engine's answer
//! and for S3's presigned `response-content-disposition` alike.

/// A Content-Disposition for a download (RFC 6266): an ASCII fallback name, and the real
/// name percent-encoded as UTF-8 so that accents and other scripts survive.
pub fn content_disposition(filename: &str) -> String {
    let fallback: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_keep_accents_and_cannot_break_the_header() {
        assert_eq!(
            content_disposition("reclamación 7.pdf"),
            "attachment; filename=\"reclamaci_n 7.pdf\"; filename*=UTF-8''reclamaci%C3%B3n%207.pdf"
        );
    }
}
