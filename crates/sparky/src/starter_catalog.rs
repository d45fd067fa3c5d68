//! The starter food catalog that ships inside the binary: USDA Standard Reference release 24
//! (2011, public domain), 7,907 generic foods with 13,817 household measures such as
//! "1 medium banana = 118 g" (data/fooddata/, see its README for provenance and caveats).
//!
//! A fresh server loads it into the shared catalog on its first start, so food search works
//! offline from the first minute; `sparky foods import --format usda-sr24 [DIR]` loads it again
//! (or a newer extract in the same shape). Loading is one transaction: the rows go to temporary
//! tables with COPY and are merged into `food_items`/`nutrition_data` by a few set-based
//! statements keyed on (source, NDB number) and, per food, (serving size, unit). Foods and
//! servings that did not change are not written, so a reload of the same data writes nothing
//! and an updated data set rewrites only what changed. `catalog_loads` remembers the checksum
//! of the built-in copy that was loaded, so a start costs one query once it is there.
//!
//! Each food gets a "100 g" serving (its values as published) and one serving per household
//! measure, with the measure's gram weight and its nutrients scaled to it. The default serving
//! is the "medium" measure where there is one (bananas, apples, eggs, potatoes: foods counted by
//! the piece, so "1 banana" is one tap), else USDA's first-listed measure (its primary one: 1 cup
//! of milk or rice, 1 slice of bread), else 100 g.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use tokio_postgres::Client;

use sparky_app::catalog::{clean_text, storable, MAX_TEXT as VARCHAR_MAX};
use sparky_core::nutrition::Nutrients;

use crate::food_import::{copy_in, parse_decimal, put_decimal, put_text, scaled, Values};

/// `nutrition_data` nutrient columns, in the order of [`Values`].
const NUTRIENTS: [&str; 15] = Nutrients::NAMES;

/// `food_items.source` of the starter foods; `source_id` is the food's NDB number, USDA's own
/// identifier, which later SR releases keep for the same food.
pub const SOURCE: &str = "usda-sr";

/// `catalog_loads.dataset` of the copy built into the binary.
pub const BUILT_IN: &str = "usda-sr24 built in";

const FOODS_GZ: &[u8] = include_bytes!("../../../data/fooddata/sr24_foods.csv.gz");
const PORTIONS_GZ: &[u8] = include_bytes!("../../../data/fooddata/sr24_portions.csv.gz");

/// Foods-file columns holding the nutrients per 100 g, in the order of [`NUTRIENTS`].
const NUTRIENT_COLUMNS: [&str; 15] = [
    "energy_kcal",
    "protein_g",
    "carbs_g",
    "fat_g",
    "fiber_g",
    "sugars_g",
    "sodium_mg",
    "sat_fat_g",
    "trans_fat_g",
    "cholesterol_mg",
    "potassium_mg",
    "calcium_mg",
    "iron_mg",
    "vit_a_rae_ug",
    "vit_c_mg",
];

/// Longest `nutrition_data.serving_unit`.
const UNIT_MAX: usize = 100;

/// A parsed data set.
#[derive(Debug)]
pub struct Dataset {
    pub foods: Vec<StarterFood>,
    /// SHA-256 of the foods file followed by the portions file, as stored.
    pub checksum: String,
    /// Household measures left out: zero or missing weights, and repeats of a food's
    /// (amount, unit) after the first.
    pub skipped_portions: usize,
}

#[derive(Debug)]
pub struct StarterFood {
    pub ndb: String,
    pub name: String,
    pub per_100g: Values,
    pub portions: Vec<Portion>,
}

#[derive(Debug, Clone)]
pub struct Portion {
    pub amount: Decimal,
    pub unit: String,
    pub grams: Decimal,
}

/// One `nutrition_data` row to be.
#[derive(Debug, PartialEq)]
pub struct Serving {
    pub size: Decimal,
    pub unit: String,
    pub weight_g: Decimal,
    pub is_default: bool,
    pub values: Values,
}

