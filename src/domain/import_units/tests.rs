//! Unit tests of `import_units`.

use super::*;

#[test]
fn a_malformed_line_is_named() {
    let csv = "code,name,level,parent_code,division_type\n\
               66,Tỉnh Đắk Lắk,province,,tỉnh\n\
               643,Thành phố Buôn Ma Thuột,town,66,thành phố\n";
    let ImportError::Invalid(problems) = parse(csv).unwrap_err() else {
        panic!("expected a refusal")
    };
    assert_eq!(problems.len(), 1);
    assert!(problems[0].starts_with("line 3:"), "{problems:?}");
}

#[test]
fn a_wrong_header_is_refused() {
    let ImportError::Invalid(problems) = parse("ma,ten\n66,x\n").unwrap_err() else {
        panic!("expected a refusal")
    };
    assert!(problems[0].starts_with("line 1:"), "{problems:?}");
}
