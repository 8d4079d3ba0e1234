//! Enumerations stored as upper-case text columns: the values the GraphQL contract uses, so
//! each is declared once and is the schema's enum too.

/// Declares an enum whose variants are stored as the given strings, with parsing, database
/// decoding and encoding, and the GraphQL enum of the same name (a variant's doc comment is
/// its description in the schema; so is the enum's own, so leave it out where the schema has
/// none).
#[macro_export]
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident {
        $($(#[$item:meta])* $variant:ident = $text:literal),+ $(,)?
    }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, async_graphql::Enum)]
        pub enum $name { $($(#[$item])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("unknown {} {:?}", stringify!($name), other)),
                }
            }
        }

        impl sea_orm::TryGetable for $name {
            fn try_get_by<I: sea_orm::ColIdx>(
                res: &sea_orm::QueryResult,
                index: I,
            ) -> Result<Self, sea_orm::TryGetError> {
                let text = String::try_get_by(res, index)?;
                text.parse().map_err(|e: String| {
                    sea_orm::TryGetError::DbErr(sea_orm::DbErr::Type(e))
                })
            }
        }

        impl From<$name> for sea_orm::Value {
            fn from(v: $name) -> Self {
                v.as_str().into()
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}
