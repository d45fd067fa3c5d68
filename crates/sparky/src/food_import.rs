//! `sparky foods import`: loads a public food database download into the shared catalog
//! (`food_items.user_id IS NULL`), so a household can search a full food database offline.
//!
//! - **OpenFoodFacts**: the CSV export (TAB-separated, header row) or the JSONL export (one
//!   product per line), optionally gzip-compressed. Values are per 100 g (or 100 ml) in grams.
//! - **USDA FoodData Central**: the unzipped CSV download directory (`food.csv`,
//!   `food_nutrient.csv`, `nutrient.csv`, optionally `branded_food.csv`).
//!
//! Files are streamed: a reader thread parses them and hands batches of foods to the database
//! side, which loads each batch with COPY into temporary staging tables and inserts it in one
//! transaction with `ON CONFLICT DO NOTHING` on the catalog identity (source, source_id). An
//! interrupted import keeps its finished batches, and running it again skips what is already
//! there: the import is idempotent and therefore resumable.
//!
//! What a catalog food is, and how names, barcodes and values from outside are cleaned, is the
//! application layer's ([`sparky_app::catalog`]), shared with the provider endpoints, so a
//! product looks the same however it arrived. The writing stays here: a request puts one food
//! into the catalog through `import_catalog_food` as a signed-in user, while this command runs
//! as the database owner (often with the server stopped, with no user at all) and loads
//! millions of foods with COPY into staging tables and one INSERT … SELECT per batch, which is
//! orders of magnitude faster than a function call and a lock per food.
//!
//! Memory: OpenFoodFacts needs only the current batch. FoodData Central's `food_nutrient.csv`
//! is not sorted by food, so the nutrient amounts that Sparky stores (about 20 per food, as
//! fixed-point integers, ~200 bytes a food) are gathered in a map first, and the brand, barcode
//! and serving weight of branded foods likewise: roughly 400 MB for the full download with
//! about two million branded foods, a few MB for the Foundation or SR Legacy downloads.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read, Seek};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use anyhow::{bail, Context};
use bytes::Bytes;
use futures::SinkExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use sparky_app::catalog::{
    clean_text, normalised_barcode, storable, CatalogFood, CatalogServing, MAX_TEXT,
};
use sparky_core::nutrition::{kj_to_kcal, Nutrients, STORE_DP};
use tokio::sync::mpsc;
use tokio_postgres::Client;

use crate::cli::FoodFormat;

/// Nutrients in the units of `nutrition_data` (kcal; g; sodium and minerals mg; vitamin A µg),
/// in [`Nutrients::NAMES`] order.
pub(crate) type Values = [Option<Decimal>; 15];

pub(crate) fn nutrients_of(values: &Values) -> Nutrients {
    let mut n = Nutrients::default();
    for (name, v) in Nutrients::NAMES.iter().zip(values) {
        n.set(name, *v);
    }
    n
}

pub const OPENFOODFACTS: &str = "openfoodfacts";
pub const USDA: &str = "usda";

/// One food as an export describes it.
#[derive(Debug, Clone)]
struct Food {
    name: String,
    brand: Option<String>,
    barcode: Option<String>,
    source_id: String,
    /// The default serving: 100 g, or 100 ml when the values are per 100 ml.
    per_100: Values,
    per_100_ml: bool,
    /// Weight of one serving in grams (or its volume in ml when `per_100_ml`), if known.
    serving_quantity: Option<Decimal>,
}

/// What the reader thread hands over: foods to insert, and how many records it skipped as
/// unusable since the previous batch.
#[derive(Debug, Default)]
struct Batch {
    foods: Vec<CatalogFood>,
    unusable: u64,
}

/// The result of an import, for the summary line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub imported: u64,
    pub already_present: u64,
    pub unusable: u64,
}

