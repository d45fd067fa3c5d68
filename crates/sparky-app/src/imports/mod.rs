//! Importers from other trackers: the records `sparky_import` read from a file checked against the user's data and written in one
//! transaction, or only counted (a dry run).
//!
//! Every front door (`sparky import-from`, `POST /api/v1/import/{kind}`) calls [`run`] in the
//! user's own RLS transaction; the caller commits. Nothing here decides who may write: the
//! rows are the caller's own and RLS checks that.
//!
//! Re-importing is safe: `import_records` remembers, per (source, record key), the row each
//! record became. A record whose key is there is skipped ("already imported"), so a second run
//! of the same file creates nothing, and a row the user deleted since is not brought back.
//!
//! Writes are batched: one `INSERT … SELECT FROM unnest(…)` per table and area, whatever the
//! number of rows, in chunks of [`CHUNK`].

pub mod sparkyfitness;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sparky_core::measure::{self, Dimension, MeasureUnit};
use sparky_core::nutrition::Nutrients;
use sparky_core::UnitsSystem;
use sparky_core::{DistanceUnit, WeightUnit};
use sparky_db::UserTx;
use sparky_import::{
    Area, DiaryRecord, FoodRecord, MeasurementRecord, Parsed, Record, SetRecord, Source,
    WorkoutRecord,
};
use tokio_postgres::types::ToSql;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::diary::MAX_ENTRIES_PER_DAY;
use crate::error::{AppError, AppResult};
use crate::workouts::input::{StoredSet, MAX_REPS, MAX_SETS, MAX_WEIGHT};
use crate::workouts::{set_summary, MAX_WORKOUTS_PER_DAY};

pub use sparky_import;

/// Rows one statement writes at most (PostgreSQL arrays of this size are cheap).
pub const CHUNK: usize = 5000;
/// Distinct skip reasons listed in a preview; the counts cover all of them.
pub const MAX_REASONS: usize = 100;
/// `measurements.value` keeps 6 decimal places.
const VALUE_SCALE: u32 = 6;
const ALREADY: &str = "already imported";

/// Rows per area.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct AreaCounts {
    pub foods: usize,
    pub diary: usize,
    pub measurements: usize,
    pub workouts: usize,
    pub goals: usize,
}

impl AreaCounts {
    fn add(&mut self, area: Option<Area>, n: usize) {
        match area {
            Some(Area::Foods) => self.foods += n,
            Some(Area::Diary) => self.diary += n,
            Some(Area::Measurements) => self.measurements += n,
            Some(Area::Workouts) => self.workouts += n,
            None => {}
        }
    }

    pub fn total(&self) -> usize {
        self.foods + self.diary + self.measurements + self.workouts + self.goals
    }
}

/// Why some rows were not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SkipReason {
    /// foods, diary, measurements, workouts or goals; absent when the row could not be read.
    pub area: Option<String>,
    pub reason: String,
    /// Rows skipped for this reason.
    pub count: usize,
    /// The first of them: its line in the file (an element's number in an XML file), when
    /// it has one.
    pub first_line: Option<u64>,
}

/// What an import creates (or, in a dry run, would create) and what it skips.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportPreview {
    /// mfp, cronometer, apple-health, csv, sparkyfitness, strong, hevy, fitnotes or
    /// macrofactor.
    pub source: String,
    /// True: nothing was written; the counts say what a real run would do.
    pub dry_run: bool,
    pub created: AreaCounts,
    pub skipped: AreaCounts,
    /// Skipped rows that belong to no area (unreadable rows).
    pub skipped_unread: usize,
    /// Whole-day totals an earlier import of the same app brought (MacroFactor's daily
    /// nutrition) on days this import gives food entries for: those entries replace them,
    /// so the day is not counted twice.
    pub replaced_day_totals: usize,
    /// Why rows were skipped, most frequent first (at most 100 reasons).
    #[schema(max_items = 100)]
    pub skip_reasons: Vec<SkipReason>,
    /// A generic CSV: its columns in file order and the field each was read as (null: not
    /// used), to check the matching before importing. Absent for the apps' own formats.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(max_items = 500)]
    pub columns: Vec<ColumnRead>,
}

/// Columns a preview lists at most.
const MAX_COLUMNS: usize = 500;

/// One column of a generic CSV and the field it was read as.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ColumnRead {
    /// The header as the file has it.
    pub column: String,
    /// The field its values went to (`date`, `calories`, `weight`…); null: not used.
    pub field: Option<&'static str>,
}

