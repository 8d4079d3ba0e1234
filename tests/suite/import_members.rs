//! Importing a commune's member list from a spreadsheet: all or nothing, every bad row named.

use std::sync::Arc;

use serde_json::json;

use crate::common::{Backend, TestApp, contract, error_codes, upload};

crate::tests!(
    a_spreadsheet_of_a_hundred_members_is_imported,
    one_bad_row_among_a_hundred_writes_nothing_and_is_named,
    csv_files_resolve_villages_by_name_or_code,
    every_problem_of_a_row_is_told_and_rows_are_counted,
    imports_outside_scope_are_refused,
    the_command_line_imports_the_same_files,
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
