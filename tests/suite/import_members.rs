//! Importing a commune's member list from a spreadsheet: all or nothing, every bad row named.

use std::sync::Arc;

use serde_json::json;

use crate::common::{Backend, TestApp, contract, error_codes, upload, upload_preview};

crate::tests!(
    a_spreadsheet_of_a_hundred_members_is_imported,
    one_bad_row_among_a_hundred_writes_nothing_and_is_named,
    csv_files_resolve_villages_by_name_or_code,
    every_problem_of_a_row_is_told_and_rows_are_counted,
    imports_outside_scope_are_refused,
    the_command_line_imports_the_same_files,
    the_same_list_twice_adds_no_one_twice,
    a_preview_writes_nothing_and_tells_what_would_happen,
    semicolon_and_tab_separated_files_with_a_mark_are_read,
    village_codes_name_villages_that_share_a_name,
    windows_line_breaks_and_full_teams_are_told_right,
    an_officer_of_a_closed_commune_imports_into_the_villages_it_held,
);

const GOOD: &[u8] = include_bytes!("../data/members_hoa_phu.xlsx");
const ONE_BAD: &[u8] = include_bytes!("../data/members_one_bad_row.xlsx");

async fn members(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) FROM team_member").await
}

async fn a_spreadsheet_of_a_hundred_members_is_imported(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let before = members(&app).await;
    let totals_before = app
        .data(contract::TOTALS, json!({ "unitCode": "24172" }))
        .await["totals"]["members"]
        .as_i64()
        .unwrap();
    let answer = upload(&app, "officer.24172", "24172", "danh-sach.xlsx", GOOD).await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    let result = &answer["data"]["importTeamMembers"];
    assert_eq!(result["added"], 100);
    let teams = result["teams"].as_array().unwrap();
    assert_eq!(teams.len(), 10);
    assert!(teams.iter().all(|t| t["added"] == 10));
    assert_eq!(teams[0]["villageCode"], "24172.01");
    assert_eq!(members(&app).await, before + 100);
    let totals = app
        .data(contract::TOTALS, json!({ "unitCode": "24172" }))
        .await;
    assert_eq!(
        totals["totals"]["members"].as_i64().unwrap(),
        totals_before + 100
    );

    // A number typed into a number cell got its leading zero back; labels became enums.
    let team = app
        .data_as(
            "officer.24172",
            contract::TEAM,
            json!({ "id": teams[0]["team"]["id"] }),
        )
        .await;
    let imported = team["team"]["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["fullName"] == "Nguyễn Văn An")
        .cloned()
        .unwrap();
    assert_eq!(imported["phone"], "0912345670");
    assert_eq!(imported["affiliation"], "POLICE");
    assert_eq!(imported["role"], "MEMBER");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_entry WHERE operation = 'importTeamMembers'")
            .await,
        1
    );
}

async fn one_bad_row_among_a_hundred_writes_nothing_and_is_named(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let before = members(&app).await;
    let answer = upload(&app, "officer.24172", "24172", "danh-sach.xlsx", ONE_BAD).await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
    let ext = &answer["errors"][0]["extensions"];
    assert_eq!(ext["field"], "file");
    assert_eq!(
        ext["rows"],
        json!([{ "line": 58, "column": "Số điện thoại", "message":
            "not a Vietnamese phone number (0 or +84, then 9 digits for a mobile or 10 for a landline)" }])
    );
    assert_eq!(members(&app).await, before, "nothing written");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_entry").await, 0);
}

async fn csv_files_resolve_villages_by_name_or_code(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    // Under a district, "Thôn 1" names a village in many communes: ambiguous, and said so.
    let csv = "Họ và tên,Thôn,Vai trò,Lực lượng,Số điện thoại,Năm sinh,Giới tính\n\
               Y Moan Êban,Thôn 1,Thành viên,Đoàn thanh niên,0356 111 222,1998,Nam\n\
               H'Hen Niê,Buôn Không Có,Thành viên,Hội phụ nữ,,1990,Nữ\n\
               Lê Văn Tâm,24172.02,Trưởng nhóm,Công an,,1980,Nam\n";
    let answer = upload(&app, "officer.643", "643", "ds.csv", csv.as_bytes()).await;
    let rows = answer["errors"][0]["extensions"]["rows"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let lines: Vec<(i64, &str)> = rows
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["column"].as_str().unwrap()))
        .collect();
    assert_eq!(
        lines,
        [(2, "Thôn"), (3, "Thôn"), (4, "Vai trò")],
        "{answer:#}"
    );
    assert!(
        rows[0]["message"]
            .as_str()
            .unwrap()
            .contains("write the village code")
    );

    let csv = "Họ và tên,Thôn,Vai trò,Lực lượng,Số điện thoại\n\
               Y Moan Êban,24172.01,Thành viên,Đoàn thanh niên,+84356111222\n\
               Lê Văn Tâm,thon 2,to pho,cong an,\n";
    let answer = upload(&app, "officer.24172", "24172", "ds.csv", csv.as_bytes()).await;
    assert_eq!(
        answer["data"]["importTeamMembers"]["added"], 2,
        "{answer:#}"
    );
}

