//! An Excel workbook (.xlsx) read into plain rows of cells, with bounds: an upload is
//! untrusted, and a few megabytes of zip can inflate to gigabytes, or name a cell a million
//! rows down (a dense reader would then allocate every cell in between).
//!
//! Before calamine opens the file, every part of the zip is inflated once into nothing, up to
//! [`MAX_PART_BYTES`] each and [`MAX_TOTAL_BYTES`] in all, so what calamine then loads into
//! memory (shared strings, each sheet's XML) is bounded by what was measured, not by what the
//! zip's headers claim. Sheets are read cell by cell (not as dense ranges), keeping at most
//! [`MAX_COLUMNS`] columns and [`MAX_CELLS`] cells in all.

use std::collections::BTreeMap;
use std::io::{self, Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};
use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use sparky_core::nutrition::Nutrients;

use crate::locale::{self, DateOrder, DecimalSeparator};
use crate::{ImportError, ImportResult, Parsed};

/// The largest part (a sheet's XML, the shared strings) after inflating.
pub(crate) const MAX_PART_BYTES: u64 = 256 * 1024 * 1024;
/// All parts together after inflating.
pub(crate) const MAX_TOTAL_BYTES: u64 = 512 * 1024 * 1024;
/// Parts in the zip (a workbook has a few per sheet).
const MAX_PARTS: usize = 2_000;
/// Columns read per row; cells further right are ignored.
pub(crate) const MAX_COLUMNS: u32 = 256;
/// Non-empty cells read in all sheets together (about 60,000 rows of 40 columns).
pub(crate) const MAX_CELLS: usize = 2_500_000;

/// One cell's value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Empty,
    Number(f64),
    Text(String),
    /// A date, a time (on Excel's day 0) or both, from a cell formatted as one.
    DateTime(NaiveDateTime),
}

impl Cell {
    /// Its text, trimmed, when it is a non-empty text cell.
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Cell::Text(s) => Some(s.trim()).filter(|s| !s.is_empty()),
            _ => None,
        }
    }
}

/// A row of a sheet: its number in the sheet (from 1) and its cells from column A.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub number: u64,
    pub cells: Vec<Cell>,
}

impl Row {
    pub(crate) fn get(&self, column: usize) -> &Cell {
        self.cells.get(column).unwrap_or(&Cell::Empty)
    }
}

/// A sheet: its name and its non-empty rows, top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sheet {
    pub name: String,
    pub rows: Vec<Row>,
}

fn not_a_workbook(detail: impl std::fmt::Display) -> ImportError {
    ImportError::new(format!(
        "not a readable Excel workbook (.xlsx): {detail}. Upload the .xlsx file MacroFactor \
         exported (More → Data Management → Data Export), or one of its sheets saved as CSV"
    ))
}

/// The name given to the one sheet of a CSV file.
pub(crate) const CSV_SHEET: &str = "CSV";

/// Reads every sheet of the workbook in `data`, or the one sheet of a CSV file.
pub(crate) fn read(data: &[u8]) -> ImportResult<Vec<Sheet>> {
    if !data.starts_with(b"PK\x03\x04") {
        return read_csv(data);
    }
    measure_parts(data)?;
    let mut book = Xlsx::new(Cursor::new(data)).map_err(not_a_workbook)?;
    let mut cells_left = MAX_CELLS;
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let mut reader = match book.worksheet_cells_reader(&name) {
            Ok(r) => r,
            // A chart sheet or a dialog sheet has no cells.
            Err(calamine::XlsxError::NotAWorksheet(_)) => continue,
            Err(e) => return Err(not_a_workbook(format!("sheet \"{name}\": {e}"))),
        };
        let mut rows: BTreeMap<u32, Vec<Cell>> = BTreeMap::new();
        while let Some(c) = reader
            .next_cell()
            .map_err(|e| not_a_workbook(format!("sheet \"{name}\": {e}")))?
        {
            let (row, column) = c.get_position();
            if column >= MAX_COLUMNS {
                continue;
            }
            let value = cell_of(c.get_value());
            if value == Cell::Empty {
                continue;
            }
            if cells_left == 0 {
                return Err(ImportError::new(format!(
                    "the workbook has more than {MAX_CELLS} filled cells; export a shorter \
                     date range"
                )));
            }
            cells_left -= 1;
            let cells = rows.entry(row).or_default();
            let column = column as usize;
            if cells.len() <= column {
                cells.resize(column + 1, Cell::Empty);
            }
            cells[column] = value;
        }
        sheets.push(Sheet {
            name,
            rows: rows
                .into_iter()
                .map(|(number, cells)| Row {
                    number: u64::from(number) + 1,
                    cells,
                })
                .collect(),
        });
    }
    Ok(sheets)
}

