//! `GET /export/…`: lists and totals as CSV and XLSX files with Vietnamese headers, under the
//! same token and scope as the API, read back as a leader's spreadsheet program would.

use std::io::Cursor;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use calamine::{Data, Reader, Xlsx};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp, contract, upload};

crate::tests!(
    the_provinces_totals_open_as_a_spreadsheet,
    a_past_day_and_the_lists_export_as_csv,
    exports_keep_to_the_callers_area,
    the_member_template_lists_the_areas_villages_and_imports_back,
);

/// GETs an export as a demo user (`""`: without a token).
async fn get(
    app: &TestApp,
    user: &str,
    path: &str,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut request = Request::get(path);
    if !user.is_empty() {
        request = request.header("authorization", format!("Bearer {}", app.token(user).await));
    }
    app.send(request.body(Body::empty()).unwrap()).await
}

/// The first sheet of a workbook as text rows (numbers as their digits).
fn sheet(bytes: Vec<u8>) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("an XLSX workbook");
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::String(s) => s.clone(),
                    Data::Float(f) => format!("{}", *f as i64),
                    Data::Int(i) => i.to_string(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// A CSV file as rows, checking its byte-order mark.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for Excel");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn column(rows: &[Vec<String>], header: &str) -> usize {
    rows[0]
        .iter()
        .position(|h| h == header)
        .unwrap_or_else(|| panic!("no column {header}: {:?}", rows[0]))
}

async fn the_provinces_totals_open_as_a_spreadsheet(b: Arc<Backend>) {
    let app = b.today().await;
    let (status, headers, body) = get(
        app,
        "leader.66",
        "/export/totals.xlsx?unitCode=66&period=2023-02",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"totals-66-"),
        "{disposition}"
    );
    let rows = sheet(body);
    assert_eq!(
        rows.len(),
        1 + 102 + 1,
        "the header, 102 communes, the province"
    );
    let api = app
        .data_as(
            "leader.66",
            "{ totals(unitCode: \"66\") { teams members villages villagesWithTeam \
             children { unit { code name } teams members membersTrained \
             results(period: \"2023-02\") { reports householdsReached } } } }",
            json!({}),
        )
        .await["totals"]
        .clone();
    let (code, teams, members, trained, reports, households) = (
        column(&rows, "Mã đơn vị"),
        column(&rows, "Tổ công nghệ số"),
        column(&rows, "Thành viên"),
        column(&rows, "Thành viên đã tập huấn"),
        column(&rows, "Báo cáo đã duyệt"),
        column(&rows, "Hộ dân được hỗ trợ"),
    );
    for child in api["children"].as_array().unwrap() {
        let row = rows
            .iter()
            .find(|r| r[code] == child["unit"]["code"].as_str().unwrap())
            .unwrap();
        assert_eq!(row[teams], child["teams"].to_string());
        assert_eq!(row[members], child["members"].to_string());
        assert_eq!(row[trained], child["membersTrained"].to_string());
        assert_eq!(row[reports], child["results"]["reports"].to_string());
        assert_eq!(
            row[households],
            child["results"]["householdsReached"].to_string()
        );
    }
    let last = rows.last().unwrap();
    assert_eq!(last[1], "Tổng: Tỉnh Đắk Lắk");
    assert_eq!(last[teams], api["teams"].to_string());
    let coverage = column(&rows, "Tỷ lệ thôn có tổ (%)");
    let expected = (api["villagesWithTeam"].as_i64().unwrap() * 100
        + api["villages"].as_i64().unwrap() / 2)
        / api["villages"].as_i64().unwrap();
    assert_eq!(last[coverage], expected.to_string());
}

