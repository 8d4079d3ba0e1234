//! `GET /export/{what}.{csv|xlsx}`: every list and total as a file a leader opens in Excel,
//! with Vietnamese headers, and the member list template with the area's village codes. The
//! same token and the same scope as the API: each file is made by running the API's own
//! queries as the caller, page after page, so a file never holds a row the caller could not
//! read over GraphQL.

mod xlsx;

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::ClientAddress;
use super::answer::unauthenticated;
use super::principal::Caller;
use super::wire::{Media, Refused};
use crate::app::AppState;
use crate::authz::{Access, Action, Resource};
use crate::graphql::loaders::Loaders;

/// The most rows a file holds: a province's teams or villages fit many times over; the
/// country's villages do not, and are asked for a province at a time.
pub const MAX_ROWS: usize = 20_000;

/// A cell of an exported table.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Text(String),
    Number(i64),
    Empty,
}

impl Cell {
    fn text(value: &str) -> Cell {
        Cell::Text(value.to_owned())
    }
}

/// What a file holds: its title (the sheet's name), its headers and its rows.
#[derive(Clone, Debug)]
pub struct Table {
    pub title: String,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Csv,
    Xlsx,
}

/// The file asked for, from the path's last segment (`totals.xlsx`).
fn file_of(name: &str) -> Option<(&str, Format)> {
    let (what, extension) = name.rsplit_once('.')?;
    let format = match extension {
        "csv" => Format::Csv,
        "xlsx" => Format::Xlsx,
        _ => return None,
    };
    Some((what, format))
}

pub async fn export(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    address: ClientAddress,
    caller: Result<Caller, Response>,
) -> Response {
    let caller = match caller {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    let Some(principal) = caller.principal else {
        return unauthenticated(
            Media::Json,
            "sign in to export: send `Authorization: Bearer <token>`",
            false,
        );
    };
    let Some((what, format)) = file_of(&name) else {
        return refused(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            None,
            format!(
                "no such file: ask for one of {} as .csv or .xlsx",
                EXPORTS.join(", ")
            ),
        );
    };
    let params: HashMap<String, String> =
        form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let runner = Runner {
        state: &state,
        access_of: principal,
        epoch: caller.epoch,
        address,
    };
    if let Err(failure) = check_day(&params) {
        return failure.answer();
    }
    let table = match what {
        "totals" => totals(&runner, &params).await,
        "results" => series(&runner, &params).await,
        "teams" => teams(&runner, &params).await,
        "villages" => villages(&runner, &params).await,
        "reports" => reports(&runner, &params).await,
        "member-template" => member_template(&runner, &params).await,
        "committees" => committees(&runner, &params).await,
        "sessions" => sessions(&runner, &params).await,
        _ => Err(Failure::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            None,
            format!(
                "no such file: ask for one of {} as .csv or .xlsx",
                EXPORTS.join(", ")
            ),
        )),
    };
    let table = match table {
        Ok(table) => table,
        Err(failure) => return failure.answer(),
    };
    let unit = params.get("unitCode").map_or("ca-nuoc", String::as_str);
    let day = crate::scalars::today();
    let file = format!("{what}-{}-{day}", ascii_file_name(unit));
    match format {
        Format::Csv => {
            let separator = match params.get("separator").map(String::as_str) {
                Some("semicolon") => b';',
                Some("tab") => b'\t',
                _ => b',',
            };
            match csv_bytes(&table, separator) {
                Ok(bytes) => attachment(bytes, "text/csv; charset=utf-8", &format!("{file}.csv")),
                Err(err) => internal(err),
            }
        }
        Format::Xlsx => match xlsx::write(&table) {
            Ok(bytes) => attachment(
                bytes,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &format!("{file}.xlsx"),
            ),
            Err(err) => internal(err),
        },
    }
}

/// The files there are.
const EXPORTS: [&str; 8] = [
    "totals",
    "results",
    "teams",
    "villages",
    "reports",
    "committees",
    "sessions",
    "member-template",
];