impl Summary {
    pub fn line(&self, seconds: f64) -> String {
        format!(
            "imported {} foods, skipped {} (already present {}, unusable {}) in {:.1} s",
            self.imported,
            self.already_present + self.unusable,
            self.already_present,
            self.unusable,
            seconds
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Opening and checking the input (before the database is touched)
// ---------------------------------------------------------------------------------------------

/// A checked input: the files exist and have the columns the format needs.
#[derive(Debug)]
pub enum Source {
    OffCsv { path: PathBuf, delimiter: u8 },
    OffJsonl { path: PathBuf },
    Usda(UsdaFiles),
}

#[derive(Debug)]
pub struct UsdaFiles {
    food: PathBuf,
    food_nutrient: PathBuf,
    nutrient: PathBuf,
    branded_food: Option<PathBuf>,
}

impl Source {
    fn source_name(&self) -> &'static str {
        match self {
            Source::Usda(_) => USDA,
            _ => OPENFOODFACTS,
        }
    }
}

/// Checks the input and picks the reader. Nothing touches the database.
pub fn open(format: FoodFormat, path: &Path) -> anyhow::Result<Source> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    match format {
        FoodFormat::UsdaSr24 => bail!("the usda-sr24 format is loaded by the starter catalog"),
        FoodFormat::Openfoodfacts => {
            if meta.is_dir() {
                bail!(
                    "{} is a directory; the OpenFoodFacts import reads one CSV or JSONL file",
                    path.display()
                );
            }
            let source = if off_is_jsonl(path)? {
                Source::OffJsonl {
                    path: path.to_path_buf(),
                }
            } else {
                let first = first_line(path)?;
                let delimiter = if first.contains('\t') { b'\t' } else { b',' };
                Source::OffCsv {
                    path: path.to_path_buf(),
                    delimiter,
                }
            };
            check_off_header(&source)?;
            Ok(source)
        }
        FoodFormat::UsdaFdc => {
            if !meta.is_dir() {
                bail!(
                    "{} is not a directory; pass the unzipped FoodData Central CSV download \
                     (the directory with food.csv, food_nutrient.csv and nutrient.csv)",
                    path.display()
                );
            }
            let need = |name: &str| -> anyhow::Result<PathBuf> {
                let p = path.join(name);
                if !p.is_file() {
                    bail!(
                        "{} has no {name}: not a FoodData Central CSV download",
                        path.display()
                    );
                }
                Ok(p)
            };
            let files = UsdaFiles {
                food: need("food.csv")?,
                food_nutrient: need("food_nutrient.csv")?,
                nutrient: need("nutrient.csv")?,
                branded_food: Some(path.join("branded_food.csv")).filter(|p| p.is_file()),
            };
            csv_columns(&files.food, b',', &["fdc_id", "data_type", "description"])?;
            csv_columns(
                &files.food_nutrient,
                b',',
                &["fdc_id", "nutrient_id", "amount"],
            )?;
            csv_columns(&files.nutrient, b',', &["id", "nutrient_nbr"])?;
            if let Some(b) = &files.branded_food {
                csv_columns(b, b',', &["fdc_id", "brand_owner", "gtin_upc"])?;
            }
            Ok(Source::Usda(files))
        }
    }
}

/// A file, transparently gunzipped when it starts with the gzip magic bytes. `progress`
/// advances by the bytes read from disk.
pub(crate) fn reader(
    path: &Path,
    progress: Option<&ProgressBar>,
) -> anyhow::Result<Box<dyn Read + Send>> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut magic = [0u8; 2];
    let n = file.read(&mut magic)?;
    file.rewind()?;
    let counted: Box<dyn Read + Send> = match progress {
        Some(bar) => Box::new(ProgressRead {
            inner: file,
            bar: bar.clone(),
        }),
        None => Box::new(file),
    };
    if n == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(
            BufReader::with_capacity(1 << 16, counted),
        )))
    } else {
        Ok(counted)
    }
}

struct ProgressRead<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for ProgressRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

fn first_line(path: &Path) -> anyhow::Result<String> {
    let mut r = BufReader::new(reader(path, None)?);
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// JSONL by extension (`.jsonl`, `.json`, `.ndjson`, also under `.gz`), CSV by `.csv`/`.tsv`,
/// else by the first non-blank byte.
fn off_is_jsonl(path: &Path) -> anyhow::Result<bool> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if [".jsonl", ".json", ".ndjson"]
        .iter()
        .any(|e| name.ends_with(e))
    {
        return Ok(true);
    }
    if [".csv", ".tsv"].iter().any(|e| name.ends_with(e)) {
        return Ok(false);
    }
    let first = first_line(path)?;
    Ok(first.trim_start().starts_with('{'))
}

fn csv_reader(
    path: &Path,
    delimiter: u8,
    progress: Option<&ProgressBar>,
) -> anyhow::Result<csv::Reader<Box<dyn Read + Send>>> {
    let mut b = csv::ReaderBuilder::new();
    b.delimiter(delimiter).flexible(true).has_headers(true);
    // The OpenFoodFacts TSV is not quoted: a '"' in a product name is just a character.
    if delimiter == b'\t' {
        b.quoting(false);
    }
    Ok(b.from_reader(reader(path, progress)?))
}

/// Column positions by name; an error naming the missing ones.
pub(crate) fn header_index(
    path: &Path,
    headers: &csv::ByteRecord,
    required: &[&str],
) -> anyhow::Result<HashMap<String, usize>> {
    let index: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = String::from_utf8_lossy(h);
            (h.trim().trim_start_matches('\u{feff}').to_string(), i)
        })
        .collect();
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|c| !index.contains_key(*c))
        .collect();
    if !missing.is_empty() {
        bail!(
            "{} lacks the column(s) {}: wrong file or wrong --format",
            path.display(),
            missing.join(", ")
        );
    }
    Ok(index)
}

fn csv_columns(path: &Path, delimiter: u8, required: &[&str]) -> anyhow::Result<()> {
    let mut r = csv_reader(path, delimiter, None)?;
    let headers = r
        .byte_headers()
        .with_context(|| format!("cannot read the header row of {}", path.display()))?
        .clone();
    header_index(path, &headers, required).map(|_| ())
}

/// Energy and protein/fat/carbohydrate keys: a file with none of these is not an OFF export.
const OFF_CORE_KEYS: [&str; 6] = [
    "energy-kcal_100g",
    "energy-kj_100g",
    "energy_100g",
    "proteins_100g",
    "carbohydrates_100g",
    "fat_100g",
];

