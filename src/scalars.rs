//! Scalars of the contract: `Date` is `YYYY-MM-DD`, `DateTime` an RFC 3339 instant. Each
//! describes itself in the schema, for GraphiQL and code generators, and is read from and
//! written to the database and the audit log as the date or instant it holds, so records hold
//! them as they are shown.

use std::sync::OnceLock;

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Vietnam's time, UTC+7 (no daylight saving time since 1975).
pub const VIETNAM: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("a valid offset"),
};

static ZONE: OnceLock<FixedOffset> = OnceLock::new();

/// Sets the deployment's time zone (`TIME_ZONE`) for the process, once, at start: the days a
/// change is made on and a past day's figures are read for, and how instants are shown.
pub fn set_zone(zone: FixedOffset) {
    let _ = ZONE.set(zone);
}

/// The deployment's time zone; Vietnam's unless set otherwise.
pub fn zone() -> FixedOffset {
    *ZONE.get().unwrap_or(&VIETNAM)
}

/// Today's date in the deployment's zone.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&zone()).date_naive()
}

/// The first instant after `day` in the deployment's zone: what was held by the end of a day
/// started before it.
pub fn end_of(day: NaiveDate) -> DateTime<Utc> {
    start_of(day + chrono::Days::new(1))
}

/// The first instant of `day` in the deployment's zone.
pub fn start_of(day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    (midnight - zone()).and_utc()
}

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

    /// In the deployment's zone: `2022-12-20T08:00:00+07:00`.
    fn to_value(&self) -> Value {
        Value::String(self.0.with_timezone(&zone()).to_rfc3339())
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