impl StarterFood {
    /// "100 g" first, then the household measures in USDA's order; one is the default.
    pub fn servings(&self) -> Vec<Serving> {
        let hundred = Decimal::from(100);
        let mut out = vec![Serving {
            size: hundred,
            unit: "g".into(),
            weight_g: hundred,
            is_default: false,
            values: self.per_100g,
        }];
        for p in &self.portions {
            let factor = p.grams / hundred;
            let values = self.per_100g.map(|v| scaled(v, factor));
            // A measure too large to store its values is not offered.
            if values
                .iter()
                .zip(self.per_100g.iter())
                .any(|(s, v)| s.is_none() && v.is_some())
            {
                continue;
            }
            out.push(Serving {
                size: p.amount,
                unit: p.unit.clone(),
                weight_g: p.grams,
                is_default: false,
                values,
            });
        }
        let default = out
            .iter()
            .skip(1)
            .position(|s| is_medium(&s.unit))
            .map(|i| i + 1)
            .or(if out.len() > 1 { Some(1) } else { None })
            .unwrap_or(0);
        out[default].is_default = true;
        out
    }
}

/// "medium (7\" to 7-7/8\" long)", "potato medium (2-1/4\" to 3-1/4\" dia)": the word medium.
fn is_medium(unit: &str) -> bool {
    unit.to_lowercase()
        .split(|c: char| !c.is_ascii_alphabetic())
        .any(|w| w == "medium")
}

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

fn checksum(foods: &[u8], portions: &[u8]) -> String {
    let mut h = Sha256::new();
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

/// What a load did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LoadSummary {
    pub foods: u64,
    pub servings: u64,
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped_portions: u64,
}

impl LoadSummary {
    pub fn line(&self, seconds: f64) -> String {
        format!(
            "starter catalog: {} foods with {} servings: {} added, {} updated, {} unchanged \
             ({} unusable household measures left out) in {seconds:.1} s",
            self.foods,
            self.servings,
            self.added,
            self.updated,
            self.unchanged,
            self.skipped_portions
        )
    }
}

/// On start: loads the built-in catalog unless this very copy was loaded before. `None` when
/// there was nothing to do (one query).
pub async fn ensure_loaded(client: &mut Client) -> anyhow::Result<Option<(LoadSummary, f64)>> {
    let started = Instant::now();
    let checksum = built_in_checksum();
    if loaded_checksum(client).await?.as_deref() == Some(checksum.as_str()) {
        return Ok(None);
    }
    let data = Dataset::built_in()?;
    let summary = load(client, &data, Stamp::IfChanged).await?;
    Ok(summary.map(|s| (s, started.elapsed().as_secs_f64())))
}

async fn loaded_checksum(client: &Client) -> anyhow::Result<Option<String>> {
    Ok(client
        .query_opt(
            "SELECT checksum FROM catalog_loads WHERE dataset = $1",
            &[&BUILT_IN],
        )
        .await
        .context("cannot read catalog_loads (is the schema up to date?)")?
        .map(|r| r.get(0)))
}

/// Whether a load records itself in `catalog_loads` as the built-in copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// Startup: skip when another server loaded this copy meanwhile; record it.
    IfChanged,
    /// `foods import` of the built-in copy: load regardless, then record it.
    Always,
    /// `foods import` of a file: load, record nothing (a newer built-in copy still applies
    /// on the next upgrade).
    Never,
}

/// The staged serving columns, after source_id.
const SERVING_COLUMNS: &str = "seq, serving_size, serving_unit, serving_weight_g, is_default";

fn copy_payloads(data: &Dataset) -> (Vec<u8>, Vec<u8>, u64) {
    let mut foods = Vec::with_capacity(data.foods.len() * 64);
    let mut servings = Vec::with_capacity(data.foods.len() * 400);
    let mut count = 0;
    for f in &data.foods {
        put_text(&mut foods, Some(&f.ndb));
        foods.push(b'\t');
        put_text(&mut foods, Some(&f.name));
        foods.push(b'\n');
        for (seq, s) in f.servings().iter().enumerate() {
            count += 1;
            put_text(&mut servings, Some(&f.ndb));
            servings.extend_from_slice(format!("\t{seq}\t{}\t", s.size).as_bytes());
            put_text(&mut servings, Some(&s.unit));
            servings.push(b'\t');
            put_decimal(&mut servings, Some(s.weight_g));
            servings.extend_from_slice(if s.is_default { b"\tt" } else { b"\tf" });
            for v in &s.values {
                servings.push(b'\t');
                put_decimal(&mut servings, *v);
            }
            servings.push(b'\n');
        }
    }
    (foods, servings, count)
}