fn check_off_header(source: &Source) -> anyhow::Result<()> {
    match source {
        Source::OffCsv { path, delimiter } => {
            let mut r = csv_reader(path, *delimiter, None)?;
            let headers = r
                .byte_headers()
                .with_context(|| format!("cannot read the header row of {}", path.display()))?
                .clone();
            let index = header_index(path, &headers, &["code", "product_name"])?;
            if !OFF_CORE_KEYS.iter().any(|k| index.contains_key(*k)) {
                bail!(
                    "{} has no nutrient columns (energy-kcal_100g, proteins_100g, …): \
                     not an OpenFoodFacts export",
                    path.display()
                );
            }
            Ok(())
        }
        Source::OffJsonl { path } => {
            let mut r = BufReader::new(reader(path, None)?);
            let mut line = Vec::new();
            loop {
                line.clear();
                if r.read_until(b'\n', &mut line)? == 0 {
                    return Ok(()); // empty file: nothing to import
                }
                if !line.iter().all(u8::is_ascii_whitespace) {
                    break;
                }
            }
            let v: serde_json::Value = serde_json::from_slice(&line).with_context(|| {
                format!(
                    "{}: the first line is not JSON: not an OpenFoodFacts JSONL export",
                    path.display()
                )
            })?;
            if !v.is_object() || v.get("code").is_none() {
                bail!(
                    "{}: the first line is not a product object with a \"code\": \
                     not an OpenFoodFacts JSONL export",
                    path.display()
                );
            }
            Ok(())
        }
        Source::Usda(_) => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/// A number as the exports write it ("12.5", "1e-05", " 3 "); `None` when empty or garbage.
pub(crate) fn parse_decimal(s: &str) -> Option<Decimal> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    Decimal::from_str(s)
        .ok()
        .or_else(|| Decimal::from_scientific(s).ok())
        .or_else(|| {
            // Beyond Decimal's range or otherwise odd: go through f64, rejecting non-finite.
            s.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .and_then(Decimal::from_f64_retain)
        })
}

pub(crate) fn scaled(v: Option<Decimal>, factor: Decimal) -> Option<Decimal> {
    v.and_then(|v| v.checked_mul(factor)).and_then(storable)
}

// ---------------------------------------------------------------------------------------------
// OpenFoodFacts
// ---------------------------------------------------------------------------------------------

/// Per-100 g values from the `*_100g` fields, converted to Sparky's units.
fn off_values(get: impl Fn(&str) -> Option<Decimal>) -> Values {
    let thousand = Decimal::from(1000);
    let g = |k: &str| get(k).and_then(storable);
    let mg = |k: &str| scaled(get(k), thousand);
    let calories = get("energy-kcal_100g")
        .or_else(|| get("energy-kj_100g").map(kj_to_kcal))
        .or_else(|| get("energy_100g").map(kj_to_kcal))
        .and_then(storable);
    // Sodium from salt: salt = sodium × 2.5.
    let sodium = mg("sodium_100g").or_else(|| scaled(get("salt_100g"), Decimal::from(400)));
    [
        calories,
        g("proteins_100g"),
        g("carbohydrates_100g"),
        g("fat_100g"),
        g("fiber_100g"),
        g("sugars_100g"),
        sodium,
        g("saturated-fat_100g"),
        g("trans-fat_100g"),
        mg("cholesterol_100g"),
        mg("potassium_100g"),
        mg("calcium_100g"),
        mg("iron_100g"),
        scaled(get("vitamin-a_100g"), Decimal::from(1_000_000)),
        mg("vitamin-c_100g"),
    ]
}

/// One OpenFoodFacts product from its fields; `None` when unusable (no code, no name, or no
/// nutrient at all).
fn off_food(
    text: impl Fn(&str) -> Option<String>,
    number: impl Fn(&str) -> Option<Decimal>,
) -> Option<Food> {
    let code = text("code").and_then(|c| clean_text(&c, MAX_TEXT))?;
    let name = ["product_name", "product_name_en", "generic_name"]
        .iter()
        .find_map(|k| text(k).and_then(|n| clean_text(&n, MAX_TEXT)))?;
    let per_100 = off_values(&number);
    if per_100.iter().all(Option::is_none) {
        return None;
    }
    let brand = text("brands").and_then(|b| b.split(',').find_map(|b| clean_text(b, MAX_TEXT)));
    let per_100_ml =
        text("nutrition_data_per").is_some_and(|s| s.trim().eq_ignore_ascii_case("100ml"));
    let basis_unit = if per_100_ml { "ml" } else { "g" };
    // serving_quantity is in grams unless serving_quantity_unit says otherwise.
    let serving_unit = text("serving_quantity_unit")
        .map(|u| u.trim().to_lowercase())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "g".to_string());
    let serving_quantity = number("serving_quantity")
        .and_then(storable)
        .filter(|q| *q > Decimal::ZERO && serving_unit == basis_unit);
    Some(Food {
        barcode: normalised_barcode(&code),
        source_id: code,
        name,
        brand,
        per_100,
        per_100_ml,
        serving_quantity,
    })
}

