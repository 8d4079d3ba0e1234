//! Opening an XLSX member list: the zip's parts are unpacked once into nothing, within caps,
//! before the spreadsheet reader opens them, and the first sheet is read cell by cell.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

use super::sheet::{MAX_COLUMNS, MAX_ROWS, MAX_SHEET_CHARS, cell_text, check_cell, column_name};
use crate::error::{AppError, Result, RowProblem};

/// An XLSX file is a zip of XML parts: what they may unpack to, one and all, before the reader
/// sees them. A full 5,000-row sheet unpacks to a few MiB.
const MAX_PART_BYTES: u64 = 32 * 1024 * 1024;
const MAX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;
const MAX_PARTS: usize = 500;
/// XML elements (counted by their `<`) one part may hold: a full sheet of 5,000 rows of 30
/// cells written inline takes about 900,000, its shared strings table fewer.
const MAX_PART_TAGS: usize = 1_500_000;

/// Counts the `<` of what is written to it, and keeps nothing.
#[derive(Default)]
struct TagCount(usize);

impl std::io::Write for TagCount {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 += bytes.iter().filter(|b| **b == b'<').count();
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Unpacks every part of the zip once into nothing, refusing the file when a part, or all of
/// them, unpack to more than the caps, whatever sizes the zip declares. The spreadsheet reader
/// keeps whole parts (the shared strings) in memory, so they are bounded before it opens.
fn check_package(bytes: &[u8]) -> Result<()> {
    let unreadable = || AppError::bad_input("file", "not a readable XLSX file");
    let too_large = || {
        AppError::bad_input(
            "file",
            format!(
                "the spreadsheet unpacks to more than {} MiB; a member list is far smaller",
                MAX_UNPACKED_BYTES / (1024 * 1024)
            ),
        )
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| unreadable())?;
    if zip.len() > MAX_PARTS {
        return Err(AppError::bad_input(
            "file",
            format!("the spreadsheet has more than {MAX_PARTS} parts"),
        ));
    }
    let mut total: u64 = 0;
    for index in 0..zip.len() {
        let mut part = zip.by_index(index).map_err(|_| unreadable())?;
        if part.size() > MAX_PART_BYTES {
            return Err(too_large());
        }
        // The reader keeps some parts whole (the shared strings, an entry and its runs at a
        // time, whatever the part is called): their size in memory follows the elements they
        // hold, so every part's elements are bounded.
        let mut tags = TagCount::default();
        let unpacked = std::io::copy(
            &mut std::io::Read::take(&mut part, MAX_PART_BYTES + 1),
            &mut tags,
        )
        .map_err(|_| unreadable())?;
        if tags.0 > MAX_PART_TAGS {
            return Err(AppError::bad_input(
                "file",
                format!(
                    "a part of the spreadsheet holds more than {MAX_PART_TAGS} XML elements; \
                     a member list needs far fewer"
                ),
            ));
        }
        total += unpacked;
        if unpacked > MAX_PART_BYTES || total > MAX_UNPACKED_BYTES {
            return Err(too_large());
        }
    }
    Ok(())
}

/// Reads the first sheet cell by cell: memory follows the cells that hold something, never
/// the range the sheet declares (the reader's own `worksheet_range` allocates every cell of
/// that range: <https://github.com/tafia/calamine/issues/693>).
pub(super) fn read_xlsx(bytes: &[u8]) -> Result<Vec<(u64, Vec<String>)>> {
    check_package(bytes)?;
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|_| AppError::bad_input("file", "not a readable XLSX file"))?;
    let first = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| AppError::bad_input("file", "the workbook has no sheet"))?;
    let unreadable = || AppError::bad_input("file", "the first sheet cannot be read");
    let mut cells = workbook
        .worksheet_cells_reader(&first)
        .map_err(|_| unreadable())?;
    // What the sheet declares is checked before a cell is read.
    let declared = cells.dimensions();
    let (last_row, last_column) = declared.end;
    if last_row as usize > MAX_ROWS || last_column >= MAX_COLUMNS {
        check_cell(last_row, last_column, "").map_err(|err| match err {
            AppError::InvalidRows(mut rows) => {
                rows[0].message = format!(
                    "the sheet declares cells up to {}: {}",
                    rows[0].column.as_deref().unwrap_or(""),
                    rows[0].message
                );
                AppError::InvalidRows(rows)
            }
            other => other,
        })?;
    }
    let mut rows: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let mut total_chars = 0usize;
    while let Some(cell) = cells.next_cell().map_err(|_| unreadable())? {
        let (row, column) = cell.get_position();
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if text.trim().is_empty() {
            continue;
        }
        check_cell(row, column, &text)?;
        total_chars += text.chars().count();
        if total_chars > MAX_SHEET_CHARS {
            return Err(AppError::InvalidRows(vec![RowProblem {
                line: u64::from(row) + 1,
                column: Some(format!("{}{}", column_name(column), u64::from(row) + 1)),
                message: format!(
                    "the sheet holds more than {MAX_SHEET_CHARS} characters of text by here"
                ),
            }]));
        }
        let cells = rows.entry(row).or_default();
        let column = column as usize;
        if cells.len() <= column {
            cells.resize(column + 1, String::new());
        }
        cells[column] = text;
    }
    Ok(rows
        .into_iter()
        .map(|(row, cells)| (u64::from(row) + 1, cells))
        .collect())
}