fn attachment(bytes: Vec<u8>, media: &'static str, file: &str) -> Response {
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

fn internal(err: anyhow::Error) -> Response {
    tracing::error!(error = ?err, "an export could not be written");
    refused(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL",
        None,
        "internal error".to_owned(),
    )
}

fn refused(
    status: StatusCode,
    code: &'static str,
    field: Option<&'static str>,
    message: String,
) -> Response {
    let mut refusal = Refused::new(status, message).code(code);
    if let Some(field) = field {
        refusal = refusal.field(field);
    }
    refusal.answer(Some(Media::Json))
}

/// A file name's part from a unit code: letters, digits, dots and dashes only.
fn ascii_file_name(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        .take(32)
        .collect();
    if kept.is_empty() {
        "file".to_owned()
    } else {
        kept
    }
}

/// CSV in UTF-8 with a byte-order mark (so that Excel reads the accents), `separator` between
/// cells, a line per row.
fn csv_bytes(table: &Table, separator: u8) -> anyhow::Result<Vec<u8>> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(separator)
            .from_writer(&mut out);
        writer.write_record(&table.headers)?;
        for row in &table.rows {
            writer.write_record(row.iter().map(|cell| match cell {
                Cell::Text(t) => t.clone(),
                Cell::Number(n) => n.to_string(),
                Cell::Empty => String::new(),
            }))?;
        }
        writer.flush()?;
    }
    Ok(out)
}

/// Why a file was not made, as the API would have said it.
struct Failure {
    status: StatusCode,
    code: &'static str,
    field: Option<String>,
    message: String,
}

impl Failure {
    fn new(
        status: StatusCode,
        code: &'static str,
        field: Option<&str>,
        message: String,
    ) -> Failure {
        Failure {
            status,
            code,
            field: field.map(str::to_owned),
            message,
        }
    }

    fn answer(self) -> Response {
        let mut extensions = serde_json::Map::new();
        extensions.insert("code".into(), self.code.into());
        if let Some(field) = self.field {
            extensions.insert("field".into(), field.into());
        }
        let body = json!({ "errors": [{ "message": self.message, "extensions": extensions }] });
        (self.status, axum::Json(body)).into_response()
    }
}

/// Runs the API's queries as the caller.
struct Runner<'a> {
    state: &'a AppState,
    access_of: crate::authz::Principal,
    epoch: Option<crate::cache::Epoch>,
    address: ClientAddress,
}

