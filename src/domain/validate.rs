//! Input rules shared by every change. Each failure names the field it is about.

use chrono::{Datelike, NaiveDate, Utc};

use crate::error::{AppError, Result};
use crate::text::clean_name;

/// A name or title: trimmed, inner spaces collapsed, NFC, 1 to 200 characters.
pub fn name(field: &str, raw: &str) -> Result<String> {
    let cleaned = clean_name(raw);
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
    match raw.map(clean_name) {
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

/// A date that has already come.
pub fn not_in_future(field: &str, date: NaiveDate) -> Result<NaiveDate> {
    if date <= Utc::now().date_naive() {
        Ok(date)
    } else {
        Err(AppError::bad_input(field, "must not be in the future"))
    }
}

/// A reporting period: `YYYY-MM`.
pub fn period(field: &str, raw: &str) -> Result<String> {
    let raw = raw.trim();
    let valid =
        raw.len() == 7 && NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d").is_ok();
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(AppError::bad_input(field, "must be a month, YYYY-MM"))
    }
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
    fn periods_and_years_are_checked() {
        assert_eq!(period("period", "2026-10").unwrap(), "2026-10");
        assert!(period("period", "2026-13").is_err());
        assert!(period("period", "26-10").is_err());
        assert!(birth_year("birthYear", 1890).is_err());
        assert!(birth_year("birthYear", 1980).is_ok());
        assert!(birth_year("birthYear", Utc::now().year()).is_err());
    }
}