fn off_csv(
    path: &Path,
    delimiter: u8,
    bar: &ProgressBar,
    emit: &mut dyn FnMut(Option<Food>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    bar.set_length(std::fs::metadata(path)?.len());
    bar.set_message("importing");
    let mut r = csv_reader(path, delimiter, Some(bar))?;
    let headers = r.byte_headers()?.clone();
    let index = header_index(path, &headers, &["code", "product_name"])?;
    let mut record = csv::ByteRecord::new();
    loop {
        let more = r
            .read_byte_record(&mut record)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if !more {
            return Ok(());
        }
        let field = |k: &str| -> Option<&[u8]> { index.get(k).and_then(|i| record.get(*i)) };
        let food = off_food(
            |k| field(k).map(|b| String::from_utf8_lossy(b).into_owned()),
            |k| {
                field(k)
                    .and_then(|b| std::str::from_utf8(b).ok())
                    .and_then(parse_decimal)
            },
        );
        emit(food)?;
    }
}

fn json_text(v: Option<&serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn off_jsonl(
    path: &Path,
    bar: &ProgressBar,
    emit: &mut dyn FnMut(Option<Food>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    bar.set_length(std::fs::metadata(path)?.len());
    bar.set_message("importing");
    let mut r = BufReader::with_capacity(1 << 16, reader(path, Some(bar))?);
    let mut line = Vec::new();
    let mut line_no = 0u64;
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)
            .with_context(|| format!("cannot read {}", path.display()))?
            == 0
        {
            return Ok(());
        }
        line_no += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let p: serde_json::Value = serde_json::from_slice(&line)
            .with_context(|| format!("{} line {line_no}: not valid JSON", path.display()))?;
        let nutriments = p.get("nutriments");
        let food = off_food(
            |k| json_text(p.get(k)),
            |k| {
                json_text(nutriments.and_then(|n| n.get(k)).or_else(|| p.get(k)))
                    .and_then(|s| parse_decimal(&s))
            },
        );
        emit(food)?;
    }
}

// ---------------------------------------------------------------------------------------------
// USDA FoodData Central
// ---------------------------------------------------------------------------------------------

/// Source nutrients, by nutrient number, in slot order; several feed one Sparky nutrient with
/// a fallback (e.g. Foundation foods give energy as "Atwater" 957/958 rather than 208).
const USDA_NUMBERS: [&str; 21] = [
    "208",   // 0 energy kcal
    "958",   // 1 energy, Atwater specific factors (kcal)
    "957",   // 2 energy, Atwater general factors (kcal)
    "268",   // 3 energy kJ
    "203",   // 4 protein
    "205",   // 5 carbohydrate, by difference
    "205.2", // 6 carbohydrate, by summation
    "204",   // 7 total lipid (fat)
    "298",   // 8 total fat (NLEA)
    "291",   // 9 fiber, total dietary
    "269",   // 10 sugars, total including NLEA
    "269.3", // 11 sugars, total
    "307",   // 12 sodium mg
    "606",   // 13 fatty acids, total saturated
    "605",   // 14 fatty acids, total trans
    "601",   // 15 cholesterol mg
    "306",   // 16 potassium mg
    "301",   // 17 calcium mg
    "303",   // 18 iron mg
    "320",   // 19 vitamin A, RAE µg
    "401",   // 20 vitamin C mg
];

/// Amounts of one food as fixed-point integers (4 places), `MISSING` when absent: a third of
/// the memory of `Option<Decimal>`, and exact at the precision that is stored.
type Slots = [i64; USDA_NUMBERS.len()];
const MISSING: i64 = i64::MIN;

fn to_fixed(v: Decimal) -> Option<i64> {
    storable(v)?.checked_mul(Decimal::from(10_000))?.to_i64()
}

fn from_fixed(v: i64) -> Option<Decimal> {
    (v != MISSING).then(|| Decimal::new(v, STORE_DP).normalize())
}

fn usda_values(s: &Slots) -> Values {
    let at = |i: usize| from_fixed(s[i]);
    let calories = at(0)
        .or_else(|| at(1))
        .or_else(|| at(2))
        .or_else(|| at(3).map(kj_to_kcal).and_then(storable));
    [
        calories,
        at(4),
        at(5).or_else(|| at(6)),
        at(7).or_else(|| at(8)),
        at(9),
        at(10).or_else(|| at(11)),
        at(12),
        at(13),
        at(14),
        at(15),
        at(16),
        at(17),
        at(18),
        at(19),
        at(20),
    ]
}

struct Branded {
    brand: Option<Box<str>>,
    barcode: Option<Box<str>>,
    serving_g: Option<i64>,
}

/// Data types that are foods people eat; the lab sample records of the full download
/// (sample_food, sub_sample_food, market_acquisition, …) are skipped as unusable.
const USDA_FOOD_TYPES: [&str; 5] = [
    "foundation_food",
    "sr_legacy_food",
    "survey_fndds_food",
    "branded_food",
    "experimental_food",
];

fn usda(
    files: &UsdaFiles,
    bar: &ProgressBar,
    emit: &mut dyn FnMut(Option<Food>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    // 1. nutrient.csv (small): nutrient id → slot.
    let mut slot_of: HashMap<i64, usize> = HashMap::new();
    {
        let mut r = csv_reader(&files.nutrient, b',', None)?;
        let headers = r.byte_headers()?.clone();
        let ix = header_index(&files.nutrient, &headers, &["id", "nutrient_nbr"])?;
        for rec in r.records() {
            let rec = rec.with_context(|| format!("cannot read {}", files.nutrient.display()))?;
            let (Some(id), Some(nbr)) = (
                rec.get(ix["id"]).and_then(|s| s.trim().parse::<i64>().ok()),
                rec.get(ix["nutrient_nbr"]).and_then(parse_decimal),
            ) else {
                continue;
            };
            let nbr = nbr.normalize().to_string();
            if let Some(slot) = USDA_NUMBERS.iter().position(|n| *n == nbr) {
                slot_of.insert(id, slot);
            }
        }
    }
    if slot_of.is_empty() {
        bail!(
            "{} lists none of the nutrients Sparky stores (energy 208, protein 203, …)",
            files.nutrient.display()
        );
    }

    // 2. food_nutrient.csv (large, unsorted): fdc_id → amounts of the nutrients we store.
    bar.set_length(std::fs::metadata(&files.food_nutrient)?.len());
    bar.set_message("reading food_nutrient.csv");
    let mut amounts: HashMap<i64, Slots> = HashMap::new();
    {
        let mut r = csv_reader(&files.food_nutrient, b',', Some(bar))?;
        let headers = r.byte_headers()?.clone();
        let ix = header_index(
            &files.food_nutrient,
            &headers,
            &["fdc_id", "nutrient_id", "amount"],
        )?;
        let (i_food, i_nutrient, i_amount) = (ix["fdc_id"], ix["nutrient_id"], ix["amount"]);
        let mut rec = csv::ByteRecord::new();
        while r
            .read_byte_record(&mut rec)
            .with_context(|| format!("cannot read {}", files.food_nutrient.display()))?
        {
            let int = |i: usize| {
                rec.get(i)
                    .and_then(|b| std::str::from_utf8(b).ok())
                    .and_then(|s| s.trim().parse::<i64>().ok())
            };
            let Some(slot) = int(i_nutrient).and_then(|n| slot_of.get(&n).copied()) else {
                continue;
            };
            let Some(fdc_id) = int(i_food) else { continue };
            let Some(amount) = rec
                .get(i_amount)
                .and_then(|b| std::str::from_utf8(b).ok())
                .and_then(parse_decimal)
                .and_then(to_fixed)
            else {
                continue;
            };
            amounts
                .entry(fdc_id)
                .or_insert([MISSING; USDA_NUMBERS.len()])[slot] = amount;
        }
    }

    // 3. branded_food.csv (optional): brand, barcode, serving weight.
    let mut branded: HashMap<i64, Branded> = HashMap::new();
    if let Some(path) = &files.branded_food {
        bar.reset();
        bar.set_length(std::fs::metadata(path)?.len());
        bar.set_message("reading branded_food.csv");
        let mut r = csv_reader(path, b',', Some(bar))?;
        let headers = r.byte_headers()?.clone();
        let ix = header_index(path, &headers, &["fdc_id", "brand_owner", "gtin_upc"])?;
        let col = |k: &str| ix.get(k).copied();
        let (i_id, i_brand, i_gtin) = (ix["fdc_id"], ix["brand_owner"], ix["gtin_upc"]);
        let (i_size, i_unit) = (col("serving_size"), col("serving_size_unit"));
        let mut rec = csv::StringRecord::new();
        while r
            .read_record(&mut rec)
            .with_context(|| format!("cannot read {}", path.display()))?
        {
            let Some(fdc_id) = rec.get(i_id).and_then(|s| s.trim().parse::<i64>().ok()) else {
                continue;
            };
            let unit_is_grams = i_unit
                .and_then(|i| rec.get(i))
                .map(|u| u.trim().to_lowercase())
                .is_some_and(|u| matches!(u.as_str(), "g" | "grm" | "gm" | "gram" | "grams"));
            let serving_g = i_size
                .filter(|_| unit_is_grams)
                .and_then(|i| rec.get(i))
                .and_then(parse_decimal)
                .filter(|d| *d > Decimal::ZERO)
                .and_then(to_fixed)
                .filter(|v| *v > 0);
            branded.insert(
                fdc_id,
                Branded {
                    brand: rec
                        .get(i_brand)
                        .and_then(|b| clean_text(b, MAX_TEXT))
                        .map(String::into_boxed_str),
                    barcode: rec
                        .get(i_gtin)
                        .and_then(normalised_barcode)
                        .map(String::into_boxed_str),
                    serving_g,
                },
            );
        }
    }

    // 4. food.csv: stream the foods.
    bar.reset();
    bar.set_length(std::fs::metadata(&files.food)?.len());
    bar.set_message("importing");
    let mut r = csv_reader(&files.food, b',', Some(bar))?;
    let headers = r.byte_headers()?.clone();
    let ix = header_index(
        &files.food,
        &headers,
        &["fdc_id", "data_type", "description"],
    )?;
    let (i_id, i_type, i_desc) = (ix["fdc_id"], ix["data_type"], ix["description"]);
    let mut rec = csv::StringRecord::new();
    while r
        .read_record(&mut rec)
        .with_context(|| format!("cannot read {}", files.food.display()))?
    {
        let food = (|| {
            let fdc_id = rec.get(i_id)?.trim().parse::<i64>().ok()?;
            let data_type = rec.get(i_type)?.trim();
            if !USDA_FOOD_TYPES.contains(&data_type) {
                return None;
            }
            let name = clean_text(rec.get(i_desc)?, MAX_TEXT)?;
            // Each food is looked up once: free its amounts as we go.
            let per_100 = usda_values(&amounts.remove(&fdc_id)?);
            if per_100.iter().all(Option::is_none) {
                return None;
            }
            let b = branded.remove(&fdc_id);
            Some(Food {
                name,
                brand: b
                    .as_ref()
                    .and_then(|b| b.brand.as_deref().map(str::to_string)),
                barcode: b
                    .as_ref()
                    .and_then(|b| b.barcode.as_deref().map(str::to_string)),
                source_id: fdc_id.to_string(),
                per_100,
                per_100_ml: false,
                serving_quantity: b.and_then(|b| b.serving_g).and_then(from_fixed),
            })
        })();
        emit(food)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The import: a reader thread producing batches, the database side inserting them
// ---------------------------------------------------------------------------------------------

fn progress_bar() -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(0), target);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{wide_bar}] {binary_bytes}/{binary_total_bytes} {prefix} ETA {eta}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar
}

/// Checks that the nutrition migration is applied.
pub async fn check_schema(client: &Client) -> anyhow::Result<()> {
    let ready: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns
                            WHERE table_schema = 'public' AND table_name = 'nutrition_data'
                              AND column_name = 'is_default')
                AND to_regclass('public.idx_food_items_catalog_source') IS NOT NULL",
            &[],
        )
        .await?
        .get(0);
    if !ready {
        bail!(
            "the database schema is not up to date: run `sparky migrate up` (or start the server once) first"
        );
    }
    Ok(())
}

