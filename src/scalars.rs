//! Scalars of the contract: `Date` is `YYYY-MM-DD`, `DateTime` an RFC 3339 instant. Each
//! describes itself in the schema, for GraphiQL and code generators, and is read from and
//! written to the database and the audit log as the date or instant it holds, so records hold
//! them as they are shown.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Database decoding and encoding of a scalar through the value it wraps.
macro_rules! stored_as {
    ($scalar:ident($inner:ty)) => {
        impl sea_orm::TryGetable for $scalar {
            fn try_get_by<I: sea_orm::ColIdx>(
                res: &sea_orm::QueryResult,
                index: I,
            ) -> Result<Self, sea_orm::TryGetError> {
                <$inner>::try_get_by(res, index).map($scalar)
            }
        }

        impl From<$scalar> for sea_orm::Value {
            fn from(value: $scalar) -> Self {
                value.0.into()
            }
        }

        impl sea_orm::sea_query::Nullable for $scalar {
            fn null() -> sea_orm::Value {
                <$inner as sea_orm::sea_query::Nullable>::null()
            }
        }
    };
}

stored_as!(Date(NaiveDate));
stored_as!(Timestamp(DateTime<Utc>));

/// A calendar date, `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Date(pub NaiveDate);

/// A calendar date written `YYYY-MM-DD` (RFC 3339 `full-date`), years 0001 to 9999. Dates
/// are those of Vietnam: no time zone applies.
#[Scalar(
    name = "Date",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                // Four-digit years only: year 0, negative and five-digit years cannot be stored
                // everywhere. Each field's own range is checked where the field is known.
                .filter(|d| (1..=9999).contains(&d.year()) && text.len() == 10)
                .map(Date)
                .ok_or_else(|| {
                    let shown = shown(text, 32);
                    InputValueError::custom(format!(
                        "{shown} is not a date (YYYY-MM-DD, years 0001 to 9999)"
                    ))
                }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

impl From<NaiveDate> for Date {
    fn from(date: NaiveDate) -> Self {
        Date(date)
    }
}

/// An instant, in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub DateTime<Utc>);

/// An instant written in RFC 3339 with its offset: `2025-07-01T08:30:00+07:00` is read as
/// `2025-07-01T01:30:00+00:00`, and answers are given in UTC (`+00:00`).
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://www.rfc-editor.org/rfc/rfc3339#section-5.6"
)]
impl ScalarType for Timestamp {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => text.parse::<DateTime<Utc>>().map(Timestamp).map_err(|_| {
                let shown = shown(text, 40);
                InputValueError::custom(format!(
                    "{shown} is not an instant (RFC 3339, such as 2025-07-01T08:30:00+07:00)"
                ))
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Self {
        Timestamp(at)
    }
}

/// A rejected value as an error message shows it: quoted, or not repeated back when long.
pub(crate) fn shown(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        format!("{text:?}")
    } else {
        "the value".to_owned()
    }
}
