//! Reading a member list file (CSV or XLSX) into rows of text keyed by column, with every
//! limit checked before and while it is read: nothing here knows what a member is.

use std::collections::HashMap;

use calamine::Data;

use crate::error::{AppError, Result, RowProblem};
use crate::text::fold;

/// Rows accepted in one file.
pub const MAX_ROWS: usize = 5_000;
/// Columns read; a member list has seven, and a sheet may carry a few more (an index, notes).
pub const MAX_COLUMNS: u32 = 30;
/// The longest cell accepted, in characters (the longest field, a name, has 200).
pub const MAX_CELL_CHARS: usize = 1_000;
/// The text a sheet may hold in all, in characters: a full list of 5,000 members takes well
/// under a million. Cells may share one stored string, so this is counted as cells are read.
pub const MAX_SHEET_CHARS: usize = 3_000_000;
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SheetFormat {
    Csv,
    Xlsx,
}

impl SheetFormat {
    /// From the file name, or failing that from the first bytes (an XLSX file is a zip).
    pub fn detect(file_name: Option<&str>, bytes: &[u8]) -> Result<SheetFormat> {
        let name = file_name.unwrap_or("").to_lowercase();
        if name.ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04") {
            Ok(SheetFormat::Xlsx)
        } else if name.ends_with(".csv") || name.ends_with(".txt") || name.is_empty() {
            Ok(SheetFormat::Csv)
        } else {
            Err(AppError::bad_input("file", "send a CSV or an XLSX file"))
        }
    }
}

/// What the audit log keeps of an imported file: enough to find it again, not its rows.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FileSummary {
    pub name: Option<String>,
    pub bytes: usize,
    /// SHA-256 of the file as sent, in hex.
    pub sha256: String,
}

/// A member list read and checked for shape, before any transaction opens.
pub struct Sheet {
    pub(super) rows: Vec<Row>,
    pub file: FileSummary,
}

impl Sheet {
    /// Reads a CSV or XLSX file. Slow work with bounded memory: run it on a blocking thread.
    pub fn read(file_name: Option<&str>, bytes: &[u8]) -> Result<Sheet> {
        use sha2::Digest;
        let format = SheetFormat::detect(file_name, bytes)?;
        let table = match format {
            SheetFormat::Csv => read_csv(bytes)?,
            SheetFormat::Xlsx => super::xlsx::read_xlsx(bytes)?,
        };
        let rows = keyed(table)?;
        if rows.is_empty() {
            return Err(AppError::bad_input("file", "the file has no members"));
        }
        let digest = sha2::Sha256::digest(bytes);
        Ok(Sheet {
            rows,
            file: FileSummary {
                name: file_name.map(str::to_owned),
                bytes: bytes.len(),
                sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
            },
        })
    }
}

/// The columns, by the folded form of their Vietnamese headers.
pub(super) const NAME: &str = "ho va ten";
pub(super) const VILLAGE: &str = "thon";
pub(super) const ROLE: &str = "vai tro";
pub(super) const AFFILIATION: &str = "luc luong";
pub(super) const PHONE: &str = "so dien thoai";
pub(super) const BIRTH_YEAR: &str = "nam sinh";
pub(super) const GENDER: &str = "gioi tinh";
/// Optional: the village's code, which names it even where several share a name.
pub(super) const VILLAGE_CODE: &str = "ma thon";
pub(super) const REQUIRED: [(&str, &str); 4] = [
    (NAME, "Họ và tên"),
    (VILLAGE, "Thôn"),
    (ROLE, "Vai trò"),
    (AFFILIATION, "Lực lượng"),
];

pub(super) fn header_of(key: &str) -> &'static str {
    match key {
        NAME => "Họ và tên",
        VILLAGE => "Thôn",
        ROLE => "Vai trò",
        AFFILIATION => "Lực lượng",
        PHONE => "Số điện thoại",
        BIRTH_YEAR => "Năm sinh",
        VILLAGE_CODE => "Mã thôn",
        _ => "Giới tính",
    }
}

