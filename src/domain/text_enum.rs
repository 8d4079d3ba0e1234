//! Enumerations stored as upper-case text columns: the values the GraphQL contract uses, so
//! each is declared once and is the schema's enum too.

/// Declares an enum stored as its values' names in the schema (`InPerson` is `IN_PERSON`), with
/// parsing, database decoding and encoding, and the GraphQL enum of the same name. A value's doc
/// comment is its description in the schema; so is the enum's own, so leave it out where the
/// schema has none.
#[macro_export]
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$item:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, async_graphql::Enum)]
        pub enum $name { $($(#[$item])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored text: the value's name in the schema.
            pub fn as_str(self) -> &'static str {
                <$name as async_graphql::resolver_utils::EnumType>::items()
                    .iter()
                    .find(|item| item.value == self)
                    .map_or("", |item| item.name)
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                <$name as async_graphql::resolver_utils::EnumType>::items()
                    .iter()
                    .find(|item| item.name == s)
                    .map(|item| item.value)
                    .ok_or_else(|| format!("unknown {} {:?}", stringify!($name), s))
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

#[cfg(test)]
mod tests {
    use crate::domain::teams::{Affiliation, TeamRole};
    use crate::domain::training::TrainingFormat;

    #[test]
    fn values_are_stored_as_their_schema_names_and_read_back() {
        assert_eq!(Affiliation::VillageHead.as_str(), "VILLAGE_HEAD");
        assert_eq!(TrainingFormat::InPerson.as_str(), "IN_PERSON");
        for role in TeamRole::ALL {
            assert_eq!(role.as_str().parse::<TeamRole>(), Ok(*role));
        }
        assert_eq!(
            "village_head".parse::<Affiliation>(),
            Err("unknown Affiliation \"village_head\"".to_owned())
        );
    }
}
