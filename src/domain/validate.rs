//! Input rules shared by every change. Each failure names the field it is about.

use async_graphql::MaybeUndefined;
use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::error::{AppError, Result};
use crate::text::{clean_name, has_letter_or_digit, stacks_marks, unprintable};

/// The National Digital Transformation Programme was approved on 3 June 2020 (Decision
/// 749/QĐ-TTg): no session, report or target of it can come earlier.
pub const PROGRAMME_START: NaiveDate = NaiveDate::from_ymd_opt(2020, 6, 3).expect("a date");

/// The earliest founding or joining date and birth year accepted.
pub const EARLIEST_YEAR: i32 = 1900;

/// Text a person typed: no control characters, no invisible ones, no bidirectional
/// overrides that would make it read differently from what is stored.
fn printable(field: &str, text: &str) -> Result<()> {
    match unprintable(text) {
        None => Ok(()),
        Some(c) => Err(AppError::bad_input(
            field,
            format!(
                "must not contain control, invisible or text-direction characters (found U+{:04X})",
                u32::from(c)
            ),
        )),
    }
}

/// Text that names or describes something: printable, and with a letter or a digit in it
/// (not only marks, dashes or blank-drawn symbols).
fn readable(field: &str, text: &str) -> Result<()> {
    printable(field, text)?;
    if !text.is_empty() && !has_letter_or_digit(text) {
        return Err(AppError::bad_input(
            field,
            "must contain a letter or a digit",
        ));
    }
    if stacks_marks(text, 2) {
        return Err(AppError::bad_input(
            field,
            "must not stack more than two accents on one letter",
        ));
    }
    Ok(())
}

/// A name or title: trimmed, inner spaces collapsed, NFC, 1 to 200 characters.
pub fn name(field: &str, raw: &str) -> Result<String> {
    let cleaned = clean_name(raw);
    readable(field, &cleaned)?;
    let length = cleaned.chars().count();
    if length == 0 {
        return Err(AppError::bad_input(field, "must not be empty"));
    }
    if length > 200 {
        return Err(AppError::bad_input(
            field,
            "must have at most 200 characters",
        ));
    }
    Ok(cleaned)
}

/// Optional free text (a decision number, a topic): cleaned like a name; empty means none.
pub fn optional_text(field: &str, raw: Option<&str>) -> Result<Option<String>> {
    let cleaned = raw.map(clean_name);
    if let Some(text) = &cleaned {
        readable(field, text)?;
    }
    match cleaned {
        None => Ok(None),
        Some(text) if text.is_empty() => Ok(None),
        Some(text) if text.chars().count() > 500 => Err(AppError::bad_input(
            field,
            "must have at most 500 characters",
        )),
        Some(text) => Ok(Some(text)),
    }
}

/// A Vietnamese phone number, stored in its national ten- or eleven-digit form: `0` or `+84`
/// (or `84`), then a mobile number (3, 5, 7, 8 or 9 and eight more digits) or a landline
/// (2 and nine more digits). Spaces, dots, dashes and brackets are ignored.
pub fn phone(field: &str, raw: &str) -> Result<String> {
    let digits: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    let national = if let Some(rest) = digits.strip_prefix("+84") {
        format!("0{rest}")
    } else if digits.len() == 11 && digits.starts_with("84") && !digits.starts_with("840") {
        format!("0{}", &digits[2..])
    } else {
        digits
    };
    let all_digits = national.bytes().all(|b| b.is_ascii_digit());
    let bytes = national.as_bytes();
    let mobile = national.len() == 10 && bytes[0] == b'0' && b"35789".contains(&bytes[1]);
    let landline = national.len() == 11 && national.starts_with("02");
    if all_digits && (mobile || landline) {
        Ok(national)
    } else {
        Err(AppError::bad_input(
            field,
            "not a Vietnamese phone number (0 or +84, then 9 digits for a mobile or 10 for a landline)",
        ))
    }
}

/// A search term: at most 100 characters, printable.
pub fn search(field: &str, raw: &str) -> Result<String> {
    let cleaned = clean_name(raw);
    printable(field, &cleaned)?;
    if cleaned.chars().count() > 100 {
        return Err(AppError::bad_input(
            field,
            "must have at most 100 characters",
        ));
    }
    Ok(cleaned)
}

/// A birth year between 1920 and fifteen years ago.
pub fn birth_year(field: &str, year: i32) -> Result<i32> {
    let latest = Utc::now().year() - 15;
    if (1920..=latest).contains(&year) {
        Ok(year)
    } else {
        Err(AppError::bad_input(
            field,
            format!("must be between 1920 and {latest}"),
        ))
    }
}

