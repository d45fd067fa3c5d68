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
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rust_decimal::Decimal;
use sparky_app::catalog::{storable, CatalogFood};
use sparky_core::nutrition::Nutrients;
use tokio::sync::mpsc;
use tokio_postgres::Client;

use crate::cli::FoodFormat;

mod off;
mod usda;
mod writer;

use off::{off_csv, off_jsonl};
use usda::usda;
use writer::{catalog_food, Writer};
pub(crate) use writer::{copy_in, put_decimal, put_text};

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

#[cfg(test)]
mod tests {
    use super::*;

    // Shared with the tests of `off` and `writer`: where two nutrients sit in `Values`.
    pub(super) const CALORIES: usize = 0;
    pub(super) const SODIUM: usize = 6;

    pub(super) fn d(s: &str) -> Decimal {
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