async fn a_past_day_and_the_lists_export_as_csv(b: Arc<Backend>) {
    let app = b.today().await;
    let (status, headers, body) = get(
        app,
        "leader.66",
        "/export/totals.csv?unitCode=66&asOf=2022-12-01",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let rows = csv_rows(&body);
    assert_eq!(rows.len(), 1 + 15 + 1, "the 15 districts of that day");
    let last = rows.last().unwrap();
    let (teams, members) = (
        column(&rows, "Tổ công nghệ số"),
        column(&rows, "Thành viên"),
    );
    assert_eq!(
        (last[teams].as_str(), last[members].as_str()),
        ("1163", "7228")
    );

    let count = |data: Value, list: &str| data[list]["totalCount"].as_i64().unwrap() as usize;
    let teams_api = app
        .data_as(
            "officer.24175",
            contract::TEAMS,
            json!({ "unitCode": "24175" }),
        )
        .await;
    let (_, _, body) = get(app, "officer.24175", "/export/teams.csv?unitCode=24175").await;
    let rows = csv_rows(&body);
    assert_eq!(rows[0][0], "Mã thôn");
    assert_eq!(rows.len() - 1, count(teams_api, "teams"));
    assert!(rows[1..].iter().all(|r| r[5] == "Đang hoạt động"));

    // More than a page: the leader's villages without a team, page after page.
    let villages = app
        .data_as(
            "leader.66",
            "{ villages(unitCode: \"66\", hasTeam: false, first: 1) { totalCount } }",
            json!({}),
        )
        .await;
    let (_, _, body) = get(
        app,
        "leader.66",
        "/export/villages.xlsx?unitCode=66&hasTeam=false",
    )
    .await;
    let rows = sheet(body);
    assert_eq!(rows.len() - 1, count(villages, "villages"));
    assert!(rows.len() > 201, "several pages were read");
    let codes: std::collections::BTreeSet<&String> = rows[1..].iter().map(|r| &r[0]).collect();
    assert_eq!(codes.len(), rows.len() - 1, "no village twice");

    let (_, _, body) = get(
        app,
        "leader.66",
        "/export/reports.csv?unitCode=24175&state=SUBMITTED&separator=semicolon",
    )
    .await;
    let text = String::from_utf8(body).unwrap();
    assert!(
        text.starts_with("\u{feff}Kỳ báo cáo;Trạng thái;"),
        "{}",
        &text[..80]
    );
    assert!(text.lines().skip(1).all(|l| l.contains(";Chờ duyệt;")));
    for (file, list) in [
        ("committees", "steeringCommittees"),
        ("sessions", "trainingSessions"),
    ] {
        let count = app
            .data_as(
                "leader.66",
                &format!("{{ {list}(unitCode: \"66\", first: 1) {{ totalCount }} }}"),
                json!({}),
            )
            .await[list]["totalCount"]
            .as_i64()
            .unwrap();
        let (_, _, body) = get(app, "leader.66", &format!("/export/{file}.csv?unitCode=66")).await;
        assert_eq!(csv_rows(&body).len() as i64 - 1, count, "{file}");
    }
    let (status, _, body) = get(
        app,
        "leader.66",
        "/export/results.xlsx?unitCode=66&from=2023-01&to=2023-03",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let rows = sheet(body);
    let months: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(months, ["2023-01", "2023-02", "2023-03"]);
}

async fn exports_keep_to_the_callers_area(b: Arc<Backend>) {
    let app = b.today().await;
    let (status, _, body) = get(app, "", "/export/totals.csv?unitCode=66").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let (status, _, body) = get(app, "officer.24355", "/export/totals.xlsx?unitCode=66").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer["errors"][0]["extensions"]["code"], "FORBIDDEN");
    // Another commune's lists hold none of its rows.
    let (status, _, body) = get(app, "officer.24175", "/export/teams.csv?unitCode=24364").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csv_rows(&body).len(), 1, "the header alone");
    // Without a unit, the caller's own area.
    let (_, _, body) = get(app, "officer.24175", "/export/villages.csv").await;
    let rows = csv_rows(&body);
    let expected = app
        .scalar(
            "SELECT COUNT(*) FROM admin_unit v JOIN admin_unit c ON c.id = v.parent_id \
             WHERE c.code = '24175' AND v.level = 'VILLAGE' AND v.valid_to IS NULL",
        )
        .await;
    assert_eq!(rows.len() as i64 - 1, expected);
    assert!(rows[1..].iter().all(|r| r[2] == "24175"));
    // Bad parameters are named; an unknown file is not found.
    let (status, _, body) = get(app, "leader.66", "/export/teams.csv?status=closed").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let answer: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(answer["errors"][0]["extensions"]["field"], "status");
    let (status, _, body) = get(app, "leader.66", "/export/totals.csv?asOf=someday").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let (status, _, _) = get(app, "leader.66", "/export/members.pdf").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn the_member_template_lists_the_areas_villages_and_imports_back(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    let (status, _, body) = get(&app, "officer.24175", "/export/member-template.csv").await;
    assert_eq!(status, StatusCode::OK);
    let rows = csv_rows(&body);
    assert_eq!(
        rows[0],
        [
            "Họ và tên",
            "Mã thôn",
            "Thôn",
            "Vai trò",
            "Lực lượng",
            "Số điện thoại",
            "Năm sinh",
            "Giới tính"
        ]
    );
    let with_team = app
        .scalar(
            "SELECT COUNT(*) FROM admin_unit v JOIN admin_unit c ON c.id = v.parent_id \
             WHERE c.code = '24175' AND v.valid_to IS NULL AND EXISTS (SELECT 1 FROM team t \
             WHERE t.unit_id = v.id AND t.status = 'ACTIVE')",
        )
        .await;
    assert_eq!(rows.len() as i64 - 1, with_team);
    // The officer fills in one row and sends the file back: the other rows are skipped.
    let mut filled = rows.clone();
    filled[1][0] = "Hoàng Thị Mai".to_owned();
    filled[1][3] = "Thành viên".to_owned();
    filled[1][4] = "Hội phụ nữ".to_owned();
    filled[1][6] = "1991".to_owned();
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in &filled {
        writer.write_record(row).unwrap();
    }
    let bytes = writer.into_inner().unwrap();
    let answer = upload(&app, "officer.24175", "24175", "mau.csv", &bytes).await;
    let result = &answer["data"]["importTeamMembers"];
    assert_eq!(result["added"], 1, "{answer:#}");
    assert_eq!(result["teams"][0]["villageCode"], rows[1][1].as_str());
}
