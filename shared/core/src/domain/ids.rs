//! The names of tickets, people and companies as the code carries them: parsed (or
//! normalised) once where they enter, at the token or the request path, and typed from
//! there on, so a company code cannot be passed where an email is expected. Each is its
//! text on the wire and in stored records (serde transparent), and reads as a `&str`.

use rand::RngCore;
use serde::{Deserialize, Serialize};

/// The characters of generated ids: base 32 without the look-alikes l, o, 0 and 1.
const ID_ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
/// 128 random bits make 26 base-32 characters.
const ID_CHARS: usize = 26;

/// Whether `id` could be one `new_id(prefix)` made (the prefix, `_`, letters and digits,
/// at most 64 characters): anything else is not there, without a read.
pub fn plausible_id(prefix: &str, id: &str) -> bool {
    id.len() <= 64
        && id
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

/// 128 random bits, base32, after `prefix_`: unguessable ids that are safe in keys and URLs.
pub fn new_id(prefix: &str) -> String {
    id_of(prefix, std::iter::empty())
}

/// The alphabet's characters in their byte order: an id's time part written with them
/// sorts as the times do.
const SORTED_ALPHABET: &[u8; 32] = b"23456789abcdefghijkmnpqrstuvwxyz";
/// 50 bits of milliseconds since 1970 (enough for 35,000 years), then 80 random bits.
const TIME_CHARS: usize = 10;

/// An id like `new_id`'s (same characters, same length) whose first ten characters are the
/// millisecond it was made, so ids made later sort later (as a ULID does); the remaining
/// 80 random bits keep it unguessable. Why: a ticket's id leads its items' key, and the
/// embedded engine keeps items in key order, so tickets filed one after another land on
/// the same last pages of its table instead of one page each anywhere in it (issue 12).
pub fn new_ordered_id(prefix: &str, millis: u64) -> String {
    let time = (0..TIME_CHARS)
        .rev()
        .map(|position| SORTED_ALPHABET[((millis >> (5 * position)) % 32) as usize] as char);
    id_of(prefix, time)
}

/// `prefix_`, then `head`, then random characters up to `ID_CHARS`.
fn id_of(prefix: &str, head: impl Iterator<Item = char>) -> String {
    let mut raw = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut raw);
    let mut random = u128::from_be_bytes(raw);
    let mut out = String::with_capacity(prefix.len() + 1 + ID_CHARS);
    out.push_str(prefix);
    out.push('_');
    out.extend(head);
    while out.len() < prefix.len() + 1 + ID_CHARS {
        out.push(ID_ALPHABET[(random % 32) as usize] as char);
        random /= 32;
    }
    out
}

/// The text behind every typed name: reads as `&str`, prints as itself, compares with text.
macro_rules! text_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        // In the API document, a string.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        // Hashes as its text does, so maps keyed by it can be looked up by `&str`.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

/// A typed name that any text can become once normalised.
macro_rules! normalised_text {
    ($(#[$meta:meta])* $name:ident, $normalise:expr) => {
        text_type!($(#[$meta])* $name);

        impl $name {
            /// The normalised form of `text`.
            pub fn new(text: impl AsRef<str>) -> $name {
                let normalise: fn(&str) -> String = $normalise;
                $name(normalise(text.as_ref()))
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> $name {
                $name::new(text)
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> $name {
                $name::new(text)
            }
        }
    };
}

normalised_text!(
    /// A person's id at the identity provider (the token's `sub`).
    UserId,
    |text| text.to_string()
);

normalised_text!(
    /// An email address, in lower case (addresses are compared case-insensitively).
    Email,
    |text| text.to_ascii_lowercase()
);

normalised_text!(
    /// A company's code, in upper case (`ACME`); support agents carry the vendor's own.
    CompanyCode,
    |text| text.to_ascii_uppercase()
);

text_type!(
    /// A ticket's id: `t_` and 26 base-32 characters. Only `generate` makes one and only
    /// `parse` reads one from outside, so a malformed id in a path or an address is "not
    /// found" at once, without a read.
    TicketId
);

impl TicketId {
    const PREFIX: &'static str = "t";

    /// A new ticket's id, ordered by when it was made (`new_ordered_id`).
    pub fn generate() -> TicketId {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as u64);
        TicketId(new_ordered_id(Self::PREFIX, millis))
    }

    /// The id `text` names, if it is one this desk could have made.
    pub fn parse(text: &str) -> Option<TicketId> {
        let chars = text.strip_prefix(Self::PREFIX)?.strip_prefix('_')?;
        (chars.len() == ID_CHARS && chars.bytes().all(|b| ID_ALPHABET.contains(&b))).then(|| TicketId(text.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_is_normalised_once_and_reads_as_text() {
        let email = Email::new("Ann@Acme.TEST");
        assert_eq!(email, "ann@acme.test");
        assert_eq!(CompanyCode::from("acme"), "ACME");
        assert_eq!(serde_json::to_string(&CompanyCode::new("ACME")).unwrap(), "\"ACME\"");
        let back: Email = serde_json::from_str("\"ann@acme.test\"").unwrap();
        assert_eq!(back, email);
        assert!(email.ends_with("@acme.test"));
    }

    #[test]
    fn a_ticket_id_is_one_this_desk_could_have_made() {
        let id = TicketId::generate();
        assert_eq!(TicketId::parse(&id), Some(id.clone()));
        assert!(id.starts_with("t_") && id.len() == 28);
        for bad in [
            "",
            "t_",
            "t_missing",
            "x_abcdefghijkmnpqrstuvwxyz2",
            "t_ABCDEFGHIJKMNPQRSTUVWXYZ23",
            "t_abcdefghijkmnpqrstuvwxyz2/",
            "t_abcdefghijkmnpqrstuvwxyz234",
        ] {
            assert_eq!(TicketId::parse(bad), None, "{bad}");
        }
        assert!(TicketId::parse("t_abcdefghijkmnpqrstuvwxyz23").is_some());
    }

    #[test]
    fn ordered_ids_sort_as_their_times_and_differ_within_one() {
        let times = [0, 1, 31, 32, 999, 1_733_000_000_000, 1_733_000_000_001, (1 << 50) - 1];
        let ids: Vec<String> = times.iter().map(|t| new_ordered_id("t", *t)).collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
        assert!(ids.iter().all(|id| TicketId::parse(id).is_some()), "{ids:?}");
        let (one, two) = (new_ordered_id("t", 5), new_ordered_id("t", 5));
        assert_eq!(one[..12], two[..12]);
        assert_ne!(one, two, "80 random bits follow the time");
    }
}
