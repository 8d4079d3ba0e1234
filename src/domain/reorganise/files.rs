//! The files a reorganisation reads besides the new tree (which is an official list, read by
//! [`crate::domain::import_units::parse`]): the official table from old communes to new ones,
//! and the decisions for villages the table leaves open.

use crate::domain::import_units::read_csv as read;

/// One row of the official table: an old commune, one of the new communes it went to.
#[derive(Clone, Debug)]
pub(crate) struct Pair {
    pub line: u64,
    pub old_code: String,
    pub new_code: String,
    pub new_province: String,
    /// The source's flag: part of the old commune went elsewhere.
    pub partly: bool,
}

/// One decision: the village (or every village of the old commune) `code` goes to `new_code`.
#[derive(Clone, Debug)]
pub(crate) struct Decision {
    pub line: u64,
    pub code: String,
    pub new_code: String,
}

const MAPPING_HEADER: [&str; 6] = [
    "old_code",
    "new_code",
    "old_district_code",
    "old_province_code",
    "new_province_code",
    "is_partly_merged",
];

const VILLAGES_HEADER: [&str; 2] = ["code", "new_code"];

/// Reads `old_code,new_code,old_district_code,old_province_code,new_province_code,is_partly_merged`.
pub(crate) fn mapping(text: &str) -> Result<Vec<Pair>, Vec<String>> {
    read(
        text,
        &MAPPING_HEADER,
        "the table has no rows",
        |line, record| {
            let field = |i: usize| field(record, i);
            let code = |i: usize, width: usize, what: &str| {
                let value = field(i);
                if value.len() == width && value.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(value.to_owned())
                } else {
                    Err(format!("{what} {value:?} is not a {width}-digit code"))
                }
            };
            let partly = match field(5) {
                "true" | "True" | "1" => true,
                "false" | "False" | "0" | "" => false,
                other => {
                    return Err(format!(
                        "is_partly_merged must be true or false, not {other:?}"
                    ));
                }
            };
            Ok(Pair {
                line,
                old_code: code(0, 5, "old_code")?,
                new_code: code(1, 5, "new_code")?,
                new_province: code(4, 2, "new_province_code")?,
                partly,
            })
        },
    )
}

/// Reads `code,new_code`: a village's code (or an old commune's, for all its villages) and the
/// new commune it goes to.
pub(crate) fn villages(text: &str) -> Result<Vec<Decision>, Vec<String>> {
    read(
        text,
        &VILLAGES_HEADER,
        "the file has no decisions",
        |line, record| {
            let field = |i: usize| field(record, i);
            let code = field(0);
            let new_code = field(1);
            if code.is_empty() || code.len() > 16 {
                return Err(format!("code {code:?} is not a unit code"));
            }
            if new_code.len() != 5 || !new_code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("new_code {new_code:?} is not a commune code"));
            }
            Ok(Decision {
                line,
                code: code.to_owned(),
                new_code: new_code.to_owned(),
            })
        },
    )
}

fn field(record: &csv::StringRecord, i: usize) -> &str {
    record.get(i).unwrap_or("").trim()
}