/// Runs the import; finished batches stay committed when it fails part way.
pub async fn run(
    client: &mut Client,
    source: Source,
    batch_size: usize,
) -> anyhow::Result<(Summary, f64)> {
    let started = Instant::now();
    let source_name = source.source_name();
    let bar = progress_bar();
    let (tx, mut rx) = mpsc::channel::<anyhow::Result<Batch>>(2);
    let reader_bar = bar.clone();
    let reader = tokio::task::spawn_blocking(move || {
        let mut batch = Batch::default();
        let mut emit = |food: Option<Food>| -> anyhow::Result<()> {
            match food.and_then(|f| catalog_food(source_name, f)) {
                Some(f) => batch.foods.push(f),
                None => batch.unusable += 1,
            }
            if batch.foods.len() >= batch_size {
                let full = std::mem::take(&mut batch);
                tx.blocking_send(Ok(full))
                    .map_err(|_| anyhow::anyhow!("the import stopped"))?;
            }
            Ok(())
        };
        let result = match &source {
            Source::OffCsv { path, delimiter } => off_csv(path, *delimiter, &reader_bar, &mut emit),
            Source::OffJsonl { path } => off_jsonl(path, &reader_bar, &mut emit),
            Source::Usda(files) => usda(files, &reader_bar, &mut emit),
        };
        // The last, partial batch only when everything was read: a read error writes nothing
        // of the batch it happened in.
        let last = result.map(|()| std::mem::take(&mut batch));
        let _ = tx.blocking_send(last);
    });

    let writer = Writer::prepare(client).await?;
    let mut summary = Summary::default();
    let mut seen: HashSet<String> = HashSet::new();
    let outcome: anyhow::Result<()> = async {
        while let Some(batch) = rx.recv().await {
            let mut batch = batch?;
            // A product listed twice in one batch: keep the first (ON CONFLICT handles
            // duplicates across batches).
            seen.clear();
            let before = batch.foods.len();
            batch.foods.retain(|f| seen.insert(f.source_id.clone()));
            let duplicates = (before - batch.foods.len()) as u64;
            let inserted = writer.write(client, source_name, &batch.foods).await?;
            summary.imported += inserted;
            summary.already_present += batch.foods.len() as u64 - inserted + duplicates;
            summary.unusable += batch.unusable;
            bar.set_prefix(format!("({} new)", summary.imported));
        }
        Ok(())
    }
    .await;
    drop(rx);
    let _ = reader.await;
    bar.finish_and_clear();
    outcome?;
    Ok((summary, started.elapsed().as_secs_f64()))
}