async fn every_problem_of_a_row_is_told_and_rows_are_counted(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let before = members(&app).await;
    // Line 2: no name, an unknown role and a bad phone; line 3: a year that is no year.
    let csv = "Họ và tên,Thôn,Vai trò,Lực lượng,Số điện thoại,Năm sinh\n\
               ,24172.01,Đội trưởng,Công an,12345,1990\n\
               Lê Văn Tâm,24172.02,Thành viên,Công an,,năm 80\n";
    let answer = upload(&app, "officer.24172", "24172", "ds.csv", csv.as_bytes()).await;
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer:#}");
    let rows = answer["errors"][0]["extensions"]["rows"]
        .as_array()
        .unwrap();
    let told: Vec<(i64, &str)> = rows
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["column"].as_str().unwrap()))
        .collect();
    assert_eq!(
        told,
        [
            (2, "Vai trò"),
            (2, "Họ và tên"),
            (2, "Số điện thoại"),
            (3, "Năm sinh")
        ],
        "{answer:#}"
    );
    let message = answer["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("file: 2 bad rows (4 problems), nothing was imported"),
        "{message}"
    );
    assert_eq!(members(&app).await, before, "nothing written");
}

async fn imports_outside_scope_are_refused(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let before = members(&app).await;
    for (user, code) in [("officer.24355", "FORBIDDEN"), ("leader.66", "FORBIDDEN")] {
        let answer = upload(&app, user, "24172", "ds.xlsx", GOOD).await;
        assert_eq!(error_codes(&answer), [code], "{user}: {answer:#}");
    }
    assert_eq!(members(&app).await, before);
}

async fn the_command_line_imports_the_same_files(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let before = members(&app).await;
    let run = |file: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_steering-gateway"))
            .args([
                "import-members",
                "24172",
                &format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR")),
            ])
            .env("DATABASE_URL", &app.url)
            .env("RUST_LOG", "error")
            .output()
            .unwrap()
    };
    let bad = run("members_one_bad_row.xlsx");
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("line 58 (Số điện thoại)"), "{stderr}");
    assert_eq!(members(&app).await, before);
    let good = run("members_hoa_phu.xlsx");
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(String::from_utf8_lossy(&good.stdout).contains("100 members added to 10 teams"));
    assert_eq!(members(&app).await, before + 100);
    let actor = app
        .scalar("SELECT COUNT(*) FROM audit_entry WHERE actor = 'command line'")
        .await;
    assert_eq!(actor, 1);
}

/// Three members of villages of today's Xã Hòa Phú, by code.
const LIST: &str = "Họ và tên,Mã thôn,Thôn,Vai trò,Lực lượng,Số điện thoại,Năm sinh,Giới tính\n\
                    Y Moan Êban,24172.01,Thôn 1,Thành viên,Đoàn thanh niên,0356 111 222,1998,Nam\n\
                    H'Hen Niê,24172.02,,Thành viên,Hội phụ nữ,,1990,Nữ\n\
                    Lê Văn Tâm,24172.03,Thôn 3,Thành viên,Công an,0912 000 111,,Nam\n";