/// A sheet saved as CSV (MacroFactor's CSV files, or a sheet saved from a spreadsheet app):
/// every cell is text, read by the same rules as the workbook's text cells.
fn read_csv(data: &[u8]) -> ImportResult<Vec<Sheet>> {
    if std::str::from_utf8(data).is_err() {
        return Err(not_a_workbook(
            "the file is neither a zip archive (.xlsx) nor UTF-8 text (.csv)",
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(crate::sniff_delimiter(data))
        .has_headers(false)
        .flexible(true)
        .from_reader(data);
    let mut cells_left = MAX_CELLS;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(ImportError::from)?;
        let number = record
            .position()
            .map_or(rows.len() as u64 + 1, |p| p.line());
        let cells: Vec<Cell> = record
            .iter()
            .take(MAX_COLUMNS as usize)
            .map(|t| match t.trim() {
                "" => Cell::Empty,
                t => Cell::Text(t.to_string()),
            })
            .collect();
        let filled = cells.iter().filter(|c| **c != Cell::Empty).count();
        if filled == 0 {
            continue;
        }
        cells_left = cells_left.checked_sub(filled).ok_or_else(|| {
            ImportError::new(format!(
                "the file has more than {MAX_CELLS} filled cells; export a shorter date range"
            ))
        })?;
        rows.push(Row { number, cells });
    }
    Ok(vec![Sheet {
        name: CSV_SHEET.into(),
        rows,
    }])
}

/// Inflates every part once, counting, and refuses the file when a part or the whole is over
/// its bound (or the zip is broken).
fn measure_parts(data: &[u8]) -> ImportResult<()> {
    let mut zip = zip::ZipArchive::new(Cursor::new(data)).map_err(not_a_workbook)?;
    if zip.len() > MAX_PARTS {
        return Err(not_a_workbook(format!(
            "it has more than {MAX_PARTS} parts"
        )));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(not_a_workbook)?;
        let name = part.name().to_string();
        let size = io::copy(&mut (&mut part).take(MAX_PART_BYTES + 1), &mut io::sink())
            .map_err(|e| not_a_workbook(format!("{name}: {e}")))?;
        if size > MAX_PART_BYTES {
            return Err(ImportError::new(format!(
                "the workbook's part {name} is over {} MB unpacked; export a shorter date range",
                MAX_PART_BYTES / (1024 * 1024)
            )));
        }
        total += size;
        if total > MAX_TOTAL_BYTES {
            return Err(ImportError::new(format!(
                "the workbook is over {} MB unpacked; export a shorter date range",
                MAX_TOTAL_BYTES / (1024 * 1024)
            )));
        }
    }
    Ok(())
}

fn cell_of(v: &DataRef<'_>) -> Cell {
    match v {
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Float(f) if f.is_finite() => Cell::Number(*f),
        DataRef::Float(_) => Cell::Empty,
        DataRef::String(s) => Cell::Text(s.clone()),
        DataRef::SharedString(s) => Cell::Text(s.to_string()),
        DataRef::Bool(b) => Cell::Text(b.to_string()),
        DataRef::DateTime(d) => match d.as_datetime() {
            Some(at) => Cell::DateTime(at),
            None => Cell::Number(d.as_f64()),
        },
        DataRef::DateTimeIso(s) => {
            iso_date_time(s).map_or_else(|| Cell::Text(s.clone()), Cell::DateTime)
        }
        DataRef::DurationIso(s) => Cell::Text(s.clone()),
        DataRef::Error(_) | DataRef::Empty => Cell::Empty,
    }
}

/// `2026-11-01T07:38:00`, `2026-11-01` or `07:38:00` (cells stored as ISO 8601 text).
fn iso_date_time(s: &str) -> Option<NaiveDateTime> {
    if let Ok(at) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(at);
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d.and_time(NaiveTime::MIN));
    }
    NaiveTime::parse_from_str(s, "%H:%M:%S%.f")
        .ok()
        .map(|t| excel_day_zero().and_time(t))
}

