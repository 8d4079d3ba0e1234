//! The programme's domain: one module per area. Nothing here knows about HTTP. The inputs and
//! enumerations callers send are declared here, once: each derives its GraphQL form where it is
//! declared, and the resolvers hand it over as it came. Every function that reads attached data
//! takes the caller's [`Scope`](crate::authz::Scope).

pub mod audit;
pub mod committee_edits;
pub mod committees;
pub mod counters;
pub mod import_units;
pub mod member_edits;
pub mod member_import;
pub mod page;
pub(crate) mod relations;
pub mod reorganisations;
pub mod reorganise;
pub mod report_edits;
pub mod reports;
pub mod team_edits;
pub mod teams;
pub mod totals;
pub mod training;
pub mod training_edits;
pub mod units;
pub mod users;
pub mod validate;
pub mod villages;
pub mod write;

mod text_enum;

pub use page::{Listing, Page, PageRequest};

/// Rules of the programme that a deployment may set.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    /// The most current members a team may hold.
    pub max_team_members: usize,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            max_team_members: 20,
        }
    }
}

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize,
            serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl sea_orm::TryGetable for $name {
            fn try_get_by<I: sea_orm::ColIdx>(
                res: &sea_orm::QueryResult,
                index: I,
            ) -> Result<Self, sea_orm::TryGetError> {
                i64::try_get_by(res, index).map($name)
            }
        }

        impl From<$name> for sea_orm::Value {
            fn from(id: $name) -> Self {
                id.0.into()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        /// Shown to callers as an `ID`.
        impl async_graphql::OutputType for $name {
            fn type_name() -> std::borrow::Cow<'static, str> {
                <async_graphql::ID as async_graphql::OutputType>::type_name()
            }

            fn create_type_info(registry: &mut async_graphql::registry::Registry) -> String {
                <async_graphql::ID as async_graphql::OutputType>::create_type_info(registry)
            }

            async fn resolve(
                &self,
                _: &async_graphql::ContextSelectionSet<'_>,
                _: &async_graphql::Positioned<async_graphql::parser::types::Field>,
            ) -> async_graphql::ServerResult<async_graphql::Value> {
                Ok(async_graphql::Value::String(self.0.to_string()))
            }
        }

        /// Taken from callers as an `ID`: anything but an id this API gave is refused where it
        /// is sent, as a bad value of the argument or input field that holds it.
        impl async_graphql::InputType for $name {
            type RawValueType = Self;

            fn type_name() -> std::borrow::Cow<'static, str> {
                <async_graphql::ID as async_graphql::InputType>::type_name()
            }

            fn create_type_info(registry: &mut async_graphql::registry::Registry) -> String {
                <async_graphql::ID as async_graphql::InputType>::create_type_info(registry)
            }

            fn parse(value: Option<async_graphql::Value>) -> async_graphql::InputValueResult<Self> {
                let id = <async_graphql::ID as async_graphql::InputType>::parse(value)
                    .map_err(async_graphql::InputValueError::propagate)?;
                parse_id(&id, "").map($name).map_err(|_| {
                    async_graphql::InputValueError::custom(format!(
                        "{} is not an id returned by this API",
                        crate::scalars::shown(&id, 32)
                    ))
                })
            }

            fn to_value(&self) -> async_graphql::Value {
                async_graphql::Value::String(self.0.to_string())
            }

            fn as_raw_value(&self) -> Option<&Self> {
                Some(self)
            }
        }

        impl $name {
            /// Reads an id a caller sent for `field`.
            pub fn parse(id: &str, field: &str) -> crate::error::Result<Self> {
                parse_id(id, field).map($name)
            }
        }
    )*};
}

/// The one row `select` finds, or `NOT_FOUND` naming `what`: the same answer whether the row
/// does not exist or lies outside the caller's scope.
pub(crate) async fn found<T: sea_orm::FromQueryResult>(
    conn: &impl sea_orm::ConnectionTrait,
    select: &sea_orm::sea_query::SelectStatement,
    what: &'static str,
) -> crate::error::Result<T> {
    crate::db::query::one(conn, select)
        .await?
        .ok_or(crate::error::AppError::NotFound(what))
}

/// Reads an id a caller sent for `field`: anything but a positive number names no row.
pub fn parse_id(id: &str, field: &str) -> crate::error::Result<i64> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| crate::error::AppError::bad_input(field, "not an id returned by this API"))
}

id_type!(
    /// An administrative unit.
    UnitId,
    TeamId,
    MemberId,
    CommitteeId,
    CommitteeMemberId,
    SessionId,
    UserId,
    ReportId,
    TargetId,
    ReorganisationId,
);