impl ImportPreview {
    pub fn new(source: &str, dry_run: bool) -> ImportPreview {
        ImportPreview {
            source: source.into(),
            dry_run,
            created: AreaCounts::default(),
            skipped: AreaCounts::default(),
            skipped_unread: 0,
            replaced_day_totals: 0,
            skip_reasons: Vec::new(),
            columns: Vec::new(),
        }
    }

    /// Another preview's counts added to this one (several files of one import).
    pub fn merge(&mut self, other: ImportPreview) {
        let add = |a: &mut AreaCounts, b: &AreaCounts| {
            a.foods += b.foods;
            a.diary += b.diary;
            a.measurements += b.measurements;
            a.workouts += b.workouts;
            a.goals += b.goals;
        };
        add(&mut self.created, &other.created);
        add(&mut self.skipped, &other.skipped);
        self.skipped_unread += other.skipped_unread;
        self.replaced_day_totals += other.replaced_day_totals;
        self.columns.extend(other.columns);
        self.columns.truncate(MAX_COLUMNS);
        for r in other.skip_reasons {
            match self
                .skip_reasons
                .iter_mut()
                .find(|x| x.area == r.area && x.reason == r.reason)
            {
                Some(x) => x.count += r.count,
                None => self.skip_reasons.push(r),
            }
        }
        self.skip_reasons
            .sort_by_key(|r| std::cmp::Reverse(r.count));
        self.skip_reasons.truncate(MAX_REASONS);
    }
}

/// Collects skips, grouped by area and reason.
#[derive(Default)]
pub(crate) struct Skips {
    groups: BTreeMap<(Option<Area>, String), (usize, Option<u64>)>,
}

impl Skips {
    pub(crate) fn add(&mut self, area: Option<Area>, line: Option<u64>, reason: impl Into<String>) {
        self.add_many(area, line, reason, 1);
    }

    pub(crate) fn add_many(
        &mut self,
        area: Option<Area>,
        line: Option<u64>,
        reason: impl Into<String>,
        count: usize,
    ) {
        let e = self
            .groups
            .entry((area, reason.into()))
            .or_insert((0, line.filter(|l| *l > 0)));
        e.0 += count;
    }

    pub(crate) fn into_preview(self, preview: &mut ImportPreview) {
        let mut reasons: Vec<SkipReason> = Vec::new();
        for ((area, reason), (count, first_line)) in self.groups {
            match area {
                Some(_) => preview.skipped.add(area, count),
                None => preview.skipped_unread += count,
            }
            reasons.push(SkipReason {
                area: area.map(|a| a.as_str().to_string()),
                reason,
                count,
                first_line,
            });
        }
        reasons.sort_by_key(|r| std::cmp::Reverse(r.count));
        reasons.truncate(MAX_REASONS);
        preview.skip_reasons = reasons;
    }
}

/// The owner's timezone and units.
async fn settings(tx: &mut UserTx) -> AppResult<(String, UnitsSystem)> {
    let row = tx
        .query_opt(
            "SELECT timezone, units_system FROM user_preferences WHERE user_id = auth.uid() LIMIT 1",
            &[],
        )
        .await?;
    let tz = row
        .as_ref()
        .and_then(|r| r.get::<_, Option<String>>(0))
        .filter(|t| t.parse::<chrono_tz::Tz>().is_ok())
        .unwrap_or_else(|| "UTC".into());
    let units = UnitsSystem::from_preference(
        row.as_ref()
            .and_then(|r| r.get::<_, Option<String>>(1))
            .as_deref(),
    );
    Ok((tz, units))
}

/// A record checked and ready to write, with the id its row will have.
struct Ready<T> {
    id: Uuid,
    key: String,
    record: T,
}

/// A measurement converted to its type's canonical unit.
struct Measured {
    kind: String,
    value: Decimal,
    unit: &'static str,
    date: NaiveDate,
    at: Option<DateTime<Utc>>,
}

/// A workout with its bounds checked and its catalog exercise.
struct Worked {
    exercise_id: Option<Uuid>,
    name: String,
    note: String,
    minutes: Option<i32>,
    km: Option<Decimal>,
    kcal: Option<Decimal>,
    date: NaiveDate,
    at: Option<DateTime<Utc>>,
    sets: Vec<StoredSet>,
}

fn unit_name(source: Source) -> &'static str {
    match source {
        Source::Mfp => "MyFitnessPal",
        Source::Cronometer => "Cronometer",
        Source::AppleHealth => "Apple Health",
        Source::Csv => "CSV",
        Source::SparkyFitness => "SparkyFitness",
        Source::Strong => "Strong",
        Source::Hevy => "Hevy",
        Source::FitNotes => "FitNotes",
        Source::MacroFactor => "MacroFactor",
    }
}