struct Writer {
    /// The owner role is subject to FORCEd row level security (not a superuser and without
    /// BYPASSRLS): lift FORCE inside each batch transaction, as the migrations do.
    lift_force: bool,
}

impl Writer {
    async fn prepare(client: &Client) -> anyhow::Result<Writer> {
        let bypass: bool = client
            .query_one(
                "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
                &[],
            )
            .await?
            .get(0);
        let nutrient_cols: String = Nutrients::NAMES.map(|n| format!(", {n} numeric")).concat();
        client
            .batch_execute(&format!(
                "CREATE TEMP TABLE IF NOT EXISTS import_food_stage (
                     seq int4 NOT NULL, name text NOT NULL, brand text, barcode text,
                     source_id text NOT NULL
                 ) ON COMMIT DELETE ROWS;
                 CREATE TEMP TABLE IF NOT EXISTS import_serving_stage (
                     seq int4 NOT NULL, serving_size numeric NOT NULL, serving_unit text NOT NULL,
                     serving_weight_g numeric, is_default boolean NOT NULL{nutrient_cols}
                 ) ON COMMIT DELETE ROWS;"
            ))
            .await
            .context("cannot create the staging tables")?;
        Ok(Writer {
            lift_force: !bypass,
        })
    }

    /// Inserts one batch in one transaction; returns how many foods were new.
    async fn write(
        &self,
        client: &mut Client,
        source: &str,
        foods: &[CatalogFood],
    ) -> anyhow::Result<u64> {
        if foods.is_empty() {
            return Ok(0);
        }
        let (food_copy, serving_copy) = copy_data(foods);
        let tx = client.transaction().await?;
        if self.lift_force {
            tx.batch_execute(
                "ALTER TABLE food_items NO FORCE ROW LEVEL SECURITY;
                 ALTER TABLE nutrition_data NO FORCE ROW LEVEL SECURITY;",
            )
            .await
            .context("cannot lift FORCE ROW LEVEL SECURITY (the owner role must own food_items)")?;
        }
        copy_in(&tx, "COPY import_food_stage FROM STDIN", food_copy).await?;
        copy_in(&tx, "COPY import_serving_stage FROM STDIN", serving_copy).await?;
        let cols = Nutrients::NAMES.join(", ");
        let s_cols = Nutrients::NAMES.map(|n| format!("s.{n}")).join(", ");
        let row = tx
            .query_one(
                &format!(
                    "WITH ins AS (
                         INSERT INTO food_items (name, brand, barcode, source, source_id, user_id)
                         SELECT name, brand, barcode, $1, source_id, NULL
                         FROM import_food_stage ORDER BY seq
                         ON CONFLICT (source, source_id)
                             WHERE user_id IS NULL AND source_id IS NOT NULL DO NOTHING
                         RETURNING id, source_id
                     ), nd AS (
                         INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit,
                             serving_weight_g, is_default, {cols})
                         SELECT ins.id, s.serving_size, s.serving_unit, s.serving_weight_g,
                                s.is_default, {s_cols}
                         FROM ins
                         JOIN import_food_stage f ON f.source_id = ins.source_id
                         JOIN import_serving_stage s ON s.seq = f.seq
                         RETURNING 1
                     )
                     SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM nd)"
                ),
                &[&source],
            )
            .await
            .context("inserting a batch of foods failed")?;
        let inserted: i64 = row.get(0);
        if self.lift_force {
            tx.batch_execute(
                "ALTER TABLE food_items FORCE ROW LEVEL SECURITY;
                 ALTER TABLE nutrition_data FORCE ROW LEVEL SECURITY;",
            )
            .await?;
        }
        tx.commit().await?;
        Ok(inserted as u64)
    }
}

