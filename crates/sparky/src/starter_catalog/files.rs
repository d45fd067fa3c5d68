//! Reading and checking the catalog files, built in or an extract on disk, into a [`Dataset`].

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use sparky_app::catalog::{clean_text, storable, MAX_TEXT as VARCHAR_MAX};

use super::{Dataset, Portion, StarterFood, FOODS_GZ, NUTRIENT_COLUMNS, PORTIONS_GZ, UNIT_MAX};
use crate::food_import::{parse_decimal, Values};

impl Dataset {
    /// The copy built into the binary.
    pub fn built_in() -> anyhow::Result<Dataset> {
        parse(FOODS_GZ, PORTIONS_GZ).context("the built-in starter catalog is unreadable")
    }
}

/// The checksum of the built-in copy, without parsing it.
pub fn built_in_checksum() -> String {
    checksum(FOODS_GZ, PORTIONS_GZ)
}

/// How the files are read into servings (see `StarterFood::servings`): a new version loads
/// the same files again, so the servings made by new rules reach a catalog already loaded
/// (only what changed is written). 2: defaults that are portions.
const SERVING_RULES: &[u8] = b"servings-2";

fn checksum(foods: &[u8], portions: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(SERVING_RULES);
    h.update(foods);
    h.update(portions);
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

/// Parses the two files. Any malformed food row is an error (the data set is curated, so a bad
/// row means a wrong file); measures that cannot be used are counted and left out.
pub fn parse(foods_bytes: &[u8], portions_bytes: &[u8]) -> anyhow::Result<Dataset> {
    let mut foods = Vec::new();
    let mut index = std::collections::HashMap::new();
    let mut ndbs = HashSet::new();
    {
        let mut r = csv::Reader::from_reader(maybe_gunzip(foods_bytes));
        let headers = r.headers().context("cannot read the foods file")?.clone();
        let mut wanted = vec!["id", "ndb_number", "name"];
        wanted.extend(NUTRIENT_COLUMNS);
        let ix = columns("foods", &headers, &wanted)?;
        for (line, rec) in r.records().enumerate() {
            let line = line + 2;
            let rec = rec.with_context(|| format!("foods file line {line}"))?;
            let cell = |i: usize| rec.get(ix[i]).unwrap_or("");
            let id = cell(0).trim().to_string();
            let ndb = cell(1).trim().to_string();
            if id.is_empty() || ndb.is_empty() {
                bail!("foods file line {line}: no id or ndb_number (an SR extract has both)");
            }
            let name = clean_text(cell(2), VARCHAR_MAX)
                .with_context(|| format!("foods file line {line}: no name"))?;
            let mut per_100g: Values = [None; 15];
            for (n, v) in per_100g.iter_mut().enumerate() {
                *v = number(cell(3 + n), || {
                    format!("foods file line {line}, {}", NUTRIENT_COLUMNS[n])
                })?;
            }
            if index.insert(id.clone(), foods.len()).is_some() {
                bail!("foods file line {line}: the id {id} appears twice");
            }
            if !ndbs.insert(ndb.clone()) {
                bail!("foods file line {line}: the NDB number {ndb} appears twice");
            }
            foods.push(StarterFood {
                ndb,
                name,
                per_100g,
                portions: Vec::new(),
            });
        }
    }
    let mut skipped = 0;
    {
        let mut r = csv::Reader::from_reader(maybe_gunzip(portions_bytes));
        let headers = r
            .headers()
            .context("cannot read the portions file")?
            .clone();
        let ix = columns(
            "portions",
            &headers,
            &["id", "amount", "unit", "gram_weight"],
        )?;
        let mut seen: HashSet<(usize, Decimal, String)> = HashSet::new();
        for (line, rec) in r.records().enumerate() {
            let line = line + 2;
            let rec = rec.with_context(|| format!("portions file line {line}"))?;
            let cell = |i: usize| rec.get(ix[i]).unwrap_or("");
            let Some(&food) = index.get(cell(0).trim()) else {
                bail!(
                    "portions file line {line}: no food has the id {:?}",
                    cell(0)
                );
            };
            let amount = number(cell(1), || format!("portions file line {line}, amount"))?;
            let grams = number(cell(3), || {
                format!("portions file line {line}, gram_weight")
            })?;
            let unit = clean_text(cell(2), UNIT_MAX);
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
    }
    Ok(Dataset {
        foods,
        checksum: checksum(foods_bytes, portions_bytes),
        skipped_portions: skipped,
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

    #[test]
    fn the_built_in_copy_parses() {
        let data = Dataset::built_in().unwrap();
        assert_eq!(data.foods.len(), 7907);
        let portions: usize = data.foods.iter().map(|f| f.portions.len()).sum();
        assert_eq!(portions + data.skipped_portions, 13_817);
        assert_eq!(data.checksum, built_in_checksum());
    }
}