/// The date Excel's time-only cells are on (serial 0).
pub(crate) fn excel_day_zero() -> NaiveDate {
    NaiveDate::from_ymd_opt(1899, 12, 30).expect("a valid date")
}

/// Reads cells as dates, times and numbers (Excel cells, or text in the file's conventions).
pub(crate) struct CellReader {
    pub dates: DateOrder,
    pub decimal: DecimalSeparator,
}

impl CellReader {
    pub(crate) fn date(&self, cell: &Cell) -> Option<NaiveDate> {
        let date = match cell {
            Cell::DateTime(at) => at.date(),
            Cell::Text(s) => locale::parse_date(s, self.dates)?,
            // A date cell without its date format: Excel's serial day number.
            Cell::Number(n) if (1.0..2_958_466.0).contains(n) => {
                excel_day_zero().checked_add_signed(Duration::days(n.floor() as i64))?
            }
            _ => return None,
        };
        (date > excel_day_zero()).then_some(date)
    }

    pub(crate) fn time(&self, cell: &Cell) -> Option<NaiveTime> {
        match cell {
            Cell::DateTime(at) => Some(at.time()),
            Cell::Text(s) => locale::parse_time(s),
            // A time cell without its format: the fraction of a day.
            Cell::Number(n) if (0.0..1.0).contains(n) => {
                NaiveTime::from_num_seconds_from_midnight_opt(
                    (n * 86_400.0).round() as u32 % 86_400,
                    0,
                )
            }
            _ => None,
        }
    }

    /// A number, `None` when the cell is empty, an error when it holds something else.
    pub(crate) fn number(&self, cell: &Cell) -> Result<Option<Decimal>, String> {
        match cell {
            Cell::Empty => Ok(None),
            Cell::Number(n) => Decimal::from_f64(*n)
                .filter(|d| d.abs() <= locale::max_number())
                .map(|d| Some(d.round_dp(6).normalize()))
                .ok_or_else(|| format!("{n} is out of range")),
            Cell::Text(s) if s.trim().is_empty() => Ok(None),
            Cell::Text(s) => locale::parse_number(s, self.decimal)
                .map(Some)
                .ok_or_else(|| format!("not a number: \"{}\"", s.trim())),
            Cell::DateTime(_) => Err("a date where a number belongs".into()),
        }
    }

    /// A row's amounts in the other nutrient columns (`cols`: sheet column, extra column),
    /// zeros left out.
    pub(crate) fn extra(
        &self,
        row: &Row,
        cols: &[(usize, usize)],
        out: &Parsed,
    ) -> Result<Vec<(usize, Decimal)>, String> {
        let mut extra = Vec::new();
        for (i, x) in cols {
            match self.number(row.get(*i)) {
                Ok(Some(v)) if !v.is_zero() => extra.push((*x, v)),
                Ok(_) => {}
                Err(why) => return Err(format!("{}: {why}", out.extra_columns[*x].column)),
            }
        }
        Ok(extra)
    }