/// A data row: its line number and its cells by column key.
pub(super) type Row = (u64, HashMap<&'static str, String>);

/// What a validation says of a cell; anything but bad input is not the file's fault.
pub(super) fn reason(err: AppError) -> Result<String> {
    match err {
        AppError::BadUserInput { message, .. } => Ok(message),
        other => Err(other),
    }
}

pub(super) fn refuse(line: u64, column: Option<&str>, message: impl Into<String>) -> RowProblem {
    RowProblem {
        line,
        column: column.map(str::to_owned),
        message: message.into(),
    }
}

/// Turns a table (header first) into keyed rows, skipping blank ones.
pub(super) fn keyed(table: Vec<(u64, Vec<String>)>) -> Result<Vec<Row>> {
    let mut rows = table.into_iter();
    let Some((header_line, header)) = rows.next() else {
        return Err(AppError::bad_input("file", "the file is empty"));
    };
    let known = [
        NAME,
        VILLAGE,
        VILLAGE_CODE,
        ROLE,
        AFFILIATION,
        PHONE,
        BIRTH_YEAR,
        GENDER,
    ];
    let columns: Vec<Option<&'static str>> = header
        .iter()
        .map(|h| {
            let folded = fold(h);
            known.iter().copied().find(|k| *k == folded)
        })
        .collect();
    // A village is named by its name (`Thôn`) or its code (`Mã thôn`): either column will do.
    let has = |key: &str| columns.contains(&Some(key));
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|(key, _)| !(has(key) || (*key == VILLAGE && has(VILLAGE_CODE))))
        .map(|(_, header)| *header)
        .collect();
    if !missing.is_empty() {
        return Err(AppError::InvalidRows(vec![refuse(
            header_line,
            None,
            format!(
                "missing column{}: {}",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", ")
            ),
        )]));
    }
    let mut out = Vec::new();
    for (line, cells) in rows {
        // Blank, or a row of the template (`/export/member-template`) left without a member:
        // nothing but its village filled in.
        let blank = cells.iter().zip(&columns).all(|(cell, column)| {
            cell.trim().is_empty() || matches!(column, Some(VILLAGE) | Some(VILLAGE_CODE))
        });
        if blank {
            continue;
        }
        let mut row = HashMap::new();
        for (column, cell) in columns.iter().zip(cells) {
            if let Some(key) = column {
                row.insert(*key, cell.trim().to_owned());
            }
        }
        out.push((line, row));
    }
    if out.len() > MAX_ROWS {
        return Err(AppError::bad_input(
            "file",
            format!("at most {MAX_ROWS} rows at a time"),
        ));
    }
    Ok(out)
}

