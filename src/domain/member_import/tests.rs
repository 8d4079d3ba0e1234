//! Unit tests of `member_import`.

use calamine::Data;

use super::sheet::*;
use super::*;
use crate::domain::teams::{Affiliation, Gender};

#[test]
fn vietnamese_labels_are_understood_with_or_without_accents() {
    assert_eq!(role("Tổ trưởng"), Some(TeamRole::Leader));
    assert_eq!(role("to pho"), Some(TeamRole::Deputy));
    assert_eq!(role("Thành viên"), Some(TeamRole::Member));
    assert_eq!(
        affiliation("Hội Liên hiệp Phụ nữ"),
        Some(Affiliation::WomenUnion)
    );
    assert_eq!(
        affiliation("Đoàn Thanh niên"),
        Some(Affiliation::YouthUnion)
    );
    assert_eq!(affiliation("Cựu chiến binh"), Some(Affiliation::Veterans));
    assert_eq!(affiliation("bí thư"), None);
    assert_eq!(gender("Nữ"), Some(Some(Gender::Female)));
    assert_eq!(gender(""), Some(None));
}

#[test]
fn numeric_phone_cells_get_their_zero_back() {
    assert_eq!(phone_text("912345678"), "0912345678");
    assert_eq!(phone_text("0912345678"), "0912345678");
    assert_eq!(cell_text(&Data::Float(912345678.0)), "912345678");
    assert_eq!(cell_text(&Data::Float(1985.0)), "1985");
}

#[test]
fn missing_columns_are_named() {
    let table = vec![(1, vec!["Họ và tên".to_owned(), "Thôn".to_owned()])];
    let Err(AppError::InvalidRows(rows)) = keyed(table) else {
        panic!("expected a refusal")
    };
    assert!(rows[0].message.contains("Vai trò, Lực lượng"), "{rows:?}");
}

#[test]
fn csv_lines_are_numbered_whatever_their_breaks() {
    for (breaks, name) in [("\n", "LF"), ("\r\n", "CRLF"), ("\r", "CR")] {
        let text = [
            "Họ và tên;Thôn",
            "An;Thôn 1",
            "",
            "Bình;\"Thôn\n2\"",
            "Chi;Thôn 3",
        ]
        .join(breaks);
        let table = read_csv(text.as_bytes()).unwrap();
        let lines: Vec<u64> = table.iter().map(|(line, _)| *line).collect();
        // The blank line is skipped; a quoted break stays inside its cell.
        assert_eq!(lines, [1, 2, 4, 6], "{name}");
    }
    assert_eq!(separator("a;b,c;d"), b';');
    assert_eq!(separator("\"x,y\";b"), b';');
    assert_eq!(separator("a\tb\tc"), b'\t');
    assert_eq!(separator("abc"), b',');
}