/// A date that has already come, and not before 1900 (a founding, a joining).
pub fn not_in_future(field: &str, date: NaiveDate) -> Result<NaiveDate> {
    if date.year() < EARLIEST_YEAR {
        Err(AppError::bad_input(
            field,
            format!("must not be before {EARLIEST_YEAR}"),
        ))
    } else if date <= crate::scalars::today() {
        Ok(date)
    } else {
        Err(AppError::bad_input(field, "must not be in the future"))
    }
}

/// A moment of the programme: from its start to five years ahead.
pub fn programme_time(field: &str, at: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let latest = Utc::now().year() + 5;
    if at.date_naive() < PROGRAMME_START || at.year() > latest {
        return Err(AppError::bad_input(
            field,
            format!(
                "must be between {PROGRAMME_START} (the programme's start) and the end of {latest}"
            ),
        ));
    }
    Ok(at)
}

/// The years a period may name: the programme's first to the next one.
fn programme_year(raw: &str) -> Option<i32> {
    if raw.len() != 4 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = raw.parse().ok()?;
    (PROGRAMME_START.year()..=Utc::now().year() + 1)
        .contains(&year)
        .then_some(year)
}

/// A reporting period: a month of the programme, `YYYY-MM`.
pub fn period(field: &str, raw: &str) -> Result<String> {
    let raw = raw.trim();
    let month = raw.split_once('-').filter(|(year, month)| {
        programme_year(year).is_some()
            && month.len() == 2
            && month.bytes().all(|b| b.is_ascii_digit())
            && (1..=12).contains(&month.parse::<u32>().unwrap_or(0))
    });
    match month {
        Some(_) => Ok(raw.to_owned()),
        None => Err(AppError::bad_input(
            field,
            format!(
                "must be a month of the programme, YYYY-MM, from {} to {}",
                PROGRAMME_START.year(),
                Utc::now().year() + 1
            ),
        )),
    }
}

/// The checks of one input's fields, all of them made before any is refused, so that a form
/// can show every wrong field at once:
///
/// ```text
/// let mut checks = Checks::default();
/// let name = checks.check(validate::name("name", &input.name));
/// let founded_on = checks.check(founded_on(&input));
/// let (Some(name), Some(founded_on)) = (name, founded_on) else {
///     return Err(checks.refusal());
/// };
/// ```
#[derive(Debug, Default)]
pub struct Checks {
    fields: Vec<(String, String)>,
    /// A refusal that is not about a field's value (out of the caller's area, missing, a
    /// fault): it wins over the fields'.
    other: Option<AppError>,
}

impl Checks {
    /// The value, or none with its problem kept.
    pub fn check<T>(&mut self, result: Result<T>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(AppError::BadUserInput { field, message }) => {
                self.fields.push((field, message));
                None
            }
            Err(AppError::BadFields(fields)) => {
                self.fields.extend(fields);
                None
            }
            Err(other) => {
                self.other.get_or_insert(other);
                None
            }
        }
    }

    /// Whether every check so far passed.
    pub fn passed(&self) -> bool {
        self.fields.is_empty() && self.other.is_none()
    }

    /// What to answer when a check failed: the first refusal that is not about a value, else
    /// every wrong field.
    pub fn refusal(self) -> AppError {
        if let Some(other) = self.other {
            return other;
        }
        let mut fields = self.fields;
        match fields.len() {
            0 => AppError::Internal(anyhow::anyhow!("an input was refused without a reason")),
            1 => {
                let (field, message) = fields.remove(0);
                AppError::BadUserInput { field, message }
            }
            _ => AppError::BadFields(fields),
        }
    }

    /// `Ok` when every check passed, else [`Checks::refusal`].
    pub fn done(self) -> Result<()> {
        if self.passed() {
            Ok(())
        } else {
            Err(self.refusal())
        }
    }
}

/// Refuses clearing a row's start date: a team, member or committee without one would count
/// on every past day. A date may be corrected, not removed.
pub fn start_kept<T: async_graphql::InputType>(
    field: &str,
    sent: &async_graphql::MaybeUndefined<T>,
) -> Result<()> {
    if sent.is_null() {
        Err(AppError::bad_input(
            field,
            "cannot be removed: without it the row would count on every past day; send the \
             correct date instead",
        ))
    } else {
        Ok(())
    }
}

/// A month already begun: results are reported for a month under way or past, never ahead
/// (`period` is a checked `YYYY-MM`).
pub fn not_after_this_month(field: &str, period: &str) -> Result<()> {
    let this_month = crate::scalars::today().format("%Y-%m").to_string();
    if period > this_month.as_str() {
        Err(AppError::bad_input(
            field,
            format!("{period} has not begun: results are reported from {this_month} back"),
        ))
    } else {
        Ok(())
    }
}

