//! The names of people and companies as the code carries them: parsed (normalised) once
//! where they enter, at the token or the request, and typed from there on, so a company
//! code cannot be passed where an email is expected. Each is its text on the wire and in
//! stored records (serde transparent), and reads as a `&str`.

use serde::{Deserialize, Serialize};

macro_rules! text_newtype {
    ($(#[$meta:meta])* $name:ident, $normalise:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The normalised form of `text`.
            pub fn new(text: impl AsRef<str>) -> $name {
                let normalise: fn(&str) -> String = $normalise;
                $name(normalise(text.as_ref()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
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

text_newtype!(
    /// A person's id at the identity provider (the token's `sub`).
    UserId,
    |text| text.to_string()
);

text_newtype!(
    /// An email address, in lower case (addresses are compared case-insensitively).
    Email,
    |text| text.to_ascii_lowercase()
);

text_newtype!(
    /// A company's code, in upper case (`ACME`); support agents carry the vendor's own.
    CompanyCode,
    |text| text.to_ascii_uppercase()
);

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
}
