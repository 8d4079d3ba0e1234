//! `import-units`: idempotent, all or nothing, with line numbers on refusal.

use std::sync::Arc;

use steering_gateway::domain::import_units::{ImportError, ImportReport, import_csv};
use steering_gateway::seed::{DAKLAK_UNITS_CSV, default_valid_from};

use crate::common::Backend;

crate::tests!(
    a_good_file_imports_and_a_second_run_changes_nothing,
    a_broken_line_is_named_and_nothing_is_written,
    renames_and_moves_are_applied,
    the_whole_country_imports,
    the_2025_list_is_refused_as_a_reorganisation,
);

const HEADER: &str = "code,name,level,parent_code,division_type\n";

async fn a_good_file_imports_and_a_second_run_changes_nothing(b: Arc<Backend>) {
    let app = b.fresh().await;
    let report = import_csv(&app.db().conn, DAKLAK_UNITS_CSV, default_valid_from())
        .await
        .unwrap();
    assert_eq!(
        report,
        ImportReport {
            added: 200,
            changed: 0,
            unchanged: 0
        }
    );
    let again = import_csv(&app.db().conn, DAKLAK_UNITS_CSV, default_valid_from())
        .await
        .unwrap();
    assert_eq!(
        again,
        ImportReport {
            added: 0,
            changed: 0,
            unchanged: 200
        }
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM admin_unit").await, 200);
    // Every commune's path runs through its district and the province.
    let bad_paths = app
        .scalar(
            "SELECT COUNT(*) FROM admin_unit c JOIN admin_unit d ON d.id = c.parent_id \
             WHERE c.path <> d.path || CAST(c.id AS TEXT) || '/'",
        )
        .await;
    assert_eq!(bad_paths, 0);
}

async fn a_broken_line_is_named_and_nothing_is_written(b: Arc<Backend>) {
    let app = b.fresh().await;
    let csv = format!(
        "{HEADER}66,Tỉnh Đắk Lắk,province,,tỉnh\n643,Thành phố Buôn Ma Thuột,district,66,thành phố\n\
         24172,Xã Hòa Phú,commune,643,xã\n2417,Xã Hòa Xuân,commune,643,xã\n\
         24175,Xã Hòa Khánh,commune,999,xã\n"
    );
    let err = import_csv(&app.db().conn, &csv, default_valid_from())
        .await
        .unwrap_err();
    let ImportError::Invalid(problems) = err else {
        panic!("expected a refusal, got {err:?}")
    };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("line 5:"), "{problems:?}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM admin_unit").await, 0);

    // A row whose parent is unknown is refused as a whole file too.
    let csv =
        format!("{HEADER}66,Tỉnh Đắk Lắk,province,,tỉnh\n24175,Xã Hòa Khánh,commune,999,xã\n");
    let ImportError::Invalid(problems) = import_csv(&app.db().conn, &csv, default_valid_from())
        .await
        .unwrap_err()
    else {
        panic!("expected a refusal")
    };
    assert!(
        problems[0].starts_with("line 3:") && problems[0].contains("999"),
        "{problems:?}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM admin_unit").await, 0);
}

async fn renames_and_moves_are_applied(b: Arc<Backend>) {
    let app = b.fresh().await;
    let csv = format!(
        "{HEADER}66,Tỉnh Đắk Lắk,province,,tỉnh\n643,Thành phố Buôn Ma Thuột,district,66,thành phố\n\
         644,Thị xã Buôn Hồ,district,66,thị xã\n24172,Xã Hòa Phú,commune,643,xã\n\
         24172.01,Thôn 1,village,24172,thôn\n"
    );
    import_csv(&app.db().conn, &csv, default_valid_from())
        .await
        .unwrap();
    let moved = format!(
        "{HEADER}66,Tỉnh Đắk Lắk,province,,tỉnh\n643,Thành phố Buôn Ma Thuột,district,66,thành phố\n\
         644,Thị xã Buôn Hồ,district,66,thị xã\n24172,Phường Hòa Phú,commune,644,phường\n\
         24172.01,Thôn 1,village,24172,thôn\n"
    );
    let report = import_csv(&app.db().conn, &moved, default_valid_from())
        .await
        .unwrap();
    assert_eq!(
        report,
        ImportReport {
            added: 0,
            changed: 1,
            unchanged: 4
        }
    );
    // The village moved with its commune.
    let under_644 = app
        .scalar(
            "SELECT COUNT(*) FROM admin_unit u, admin_unit d WHERE d.code = '644' \
             AND u.path >= d.path AND u.path < d.path || '~'",
        )
        .await;
    assert_eq!(under_644, 3, "Buôn Hồ, Hòa Phú and its village");
}

async fn the_whole_country_imports(b: Arc<Backend>) {
    let app = b.fresh().await;
    let national = include_str!("../../src/seed/data/admin_units_2023.csv");
    let report = import_csv(&app.db().conn, national, default_valid_from())
        .await
        .unwrap();
    assert_eq!(
        report,
        ImportReport {
            added: 11_366,
            changed: 0,
            unchanged: 0
        }
    );
    // The Đắk Lắk file is a slice of the national one: nothing to change.
    let report = import_csv(&app.db().conn, DAKLAK_UNITS_CSV, default_valid_from())
        .await
        .unwrap();
    assert_eq!(
        report,
        ImportReport {
            added: 0,
            changed: 0,
            unchanged: 200
        }
    );
    let provinces = app
        .scalar("SELECT COUNT(*) FROM admin_unit WHERE level = 'PROVINCE'")
        .await;
    assert_eq!(provinces, 63);
}

/// The new tree moves communes from districts to provinces: a reform, which `import-units` would
/// apply as a correction, mixing two countries. It is refused whole, pointing at `reorganise`.
async fn the_2025_list_is_refused_as_a_reorganisation(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let before = app.scalar("SELECT COUNT(*) FROM admin_unit").await;
    let refused = import_csv(
        &app.db().conn,
        steering_gateway::seed::UNITS_2025_CSV,
        default_valid_from(),
    )
    .await;
    let Err(ImportError::Invalid(problems)) = refused else {
        panic!("the 2025 list must be refused: {refused:?}");
    };
    assert!(
        problems[0].contains("steering-gateway reorganise"),
        "{problems:?}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM admin_unit").await, before);
}
