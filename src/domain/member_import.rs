//! Importing the member list a commune sends as a spreadsheet (CSV or XLSX) with Vietnamese
//! headers: `Họ và tên`, `Thôn`, `Vai trò`, `Lực lượng`, and optionally `Số điện thoại`,
//! `Năm sinh`, `Giới tính`. All or nothing: a file with any bad row is refused with every bad
//! row listed, and nothing is written.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, JoinType, Query};

use super::member_edits::{self, NewMember};
use super::teams::{Affiliation, Gender, Team, TeamRole, TeamStatus};
use super::units::AdminLevel;
use super::write::Tx;
use super::{Rules, TeamId, relations, units, validate};
use crate::authz::{WriteGrant, subtree_range};
use crate::db::entities::admin_unit::{Column as U, Entity as Units};
use crate::db::entities::team::{Column as T, Entity as Teams};
use crate::db::query;
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
    rows: Vec<Row>,
    pub file: FileSummary,
}

impl Sheet {
    /// Reads a CSV or XLSX file. Slow work with bounded memory: run it on a blocking thread.
    pub fn read(file_name: Option<&str>, bytes: &[u8]) -> Result<Sheet> {
        use sha2::Digest;
        let format = SheetFormat::detect(file_name, bytes)?;
        let table = match format {
            SheetFormat::Csv => read_csv(bytes)?,
            SheetFormat::Xlsx => read_xlsx(bytes)?,
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

#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamImport {
    pub team_id: TeamId,
    pub village_code: String,
    pub added: usize,
}

#[derive(Clone, Debug, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub added: usize,
    pub teams: Vec<TeamImport>,
}

/// The columns, by the folded form of their Vietnamese headers.
const NAME: &str = "ho va ten";
const VILLAGE: &str = "thon";
const ROLE: &str = "vai tro";
const AFFILIATION: &str = "luc luong";
const PHONE: &str = "so dien thoai";
const BIRTH_YEAR: &str = "nam sinh";
const GENDER: &str = "gioi tinh";
const REQUIRED: [(&str, &str); 4] = [
    (NAME, "Họ và tên"),
    (VILLAGE, "Thôn"),
    (ROLE, "Vai trò"),
    (AFFILIATION, "Lực lượng"),
];

fn header_of(key: &str) -> &'static str {
    match key {
        NAME => "Họ và tên",
        VILLAGE => "Thôn",
        ROLE => "Vai trò",
        AFFILIATION => "Lực lượng",
        PHONE => "Số điện thoại",
        BIRTH_YEAR => "Năm sinh",
        _ => "Giới tính",
    }
}