impl Runner<'_> {
    /// `data` of one query, or the first error as a failure with the status its code has.
    async fn run(&self, query: &str, variables: Value) -> Result<Value, Failure> {
        let access = Access::new(Some(self.access_of.clone()), self.state.policy.current());
        let attendance = access.reach(Resource::Attendance, Action::Read);
        let mut request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables))
            .data(Loaders::new(
                self.state.db(),
                self.state.cache().clone(),
                attendance,
            ))
            .data(access)
            .data(self.address);
        if let Some(epoch) = self.epoch {
            request = request.data(epoch);
        }
        let response = self.state.schemas.signed_in.execute(request).await;
        if let Some(error) = response.errors.first() {
            let extensions = error.extensions.as_ref();
            let text = |key: &str| match extensions.and_then(|e| e.get(key)) {
                Some(async_graphql::Value::String(s)) => Some(s.clone()),
                _ => None,
            };
            let code = match text("code").as_deref() {
                Some("FORBIDDEN") => "FORBIDDEN",
                Some("NOT_FOUND") => "NOT_FOUND",
                Some("UNAUTHENTICATED") => "UNAUTHENTICATED",
                Some("TIMEOUT") => "TIMEOUT",
                Some("INTERNAL") => "INTERNAL",
                // The engine's own refusals carry no code: the documents here are fixed, so
                // what it refused is a parameter's value.
                _ => "BAD_USER_INPUT",
            };
            let status = match code {
                "FORBIDDEN" => StatusCode::FORBIDDEN,
                "NOT_FOUND" => StatusCode::NOT_FOUND,
                "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
                "BAD_USER_INPUT" => StatusCode::BAD_REQUEST,
                "TIMEOUT" => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            return Err(Failure {
                status,
                code,
                field: text("field"),
                message: error.message.clone(),
            });
        }
        response.data.into_json().map_err(|e| {
            Failure::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                None,
                e.to_string(),
            )
        })
    }

    /// A table of every node of the list at `path` (see [`Runner::all`]), a row per node.
    async fn list_table(
        &self,
        title: &str,
        headers: Vec<&'static str>,
        query: &str,
        variables: Value,
        path: &str,
        row: impl Fn(&Value) -> Vec<Cell>,
    ) -> Result<Table, Failure> {
        let nodes = self.all(query, variables, path).await?;
        Ok(Table {
            title: title.to_owned(),
            headers,
            rows: nodes.iter().map(row).collect(),
        })
    }

    /// Every node of a list, page by page: `path` leads from `data` to the connection, and
    /// the query takes `$after`.
    async fn all(
        &self,
        query: &str,
        mut variables: Value,
        path: &str,
    ) -> Result<Vec<Value>, Failure> {
        let mut nodes = Vec::new();
        loop {
            let data = self.run(query, variables.clone()).await?;
            let connection = &data[path];
            if let Some(page) = connection["nodes"].as_array() {
                nodes.extend(page.iter().cloned());
            }
            if nodes.len() > MAX_ROWS {
                return Err(Failure::new(
                    StatusCode::BAD_REQUEST,
                    "BAD_USER_INPUT",
                    Some("unitCode"),
                    format!(
                        "the file would hold more than {MAX_ROWS} rows: ask for a smaller area (`unitCode`)"
                    ),
                ));
            }
            match (
                connection["pageInfo"]["hasNextPage"].as_bool(),
                connection["pageInfo"]["endCursor"].as_str(),
            ) {
                (Some(true), Some(cursor)) => variables["after"] = json!(cursor),
                _ => return Ok(nodes),
            }
        }
    }
}

fn param(params: &HashMap<String, String>, name: &str) -> Value {
    params
        .get(name)
        .filter(|v| !v.trim().is_empty())
        .map_or(Value::Null, |v| json!(v.trim()))
}

/// Refuses a day that is not `YYYY-MM-DD`, naming the parameter.
fn check_day(params: &HashMap<String, String>) -> Result<(), Failure> {
    match param(params, "asOf").as_str() {
        Some(day) if chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").is_err() => {
            Err(Failure::new(
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                Some("asOf"),
                format!("asOf: {day:?} is not a date (YYYY-MM-DD)"),
            ))
        }
        _ => Ok(()),
    }
}

/// One of `allowed` (an enumeration's values, upper case), written in any case; none when
/// left out or empty.
fn choice(
    params: &HashMap<String, String>,
    name: &str,
    allowed: &[&str],
) -> Result<Value, Failure> {
    match params.get(name).map(|v| v.trim().to_uppercase()) {
        None => Ok(Value::Null),
        Some(value) if value.is_empty() => Ok(Value::Null),
        Some(value) if allowed.contains(&value.as_str()) => Ok(json!(value)),
        Some(_) => Err(Failure::new(
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            Some(name),
            format!("{name} is one of {}", allowed.join(", ")),
        )),
    }
}

fn boolean(params: &HashMap<String, String>, name: &str) -> Result<Value, Failure> {
    Ok(match choice(params, name, &["TRUE", "FALSE"])? {
        Value::String(value) => json!(value == "TRUE"),
        _ => Value::Null,
    })
}

fn text_at(value: &Value, path: &[&str]) -> Cell {
    let mut at = value;
    for key in path {
        at = &at[*key];
    }
    match at {
        Value::String(s) => Cell::Text(s.clone()),
        Value::Number(n) => n.as_i64().map_or(Cell::Empty, Cell::Number),
        _ => Cell::Empty,
    }
}