/// Merges a data set into the shared catalog in one transaction. `None` when `stamp` is
/// [`Stamp::IfChanged`] and another server loaded the same copy first.
pub async fn load(
    client: &mut Client,
    data: &Dataset,
    stamp: Stamp,
) -> anyhow::Result<Option<LoadSummary>> {
    let bypass: bool = client
        .query_one(
            "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .await?
        .get(0);
    let started = Instant::now();
    let phase = |what: &str| {
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "loading the starter catalog: {what}"
        )
    };
    let (food_copy, serving_copy, serving_count) = copy_payloads(data);
    let tx = client.transaction().await?;
    // Servers starting together: one loads, the others find its stamp.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('sparky:starter-catalog', 0))",
        &[],
    )
    .await?;
    if stamp == Stamp::IfChanged {
        let current: Option<String> = tx
            .query_opt(
                "SELECT checksum FROM catalog_loads WHERE dataset = $1",
                &[&BUILT_IN],
            )
            .await?
            .map(|r| r.get(0));
        if current.as_deref() == Some(data.checksum.as_str()) {
            return Ok(None);
        }
    }
    if !bypass {
        // The owner role is subject to FORCEd row level security (not a superuser and without
        // BYPASSRLS): lift FORCE for this transaction, as the migrations do.
        tx.batch_execute(
            "ALTER TABLE food_items NO FORCE ROW LEVEL SECURITY;
             ALTER TABLE nutrition_data NO FORCE ROW LEVEL SECURITY;",
        )
        .await
        .context("cannot lift FORCE ROW LEVEL SECURITY (the owner role must own food_items)")?;
    }
    let nutrient_defs: String = NUTRIENTS.map(|n| format!(", {n} numeric")).concat();
    tx.batch_execute(&format!(
        "CREATE TEMP TABLE starter_food_stage (source_id text NOT NULL, name text NOT NULL)
             ON COMMIT DROP;
         CREATE TEMP TABLE starter_serving_stage (
             source_id text NOT NULL, seq integer NOT NULL, serving_size numeric NOT NULL,
             serving_unit text NOT NULL, serving_weight_g numeric, is_default boolean NOT NULL
             {nutrient_defs}) ON COMMIT DROP;
         CREATE TEMP TABLE starter_target (food_item_id uuid NOT NULL, seq integer NOT NULL,
             serving_size numeric NOT NULL, serving_unit text NOT NULL, serving_weight_g numeric,
             is_default boolean NOT NULL {nutrient_defs}) ON COMMIT DROP;
         CREATE TEMP TABLE starter_touched (food_item_id uuid NOT NULL, is_new boolean NOT NULL)
             ON COMMIT DROP;"
    ))
    .await
    .context("cannot create the staging tables")?;
    copy_in(&tx, "COPY starter_food_stage FROM STDIN", food_copy).await?;
    copy_in(
        &tx,
        &format!(
            "COPY starter_serving_stage (source_id, {SERVING_COLUMNS}, {}) FROM STDIN",
            NUTRIENTS.join(", ")
        ),
        serving_copy,
    )
    .await?;
    phase("staged");

    let cols = NUTRIENTS.join(", ");
    let t_cols = NUTRIENTS.map(|n| format!("t.{n}")).join(", ");
    let n_cols = NUTRIENTS.map(|n| format!("n.{n}")).join(", ");
    let set_cols = NUTRIENTS.map(|n| format!("{n} = t.{n}")).join(", ");
    // A serving is the same serving when its size and unit are (a food lists each once).
    let same_serving = "n.food_item_id = t.food_item_id AND n.serving_size = t.serving_size
                        AND n.serving_unit = t.serving_unit";
    // New foods, and renamed ones.
    tx.execute(
        "WITH up AS (
             INSERT INTO food_items (name, source, source_id, user_id)
             SELECT name, $1, source_id, NULL FROM starter_food_stage
             ON CONFLICT (source, source_id) WHERE user_id IS NULL AND source_id IS NOT NULL
             DO UPDATE SET name = EXCLUDED.name
             WHERE food_items.name IS DISTINCT FROM EXCLUDED.name
             RETURNING id, (xmax = 0) AS is_new
         )
         INSERT INTO starter_touched SELECT id, is_new FROM up",
        &[&SOURCE],
    )
    .await
    .context("merging the foods failed")?;
    phase("foods merged");
    tx.execute(
        &format!(
            "INSERT INTO starter_target
             SELECT f.id, s.seq, s.serving_size, s.serving_unit, s.serving_weight_g, s.is_default,
                    {s_cols}
             FROM starter_serving_stage s
             JOIN food_items f
               ON f.user_id IS NULL AND f.source = $1 AND f.source_id = s.source_id",
            s_cols = NUTRIENTS.map(|n| format!("s.{n}")).join(", ")
        ),
        &[&SOURCE],
    )
    .await
    .context("staging the servings failed")?;
    // Fresh temporary tables have no statistics; the merge below joins them.
    tx.batch_execute("ANALYZE starter_target; ANALYZE starter_touched;")
        .await?;

    tx.batch_execute(&format!(
        "-- Servings the data no longer has.
         WITH gone AS (
             DELETE FROM nutrition_data n
             WHERE n.food_item_id IN (SELECT food_item_id FROM starter_target)
               AND NOT EXISTS (SELECT 1 FROM starter_target t WHERE {same_serving})
             RETURNING n.food_item_id
         )
         INSERT INTO starter_touched SELECT food_item_id, false FROM gone;

         -- Defaults move in two steps: one default per food holds at every row.
         WITH undefault AS (
             UPDATE nutrition_data n SET is_default = false
             FROM starter_target t
             WHERE {same_serving} AND n.is_default AND NOT t.is_default
             RETURNING n.food_item_id
         )
         INSERT INTO starter_touched SELECT food_item_id, false FROM undefault;

         WITH changed AS (
             UPDATE nutrition_data n
             SET serving_weight_g = t.serving_weight_g, is_default = t.is_default, {set_cols}
             FROM starter_target t
             WHERE {same_serving}
               AND (n.serving_weight_g, n.is_default, {n_cols})
                   IS DISTINCT FROM (t.serving_weight_g, t.is_default, {t_cols})
             RETURNING n.food_item_id
         )
         INSERT INTO starter_touched SELECT food_item_id, false FROM changed;

         -- New servings. created_at steps by a microsecond per serving so that they list in
         -- the data's order (servings are listed by created_at after the default).
         WITH added AS (
             INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit,
                 serving_weight_g, is_default, created_at, updated_at, {cols})
             SELECT t.food_item_id, t.serving_size, t.serving_unit, t.serving_weight_g,
                    t.is_default, now() + t.seq * interval '1 microsecond', now(), {t_cols}
             FROM starter_target t
             WHERE NOT EXISTS (SELECT 1 FROM nutrition_data n WHERE {same_serving})
             RETURNING food_item_id
         )
         INSERT INTO starter_touched SELECT food_item_id, false FROM added;"
    ))
    .await
    .context("merging the servings failed")?;
    phase("servings merged");

    let row = tx
        .query_one(
            "SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new)
             FROM (SELECT food_item_id, bool_or(is_new) AS is_new
                   FROM starter_touched GROUP BY food_item_id) t",
            &[],
        )
        .await?;
    let (added, updated): (i64, i64) = (row.get(0), row.get(1));
    let foods = data.foods.len() as u64;
    if stamp != Stamp::Never {
        tx.execute(
            "INSERT INTO catalog_loads (dataset, checksum, foods, servings)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (dataset) DO UPDATE
             SET checksum = EXCLUDED.checksum, foods = EXCLUDED.foods,
                 servings = EXCLUDED.servings",
            &[
                &BUILT_IN,
                &data.checksum,
                &(foods as i32),
                &(serving_count as i32),
            ],
        )
        .await?;
    }
    if !bypass {
        tx.batch_execute(
            "ALTER TABLE food_items FORCE ROW LEVEL SECURITY;
             ALTER TABLE nutrition_data FORCE ROW LEVEL SECURITY;",
        )
        .await?;
    }
    tx.commit().await?;
    phase("committed");
    Ok(Some(LoadSummary {
        foods,
        servings: serving_count,
        added: added as u64,
        updated: updated as u64,
        unchanged: foods - added as u64 - updated as u64,
        skipped_portions: data.skipped_portions as u64,
    }))
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
