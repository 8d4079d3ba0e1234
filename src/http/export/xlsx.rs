//! Writing a table as an Office Open XML workbook (XLSX): one sheet, a bold header row frozen
//! at the top, text as inline strings and numbers as numbers, so that Excel, LibreOffice and
//! Google Sheets open it as a leader expects.

use std::io::{Cursor, Write};

use zip::ZipWriter;
use zip::write::SimpleFileOptions;

use super::{Cell, Table};

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;

const ROOT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

/// Two cell formats: plain (0) and the header's bold (1).
const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#;

/// The workbook of `table`, as bytes.
pub fn write(table: &Table) -> anyhow::Result<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{}" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        escape(&sheet_name(&table.title))
    );
    for (name, body) in [
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", ROOT_RELS),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/styles.xml", STYLES),
        ("xl/workbook.xml", workbook.as_str()),
    ] {
        zip.start_file(name, options)?;
        zip.write_all(body.as_bytes())?;
    }
    zip.start_file("xl/worksheets/sheet1.xml", options)?;
    zip.write_all(sheet(table).as_bytes())?;
    Ok(zip.finish()?.into_inner())
}

/// The worksheet: column widths from the longest text of each column, the header frozen.
fn sheet(table: &Table) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><cols>"#,
    );
    for (i, header) in table.headers.iter().enumerate() {
        let widest = table
            .rows
            .iter()
            .filter_map(|row| row.get(i))
            .map(|cell| match cell {
                Cell::Text(t) => t.chars().count(),
                Cell::Number(n) => n.to_string().len(),
                Cell::Empty => 0,
            })
            .chain([header.chars().count()])
            .max()
            .unwrap_or(8);
        let width = (widest + 2).clamp(6, 60);
        xml.push_str(&format!(
            r#"<col min="{n}" max="{n}" width="{width}" customWidth="1"/>"#,
            n = i + 1
        ));
    }
    xml.push_str("</cols><sheetData>");
    let header: Vec<Cell> = table.headers.iter().map(|h| Cell::text(h)).collect();
    row_xml(&mut xml, 1, &header, true);
    for (i, row) in table.rows.iter().enumerate() {
        row_xml(&mut xml, i + 2, row, false);
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

fn row_xml(xml: &mut String, number: usize, cells: &[Cell], bold: bool) {
    xml.push_str(&format!(r#"<row r="{number}">"#));
    let style = if bold { r#" s="1""# } else { "" };
    for (i, cell) in cells.iter().enumerate() {
        let at = format!("{}{number}", column_letters(i));
        match cell {
            Cell::Text(text) => xml.push_str(&format!(
                r#"<c r="{at}" t="inlineStr"{style}><is><t xml:space="preserve">{}</t></is></c>"#,
                escape(text)
            )),
            Cell::Number(n) => xml.push_str(&format!(r#"<c r="{at}"{style}><v>{n}</v></c>"#)),
            Cell::Empty => {}
        }
    }
    xml.push_str("</row>");
}

/// A column's letters (0 is `A`).
fn column_letters(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// A sheet's name as Excel accepts it: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(title: &str) -> String {
    let name: String = title
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
        .take(31)
        .collect();
    if name.trim().is_empty() {
        "Sheet1".to_owned()
    } else {
        name
    }
}

/// Text as XML character data, without the characters XML 1.0 cannot hold.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_workbook_reads_back_as_the_same_table() {
        use calamine::{Data, Reader, Xlsx};
        let table = Table {
            title: "Tổng hợp: Đắk Lắk".to_owned(),
            headers: vec!["Mã", "Tên", "Tổ CNS"],
            rows: vec![
                vec![
                    Cell::text("24175"),
                    Cell::text("Xã Hòa Phú <&>"),
                    Cell::Number(42),
                ],
                vec![Cell::text("24343"), Cell::Empty, Cell::Number(0)],
            ],
        };
        let bytes = write(&table).unwrap();
        let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).unwrap();
        let names = book.sheet_names();
        assert_eq!(names, ["Tổng hợp Đắk Lắk"]);
        let range = book.worksheet_range(&names[0]).unwrap();
        let cells: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
        assert_eq!(cells[0][2], Data::String("Tổ CNS".into()));
        assert_eq!(cells[1][1], Data::String("Xã Hòa Phú <&>".into()));
        assert_eq!(cells[1][2], Data::Float(42.0));
        assert_eq!(cells[2][1], Data::Empty);
        assert_eq!(column_letters(27), "AB");
    }
}