pub(crate) async fn copy_in(
    tx: &tokio_postgres::Transaction<'_>,
    sql: &str,
    data: Vec<u8>,
) -> anyhow::Result<()> {
    let sink = tx.copy_in::<_, Bytes>(sql).await?;
    futures::pin_mut!(sink);
    sink.send(Bytes::from(data)).await?;
    sink.finish().await?;
    Ok(())
}

/// COPY text-format field.
pub(crate) fn put_text(out: &mut Vec<u8>, v: Option<&str>) {
    match v {
        None => out.extend_from_slice(b"\\N"),
        Some(s) => {
            for b in s.bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    0 => {}
                    _ => out.push(b),
                }
            }
        }
    }
}

pub(crate) fn put_decimal(out: &mut Vec<u8>, v: Option<Decimal>) {
    match v {
        None => out.extend_from_slice(b"\\N"),
        Some(d) => out.extend_from_slice(d.to_string().as_bytes()),
    }
}

fn put_serving(out: &mut Vec<u8>, seq: usize, s: &CatalogServing) {
    out.extend_from_slice(format!("{seq}\t{}\t", s.size).as_bytes());
    put_text(out, Some(&s.unit));
    out.push(b'\t');
    put_decimal(out, s.weight_g);
    out.extend_from_slice(if s.is_default { b"\tt" } else { b"\tf" });
    for (_, v) in s.nutrients.iter() {
        out.push(b'\t');
        put_decimal(out, v);
    }
    out.push(b'\n');
}

/// The catalog food an export's food becomes: the per-100 default serving (100 g, or 100 ml
/// when the values are per 100 ml) and "1 serving" when the serving's weight is known; `None`
/// when the catalog's rules find it unusable.
fn catalog_food(source: &str, food: Food) -> Option<CatalogFood> {
    let hundred = Decimal::from(100);
    let (unit, weight) = if food.per_100_ml {
        ("ml", None)
    } else {
        ("g", Some(hundred))
    };
    let mut servings = vec![CatalogServing {
        size: hundred,
        unit: unit.into(),
        weight_g: weight,
        is_default: true,
        nutrients: nutrients_of(&food.per_100),
    }];
    if let Some(q) = food.serving_quantity {
        if let Some(factor) = q.checked_div(hundred) {
            let values = food.per_100.map(|v| scaled(v, factor));
            // A serving too large to store its values is not offered.
            let overflow = values
                .iter()
                .zip(food.per_100.iter())
                .any(|(s, p)| s.is_none() && p.is_some());
            if !overflow {
                servings.push(CatalogServing {
                    size: Decimal::ONE,
                    unit: "serving".into(),
                    weight_g: (!food.per_100_ml).then_some(q),
                    is_default: false,
                    nutrients: nutrients_of(&values),
                });
            }
        }
    }
    CatalogFood {
        source: source.into(),
        source_id: food.source_id,
        name: food.name,
        brand: food.brand,
        barcode: food.barcode,
        servings,
    }
    .normalised()
}

