//! Scalars of the contract: `Date` is `YYYY-MM-DD` (`DateTime`, RFC 3339, comes with
//! async-graphql's chrono support).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{Datelike, NaiveDate};

/// A calendar date, `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
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
                    // A long value is not repeated back.
                    let shown = if text.chars().count() <= 32 {
                        format!("{text:?}")
                    } else {
                        "the value".to_owned()
                    };
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