/// A data row: its line number and its cells by column key.
type Row = (u64, HashMap<&'static str, String>);

/// What a validation says of a cell; anything but bad input is not the file's fault.
fn reason(err: AppError) -> Result<String> {
    match err {
        AppError::BadUserInput { message, .. } => Ok(message),
        other => Err(other),
    }
}

fn refuse(line: u64, column: Option<&str>, message: impl Into<String>) -> RowProblem {
    RowProblem {
        line,
        column: column.map(str::to_owned),
        message: message.into(),
    }
}

/// Turns a table (header first) into keyed rows, skipping blank ones.
fn keyed(table: Vec<(u64, Vec<String>)>) -> Result<Vec<Row>> {
    let mut rows = table.into_iter();
    let Some((header_line, header)) = rows.next() else {
        return Err(AppError::bad_input("file", "the file is empty"));
    };
    let known = [NAME, VILLAGE, ROLE, AFFILIATION, PHONE, BIRTH_YEAR, GENDER];
    let columns: Vec<Option<&'static str>> = header
        .iter()
        .map(|h| {
            let folded = fold(h);
            known.iter().copied().find(|k| *k == folded)
        })
        .collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .filter(|(key, _)| !columns.contains(&Some(*key)))
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
        if cells.iter().all(|c| c.trim().is_empty()) {
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
fn cell_text(cell: &Data) -> String {
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
fn column_name(index: u32) -> String {
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
fn check_cell(row: u32, column: u32, text: &str) -> Result<()> {
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

fn read_csv(bytes: &[u8]) -> Result<Vec<(u64, Vec<String>)>> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| AppError::bad_input("file", "a CSV file must be UTF-8"))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let mut table = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            AppError::InvalidRows(vec![refuse(line, None, format!("not valid CSV: {e}"))])
        })?;
        let line = record.position().map_or(0, |p| p.line());
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
fn read_xlsx(bytes: &[u8]) -> Result<Vec<(u64, Vec<String>)>> {
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

fn role(text: &str) -> Option<TeamRole> {
    match fold(text).as_str() {
        "to truong" | "leader" => Some(TeamRole::Leader),
        "to pho" | "deputy" => Some(TeamRole::Deputy),
        "thanh vien" | "member" => Some(TeamRole::Member),
        _ => None,
    }
}

fn affiliation(text: &str) -> Option<Affiliation> {
    let folded = fold(text);
    let plain = folded
        .trim_start_matches("hoi lien hiep ")
        .trim_start_matches("hoi ");
    Some(match plain {
        "truong thon" | "truong buon" | "to truong to dan pho" | "village_head" => {
            Affiliation::VillageHead
        }
        "cong an" | "police" => Affiliation::Police,
        "doan thanh nien" | "youth_union" => Affiliation::YouthUnion,
        "phu nu" | "women_union" => Affiliation::WomenUnion,
        "nong dan" | "farmers_union" => Affiliation::FarmersUnion,
        "cuu chien binh" | "veterans" => Affiliation::Veterans,
        "vien thong" | "telecom" => Affiliation::Telecom,
        "giao vien" | "teacher" => Affiliation::Teacher,
        "khac" | "other" => Affiliation::Other,
        _ => return None,
    })
}

fn gender(text: &str) -> Option<Option<Gender>> {
    match fold(text).as_str() {
        "" => Some(None),
        "nam" | "male" => Some(Some(Gender::Male)),
        "nu" | "female" => Some(Some(Gender::Female)),
        "khac" | "other" => Some(Some(Gender::Other)),
        _ => None,
    }
}

/// A phone number as typed, or as a spreadsheet stored it: a number column loses the leading
/// zero, which is put back for nine-digit mobile numbers.
fn phone_text(raw: &str) -> String {
    let raw = raw.trim();
    if raw.len() == 9
        && raw.bytes().all(|b| b.is_ascii_digit())
        && b"35789".contains(&raw.as_bytes()[0])
    {
        format!("0{raw}")
    } else {
        raw.to_owned()
    }
}

/// The villages under the import's unit, by code and by folded name, with their active team.
struct Villages {
    by_code: HashMap<String, (String, Option<Team>)>,
    by_name: HashMap<String, Vec<String>>,
}

async fn villages_under(conn: &impl ConnectionTrait, path: &str) -> Result<Villages> {
    let select = Query::select()
        .column((Units, U::Code))
        .column((Units, U::Name))
        .expr_as(Expr::col((Teams, T::Id)), "team_id")
        .from(Units)
        .join(
            JoinType::LeftJoin,
            Teams,
            Condition::all()
                .add(Expr::col((Teams, T::UnitId)).equals((Units, U::Id)))
                .add(Expr::col((Teams, T::Status)).eq(TeamStatus::Active.as_str())),
        )
        .and_where(Expr::col((Units, U::Level)).eq(AdminLevel::Village.as_str()))
        .and_where(Expr::col((Units, U::ValidTo)).is_null())
        .cond_where(subtree_range((Units, U::Path), path))
        .to_owned();
    let rows = query::rows(conn, &select).await?;
    let mut team_ids = Vec::new();
    let mut raw = Vec::new();
    for row in rows {
        let code: String = row.try_get("", "code")?;
        let name: String = row.try_get("", "name")?;
        let team: Option<i64> = row.try_get("", "team_id")?;
        if let Some(t) = team {
            team_ids.push(TeamId(t));
        }
        raw.push((code, name, team));
    }
    let mut teams = relations::teams(conn, &team_ids).await?;
    let mut villages = Villages {
        by_code: HashMap::new(),
        by_name: HashMap::new(),
    };
    for (code, name, team) in raw {
        villages
            .by_name
            .entry(fold(&name))
            .or_default()
            .push(code.clone());
        let team = team.and_then(|t| teams.remove(&TeamId(t)));
        villages.by_code.insert(code, (name, team));
    }
    Ok(villages)
}

/// Adds the members of a sheet read by [`Sheet::read`].
pub async fn import(
    tx: &mut Tx,
    grant: &WriteGrant,
    unit_code: &str,
    sheet: &Sheet,
    rules: &Rules,
) -> Result<ImportReport> {
    let unit = units::by_code(&tx.txn, unit_code)
        .await?
        .ok_or_else(|| AppError::bad_input("unitCode", "no current unit has this code"))?;
    grant.check_unit(&unit.path)?;
    let rows = &sheet.rows;
    let villages = villages_under(&tx.txn, &unit.path).await?;

    let mut problems = Vec::new();
    let mut accepted: Vec<(u64, Team, NewMember, member_edits::CleanMember)> = Vec::new();
    let mut leaders: HashMap<TeamId, u64> = HashMap::new();
    for (line, row) in rows {
        let line = *line;
        let cell = |key: &'static str| row.get(key).map(String::as_str).unwrap_or("");
        let mut bad = |key: Option<&'static str>, message: String| {
            problems.push(refuse(line, key.map(header_of), message));
        };
        let village = cell(VILLAGE);
        let code = match villages.by_code.get(village) {
            Some(_) => Some(village.to_owned()),
            None => match villages.by_name.get(&fold(village)).map(Vec::as_slice) {
                Some([only]) => Some(only.clone()),
                Some(several) => {
                    bad(
                        Some(VILLAGE),
                        format!(
                            "{} villages here are called {village:?}; write the village code (e.g. {})",
                            several.len(),
                            several[0]
                        ),
                    );
                    None
                }
                None => {
                    bad(
                        Some(VILLAGE),
                        format!("no village {village:?} in {}", unit.name),
                    );
                    None
                }
            },
        };
        let team = code.as_ref().and_then(|c| match &villages.by_code[c] {
            (_, Some(team)) if team.status == TeamStatus::Active => Some(team.clone()),
            (name, _) => {
                bad(Some(VILLAGE), format!("{name} ({c}) has no active team"));
                None
            }
        });
        let role = role(cell(ROLE));
        if role.is_none() {
            bad(
                Some(ROLE),
                format!("{:?} is not Tổ trưởng, Tổ phó or Thành viên", cell(ROLE)),
            );
        }
        let affiliation = affiliation(cell(AFFILIATION));
        if affiliation.is_none() {
            bad(
                Some(AFFILIATION),
                format!(
                    "{:?} is not one of Trưởng thôn, Công an, Đoàn thanh niên, Hội phụ nữ, \
                     Hội nông dân, Cựu chiến binh, Viễn thông, Giáo viên, Khác",
                    cell(AFFILIATION)
                ),
            );
        }
        let gender = gender(cell(GENDER));
        if gender.is_none() {
            bad(
                Some(GENDER),
                format!("{:?} is not Nam, Nữ or Khác", cell(GENDER)),
            );
        }
        let birth_year = match cell(BIRTH_YEAR) {
            "" => Some(None),
            text => match text.parse::<i32>() {
                Ok(year) => match validate::birth_year("birthYear", year) {
                    Ok(year) => Some(Some(year)),
                    Err(err) => {
                        bad(Some(BIRTH_YEAR), reason(err)?);
                        None
                    }
                },
                Err(_) => {
                    bad(Some(BIRTH_YEAR), format!("{text:?} is not a year"));
                    None
                }
            },
        };
        // Every cell is checked, so that a row's problems are all told at once.
        let full_name = match validate::name("fullName", cell(NAME)) {
            Ok(name) => Some(name),
            Err(err) => {
                bad(Some(NAME), reason(err)?);
                None
            }
        };
        let phone = match phone_text(cell(PHONE)) {
            text if text.trim().is_empty() => Some(None),
            text => match validate::phone("phone", &text) {
                Ok(phone) => Some(Some(phone)),
                Err(err) => {
                    bad(Some(PHONE), reason(err)?);
                    None
                }
            },
        };
        let (
            Some(team),
            Some(role),
            Some(affiliation),
            Some(gender),
            Some(birth_year),
            Some(full_name),
            Some(phone),
        ) = (
            team,
            role,
            affiliation,
            gender,
            birth_year,
            full_name,
            phone,
        )
        else {
            continue;
        };
        if let Err(AppError::Forbidden) = grant.check_team(team.id, &team.unit_path) {
            bad(Some(VILLAGE), "outside your area".to_owned());
            continue;
        }
        let clean = member_edits::CleanMember {
            full_name: full_name.clone(),
            phone: phone.clone(),
            birth_year,
            joined_on: None,
        };
        let input = NewMember {
            team_id: team.id,
            full_name,
            role,
            affiliation,
            phone,
            gender,
            birth_year,
            joined_on: None,
        };
        if role == TeamRole::Leader {
            if let Some(first) = leaders.insert(team.id, line) {
                bad(
                    Some(ROLE),
                    format!("the team already has a leader on line {first}"),
                );
                continue;
            }
            if member_edits::has_leader(&tx.txn, team.id, None).await? {
                bad(Some(ROLE), "the team already has a leader".to_owned());
                continue;
            }
        }
        accepted.push((line, team, input, clean));
    }
    // No team may end up over the size cap: the first row past it is named.
    let mut arriving: BTreeMap<TeamId, Vec<u64>> = BTreeMap::new();
    for (line, team, ..) in &accepted {
        arriving.entry(team.id).or_default().push(*line);
    }
    for (team, lines) in &arriving {
        let room = rules
            .max_team_members
            .saturating_sub(member_edits::current_members(tx, *team).await?);
        if let Some(&line) = lines.get(room) {
            problems.push(refuse(
                line,
                Some(header_of(VILLAGE)),
                format!(
                    "{}; this file brings {} to a team that has room for {room}",
                    member_edits::team_full(rules.max_team_members),
                    lines.len()
                ),
            ));
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Err(AppError::InvalidRows(problems));
    }

    let mut per_team: BTreeMap<TeamId, TeamImport> = BTreeMap::new();
    let mut added = 0;
    for (_, team, input, clean) in accepted {
        member_edits::insert(tx, grant, &team, &input, clean).await?;
        per_team
            .entry(team.id)
            .or_insert_with(|| TeamImport {
                team_id: team.id,
                village_code: String::new(),
                added: 0,
            })
            .added += 1;
        tx.touch(team.unit_id);
        added += 1;
    }
    let codes: HashMap<TeamId, String> = villages
        .by_code
        .iter()
        .filter_map(|(code, (_, team))| team.as_ref().map(|t| (t.id, code.clone())))
        .collect();
    let report = ImportReport {
        added,
        teams: per_team
            .into_values()
            .map(|mut t| {
                t.village_code = codes.get(&t.team_id).cloned().unwrap_or_default();
                t
            })
            .collect(),
    };
    // A summary, not the rows: an import of thousands of members would otherwise make one
    // audit entry of megabytes that every reader of the log downloads.
    let detail = serde_json::json!({
        "file": &sheet.file,
        "rows": rows.len(),
        "added": report.added,
        "teams": &report.teams,
    });
    tx.audit(
        "importTeamMembers",
        "import",
        unit.id.0,
        unit.id,
        None::<&()>,
        Some(&detail),
    )
    .await?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