async fn the_same_list_twice_adds_no_one_twice(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    let before = members(&app).await;
    let answer = upload(&app, "officer.24175", "24175", "ds.csv", LIST.as_bytes()).await;
    assert_eq!(
        answer["data"]["importTeamMembers"]["added"], 3,
        "{answer:#}"
    );
    assert_eq!(members(&app).await, before + 3);
    // Sent again: everyone is on their team already, by name and birth year or phone.
    let again = upload(&app, "officer.24175", "24175", "ds.csv", LIST.as_bytes()).await;
    let result = &again["data"]["importTeamMembers"];
    assert_eq!(result["added"], 0, "{again:#}");
    let kept: Vec<i64> = result["kept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["line"].as_i64().unwrap())
        .collect();
    assert_eq!(kept, [2, 3, 4]);
    assert_eq!(result["kept"][0]["fullName"], "Y Moan Êban");
    assert_eq!(result["kept"][0]["villageCode"], "24172.01");
    assert_eq!(members(&app).await, before + 3, "no one added twice");
    // The same person twice in one file is a bad row.
    let twice = "Họ và tên,Mã thôn,Vai trò,Lực lượng,Năm sinh\n\
                 Phạm Thị Lan,24172.04,Thành viên,Khác,1985\n\
                 Phạm Thị Lan,24172.04,Thành viên,Khác,1985\n";
    let answer = upload(&app, "officer.24175", "24175", "ds.csv", twice.as_bytes()).await;
    let rows = &answer["errors"][0]["extensions"]["rows"];
    assert_eq!(rows[0]["line"], 3, "{answer:#}");
    assert!(rows[0]["message"].as_str().unwrap().contains("line 2"));
    // A namesake with another birth year is another person.
    let namesake = "Họ và tên,Mã thôn,Vai trò,Lực lượng,Năm sinh\n\
                    Y Moan Êban,24172.01,Thành viên,Khác,1960\n";
    let answer = upload(
        &app,
        "officer.24175",
        "24175",
        "ds.csv",
        namesake.as_bytes(),
    )
    .await;
    assert_eq!(
        answer["data"]["importTeamMembers"]["added"], 1,
        "{answer:#}"
    );
}

async fn a_preview_writes_nothing_and_tells_what_would_happen(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    upload(&app, "officer.24175", "24175", "ds.csv", LIST.as_bytes()).await;
    let before = members(&app).await;
    let audit = app.scalar("SELECT COUNT(*) FROM audit_entry").await;
    let file = format!(
        "{LIST}Trần Văn Bình,24172.05,,Thành viên,Viễn thông,,1992,Nam\n\
         Không Có Thôn,99999.01,,Thành viên,Khác,,,\n"
    );
    let answer = upload_preview(&app, "officer.24175", "24175", "ds.csv", file.as_bytes()).await;
    let result = &answer["data"]["importTeamMembers"];
    assert_eq!(result["dryRun"], true, "{answer:#}");
    assert_eq!(result["added"], 1);
    assert_eq!(result["teams"][0]["villageCode"], "24172.05");
    assert_eq!(result["kept"].as_array().unwrap().len(), 3);
    let refused = result["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 1);
    assert_eq!(
        (refused[0]["line"].as_i64(), refused[0]["column"].as_str()),
        (Some(6), Some("Mã thôn"))
    );
    assert_eq!(members(&app).await, before, "a preview writes nothing");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM audit_entry").await, audit);
    // Outside one's area, the preview is refused as the import is.
    let answer = upload_preview(&app, "officer.24355", "24175", "ds.csv", LIST.as_bytes()).await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"], "{answer:#}");
}

async fn semicolon_and_tab_separated_files_with_a_mark_are_read(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    let before = members(&app).await;
    // What Excel writes with Vietnamese regional settings: semicolons, a byte-order mark.
    let semicolons = format!("\u{feff}{}", LIST.replace(',', ";"));
    let answer = upload(
        &app,
        "officer.24175",
        "24175",
        "ds.csv",
        semicolons.as_bytes(),
    )
    .await;
    assert_eq!(
        answer["data"]["importTeamMembers"]["added"], 3,
        "{answer:#}"
    );
    // Tabs, in UTF-16 with its mark (Excel's "Unicode Text").
    let tabs = "Họ và tên\tMã thôn\tVai trò\tLực lượng\tNăm sinh\n\
                Đinh Thị Hoa\t24172.06\tThành viên\tGiáo viên\t1987\n";
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in tabs.encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    let answer = upload(&app, "officer.24175", "24175", "ds.txt", &utf16).await;
    assert_eq!(
        answer["data"]["importTeamMembers"]["added"], 1,
        "{answer:#}"
    );
    // A comma inside quotes does not make a file comma separated.
    let quoted = "\"Họ và tên\";\"Mã thôn\";\"Vai trò\";\"Lực lượng, đoàn thể\";\"Năm sinh\"\n";
    let answer = upload(&app, "officer.24175", "24175", "ds.csv", quoted.as_bytes()).await;
    let message = answer["errors"][0]["extensions"]["rows"][0]["message"].clone();
    assert!(
        message.as_str().unwrap_or("").contains("Lực lượng"),
        "the header was read by semicolons: {answer:#}"
    );
    assert_eq!(members(&app).await, before + 4);
}

async fn village_codes_name_villages_that_share_a_name(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    // The merged Xã Hòa Phú has several villages of one name: by name it is ambiguous.
    let shared = app
        .text(
            "SELECT v.name FROM admin_unit v JOIN admin_unit c ON c.id = v.parent_id \
             WHERE c.code = '24175' AND v.valid_to IS NULL \
             AND EXISTS (SELECT 1 FROM team t WHERE t.unit_id = v.id AND t.status = 'ACTIVE') \
             GROUP BY v.name HAVING COUNT(*) > 1 ORDER BY v.name LIMIT 1",
        )
        .await;
    let code = app
        .text(&format!(
            "SELECT MAX(v.code) FROM admin_unit v JOIN admin_unit c ON c.id = v.parent_id \
             WHERE c.code = '24175' AND v.name = '{shared}' AND EXISTS (SELECT 1 FROM team t \
             WHERE t.unit_id = v.id AND t.status = 'ACTIVE')"
        ))
        .await;
    let by_name =
        format!("Họ và tên,Thôn,Vai trò,Lực lượng\nNgô Văn Sơn,{shared},Thành viên,Khác\n");
    let answer = upload(&app, "officer.24175", "24175", "ds.csv", by_name.as_bytes()).await;
    assert!(
        answer["errors"][0]["extensions"]["rows"][0]["message"]
            .as_str()
            .unwrap()
            .contains("village code"),
        "{answer:#}"
    );
    let by_code = format!(
        "Họ và tên,Mã thôn,Thôn,Vai trò,Lực lượng\nNgô Văn Sơn,{code},{shared},Thành viên,Khác\n"
    );
    let answer = upload(&app, "officer.24175", "24175", "ds.csv", by_code.as_bytes()).await;
    let result = &answer["data"]["importTeamMembers"];
    assert_eq!(result["added"], 1, "{answer:#}");
    assert_eq!(result["teams"][0]["villageCode"], code.as_str());
}

async fn windows_line_breaks_and_full_teams_are_told_right(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    // Excel on Windows ends lines with CRLF: bad rows are named by their real line.
    let crlf = "Họ và tên,Mã thôn,Vai trò,Lực lượng\r\n\
                Đỗ Văn Hùng,24172.01,Thành viên,Khác\r\n\
                Không Có,99999.99,Thành viên,Khác\r\n\
                Lý Thị Thu,24172.02,Không rõ,Khác\r\n";
    let answer = upload(&app, "officer.24175", "24175", "ds.csv", crlf.as_bytes()).await;
    let rows = answer["errors"][0]["extensions"]["rows"]
        .as_array()
        .unwrap()
        .clone();
    let named: Vec<(i64, &str)> = rows
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["column"].as_str().unwrap()))
        .collect();
    assert_eq!(named, [(3, "Mã thôn"), (4, "Vai trò")], "{answer:#}");
    // A preview of more members than a team has room for adds only those that fit.
    let team = app
        .scalar(
            "SELECT t.id FROM team t JOIN admin_unit u ON u.id = t.unit_id \
             WHERE u.code = '24172.03' AND t.status = 'ACTIVE'",
        )
        .await;
    let on_team = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM team_member WHERE team_id = {team} AND left_on IS NULL"
        ))
        .await;
    let room = 20 - on_team;
    let mut file = "Họ và tên,Mã thôn,Vai trò,Lực lượng,Năm sinh\n".to_owned();
    for i in 0..room + 3 {
        file.push_str(&format!(
            "Người Thứ {i},24172.03,Thành viên,Khác,{}\n",
            1970 + i
        ));
    }
    let answer = upload_preview(&app, "officer.24175", "24175", "ds.csv", file.as_bytes()).await;
    let result = &answer["data"]["importTeamMembers"];
    assert_eq!(result["added"], room, "{answer:#}");
    assert_eq!(result["refused"][0]["line"], room + 2);
}