fn check_nutrients(n: &Nutrients) -> Result<Nutrients, String> {
    crate::nutrients::parse_nutrients(n.clone(), "nutrients").map_err(|e| e.to_string())
}

/// Checks `parsed` against the user's data and writes what is new, unless `dry_run`; returns
/// what was (or would be) created and skipped. Runs in the caller's transaction; the caller
/// commits (or, for a dry run, may simply drop it).
pub async fn run(
    tx: &mut UserTx,
    source: Source,
    parsed: Parsed,
    dry_run: bool,
) -> AppResult<ImportPreview> {
    // One import at a time per user, so two runs of one file cannot both insert.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('import:' || auth.uid()::text, 0))",
        &[],
    )
    .await?;
    let (tz, units) = settings(tx).await?;
    let mut preview = ImportPreview::new(source.as_str(), dry_run);
    preview.columns = parsed
        .columns
        .iter()
        .take(MAX_COLUMNS)
        .map(|c| ColumnRead {
            column: c.column.clone(),
            field: c.field,
        })
        .collect();
    let mut skips = Skips::default();
    for s in &parsed.skipped {
        skips.add_many(s.area, Some(s.line), s.reason.clone(), s.count);
    }

    // The same key twice in one file (Apple Health can repeat a sample): the first counts.
    let mut seen = HashSet::new();
    let mut records = Vec::with_capacity(parsed.records.len());
    for r in parsed.records {
        if seen.insert(r.key().to_string()) {
            records.push(r);
        } else {
            skips.add(
                Some(r.area()),
                Some(r.line()),
                "the same row comes again in the file",
            );
        }
    }

    // What earlier imports stored.
    let mut done: HashSet<String> = HashSet::new();
    for chunk in records.chunks(CHUNK) {
        let keys: Vec<&str> = chunk.iter().map(Record::key).collect();
        let rows = tx
            .query(
                "SELECT record_key FROM import_records
                 WHERE user_id = auth.uid() AND source = $1 AND record_key = ANY($2)",
                &[&source.as_str(), &keys],
            )
            .await?;
        done.extend(rows.iter().map(|r| r.get::<_, String>(0)));
    }
    records.retain(|r| {
        let new = !done.contains(r.key());
        if !new {
            skips.add(Some(r.area()), Some(r.line()), ALREADY);
        }
        new
    });

    let mut foods: Vec<Ready<FoodRecord>> = Vec::new();
    let mut diary: Vec<Ready<DiaryRecord>> = Vec::new();
    let mut measurements: Vec<Ready<MeasurementRecord>> = Vec::new();
    let mut workouts: Vec<Ready<WorkoutRecord>> = Vec::new();
    for r in records {
        if let Some(problem) = r.when().and_then(|(date, at)| out_of_range(date, at)) {
            skips.add(Some(r.area()), Some(r.line()), problem);
            continue;
        }
        let id = Uuid::new_v4();
        let key = r.key().to_string();
        match r {
            Record::Food(record) => foods.push(Ready { id, key, record }),
            Record::Diary(record) => diary.push(Ready { id, key, record }),
            Record::Measurement(record) => measurements.push(Ready { id, key, record }),
            Record::Workout(record) => workouts.push(Ready { id, key, record }),
        }
    }

    // Foods.
    let mut food_rows: Vec<(Uuid, String, FoodRecord)> = Vec::new();
    for f in foods {
        let r = &f.record;
        let problem = if r.name.trim().is_empty() || r.name.chars().count() > 255 {
            Some("the name must be 1 to 255 characters".to_string())
        } else if r.brand.as_ref().is_some_and(|b| b.chars().count() > 255) {
            Some("the brand must be at most 255 characters".into())
        } else if r.serving_size <= Decimal::ZERO || r.serving_size > Decimal::from(100_000) {
            Some("the serving size must be greater than 0 and at most 100,000".into())
        } else if r.serving_unit.trim().is_empty() || r.serving_unit.chars().count() > 50 {
            Some("the serving unit must be 1 to 50 characters".into())
        } else if r
            .weight_g
            .is_some_and(|w| w <= Decimal::ZERO || w > Decimal::from(100_000))
        {
            Some("the serving weight must be greater than 0 and at most 100,000 g".into())
        } else {
            None
        };
        let checked = match problem {
            Some(p) => Err(p),
            None => check_nutrients(&r.nutrients),
        };
        match checked {
            Ok(n) => {
                let mut record = f.record;
                record.nutrients = n;
                food_rows.push((f.id, f.key, record));
            }
            Err(p) => skips.add(Some(Area::Foods), Some(f.record.line), p),
        }
    }

    // Diary: the nutrients checked, and no day past its limit.
    let days: Vec<NaiveDate> = diary
        .iter()
        .map(|d| d.record.date)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut per_day: HashMap<NaiveDate, (i64, i64)> = HashMap::new();
    if !days.is_empty() {
        let rows = tx
            .query(
                "SELECT entry_date, entries::bigint, workouts::bigint FROM diary_day_totals
                 WHERE user_id = auth.uid() AND entry_date = ANY($1)",
                &[&days],
            )
            .await?;
        for r in rows {
            per_day.insert(r.get(0), (r.get(1), r.get(2)));
        }
    }
    // A day's total goes last, so that it sees the food entries of this import too.
    diary.sort_by_key(|d| d.record.day_total);
    let mut diary_rows: Vec<Ready<DiaryRecord>> = Vec::new();
    for mut d in diary {
        let line = Some(d.record.line);
        let name = d.record.name.trim();
        if name.is_empty() || name.chars().count() > 255 {
            skips.add(
                Some(Area::Diary),
                line,
                "the name must be 1 to 255 characters",
            );
            continue;
        }
        if !(1900..=2199).contains(&chrono::Datelike::year(&d.record.date)) {
            skips.add(
                Some(Area::Diary),
                line,
                "the date is not between 1900 and 2199",
            );
            continue;
        }
        match check_nutrients(&d.record.nutrients) {
            Ok(n) => d.record.nutrients = n,
            Err(p) => {
                skips.add(Some(Area::Diary), line, p);
                continue;
            }
        }
        let n = per_day.entry(d.record.date).or_insert((0, 0));
        if d.record.day_total && n.0 > 0 {
            skips.add(
                Some(Area::Diary),
                line,
                "a day's total, but the day already has food diary entries (it would count them twice)",
            );
            continue;
        }
        if n.0 >= MAX_ENTRIES_PER_DAY {
            skips.add(
                Some(Area::Diary),
                line,
                format!("a diary day holds at most {MAX_ENTRIES_PER_DAY} entries"),
            );
            continue;
        }
        n.0 += 1;
        diary_rows.push(d);
    }

    // Measurements: known types only, converted to their canonical unit.
    let names: Vec<&str> = measurements
        .iter()
        .map(|m| m.record.kind.as_str())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut dims: HashMap<String, Dimension> = HashMap::new();
    if !names.is_empty() {
        let rows = tx
            .query(
                "SELECT DISTINCT ON (name) name, dimension FROM measurement_types
                 WHERE name = ANY($1) AND (user_id IS NULL OR user_id = auth.uid())
                 ORDER BY name, user_id NULLS FIRST",
                &[&names],
            )
            .await?;
        for r in rows {
            if let Ok(d) = Dimension::parse(r.get::<_, &str>(1)) {
                dims.insert(r.get(0), d);
            }
        }
    }
    let mut measurement_rows: Vec<(Uuid, String, Measured)> = Vec::new();
    for m in measurements {
        let r = m.record;
        let line = Some(r.line);
        let Some(dim) = dims.get(&r.kind).copied() else {
            skips.add(
                Some(Area::Measurements),
                line,
                format!(
                    "no measurement type \"{}\": create it (Check-in → add a type) and import again",
                    r.kind
                ),
            );
            continue;
        };
        let unit = r
            .unit
            .clone()
            .unwrap_or_else(|| dim.display_unit(units).as_str().to_string());
        match measure::parse_measurement(r.value, &unit, dim, VALUE_SCALE) {
            Ok(value) => measurement_rows.push((
                m.id,
                m.key,
                Measured {
                    kind: r.kind,
                    value,
                    unit: dim.canonical_unit().as_str(),
                    date: r.date,
                    at: r.at,
                },
            )),
            Err(e) => {
                let reason = match MeasureUnit::parse(&unit) {
                    Err(_) => format!("{}: unknown unit \"{unit}\"", r.kind),
                    Ok(_) => format!("{}: {e}", r.kind),
                };
                skips.add(Some(Area::Measurements), line, reason);
            }
        }
    }

    // Workouts: bounds, the day's limit, the catalog exercise.
    let workout_names: Vec<String> = workouts
        .iter()
        .map(|w| w.record.name.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let exercises = crate::health_data::match_exercises(tx, &workout_names).await?;
    let mut workout_days: HashMap<NaiveDate, i64> = HashMap::new();
    let wdays: Vec<NaiveDate> = workouts
        .iter()
        .map(|w| w.record.date)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if !wdays.is_empty() {
        let rows = tx
            .query(
                "SELECT entry_date, workouts::bigint FROM diary_day_totals
                 WHERE user_id = auth.uid() AND entry_date = ANY($1)",
                &[&wdays],
            )
            .await?;
        for r in rows {
            workout_days.insert(r.get(0), r.get(1));
        }
    }
    let mut workout_rows: Vec<(Uuid, String, Worked)> = Vec::new();
    for w in workouts {
        let r = w.record;
        let line = Some(r.line);
        let checked = (|| -> Result<Worked, String> {
            let name = r.name.trim().chars().take(100).collect::<String>();
            if name.is_empty() {
                return Err("the workout has no name".into());
            }
            let minutes = crate::health_data::workout_minutes(r.minutes).map_err(outcome_text)?;
            let kcal = crate::health_data::workout_kcal(r.kcal).map_err(outcome_text)?;
            let km = r.km.or(r
                .unitless_distance
                .map(|d| DistanceUnit::of(units).to_km(d)));
            if km.is_some_and(|k| k.is_sign_negative() || k > sparky_core::health::MAX_DISTANCE_KM)
            {
                return Err("the distance must be 0 to 100,000 km".into());
            }
            let hit = exercises.get(&r.name);
            Ok(Worked {
                exercise_id: hit.map(|h| h.0),
                name: hit.map(|h| h.1.clone()).unwrap_or_else(|| name.clone()),
                note: format!("{name}, from {}", unit_name(source)),
                minutes,
                km: km.map(|k| sparky_core::units::round_dp(k, VALUE_SCALE)),
                kcal,
                date: r.date,
                at: r.at,
                sets: import_sets(&r.sets, units)?,
            })
        })();
        match checked {
            Ok(worked) => {
                let n = workout_days.entry(worked.date).or_insert(0);
                if *n >= MAX_WORKOUTS_PER_DAY {
                    skips.add(
                        Some(Area::Workouts),
                        line,
                        format!("a diary day holds at most {MAX_WORKOUTS_PER_DAY} workouts"),
                    );
                    continue;
                }
                *n += 1;
                workout_rows.push((w.id, w.key, worked));
            }
            Err(p) => skips.add(Some(Area::Workouts), line, p),
        }
    }

    // A day total from an earlier import gives way to this import's food entries for its day.
    let detailed_days: Vec<NaiveDate> = diary_rows
        .iter()
        .filter(|d| !d.record.day_total)
        .map(|d| d.record.date)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut replaced: Vec<Uuid> = Vec::new();
    if !detailed_days.is_empty() {
        let rows = tx
            .query(
                "SELECT d.id FROM food_diary d
                 JOIN import_records r ON r.target_id = d.id AND r.user_id = auth.uid()
                     AND r.source = $1 AND r.area = 'diary'
                 WHERE d.user_id = auth.uid() AND d.entry_date = ANY($2) AND d.food_name = $3",
                &[
                    &source.as_str(),
                    &detailed_days,
                    &sparky_import::macrofactor::DAY_TOTAL_NAME,
                ],
            )
            .await?;
        replaced = rows.iter().map(|r| r.get(0)).collect();
    }
    preview.replaced_day_totals = replaced.len();
    preview.created.foods = food_rows.len();
    preview.created.diary = diary_rows.len();
    preview.created.measurements = measurement_rows.len();
    preview.created.workouts = workout_rows.len();
    skips.into_preview(&mut preview);
    if dry_run {
        return Ok(preview);
    }

    if !replaced.is_empty() {
        // Its ledger row stays, so importing the totals again does not bring it back.
        tx.execute(
            "DELETE FROM food_diary WHERE user_id = auth.uid() AND id = ANY($1)",
            &[&replaced],
        )
        .await?;
    }
    let mut ledger: Vec<(String, Area, Uuid)> = Vec::new();
    for chunk in food_rows.chunks(CHUNK) {
        insert_foods(tx, chunk).await?;
        ledger.extend(
            chunk
                .iter()
                .map(|(id, key, _)| (key.clone(), Area::Foods, *id)),
        );
    }
    for chunk in diary_rows.chunks(CHUNK) {
        insert_diary(tx, chunk, &tz).await?;
        ledger.extend(chunk.iter().map(|d| (d.key.clone(), Area::Diary, d.id)));
    }
    for chunk in measurement_rows.chunks(CHUNK) {
        insert_measurements(tx, chunk, &tz, source).await?;
        ledger.extend(
            chunk
                .iter()
                .map(|(id, key, _)| (key.clone(), Area::Measurements, *id)),
        );
    }
    for chunk in workout_rows.chunks(CHUNK) {
        insert_workouts(tx, chunk, &tz).await?;
        ledger.extend(
            chunk
                .iter()
                .map(|(id, key, _)| (key.clone(), Area::Workouts, *id)),
        );
    }
    remember(tx, source, &ledger).await?;
    Ok(preview)
}