/// A month (`YYYY-MM`) or a whole year (`YYYY`) of the programme.
pub fn period_or_year(field: &str, raw: &str) -> Result<String> {
    let raw = raw.trim();
    if programme_year(raw).is_some() {
        return Ok(raw.to_owned());
    }
    period(field, raw).map_err(|_| {
        AppError::bad_input(
            field,
            format!(
                "must be a month (YYYY-MM) or a year (YYYY) from {} to {}",
                PROGRAMME_START.year(),
                Utc::now().year() + 1
            ),
        )
    })
}

/// A count that cannot be negative.
pub fn count(field: &str, value: i64) -> Result<i64> {
    if (0..=10_000_000).contains(&value) {
        Ok(value)
    } else {
        Err(AppError::bad_input(
            field,
            "must be between 0 and 10,000,000",
        ))
    }
}

/// A required field of a change: the value sent, checked, or the one before when none was sent.
pub fn changed<T, U: Clone>(
    sent: Option<T>,
    before: &U,
    check: impl FnOnce(T) -> Result<U>,
) -> Result<U> {
    sent.map(check)
        .transpose()
        .map(|v| v.unwrap_or_else(|| before.clone()))
}

/// An optional field of a change: the one before when the change leaves it out, none when it
/// sends `null`, else the value sent, checked (a check may read it as none, as blank text is).
pub fn changed_optional<T, U: Clone>(
    sent: MaybeUndefined<T>,
    before: &Option<U>,
    check: impl FnOnce(T) -> Result<Option<U>>,
) -> Result<Option<U>> {
    match sent {
        MaybeUndefined::Undefined => Ok(before.clone()),
        MaybeUndefined::Null => Ok(None),
        MaybeUndefined::Value(value) => check(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_take_one_canonical_form() {
        for raw in [
            "0912345678",
            "+84 912 345 678",
            "84912345678",
            "091.234.5678",
        ] {
            assert_eq!(phone("phone", raw).unwrap(), "0912345678", "{raw}");
        }
        assert_eq!(phone("phone", "0262 3855 555").unwrap(), "02623855555");
        for raw in [
            "12345",
            "0112345678",
            "09123456789",
            "09123x5678",
            "+1 212 555 0100",
            "",
        ] {
            let err = phone("phone", raw).unwrap_err();
            assert!(
                matches!(err, AppError::BadUserInput { ref field, .. } if field == "phone"),
                "{raw}"
            );
        }
    }

    #[test]
    fn names_are_cleaned_and_bounded() {
        assert_eq!(name("name", "  Tổ  CNS ").unwrap(), "Tổ CNS");
        assert!(name("name", "   ").is_err());
        assert!(name("name", &"a".repeat(201)).is_err());
        assert!(
            name("name", &"ấ".repeat(200)).is_ok(),
            "characters, not bytes"
        );
    }

    #[test]
    fn hidden_and_control_characters_are_refused() {
        for raw in [
            "\u{200b}",
            "\u{200b}\u{200b}",
            "Tổ\u{202e}SNC",
            "a\u{1b}[31m",
            "a\u{1}b",
            "a\u{0}b",
            "\u{feff}",
            "\u{2800}\u{2800}",
            "\u{300}\u{301}",
            "a\u{1BCA0}b",
            "a\u{13430}b",
            "\u{600}1",
            "a\u{110BD}",
            "a\u{70F}b",
            "a\u{8E2}b",
            "---",
            "Tổ\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301} 1",
        ] {
            assert!(name("name", raw).is_err(), "{raw:?}");
            assert!(optional_text("topic", Some(raw)).is_err(), "{raw:?}");
        }
        assert_eq!(
            name("name", "Tổ\tCNS\n").unwrap(),
            "Tổ CNS",
            "white space is collapsed"
        );
        assert!(search("search", &"a".repeat(101)).is_err());
    }

    #[test]
    fn periods_and_years_are_checked() {
        assert_eq!(period("period", "2026-10").unwrap(), "2026-10");
        assert!(period("period", "2026-13").is_err());
        assert!(period("period", "26-10").is_err());
        for raw in [
            "+123", "0000", "1000-01", "2019-12", "+2024-01", "2024-1", "2024-+1", "9999",
        ] {
            assert!(period_or_year("period", raw).is_err(), "{raw}");
        }
        assert_eq!(period_or_year("period", "2024").unwrap(), "2024");
        assert_eq!(period_or_year("period", "2024-03").unwrap(), "2024-03");
        let early = NaiveDate::from_ymd_opt(1899, 12, 31).unwrap();
        assert!(not_in_future("foundedOn", early).is_err());
        assert!(birth_year("birthYear", 1890).is_err());
        assert!(birth_year("birthYear", 1980).is_ok());
        assert!(birth_year("birthYear", Utc::now().year()).is_err());
    }
}