fn number(value: &Value, key: &str) -> Cell {
    value[key].as_i64().map_or(Cell::Empty, Cell::Number)
}

fn level(value: &Value) -> Cell {
    Cell::text(match value.as_str() {
        Some("PROVINCE") => "Tỉnh",
        Some("DISTRICT") => "Huyện",
        Some("COMMUNE") => "Xã",
        Some("VILLAGE") => "Thôn",
        _ => "",
    })
}

const RESULT_FIELDS: &str = "reports householdsReached vneidActivations onlineApplications cashlessAccounts ecommerceAccounts";
const RESULT_HEADERS: [&str; 6] = [
    "Báo cáo đã duyệt",
    "Hộ dân được hỗ trợ",
    "Kích hoạt VNeID",
    "Hồ sơ dịch vụ công trực tuyến",
    "Tài khoản thanh toán không dùng tiền mặt",
    "Tài khoản thương mại điện tử",
];

fn results(value: &Value) -> Vec<Cell> {
    [
        "reports",
        "householdsReached",
        "vneidActivations",
        "onlineApplications",
        "cashlessAccounts",
        "ecommerceAccounts",
    ]
    .iter()
    .map(|k| number(value, k))
    .collect()
}

/// `totals.{csv,xlsx}?unitCode=&asOf=&period=`: a row per unit below, then the unit's own
/// total; with `period` (a month or a year) the approved results too.
async fn totals(runner: &Runner<'_>, params: &HashMap<String, String>) -> Result<Table, Failure> {
    let figures =
        "teams members membersTrained trainingSessions committees villages villagesWithTeam";
    let period = param(params, "period");
    let with_results = !period.is_null();
    let results_part = if with_results {
        format!("results(period: $p) {{ {RESULT_FIELDS} }}")
    } else {
        String::new()
    };
    let query = format!(
        "query($u: String, $d: Date{p}) {{ totals(unitCode: $u, asOf: $d) {{ asOf unit {{ code name level }} \
         {figures} {results_part} children {{ unit {{ code name level }} {figures} {results_part} }} }} }}",
        p = if with_results { ", $p: String!" } else { "" },
    );
    let data = runner
        .run(
            &query,
            json!({ "u": param(params, "unitCode"), "d": param(params, "asOf"), "p": period }),
        )
        .await?;
    let totals = &data["totals"];
    let mut headers = vec![
        "Mã đơn vị",
        "Tên đơn vị",
        "Cấp",
        "Tổ công nghệ số",
        "Thành viên",
        "Thành viên đã tập huấn",
        "Lớp tập huấn",
        "Ban chỉ đạo",
        "Số thôn",
        "Thôn có tổ",
        "Tỷ lệ thôn có tổ (%)",
    ];
    if with_results {
        headers.extend(RESULT_HEADERS);
    }
    let row = |unit: &Value, figures: &Value, name: Option<&str>| -> Vec<Cell> {
        let villages = figures["villages"].as_i64().unwrap_or(0);
        let covered = figures["villagesWithTeam"].as_i64().unwrap_or(0);
        let mut cells = vec![
            text_at(unit, &["code"]),
            name.map_or_else(|| text_at(unit, &["name"]), Cell::text),
            level(&unit["level"]),
            number(figures, "teams"),
            number(figures, "members"),
            number(figures, "membersTrained"),
            number(figures, "trainingSessions"),
            number(figures, "committees"),
            number(figures, "villages"),
            number(figures, "villagesWithTeam"),
            if villages > 0 {
                Cell::Number((covered * 100 + villages / 2) / villages)
            } else {
                Cell::Empty
            },
        ];
        if with_results {
            cells.extend(results(&figures["results"]));
        }
        cells
    };
    let mut rows: Vec<Vec<Cell>> = totals["children"]
        .as_array()
        .map(|children| children.iter().map(|c| row(&c["unit"], c, None)).collect())
        .unwrap_or_default();
    let whole = match totals["unit"]["name"].as_str() {
        Some(name) => format!("Tổng: {name}"),
        None => "Tổng: cả nước".to_owned(),
    };
    rows.push(row(&totals["unit"], totals, Some(&whole)));
    let day = totals["asOf"].as_str().unwrap_or_default();
    Ok(Table {
        title: format!("Tổng hợp {day}"),
        headers,
        rows,
    })
}

