//! Hostile files for importer tests: values a careless export or an attacker could put in a
//! field, and mutations of a fixture's lines or bytes, from a seeded generator so that a
//! failure can be replayed.

use rand::rngs::StdRng;
use rand::Rng;

/// Field values that have broken importers somewhere: NUL, huge, negative and non-finite
/// numbers, impossible dates and times, other scripts' digits, quotes, markup.
pub const HOSTILE: &[&str] = &[
    "",
    " ",
    "\u{0}",
    "-1",
    "-0",
    "0",
    "1e308",
    "-1e308",
    "1e-400",
    "NaN",
    "inf",
    "-Infinity",
    "99999999999999999999999999999999",
    "0.000000000000000000000000000001",
    "1,5",
    "1.234.567,89",
    "½",
    "٣٤",
    "١٢/٣٤/٢٠٢٤",
    "9999-12-31",
    "0000-00-00",
    "2024-02-30",
    "1900-01-01",
    "2200-01-02",
    "31/12/9999",
    "12/31/1899",
    "2024-06-01 24:61:99",
    "2024-06-01T12:00:00+99:00",
    "2024-06-01 12:00:00 -2400",
    "25:99",
    "-5:30",
    "99999:59:59",
    "\"",
    "\"\"\"",
    ",,,,",
    "\r",
    "\n\n",
    "Breakfast\u{0}",
    "🍌🍌🍌",
    "kg",
    "lbs",
    "-999999 lb",
    "1e9 kg",
    "<x/>",
    "&amp;&#0;",
];

/// A CSV file with a few of its lines made hostile: cleared, repeated, swapped, cut, grown by
/// a field, replaced by one very long word, or one field replaced by a [`HOSTILE`] value.
pub fn mutate_csv(text: &str, rng: &mut StdRng) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return String::new();
    }
    for _ in 0..rng.random_range(1..4) {
        let i = rng.random_range(0..lines.len());
        match rng.random_range(0..10) {
            0 => lines[i].clear(),
            1 => {
                let copy = lines[i].clone();
                lines.insert(i, copy);
            }
            2 => {
                let j = rng.random_range(0..lines.len());
                lines.swap(i, j);
            }
            3 => {
                let cut = rng.random_range(0..=lines[i].len());
                let cut = (0..=cut)
                    .rev()
                    .find(|c| lines[i].is_char_boundary(*c))
                    .unwrap();
                lines[i].truncate(cut);
            }
            4 => {
                let v = HOSTILE[rng.random_range(0..HOSTILE.len())];
                lines[i].push_str(&format!(",{v}"));
            }
            5 => lines[i] = "x".repeat(rng.random_range(1..70_000)),
            _ => {
                // One field replaced (a quoted field with commas counts as several: fine).
                let mut fields: Vec<String> = lines[i].split(',').map(str::to_string).collect();
                let f = rng.random_range(0..fields.len());
                let v = HOSTILE[rng.random_range(0..HOSTILE.len())];
                fields[f] = if rng.random_bool(0.5) {
                    v.to_string()
                } else {
                    format!("\"{}\"", v.replace('"', "\"\""))
                };
                lines[i] = fields.join(",");
            }
        }
    }
    lines.join(if rng.random_bool(0.2) { "\r\n" } else { "\n" })
}

/// Bytes flipped, cut or repeated anywhere (for the XML and the zip of a workbook).
pub fn mutate_bytes(data: &[u8], rng: &mut StdRng) -> Vec<u8> {
    let mut out = data.to_vec();
    for _ in 0..rng.random_range(1..6) {
        if out.is_empty() {
            break;
        }
        let i = rng.random_range(0..out.len());
        match rng.random_range(0..4) {
            0 => out[i] = rng.random(),
            1 => out.truncate(i),
            2 => {
                let end = (i + rng.random_range(1..200)).min(out.len());
                let piece = out[i..end].to_vec();
                out.splice(i..i, piece);
            }
            _ => {
                let v = HOSTILE[rng.random_range(0..HOSTILE.len())].as_bytes();
                out.splice(i..i, v.iter().copied());
            }
        }
    }
    out
}
