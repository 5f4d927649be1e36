//! Claim numbers as users type them: several in one box, separated by `;` or `,`,
//! each of kind "CMS #" or "Claim #".

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum ClaimKind {
    #[serde(rename = "CMS #")]
    Cms,
    #[serde(rename = "Claim #")]
    Claim,
}

impl ClaimKind {
    pub fn parse(text: &str) -> Option<ClaimKind> {
        let squeezed: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        match squeezed.trim_end_matches('#') {
            "cms" => Some(ClaimKind::Cms),
            "claim" => Some(ClaimKind::Claim),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClaimRef {
    pub kind: ClaimKind,
    pub number: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    #[error("claim number {0:?} must be 1 to 30 letters, digits or dashes")]
    Invalid(String),
    #[error("at most {0} claim numbers per ticket")]
    TooMany(usize),
}

pub const MAX_CLAIMS: usize = 50;

/// Parses "123; CMS # A-9, claim#77" into distinct references. A token may carry a kind
/// prefix, which also holds for the tokens after it ("CMS # 1; 2" is two CMS numbers);
/// before any prefix `default_kind` applies. Empty tokens (e.g. "1;;2") are ignored.
pub fn parse_claim_numbers(text: &str, default_kind: ClaimKind) -> Result<Vec<ClaimRef>, ClaimError> {
    let mut out: Vec<ClaimRef> = Vec::new();
    let mut current_kind = default_kind;
    for token in text.split([';', ',']) {
        let token = token.trim();
        if token.is_empty() {
            continue;
        }
        let (kind, number) = split_kind(token).unwrap_or((current_kind, token));
        current_kind = kind;
        let number = number.trim();
        let valid =
            !number.is_empty() && number.len() <= 30 && number.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !valid {
            return Err(ClaimError::Invalid(token.to_string()));
        }
        let claim = ClaimRef {
            kind,
            number: number.to_ascii_uppercase(),
        };
        if !out.contains(&claim) {
            out.push(claim);
        }
    }
    if out.len() > MAX_CLAIMS {
        return Err(ClaimError::TooMany(MAX_CLAIMS));
    }
    Ok(out)
}

fn split_kind(token: &str) -> Option<(ClaimKind, &str)> {
    let hash = token.find('#')?;
    let kind = ClaimKind::parse(&token[..=hash])?;
    Some((kind, &token[hash + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_semicolons_and_commas_trims_and_dedupes() {
        let got = parse_claim_numbers(" 123 ; 456,123,, ", ClaimKind::Claim).unwrap();
        assert_eq!(
            got,
            vec![
                ClaimRef {
                    kind: ClaimKind::Claim,
                    number: "123".into()
                },
                ClaimRef {
                    kind: ClaimKind::Claim,
                    number: "456".into()
                },
            ]
        );
    }

    #[test]
    fn a_token_may_name_its_own_kind() {
        let got = parse_claim_numbers("CMS # a-9; Claim#77", ClaimKind::Claim).unwrap();
        assert_eq!(
            got[0],
            ClaimRef {
                kind: ClaimKind::Cms,
                number: "A-9".into()
            }
        );
        assert_eq!(
            got[1],
            ClaimRef {
                kind: ClaimKind::Claim,
                number: "77".into()
            }
        );
    }

    #[test]
    fn a_kind_prefix_holds_for_the_numbers_after_it() {
        let got = parse_claim_numbers("1; CMS # 2, 3", ClaimKind::Claim).unwrap();
        let kinds: Vec<ClaimKind> = got.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [ClaimKind::Claim, ClaimKind::Cms, ClaimKind::Cms]);
    }

    #[test]
    fn rejects_numbers_with_odd_characters() {
        assert_eq!(
            parse_claim_numbers("12 34", ClaimKind::Cms),
            Err(ClaimError::Invalid("12 34".into()))
        );
        assert!(parse_claim_numbers("<script>", ClaimKind::Cms).is_err());
    }
}
