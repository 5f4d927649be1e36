//! Closed sets of names that travel as text (problem types, mail kinds, status actions):
//! an enum in the code, a fixed slug on the wire and in stored records.

/// The name serde gives a unit variant of an enum (`ClaimState::InReview` is `in_review`):
/// for keys, mail and exports that speak as the API does. Empty for anything else.
pub fn serde_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Declares `pub enum $name { $variant, … }` with `ALL`, `slug()`, `from_slug()` and
/// `Display` (the slug).
macro_rules! slug_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $slug:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            /// Every member, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The member's name on the wire.
            pub fn slug(self) -> &'static str {
                match self {
                    $($name::$variant => $slug),+
                }
            }

            /// Its schema in the API document: a string, one of the slugs.
            pub fn schema() -> utoipa::openapi::schema::Object {
                $crate::slugs::one_of(Self::ALL.iter().map(|m| m.slug()))
            }

            /// The member with this slug, if any.
            pub fn from_slug(slug: &str) -> Option<$name> {
                match slug {
                    $($slug => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.slug())
            }
        }
    };
}
pub(crate) use slug_enum;

/// A string schema that allows only these values.
pub fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(values))
        .build()
}

#[cfg(test)]
mod tests {
    slug_enum!(Sample { One = "one", Two = "two-2" });

    #[test]
    fn slugs_round_trip() {
        for member in Sample::ALL {
            assert_eq!(Sample::from_slug(member.slug()), Some(*member));
        }
        assert_eq!(Sample::from_slug("three"), None);
        assert_eq!(Sample::Two.to_string(), "two-2");
    }

    #[test]
    fn the_schema_allows_exactly_the_slugs() {
        let schema = serde_json::to_value(Sample::schema()).unwrap();
        assert_eq!(
            schema,
            serde_json::json!({ "type": "string", "enum": ["one", "two-2"] })
        );
    }
}