/// Days and times outside the range the API accepts (a weight dated 9999 would become "the
/// latest weight" for ever).
fn out_of_range(date: NaiveDate, at: Option<DateTime<Utc>>) -> Option<&'static str> {
    use sparky_core::{Date, Timestamp};
    let ok = Date::new(date).is_ok() && at.is_none_or(|t| Timestamp::new(t).is_ok());
    (!ok).then_some("the date must be between 1900-01-01 and 2199-12-31")
}

/// A workout's sets within the limits a logged workout has, weights in kg at 6 places.
fn import_sets(sets: &[SetRecord], units: UnitsSystem) -> Result<Vec<StoredSet>, String> {
    if sets.len() > MAX_SETS {
        return Err(format!("a workout holds at most {MAX_SETS} sets"));
    }
    sets.iter()
        .zip(1..)
        .map(|(s, number)| {
            if s.reps.is_some_and(|r| !(0..=MAX_REPS).contains(&r)) {
                return Err(format!("set {number}: reps must be 0 to {MAX_REPS}"));
            }
            if s.weight
                .is_some_and(|w| w.is_sign_negative() || w > Decimal::from(MAX_WEIGHT))
            {
                return Err(format!(
                    "set {number}: the weight must be 0 to {MAX_WEIGHT}"
                ));
            }
            let unit = s.unit.unwrap_or(WeightUnit::of(units));
            Ok(StoredSet {
                number,
                reps: s.reps,
                weight_kg: s
                    .weight
                    .map(|w| sparky_core::units::round_dp(unit.to_kg(w), 6)),
            })
        })
        .collect()
}