/// The two COPY payloads of a batch: foods, and their servings.
fn copy_data(foods: &[CatalogFood]) -> (Vec<u8>, Vec<u8>) {
    let mut f_out = Vec::with_capacity(foods.len() * 80);
    let mut s_out = Vec::with_capacity(foods.len() * 200);
    for (seq, food) in foods.iter().enumerate() {
        f_out.extend_from_slice(format!("{seq}\t").as_bytes());
        put_text(&mut f_out, Some(&food.name));
        f_out.push(b'\t');
        put_text(&mut f_out, food.brand.as_deref());
        f_out.push(b'\t');
        put_text(&mut f_out, food.barcode.as_deref());
        f_out.push(b'\t');
        put_text(&mut f_out, Some(&food.source_id));
        f_out.push(b'\n');
        for serving in &food.servings {
            put_serving(&mut s_out, seq, serving);
        }
    }
    (f_out, s_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CALORIES: usize = 0;
    const SODIUM: usize = 6;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn numbers_as_exports_write_them() {
        assert_eq!(parse_decimal(" 12.5 "), Some(d("12.5")));
        assert_eq!(parse_decimal("1e-05"), Some(d("0.00001")));
        assert_eq!(parse_decimal(""), None);
        assert_eq!(parse_decimal("n/a"), None);
    }

    #[test]
    fn off_units_are_converted() {
        let fields: HashMap<&str, &str> = [
            ("energy-kj_100g", "1046"),
            ("salt_100g", "1.25"),
            ("iron_100g", "0.0021"),
            ("vitamin-a_100g", "0.00012"),
        ]
        .into();
        let v = off_values(|k| fields.get(k).and_then(|s| parse_decimal(s)));
        assert_eq!(v[CALORIES], Some(d("250")));
        assert_eq!(v[SODIUM], Some(d("500")));
        assert_eq!(v[12], Some(d("2.1")));
        assert_eq!(v[13], Some(d("120")));
    }

    fn food(per_100_ml: bool, serving_quantity: Option<&str>) -> Food {
        let mut per_100: Values = [None; 15];
        per_100[CALORIES] = Some(d("450"));
        per_100[SODIUM] = Some(d("300"));
        Food {
            name: "Oat bars".into(),
            brand: None,
            barcode: Some("0036000291452".into()),
            source_id: "0036000291452".into(),
            per_100,
            per_100_ml,
            serving_quantity: serving_quantity.map(d),
        }
    }

    #[test]
    fn an_export_food_becomes_a_catalog_food_with_its_servings() {
        let f = catalog_food(OPENFOODFACTS, food(false, Some("30"))).unwrap();
        assert_eq!(f.source, "openfoodfacts");
        assert_eq!(f.barcode.as_deref(), Some("0036000291452"));
        assert_eq!(f.servings.len(), 2);
        let (per_100, one) = (&f.servings[0], &f.servings[1]);
        assert_eq!((per_100.size, per_100.unit.as_str()), (d("100"), "g"));
        assert_eq!(per_100.weight_g, Some(d("100")));
        assert!(per_100.is_default && !one.is_default);
        assert_eq!(per_100.nutrients.calories, Some(d("450")));
        assert_eq!((one.size, one.unit.as_str()), (d("1"), "serving"));
        assert_eq!(one.weight_g, Some(d("30")));
        assert_eq!(one.nutrients.calories, Some(d("135")));
        assert_eq!(one.nutrients.sodium, Some(d("90")));

        let ml = catalog_food(OPENFOODFACTS, food(true, Some("250"))).unwrap();
        assert_eq!(ml.servings[0].unit, "ml");
        assert_eq!(ml.servings[0].weight_g, None);
        assert_eq!(ml.servings[1].weight_g, None);
        // A serving whose values would not fit a column is left out, not the food.
        let huge = catalog_food(OPENFOODFACTS, food(false, Some("100000000000"))).unwrap();
        assert_eq!(huge.servings.len(), 1);
        let mut nameless = food(false, None);
        nameless.name = " \t ".into();
        assert!(catalog_food(OPENFOODFACTS, nameless).is_none());
    }

    #[test]
    fn copy_text_is_escaped() {
        let mut out = Vec::new();
        put_text(&mut out, Some("a\tb\\c\nd"));
        assert_eq!(out, b"a\\tb\\\\c\\nd");
    }

    #[test]
    fn summary_line() {
        let s = Summary {
            imported: 3,
            already_present: 2,
            unusable: 1,
        };
        assert_eq!(
            s.line(1.234),
            "imported 3 foods, skipped 3 (already present 2, unusable 1) in 1.2 s"
        );
    }
}