/// `results.{csv,xlsx}?unitCode=&asOf=&from=&to=`: the approved results month by month.
async fn series(runner: &Runner<'_>, params: &HashMap<String, String>) -> Result<Table, Failure> {
    let query = format!(
        "query($u: String, $d: Date, $f: String!, $t: String!) {{ totals(unitCode: $u, asOf: $d) {{ \
         resultSeries(from: $f, to: $t) {{ period {RESULT_FIELDS} }} }} }}"
    );
    for required in ["from", "to"] {
        if param(params, required).is_null() {
            return Err(Failure::new(
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                Some(required),
                format!("{required}: a month, YYYY-MM"),
            ));
        }
    }
    let data = runner
        .run(
            &query,
            json!({ "u": param(params, "unitCode"), "d": param(params, "asOf"),
                    "f": param(params, "from"), "t": param(params, "to") }),
        )
        .await?;
    let mut headers = vec!["Tháng"];
    headers.extend(RESULT_HEADERS);
    let rows = data["totals"]["resultSeries"]
        .as_array()
        .map(|months| {
            months
                .iter()
                .map(|m| {
                    let mut cells = vec![text_at(m, &["period"])];
                    cells.extend(results(m));
                    cells
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Table {
        title: "Kết quả theo tháng".to_owned(),
        headers,
        rows,
    })
}

/// `teams.{csv,xlsx}?unitCode=&status=&asOf=&search=`.
async fn teams(runner: &Runner<'_>, params: &HashMap<String, String>) -> Result<Table, Failure> {
    let query = "query($u: String, $s: TeamStatus, $d: Date, $q: String, $after: String) { \
                 teams(unitCode: $u, status: $s, asOf: $d, search: $q, first: 100, after: $after) { \
                 pageInfo { hasNextPage endCursor } nodes { name status foundedOn decisionNo \
                 unit { code name parent { code name } } members { id } } } }";
    let status = choice(params, "status", &["ACTIVE", "DISSOLVED"])?;
    runner
        .list_table(
            "Tổ công nghệ số",
            vec![
                "Mã thôn",
                "Thôn",
                "Mã xã",
                "Xã",
                "Tên tổ",
                "Trạng thái",
                "Ngày thành lập",
                "Số quyết định",
                "Số thành viên",
            ],
            query,
            json!({ "u": param(params, "unitCode"), "s": status, "d": param(params, "asOf"),
                    "q": param(params, "search"), "after": null }),
            "teams",
            |t| {
                vec![
                    text_at(t, &["unit", "code"]),
                    text_at(t, &["unit", "name"]),
                    text_at(t, &["unit", "parent", "code"]),
                    text_at(t, &["unit", "parent", "name"]),
                    text_at(t, &["name"]),
                    Cell::text(if t["status"] == "ACTIVE" {
                        "Đang hoạt động"
                    } else {
                        "Đã giải thể"
                    }),
                    text_at(t, &["foundedOn"]),
                    text_at(t, &["decisionNo"]),
                    Cell::Number(t["members"].as_array().map_or(0, |m| m.len() as i64)),
                ]
            },
        )
        .await
}

/// `villages.{csv,xlsx}?unitCode=&hasTeam=&asOf=`.
async fn villages(runner: &Runner<'_>, params: &HashMap<String, String>) -> Result<Table, Failure> {
    let query = "query($u: String, $h: Boolean, $d: Date, $after: String) { \
                 villages(unitCode: $u, hasTeam: $h, asOf: $d, first: 100, after: $after) { \
                 pageInfo { hasNextPage endCursor } nodes { code name parent { code name } } } }";
    let title = match boolean(params, "hasTeam")? {
        Value::Bool(false) => "Thôn chưa có tổ",
        Value::Bool(true) => "Thôn đã có tổ",
        _ => "Thôn",
    };
    runner
        .list_table(
            title,
            vec!["Mã thôn", "Tên thôn", "Mã xã", "Xã"],
            query,
            json!({ "u": param(params, "unitCode"), "h": boolean(params, "hasTeam")?,
                    "d": param(params, "asOf"), "after": null }),
            "villages",
            |v| {
                vec![
                    text_at(v, &["code"]),
                    text_at(v, &["name"]),
                    text_at(v, &["parent", "code"]),
                    text_at(v, &["parent", "name"]),
                ]
            },
        )
        .await
}

/// `reports.{csv,xlsx}?unitCode=&state=&period=&asOf=`.
async fn reports(runner: &Runner<'_>, params: &HashMap<String, String>) -> Result<Table, Failure> {
    let query = "query($u: String, $s: ReportState, $p: String, $d: Date, $after: String) { \
         resultReports(unitCode: $u, state: $s, period: $p, asOf: $d, first: 100, after: $after) { \
         pageInfo { hasNextPage endCursor } nodes { period state householdsReached vneidActivations \
         onlineApplications cashlessAccounts ecommerceAccounts team { name unit { code name } } } } }";
    let state = choice(params, "state", &["DRAFT", "SUBMITTED", "APPROVED"])?;
    let mut headers = vec!["Kỳ báo cáo", "Trạng thái", "Tổ", "Mã thôn", "Thôn"];
    headers.extend(RESULT_HEADERS.iter().skip(1));
    runner
        .list_table(
            "Báo cáo kết quả",
            headers,
            query,
            json!({ "u": param(params, "unitCode"), "s": state, "p": param(params, "period"),
                    "d": param(params, "asOf"), "after": null }),
            "resultReports",
            |r| {
                let mut cells = vec![
                    text_at(r, &["period"]),
                    Cell::text(match r["state"].as_str() {
                        Some("DRAFT") => "Nháp",
                        Some("SUBMITTED") => "Chờ duyệt",
                        _ => "Đã duyệt",
                    }),
                    text_at(r, &["team", "name"]),
                    text_at(r, &["team", "unit", "code"]),
                    text_at(r, &["team", "unit", "name"]),
                ];
                cells.extend(results(r).into_iter().skip(1));
                cells
            },
        )
        .await
}

/// `committees.{csv,xlsx}?unitCode=&asOf=`: each steering committee with its head.
async fn committees(
    runner: &Runner<'_>,
    params: &HashMap<String, String>,
) -> Result<Table, Failure> {
    let query = "query($u: String, $d: Date, $after: String) { \
                 steeringCommittees(unitCode: $u, asOf: $d, first: 100, after: $after) { \
                 pageInfo { hasNextPage endCursor } nodes { name decisionNo foundedOn dissolvedOn \
                 unit { code name level } members { fullName position } } } }";
    runner
        .list_table(
            "Ban chỉ đạo",
            vec![
                "Mã đơn vị",
                "Đơn vị",
                "Cấp",
                "Tên ban chỉ đạo",
                "Số quyết định",
                "Ngày thành lập",
                "Ngày giải thể",
                "Trưởng ban",
                "Số thành viên",
            ],
            query,
            json!({ "u": param(params, "unitCode"), "d": param(params, "asOf"), "after": null }),
            "steeringCommittees",
            |c| {
                let members = c["members"].as_array().cloned().unwrap_or_default();
                let head = members
                    .iter()
                    .find(|m| m["position"] == "HEAD")
                    .map_or(Cell::Empty, |m| text_at(m, &["fullName"]));
                vec![
                    text_at(c, &["unit", "code"]),
                    text_at(c, &["unit", "name"]),
                    level(&c["unit"]["level"]),
                    text_at(c, &["name"]),
                    text_at(c, &["decisionNo"]),
                    text_at(c, &["foundedOn"]),
                    text_at(c, &["dissolvedOn"]),
                    head,
                    Cell::Number(members.len() as i64),
                ]
            },
        )
        .await
}

/// `sessions.{csv,xlsx}?unitCode=&asOf=`: each training session with its organiser and how
/// many of the caller's area attended.
async fn sessions(runner: &Runner<'_>, params: &HashMap<String, String>) -> Result<Table, Failure> {
    let query = "query($u: String, $d: Date, $after: String) { \
                 trainingSessions(unitCode: $u, asOf: $d, first: 100, after: $after) { \
                 pageInfo { hasNextPage endCursor } nodes { title topic format startsAt endsAt \
                 location organizer { code name } attendeeCount } } }";
    runner
        .list_table(
            "Lớp tập huấn",
            vec![
                "Tên lớp",
                "Nội dung",
                "Hình thức",
                "Bắt đầu",
                "Kết thúc",
                "Địa điểm",
                "Mã đơn vị tổ chức",
                "Đơn vị tổ chức",
                "Số người tham dự",
            ],
            query,
            json!({ "u": param(params, "unitCode"), "d": param(params, "asOf"), "after": null }),
            "trainingSessions",
            |s| {
                vec![
                    text_at(s, &["title"]),
                    text_at(s, &["topic"]),
                    Cell::text(match s["format"].as_str() {
                        Some("ONLINE") => "Trực tuyến",
                        Some("IN_PERSON") => "Trực tiếp",
                        _ => "Kết hợp",
                    }),
                    text_at(s, &["startsAt"]),
                    text_at(s, &["endsAt"]),
                    text_at(s, &["location"]),
                    text_at(s, &["organizer", "code"]),
                    text_at(s, &["organizer", "name"]),
                    number(s, "attendeeCount"),
                ]
            },
        )
        .await
}

/// `member-template.{csv,xlsx}?unitCode=`: the member list's columns, a row per village of
/// the area with an active team, its code and name filled in; rows left without a member are
/// skipped when the list is imported.
async fn member_template(
    runner: &Runner<'_>,
    params: &HashMap<String, String>,
) -> Result<Table, Failure> {
    let query = "query($u: String, $after: String) { \
                 villages(unitCode: $u, hasTeam: true, first: 100, after: $after) { \
                 pageInfo { hasNextPage endCursor } nodes { code name } } }";
    runner
        .list_table(
            "Danh sách thành viên",
            vec![
                "Họ và tên",
                "Mã thôn",
                "Thôn",
                "Vai trò",
                "Lực lượng",
                "Số điện thoại",
                "Năm sinh",
                "Giới tính",
            ],
            query,
            json!({ "u": param(params, "unitCode"), "after": null }),
            "villages",
            |v| {
                let mut cells = vec![Cell::Empty, text_at(v, &["code"]), text_at(v, &["name"])];
                cells.extend(std::iter::repeat_n(Cell::Empty, 5));
                cells
            },
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_by_what_and_format() {
        assert_eq!(file_of("totals.xlsx"), Some(("totals", Format::Xlsx)));
        assert_eq!(
            file_of("member-template.csv"),
            Some(("member-template", Format::Csv))
        );
        assert_eq!(file_of("totals.pdf"), None);
        assert_eq!(ascii_file_name("24175"), "24175");
        assert_eq!(ascii_file_name("../Đ x"), "..x");
    }

    #[test]
    fn csv_has_a_mark_and_quotes_what_needs_it() {
        let table = Table {
            title: String::new(),
            headers: vec!["Mã", "Tên"],
            rows: vec![vec![Cell::text("1"), Cell::text("Thôn 1, Hòa Phú")]],
        };
        let text = String::from_utf8(csv_bytes(&table, b';').unwrap()).unwrap();
        assert_eq!(text, "\u{feff}Mã;Tên\n1;Thôn 1, Hòa Phú\n");
        let text = String::from_utf8(csv_bytes(&table, b',').unwrap()).unwrap();
        assert_eq!(text, "\u{feff}Mã,Tên\n1,\"Thôn 1, Hòa Phú\"\n");
    }
}