fn outcome_text(o: crate::health_data::RecordOutcome) -> String {
    match o {
        crate::health_data::RecordOutcome::Failed(m)
        | crate::health_data::RecordOutcome::Skipped(m) => m,
        crate::health_data::RecordOutcome::Stored => "stored".into(),
    }
}

/// Records what each imported row became.
pub(crate) async fn remember(
    tx: &mut UserTx,
    source: Source,
    ledger: &[(String, Area, Uuid)],
) -> AppResult<()> {
    remember_named(
        tx,
        source,
        &ledger
            .iter()
            .map(|(k, a, id)| (k.clone(), a.as_str(), *id))
            .collect::<Vec<_>>(),
    )
    .await
}

pub(crate) async fn remember_named(
    tx: &mut UserTx,
    source: Source,
    ledger: &[(String, &str, Uuid)],
) -> AppResult<()> {
    for chunk in ledger.chunks(CHUNK) {
        let keys: Vec<&str> = chunk.iter().map(|(k, _, _)| k.as_str()).collect();
        let areas: Vec<&str> = chunk.iter().map(|(_, a, _)| *a).collect();
        let ids: Vec<Uuid> = chunk.iter().map(|(_, _, id)| *id).collect();
        tx.execute(
            "INSERT INTO import_records (user_id, source, record_key, area, target_id)
             SELECT auth.uid(), $1, k.key, k.area, k.id
             FROM unnest($2::text[], $3::text[], $4::uuid[]) AS k(key, area, id)
             ON CONFLICT (user_id, source, record_key) DO NOTHING",
            &[&source.as_str(), &keys, &areas, &ids],
        )
        .await?;
    }
    Ok(())
}