/// A spreadsheet cell as text. Numbers typed into cells come back as floats: whole ones are
/// written without a decimal point, so that a birth year reads `1985`.
pub(super) fn cell_text(cell: &Data) -> String {
    match cell {
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d.to_string(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

/// A spreadsheet column's letters (0 is `A`).
pub(super) fn column_name(index: u32) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// Refuses a cell beyond the rows and columns read, or longer than a cell may be. `row` and
/// `column` count from 0.
pub(super) fn check_cell(row: u32, column: u32, text: &str) -> Result<()> {
    let line = u64::from(row) + 1;
    let at = || Some(format!("{}{line}", column_name(column)));
    let refuse_cell = |message: String| {
        Err(AppError::InvalidRows(vec![RowProblem {
            line,
            column: at(),
            message,
        }]))
    };
    if row as usize > MAX_ROWS {
        return refuse_cell(format!(
            "the file goes on past row {}: at most {MAX_ROWS} members (and a header) at a time",
            MAX_ROWS + 1
        ));
    }
    if column >= MAX_COLUMNS {
        return refuse_cell(format!(
            "only the first {MAX_COLUMNS} columns (A to {}) are read",
            column_name(MAX_COLUMNS - 1)
        ));
    }
    if text.chars().count() > MAX_CELL_CHARS {
        return refuse_cell(format!(
            "the cell has more than {MAX_CELL_CHARS} characters"
        ));
    }
    Ok(())
}

/// A CSV file's text: UTF-8 (with or without a byte-order mark), or UTF-16 with its mark (as
/// Excel's "Unicode Text" saves it).
fn csv_text(bytes: &[u8]) -> Result<String> {
    let utf16 = |units: Vec<u16>| {
        String::from_utf16(&units)
            .map_err(|_| AppError::bad_input("file", "the file is not valid UTF-16"))
    };
    let pairs = |rest: &[u8], big: bool| -> Vec<u16> {
        rest.chunks_exact(2)
            .map(|p| {
                if big {
                    u16::from_be_bytes([p[0], p[1]])
                } else {
                    u16::from_le_bytes([p[0], p[1]])
                }
            })
            .collect()
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(pairs(rest, false)),
        [0xFE, 0xFF, rest @ ..] => utf16(pairs(rest, true)),
        _ => std::str::from_utf8(bytes)
            .map(|t| t.trim_start_matches('\u{feff}').to_owned())
            .map_err(|_| {
                AppError::bad_input(
                    "file",
                    "a CSV file must be UTF-8 (in Excel: Save As, \"CSV UTF-8\")",
                )
            }),
    }
}

/// The separator of a CSV file, from its first line: a comma, a semicolon (what Excel writes
/// where the decimal mark is a comma, as in Vietnam) or a tab, whichever the header holds most
/// of outside quotes; a comma when it holds none.
pub(super) fn separator(text: &str) -> u8 {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in header.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3)
        .max_by_key(|&i| (counts[i], usize::from(i == 0)))
        .unwrap_or(0);
    [b',', b';', b'\t'][best]
}

/// The line numbers of a text's bytes, whatever its line breaks: `\n`, `\r\n` (Windows, as
/// Excel saves) or a lone `\r` (old Macs) each end one line.
struct Lines(Vec<usize>);

impl Lines {
    fn of(text: &str) -> Lines {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 2;
                    continue;
                }
                b'\r' | b'\n' => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        Lines(starts)
    }

    /// The line (from 1) that holds byte `at`.
    fn at(&self, at: u64) -> u64 {
        self.0.partition_point(|start| *start as u64 <= at) as u64
    }

    /// The line a record read from byte `at` of `text` starts on: the reader's position may
    /// be at blank lines it skipped before the record.
    fn of_record(&self, text: &str, at: u64) -> u64 {
        let from = usize::try_from(at).unwrap_or(text.len()).min(text.len());
        let skipped = text.as_bytes()[from..]
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        self.at((from + skipped) as u64)
    }
}

pub(super) fn read_csv(bytes: &[u8]) -> Result<Vec<(u64, Vec<String>)>> {
    let text = csv_text(bytes)?;
    let lines = Lines::of(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(separator(&text))
        .from_reader(text.as_bytes());
    let mut table = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| lines.at(p.byte()));
            AppError::InvalidRows(vec![refuse(line, None, format!("not valid CSV: {e}"))])
        })?;
        let line = record
            .position()
            .map_or(0, |p| lines.of_record(&text, p.byte()));
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let row = u32::try_from(table.len()).unwrap_or(u32::MAX);
        for (column, cell) in record.iter().enumerate() {
            if !cell.trim().is_empty() {
                check_cell(row, u32::try_from(column).unwrap_or(u32::MAX), cell).map_err(
                    |err| match err {
                        // A CSV file is read by its lines, not its rows.
                        AppError::InvalidRows(mut rows) => {
                            rows[0].line = line;
                            AppError::InvalidRows(rows)
                        }
                        other => other,
                    },
                )?;
            }
        }
        table.push((line, record.iter().map(str::to_owned).collect()));
    }
    Ok(table)
}