async fn an_officer_of_a_closed_commune_imports_into_the_villages_it_held(b: Arc<Backend>) {
    let app = b.fresh_today().await;
    // Hòa Phú (24172) closed on 1 July 2025; its officer still reaches its villages, which
    // lie in the new Xã Hòa Phú (24175) beside villages of two other former communes.
    let other = app
        .text(
            "SELECT MIN(v.code) FROM admin_unit v JOIN admin_unit c ON c.id = v.parent_id \
             WHERE c.code = '24175' AND v.code NOT LIKE '24172.%' AND v.valid_to IS NULL \
             AND EXISTS (SELECT 1 FROM team t WHERE t.unit_id = v.id AND t.status = 'ACTIVE')",
        )
        .await;
    let file = format!(
        "Họ và tên,Mã thôn,Vai trò,Lực lượng,Năm sinh\n\
         Vũ Văn Long,24172.04,Thành viên,Khác,1979\n\
         Vũ Thị Hạnh,{other},Thành viên,Khác,1981\n"
    );
    let answer = upload_preview(&app, "officer.24172", "24175", "ds.csv", file.as_bytes()).await;
    let result = &answer["data"]["importTeamMembers"];
    assert_eq!(result["added"], 1, "{answer:#}");
    assert_eq!(result["refused"][0]["line"], 3);
    assert_eq!(result["refused"][0]["message"], "outside your area");
    // An officer who reaches nothing there is refused outright.
    let answer = upload_preview(&app, "officer.24355", "24175", "ds.csv", file.as_bytes()).await;
    assert_eq!(error_codes(&answer), ["FORBIDDEN"], "{answer:#}");
}