/// Each nutrient's values as one array.
fn nutrient_arrays<'a>(all: impl Iterator<Item = &'a Nutrients>) -> Vec<Vec<Option<Decimal>>> {
    let mut cols: Vec<Vec<Option<Decimal>>> = vec![Vec::new(); Nutrients::NAMES.len()];
    for n in all {
        for (i, (_, v)) in n.iter().enumerate() {
            cols[i].push(v);
        }
    }
    cols
}

fn nutrient_unnest(first: usize) -> (String, String) {
    let arrays: Vec<String> = (0..Nutrients::NAMES.len())
        .map(|i| format!("${}::numeric[]", first + i))
        .collect();
    (arrays.join(", "), Nutrients::NAMES.join(", "))
}

async fn insert_foods(tx: &mut UserTx, rows: &[(Uuid, String, FoodRecord)]) -> AppResult<()> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let names: Vec<&str> = rows.iter().map(|r| r.2.name.trim()).collect();
    let brands: Vec<Option<&str>> = rows.iter().map(|r| r.2.brand.as_deref()).collect();
    tx.execute(
        "INSERT INTO food_items (id, name, brand, source, user_id)
         SELECT f.id, f.name, f.brand, 'user', auth.uid()
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS f(id, name, brand)",
        &[&ids, &names, &brands],
    )
    .await?;
    let sizes: Vec<Decimal> = rows.iter().map(|r| r.2.serving_size).collect();
    let units: Vec<&str> = rows.iter().map(|r| r.2.serving_unit.trim()).collect();
    let weights: Vec<Option<Decimal>> = rows.iter().map(|r| r.2.weight_g).collect();
    let nutrients = nutrient_arrays(rows.iter().map(|r| &r.2.nutrients));
    let (arrays, cols) = nutrient_unnest(5);
    let sql = format!(
        "INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit, serving_weight_g,
             is_default, {cols})
         SELECT * FROM unnest($1::uuid[], $2::numeric[], $3::text[], $4::numeric[],
             array_fill(true, ARRAY[cardinality($1::uuid[])]), {arrays})"
    );
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&ids, &sizes, &units, &weights];
    for n in &nutrients {
        params.push(n);
    }
    tx.execute(&sql, &params).await?;
    Ok(())
}