    pub(crate) fn nutrients(
        &self,
        row: &Row,
        columns: &[(usize, &'static str)],
    ) -> Result<Nutrients, String> {
        let mut n = Nutrients::default();
        for (i, name) in columns {
            match self.number(row.get(*i)) {
                Ok(Some(v)) if v < Decimal::ZERO => {
                    return Err(format!("a negative amount of {}", name.replace('_', " ")))
                }
                Ok(v) => n.set(name, v),
                Err(why) => return Err(format!("{}: {why}", name.replace('_', " "))),
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;

    use super::*;

    /// A minimal workbook: `sheets` of rows of raw `<c>` cell XML (or plain text cells).
    pub(crate) fn workbook(sheets: &[(&str, Vec<String>)]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let mut put = |name: &str, text: String| {
            z.start_file(name, opts).unwrap();
            z.write_all(text.as_bytes()).unwrap();
        };
        let ns = "http://schemas.openxmlformats.org";
        let mut types = format!(
            r#"<?xml version="1.0"?><Types xmlns="{ns}/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>"#
        );
        let mut listed = String::new();
        let mut rels = String::new();
        for (i, (name, _)) in sheets.iter().enumerate() {
            let n = i + 1;
            types.push_str(&format!(r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#));
            listed.push_str(&format!(
                r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#
            ));
            rels.push_str(&format!(r#"<Relationship Id="rId{n}" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#));
        }
        types.push_str("</Types>");
        put("[Content_Types].xml", types);
        put(
            "_rels/.rels",
            format!(
                r#"<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        );
        put(
            "xl/workbook.xml",
            format!(
                r#"<?xml version="1.0"?><workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/relationships"><sheets>{listed}</sheets></workbook>"#
            ),
        );
        put(
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"<?xml version="1.0"?><Relationships xmlns="{ns}/package/2006/relationships">{rels}</Relationships>"#
            ),
        );
        for (i, (_, rows)) in sheets.iter().enumerate() {
            let body: String = rows
                .iter()
                .enumerate()
                .map(|(r, cells)| format!(r#"<row r="{}">{cells}</row>"#, r + 1))
                .collect();
            put(
                &format!("xl/worksheets/sheet{}.xml", i + 1),
                format!(
                    r#"<?xml version="1.0"?><worksheet xmlns="{ns}/spreadsheetml/2006/main"><sheetData>{body}</sheetData></worksheet>"#
                ),
            );
        }
        z.finish().unwrap();
        out.into_inner()
    }

    /// One row of inline text cells from column A.
    pub(crate) fn text_row(row: u32, cells: &[&str]) -> String {
        cells
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.is_empty())
            .map(|(c, t)| {
                let col = (b'A' + c as u8) as char;
                format!(r#"<c r="{col}{row}" t="inlineStr"><is><t>{t}</t></is></c>"#)
            })
            .collect()
    }

    #[test]
    fn reads_the_cells_of_every_sheet() {
        let book = workbook(&[
            (
                "One",
                vec![
                    text_row(1, &["a", "b"]),
                    r#"<c r="B2"><v>2.5</v></c>"#.into(),
                ],
            ),
            ("Two", vec![text_row(1, &["x"])]),
        ]);
        let sheets = read(&book).unwrap();
        assert_eq!(sheets.len(), 2);
        assert_eq!(sheets[0].name, "One");
        assert_eq!(sheets[0].rows[1].number, 2);
        assert_eq!(sheets[0].rows[1].get(0), &Cell::Empty);
        assert_eq!(sheets[0].rows[1].get(1), &Cell::Number(2.5));
        assert_eq!(sheets[1].rows[0].get(0).text(), Some("x"));
    }

    #[test]
    fn a_far_away_cell_costs_one_cell_and_far_columns_are_dropped() {
        let book = workbook(&[(
            "Far",
            vec![
                text_row(1, &["a"]),
                r#"<c r="A1048576"><v>1</v></c><c r="XFD1048576"><v>2</v></c>"#.into(),
            ],
        )]);
        let sheets = read(&book).unwrap();
        let last = sheets[0].rows.last().unwrap();
        assert_eq!(last.number, 1_048_576);
        assert_eq!(last.cells, vec![Cell::Number(1.0)]);
    }

    #[test]
    fn an_inflating_part_is_refused_before_it_is_loaded() {
        // A sheet of ~300 MB of spaces: a few hundred KB zipped.
        let mut out = Cursor::new(Vec::new());
        let mut z = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        z.start_file("xl/sharedStrings.xml", opts).unwrap();
        let chunk = vec![b' '; 1024 * 1024];
        for _ in 0..(MAX_PART_BYTES / (1024 * 1024) + 1) {
            z.write_all(&chunk).unwrap();
        }
        z.finish().unwrap();
        let data = out.into_inner();
        assert!(data.len() < 2 * 1024 * 1024, "zipped {} bytes", data.len());
        let e = read(&data).unwrap_err();
        assert!(e.message.contains("over 256 MB unpacked"), "{e}");
    }

    #[test]
    fn a_csv_file_is_one_sheet_of_text() {
        let sheets = read("\u{feff}Date;Weight (kg)\n2026-11-01;80,5\n;\n".as_bytes()).unwrap();
        assert_eq!(sheets.len(), 1);
        assert_eq!(sheets[0].name, CSV_SHEET);
        let rows = &sheets[0].rows;
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[1].number, 2);
        assert_eq!(rows[1].get(1), &Cell::Text("80,5".into()));
    }

    #[test]
    fn other_files_are_refused_with_what_to_upload() {
        let e = read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 an old .xls").unwrap_err();
        assert!(e.message.contains("neither a zip archive"), "{e}");
        assert!(e.message.contains("Data Export"), "{e}");
        let e = read(b"PK\x03\x04 broken").unwrap_err();
        assert!(e.message.contains("not a readable Excel workbook"), "{e}");
    }
}
