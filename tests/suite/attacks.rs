//! What hostile callers send, made small: deep values, fragment fan-out, alias floods, sparse
//! and bloated spreadsheets; and the process's peak memory, to see what an attack cost.

use std::io::{Cursor, Write};

/// A list value nested `depth` levels: `[[[…1…]]]`.
pub fn nested_list(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

/// An input object nested `depth` levels: `{a: {a: … 1}}`.
pub fn nested_object(depth: usize) -> String {
    format!("{}1{}", "{a: ".repeat(depth), "}".repeat(depth))
}

/// A JSON value nested `depth` levels, for variables.
pub fn nested_json(depth: usize) -> String {
    format!("{}1{}", "[".repeat(depth), "]".repeat(depth))
}

/// `levels` fragments each spreading the next twice: 2^levels fields once expanded, in a
/// document of about 50 bytes a level.
pub fn fragment_fan_out(levels: usize) -> String {
    fan_out_written(levels, "fragment ")
}

/// Like [`fragment_fan_out`], each definition starting with `keyword`: the engine reads
/// `fragmentF0` as `fragment F0`.
pub fn fan_out_written(levels: usize, keyword: &str) -> String {
    let mut text = String::from("query { ...F0 }\n");
    for i in 0..levels {
        text.push_str(&format!(
            "{keyword}F{i} on QueryRoot {{ ...F{n} ...F{n} }}\n",
            n = i + 1
        ));
    }
    text.push_str(&format!(
        "{keyword}F{levels} on QueryRoot {{ __typename }}\n"
    ));
    text
}

/// `count` aliases of `selection`, in one query: `{ a0: … a1: … }`.
pub fn aliased(count: usize, selection: &str) -> String {
    let fields: Vec<String> = (0..count).map(|i| format!("a{i}: {selection}")).collect();
    format!("{{ {} }}", fields.join("\n"))
}

/// An XLSX workbook of one sheet holding `cells` (reference, text), declaring `dimension` if
/// given. A handful of cells far apart make a file of a few hundred bytes.
pub fn sparse_xlsx(cells: &[(&str, &str)], dimension: Option<&str>) -> Vec<u8> {
    let mut sheet = String::new();
    for (reference, text) in cells {
        let row: String = reference.chars().filter(char::is_ascii_digit).collect();
        sheet.push_str(&format!(
            "<row r=\"{row}\"><c r=\"{reference}\" t=\"inlineStr\"><is><t>{text}</t></is></c></row>"
        ));
    }
    xlsx_with_sheet(&sheet, dimension)
}

/// An XLSX workbook whose one sheet has `rows` rows of one short cell each, with no cell
/// references (the reader counts them): a million rows pack into well under a megabyte.
pub fn long_xlsx(rows: usize) -> Vec<u8> {
    let row = "<row><c t=\"inlineStr\"><is><t>x</t></is></c></row>";
    xlsx_with_sheet(&row.repeat(rows), None)
}

/// An XLSX workbook whose only cell, A2, holds `chars` characters.
pub fn one_big_cell_xlsx(chars: usize) -> Vec<u8> {
    let sheet = format!(
        "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>Họ và tên</t></is></c></row>\
         <row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>{}</t></is></c></row>",
        "a".repeat(chars)
    );
    xlsx_with_sheet(&sheet, None)
}

/// An XLSX workbook of `rows` rows of `columns` cells, every one pointing at the same shared
/// string `text`: a few kilobytes that a reader copying each cell's text would multiply.
pub fn shared_string_bomb(rows: usize, columns: usize, text: &str) -> Vec<u8> {
    let row = format!("<row>{}</row>", "<c t=\"s\"><v>0</v></c>".repeat(columns));
    xlsx_parts(&row.repeat(rows), None, Some(text))
}

/// An XLSX workbook whose shared strings table holds `entries` empty strings: each costs the
/// reader a string of its own, whatever its size in the file.
pub fn empty_shared_strings(entries: usize) -> Vec<u8> {
    let sheet = "<row><c t=\"s\"><v>0</v></c></row>";
    let shared = format!("Họ và tên</t></si>{}<si><t>x", "<si/>".repeat(entries));
    xlsx_parts(sheet, None, Some(&shared))
}

fn xlsx_with_sheet(sheet_data: &str, dimension: Option<&str>) -> Vec<u8> {
    xlsx_parts(sheet_data, dimension, None)
}

fn xlsx_parts(sheet_data: &str, dimension: Option<&str>, shared: Option<&str>) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let dimension = dimension
        .map(|d| format!("<dimension ref=\"{d}\"/>"))
        .unwrap_or_default();
    let parts = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned(),
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#.to_owned(),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>{sheet_data}</sheetData></worksheet>"#
            ),
        ),
    ];
    let shared = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>{}</t></si></sst>"#,
        shared.unwrap_or("")
    );
    let parts = parts
        .into_iter()
        .chain(std::iter::once(("xl/sharedStrings.xml", shared)));
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, text) in parts {
        zip.start_file(name, options).expect("a zip entry");
        zip.write_all(text.as_bytes()).expect("writing a zip entry");
    }
    zip.finish().expect("a zip").into_inner()
}

/// A process's peak resident memory so far, in bytes (Linux; 0 elsewhere).
pub fn peak_rss(pid: u32) -> u64 {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

pub const MIB: u64 = 1024 * 1024;