async fn insert_diary(tx: &mut UserTx, rows: &[Ready<DiaryRecord>], tz: &str) -> AppResult<()> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let meals: Vec<&str> = rows.iter().map(|r| r.record.meal.as_str()).collect();
    let days: Vec<NaiveDate> = rows.iter().map(|r| r.record.date).collect();
    let ats: Vec<Option<DateTime<Utc>>> = rows.iter().map(|r| r.record.at).collect();
    let names: Vec<&str> = rows.iter().map(|r| r.record.name.trim()).collect();
    let nutrients = nutrient_arrays(rows.iter().map(|r| &r.record.nutrients));
    let (arrays, cols) = nutrient_unnest(7);
    let n = Nutrients::NAMES.len();
    let unnest_cols: Vec<String> = Nutrients::NAMES.iter().map(|c| format!("n_{c}")).collect();
    let sql = format!(
        "INSERT INTO food_diary (id, user_id, quantity, unit, meal_type, consumed_at, entry_date,
             food_name, {cols})
         SELECT e.id, auth.uid(), 1, 'serving', e.meal,
                coalesce(e.at, (e.day + time '12:00') AT TIME ZONE $6), e.day, e.name,
                {}
         FROM unnest($1::uuid[], $2::text[], $3::date[], $4::timestamptz[], $5::text[], {arrays})
              AS e(id, meal, day, at, name, {})",
        unnest_cols.join(", "),
        unnest_cols.join(", ")
    );
    debug_assert_eq!(unnest_cols.len(), n);
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&ids, &meals, &days, &ats, &names, &tz];
    for n in &nutrients {
        params.push(n);
    }
    tx.execute(&sql, &params).await?;
    Ok(())
}

async fn insert_measurements(
    tx: &mut UserTx,
    rows: &[(Uuid, String, Measured)],
    tz: &str,
    source: Source,
) -> AppResult<()> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let kinds: Vec<&str> = rows.iter().map(|r| r.2.kind.as_str()).collect();
    let values: Vec<Decimal> = rows.iter().map(|r| r.2.value).collect();
    let units: Vec<&str> = rows.iter().map(|r| r.2.unit).collect();
    let ats: Vec<Option<DateTime<Utc>>> = rows.iter().map(|r| r.2.at).collect();
    let days: Vec<NaiveDate> = rows.iter().map(|r| r.2.date).collect();
    let note = format!("from {}", unit_name(source));
    tx.execute(
        "INSERT INTO measurements (id, user_id, type, value, unit, measured_at, entry_date, note)
         SELECT m.id, auth.uid(), m.type, m.value, m.unit,
                coalesce(m.at, (m.day + time '12:00') AT TIME ZONE $7), m.day, $8
         FROM unnest($1::uuid[], $2::text[], $3::numeric[], $4::text[], $5::timestamptz[],
                     $6::date[]) AS m(id, type, value, unit, at, day)",
        &[&ids, &kinds, &values, &units, &ats, &days, &tz, &note],
    )
    .await?;
    Ok(())
}

async fn insert_workouts(
    tx: &mut UserTx,
    rows: &[(Uuid, String, Worked)],
    tz: &str,
) -> AppResult<()> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let exercise_ids: Vec<Option<Uuid>> = rows.iter().map(|r| r.2.exercise_id).collect();
    let names: Vec<&str> = rows.iter().map(|r| r.2.name.as_str()).collect();
    let minutes: Vec<Option<i32>> = rows.iter().map(|r| r.2.minutes).collect();
    let km: Vec<Option<Decimal>> = rows.iter().map(|r| r.2.km).collect();
    let kcal: Vec<Option<Decimal>> = rows.iter().map(|r| r.2.kcal).collect();
    let ats: Vec<Option<DateTime<Utc>>> = rows.iter().map(|r| r.2.at).collect();
    let days: Vec<NaiveDate> = rows.iter().map(|r| r.2.date).collect();
    let notes: Vec<&str> = rows.iter().map(|r| r.2.note.as_str()).collect();
    let summaries: Vec<_> = rows.iter().map(|r| set_summary(&r.2.sets)).collect();
    let set_counts: Vec<Option<i32>> = summaries.iter().map(|s| s.0).collect();
    let reps: Vec<Option<i32>> = summaries.iter().map(|s| s.1).collect();
    let heaviest: Vec<Option<Decimal>> = summaries.iter().map(|s| s.2).collect();
    tx.execute(
        "INSERT INTO exercise_diary (id, user_id, exercise_id, exercise_name, met_value,
             duration_minutes, distance_km, distance, notes, performed_at, entry_date,
             calories_burned, calories_source, sets, reps, weight)
         SELECT w.id, auth.uid(), w.exercise_id, w.name, e.met_value, w.minutes, w.km,
                round(w.km, 2), w.note,
                coalesce(w.at, (w.day + time '12:00') AT TIME ZONE $10), w.day, w.kcal,
                CASE WHEN w.kcal IS NULL THEN NULL ELSE 'user' END, w.sets, w.reps, w.weight
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int4[], $5::numeric[],
                     $6::numeric[], $7::timestamptz[], $8::date[], $9::text[], $11::int4[],
                     $12::int4[], $13::numeric[])
              AS w(id, exercise_id, name, minutes, km, kcal, at, day, note, sets, reps, weight)
         LEFT JOIN exercises e ON e.id = w.exercise_id",
        &[
            &ids,
            &exercise_ids,
            &names,
            &minutes,
            &km,
            &kcal,
            &ats,
            &days,
            &notes,
            &tz,
            &set_counts,
            &reps,
            &heaviest,
        ],
    )
    .await?;
    // Their sets, all in one statement.
    let sets: Vec<(Uuid, &StoredSet)> = rows
        .iter()
        .flat_map(|r| r.2.sets.iter().map(move |s| (r.0, s)))
        .collect();
    if !sets.is_empty() {
        let entry_ids: Vec<Uuid> = sets.iter().map(|s| s.0).collect();
        let numbers: Vec<i32> = sets.iter().map(|s| s.1.number).collect();
        let set_reps: Vec<Option<i32>> = sets.iter().map(|s| s.1.reps).collect();
        let weights: Vec<Option<Decimal>> = sets.iter().map(|s| s.1.weight_kg).collect();
        tx.execute(
            "INSERT INTO exercise_sets (exercise_diary_id, set_number, reps, weight_kg)
             SELECT s.id, s.n, s.r, s.w
             FROM unnest($1::uuid[], $2::int4[], $3::int4[], $4::numeric[]) AS s(id, n, r, w)",
            &[&entry_ids, &numbers, &set_reps, &weights],
        )
        .await?;
    }
    Ok(())
}

/// A file that cannot be read: a 422 naming the file (and line), nothing written.
pub fn file_error(file: &str, e: sparky_import::ImportError) -> AppError {
    AppError::invalid(file, e.to_string())
}

/// The account an import from the command line writes into (maintenance, as the owner): the
/// one with `email`, or the only account when none is named.
pub async fn find_user(client: &tokio_postgres::Client, email: Option<&str>) -> AppResult<Uuid> {
    let internal = |e: tokio_postgres::Error| AppError::internal(e.to_string());
    match email {
        Some(email) => client
            .query_opt(
                "SELECT id FROM users WHERE lower(email::text) = lower($1)",
                &[&email.trim()],
            )
            .await
            .map_err(internal)?
            .map(|r| r.get(0))
            .ok_or_else(|| AppError::invalid("user", format!("no account with the email {email}"))),
        None => {
            let rows = client
                .query("SELECT id FROM users ORDER BY created_at LIMIT 2", &[])
                .await
                .map_err(internal)?;
            match rows.as_slice() {
                [one] => Ok(one.get(0)),
                [] => Err(AppError::invalid(
                    "user",
                    "there is no account yet: create one first",
                )),
                _ => Err(AppError::invalid(
                    "user",
                    "there are several accounts: name one with --user EMAIL",
                )),
            }
        }
    }
}
