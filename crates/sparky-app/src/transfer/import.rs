//! Import: the whole archive checked first, then written in the caller's transaction.

use std::collections::HashMap;

use sparky_db::{DbError, UserTx};
use tokio_postgres::types::ToSql;

use crate::error::{AppError, AppResult};
use spec::{FileSpec, FILES};

use super::*;

/// Tables whose rows make an account "not empty": an import adds to nothing.
pub(super) const HAS_DATA: &str = "SELECT
    EXISTS (SELECT 1 FROM food_items WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM exercises WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM measurement_types WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM measurements WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM goals WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM meal_plan_templates WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM meal_plans WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM food_diary WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM exercise_diary WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM health_data_records WHERE user_id = (SELECT auth.uid()))
 OR EXISTS (SELECT 1 FROM chat_conversations WHERE user_id = (SELECT auth.uid()))";

pub(super) const IMPORT_LOCK: &str =
    "SELECT pg_advisory_xact_lock(hashtextextended('sparky-import:' || (SELECT auth.uid())::text, 0))";

/// An archive that was unpacked and parsed, ready to be written: everything about it that
/// needs no database has been checked. Its decompressed files are gone; only the parsed
/// columns are kept.
pub struct CheckedArchive {
    exported_at: String,
    parsed: Vec<(&'static FileSpec, Parsed)>,
}

impl std::fmt::Debug for CheckedArchive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckedArchive")
            .field("exported_at", &self.exported_at)
            .field("files", &self.parsed.len())
            .finish()
    }
}

/// Unpacks and parses an archive (gzip, tar, manifest, checksums, every CSV file and the
/// references between them). CPU-bound and synchronous: a server runs it off the async
/// workers (see [`import`]).
pub fn check_archive(bytes: &[u8], max_uncompressed: u64) -> AppResult<CheckedArchive> {
    let archive = read_archive(bytes, max_uncompressed)?;
    let mut refs: HashMap<&'static str, HashMap<u64, String>> = HashMap::new();
    let mut parsed = Vec::with_capacity(FILES.len());
    // Archives from before the formula escape hold text as it was.
    let escaped = archive.manifest.schema_version.as_str() >= super::TEXT_ESCAPED_SINCE;
    for spec in FILES {
        // A file added to the format later, missing from an older archive: no rows.
        let header_only = format!("{}\n", spec.header().join(","));
        let data = archive
            .files
            .get(spec.file)
            .map_or(header_only.as_bytes(), Vec::as_slice);
        let (p, mine) = parse_file(spec, data, &refs, escaped)?;
        let listed = archive
            .manifest
            .files
            .iter()
            .find(|f| f.name == spec.file)
            .map(|f| f.rows)
            .or_else(|| (!archive.files.contains_key(spec.file)).then_some(0));
        if listed != Some(p.lines.len() as u64) {
            return Err(bad(format!(
                "{}: {} rows, but manifest.json says {}",
                spec.file,
                p.lines.len(),
                listed.map(|r| r.to_string()).unwrap_or("nothing".into())
            )));
        }
        if let Some(m) = mine {
            refs.insert(spec.file, m);
        }
        parsed.push((spec, p));
    }
    Ok(CheckedArchive {
        exported_at: archive.manifest.exported_at,
        parsed,
    })
}

/// Reads an archive into the acting user's account, which must hold no data yet (409
/// otherwise). Everything is checked before the first write; the caller commits. The archive
/// is unpacked and parsed on a blocking thread, so a large one does not hold up the async
/// workers that serve other requests.
pub async fn import(
    tx: &mut UserTx,
    bytes: bytes::Bytes,
    options: &ImportOptions,
) -> AppResult<ImportReport> {
    let max = options.max_uncompressed;
    let checked = tokio::task::spawn_blocking(move || check_archive(&bytes, max))
        .await
        .map_err(|e| AppError::internal(format!("the archive check stopped: {e}")))??;
    import_checked(tx, checked, options).await
}

/// [`import`] of an archive already checked with [`check_archive`].
pub async fn import_checked(
    tx: &mut UserTx,
    checked: CheckedArchive,
    options: &ImportOptions,
) -> AppResult<ImportReport> {
    let CheckedArchive {
        exported_at,
        parsed,
    } = checked;
    if let Some(t) = options.statement_timeout {
        tx.set_statement_timeout(t);
    }
    check_rules(tx, &parsed, options).await?;
    // Two imports into one account at once: the second waits, then finds the data.
    tx.query(IMPORT_LOCK, &[]).await?;
    let has_data: bool = tx.query_one(HAS_DATA, &[]).await?.get(0);
    if has_data {
        return Err(AppError::conflict(
            "this account already holds data; import into a new, empty account",
        ));
    }
    let mut files = Vec::with_capacity(parsed.len());
    for (spec, p) in &parsed {
        let rows = p.lines.len() as u64;
        let written = match (spec.import_sql(), rows) {
            (Some(sql), 1..) => {
                insert_file(tx, spec, &sql, p).await?;
                rows
            }
            _ => 0,
        };
        files.push(ImportedFile {
            name: spec.file.to_string(),
            rows: written,
        });
    }
    Ok(ImportReport { exported_at, files })
}

/// The values of one column of a parsed file, with their lines and the column's position.
pub(super) fn column<'a>(
    parsed: &'a [(&'static FileSpec, Parsed)],
    file: &str,
    name: &str,
) -> Option<(&'static FileSpec, &'a Parsed, usize)> {
    let (spec, p) = parsed.iter().find(|(s, _)| s.file == file)?;
    let j = spec.cols.iter().position(|c| c.name == name)?;
    Some((spec, p, j))
}

/// Rules the API applies to values the database cannot check: a time zone must be one
/// PostgreSQL and Sparky know, custom measurement types stay within the per-user limit and do
/// not take a built-in type's name, a measurement is of a known type in its canonical unit
/// and plausible, a row's serving belongs to its food, and the assistant's base URL passes
/// the private-network guard.
pub(super) async fn check_rules(
    tx: &mut UserTx,
    parsed: &[(&'static FileSpec, Parsed)],
    options: &ImportOptions,
) -> AppResult<()> {
    if let Some((spec, p, j)) = column(parsed, "preferences.csv", "timezone") {
        for (row, tz) in p.columns[j].iter().enumerate() {
            let tz = tz.as_deref().unwrap_or_default();
            if crate::preferences::parse_timezone("timezone", tz).is_err() {
                let col = j + usize::from(spec.has_ref) + 1;
                return Err(at(
                    spec.file,
                    p.lines[row],
                    col,
                    "timezone",
                    "not an IANA time zone",
                ));
            }
        }
    }
    if let Some((spec, p, j)) = column(parsed, "measurement_types.csv", "name") {
        let max = crate::measurement_types::MAX_CUSTOM_TYPES;
        if p.lines.len() as i64 > max {
            return Err(bad(format!(
                "{}: {} custom measurement types, more than the {max} one user may have",
                spec.file,
                p.lines.len()
            )));
        }
        let built_in: Vec<String> = tx
            .query(
                "SELECT name::text FROM measurement_types WHERE user_id IS NULL",
                &[],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for (row, name) in p.columns[j].iter().enumerate() {
            if let Some(name) = name.as_deref().filter(|n| built_in.iter().any(|b| b == n)) {
                let col = j + usize::from(spec.has_ref) + 1;
                return Err(at(
                    spec.file,
                    p.lines[row],
                    col,
                    "name",
                    format!("{name} is a built-in measurement type"),
                ));
            }
        }
    }
    if let (Some((spec, p, j)), Some((_, _, k))) = (
        column(parsed, "assistant_settings.csv", "base_url"),
        column(parsed, "assistant_settings.csv", "provider"),
    ) {
        for (row, url) in p.columns[j].iter().enumerate() {
            let Some(url) = url else { continue };
            let col = j + usize::from(spec.has_ref) + 1;
            let fail = |m: String| at(spec.file, p.lines[row], col, "base_url", m);
            let kind = match &p.columns[k][row] {
                Some(name) => serde_json::from_value(serde_json::Value::String(name.clone()))
                    .map_err(|_| {
                        at(
                            spec.file,
                            p.lines[row],
                            k + 1,
                            "provider",
                            "not a known provider",
                        )
                    })?,
                None => options
                    .assistant
                    .instance
                    .provider
                    .unwrap_or(crate::assistant::config::ProviderKind::OpenAiCompatible),
            };
            let normalised =
                sparky_ai::normalise_base_url(kind, url).map_err(|e| fail(e.to_string()))?;
            crate::assistant::config::guard_url(tx, &options.assistant, &normalised)
                .await
                .map_err(|e| match e {
                    AppError::Invalid(f) => fail(f.message()),
                    other => other,
                })?;
        }
    }
    check_measurements(tx, parsed).await?;
    for file in ["diary.csv", "meal_plan_items.csv", "recipe_ingredients.csv"] {
        check_servings_belong(parsed, file)?;
    }
    check_goal_units(parsed)?;
    check_ingredients_of_recipes(parsed)?;
    Ok(())
}

/// A goal's unit is its type's (kg, kcal, g, ml): a calorie target "in g" was stored, and the
/// API showed it so.
fn check_goal_units(parsed: &[(&'static FileSpec, Parsed)]) -> AppResult<()> {
    let (Some((spec, p, kind)), Some((_, _, unit))) = (
        column(parsed, "goals.csv", "type"),
        column(parsed, "goals.csv", "target_unit"),
    ) else {
        return Ok(());
    };
    for row in 0..p.lines.len() {
        let t = sparky_core::GoalType::parse(p.columns[kind][row].as_deref().unwrap_or_default())
            .map_err(|e| cell_error(spec, p, row, kind, e.to_string()))?;
        if let Some(u) = p.columns[unit][row].as_deref() {
            if u != t.canonical_unit() {
                return Err(cell_error(
                    spec,
                    p,
                    row,
                    unit,
                    format!("a {} goal is in {}", t.as_str(), t.canonical_unit()),
                ));
            }
        }
    }
    Ok(())
}

/// Ingredients belong to a recipe (a foods.csv row with `recipe_servings`): ingredients given
/// to a plain food were stored, invisible to the API and exported again.
fn check_ingredients_of_recipes(parsed: &[(&'static FileSpec, Parsed)]) -> AppResult<()> {
    let (Some((spec, p, recipe)), Some((_, foods, servings))) = (
        column(parsed, "recipe_ingredients.csv", "recipe"),
        column(parsed, "foods.csv", "recipe_servings"),
    ) else {
        return Ok(());
    };
    let recipes: std::collections::HashSet<&str> = foods
        .ids
        .iter()
        .zip(&foods.columns[servings])
        .filter(|(_, s)| s.is_some())
        .filter_map(|(id, _)| id.as_deref())
        .collect();
    for row in 0..p.lines.len() {
        if let Some(r) = &p.columns[recipe][row] {
            if !recipes.contains(r.as_str()) {
                return Err(cell_error(
                    spec,
                    p,
                    row,
                    recipe,
                    "not a recipe (a foods.csv row with recipe_servings)".into(),
                ));
            }
        }
    }
    Ok(())
}

/// Custom measurement types have a valid name and a unit of their dimension; measurements are
/// of a built-in type or one of the archive's, in that type's canonical unit (as exported),
/// with a value the API would take (a body fat of 150 % is refused).
async fn check_measurements(
    tx: &mut UserTx,
    parsed: &[(&'static FileSpec, Parsed)],
) -> AppResult<()> {
    use sparky_core::measure::{self, Dimension, MeasureUnit};
    let mut dimensions: HashMap<String, Dimension> = HashMap::new();
    if let (Some((spec, p, name)), Some((_, _, unit)), Some((_, _, dim))) = (
        column(parsed, "measurement_types.csv", "name"),
        column(parsed, "measurement_types.csv", "unit"),
        column(parsed, "measurement_types.csv", "dimension"),
    ) {
        let place = |row: usize, j: usize, problem: String| cell_error(spec, p, row, j, problem);
        for row in 0..p.lines.len() {
            let n = p.columns[name][row].clone().unwrap_or_default();
            if crate::measurement_types::type_name(&n) != n
                || !crate::measurement_types::valid_type_name(&n)
            {
                return Err(place(
                    row,
                    name,
                    "a type name is lower case letters, digits and _, starting with a letter"
                        .into(),
                ));
            }
            let d = Dimension::parse(p.columns[dim][row].as_deref().unwrap_or_default())
                .map_err(|e| place(row, dim, e.to_string()))?;
            let u = p.columns[unit][row].as_deref().unwrap_or_default();
            match MeasureUnit::parse(u) {
                Ok(u) if u.dimension() == d => {}
                Ok(_) => return Err(place(row, unit, format!("not a unit of {}", d.as_str()))),
                Err(e) => return Err(place(row, unit, e.to_string())),
            }
            dimensions.insert(n, d);
        }
    }
    let Some((spec, p, kind)) = column(parsed, "measurements.csv", "type") else {
        return Ok(());
    };
    let (Some((_, _, value)), Some((_, _, unit))) = (
        column(parsed, "measurements.csv", "value"),
        column(parsed, "measurements.csv", "unit"),
    ) else {
        return Ok(());
    };
    for r in tx
        .query(
            "SELECT name::text, dimension FROM measurement_types WHERE user_id IS NULL",
            &[],
        )
        .await?
    {
        if let Ok(d) = Dimension::parse(r.get(1)) {
            dimensions.insert(r.get(0), d);
        }
    }
    let place = |row: usize, j: usize, problem: String| cell_error(spec, p, row, j, problem);
    for row in 0..p.lines.len() {
        let t = p.columns[kind][row].as_deref().unwrap_or_default();
        let Some(d) = dimensions.get(t).copied() else {
            return Err(place(
                row,
                kind,
                format!(
                    "{t} is neither a built-in measurement type nor one of measurement_types.csv"
                ),
            ));
        };
        let canonical = d.canonical_unit();
        if p.columns[unit][row].as_deref() != Some(canonical.as_str()) {
            return Err(place(
                row,
                unit,
                format!("a {t} is stored in {}", canonical.as_str()),
            ));
        }
        let v: rust_decimal::Decimal = p.columns[value][row]
            .as_deref()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| place(row, value, "not a number".into()))?;
        measure::check_canonical(v, d).map_err(|e| place(row, value, e.to_string()))?;
    }
    Ok(())
}

/// A refused value: the file, the row's line and the column of spec column `j`.
fn cell_error(spec: &FileSpec, p: &Parsed, row: usize, j: usize, problem: String) -> AppError {
    at(
        spec.file,
        p.lines[row],
        j + usize::from(spec.has_ref) + 1,
        spec.cols[j].name,
        problem,
    )
}

/// In `file`, a row that names both a food and a serving names one of that food's servings.
fn check_servings_belong(parsed: &[(&'static FileSpec, Parsed)], file: &str) -> AppResult<()> {
    let (Some((spec, p, food)), Some((_, _, serving)), Some((_, servings, of))) = (
        column(parsed, file, "food"),
        column(parsed, file, "serving"),
        column(parsed, "servings.csv", "food"),
    ) else {
        return Ok(());
    };
    let food_of: HashMap<&str, &str> = servings
        .ids
        .iter()
        .zip(&servings.columns[of])
        .filter_map(|(id, f)| Some((id.as_deref()?, f.as_deref()?)))
        .collect();
    for row in 0..p.lines.len() {
        let Some(s) = &p.columns[serving][row] else {
            continue;
        };
        // A serving is always one of the archive's own foods': a row naming one needs that
        // food too (a catalog food with an own food's serving was stored).
        let Some(f) = &p.columns[food][row] else {
            return Err(cell_error(
                spec,
                p,
                row,
                food,
                "empty, but the row names a serving: a serving needs the row's food".into(),
            ));
        };
        if food_of.get(s.as_str()) != Some(&f.as_str()) {
            return Err(cell_error(
                spec,
                p,
                row,
                serving,
                "not a serving of the row's food".into(),
            ));
        }
    }
    Ok(())
}

/// Runs a file's insert over its first `n` rows.
pub(super) async fn insert_rows(
    tx: &mut UserTx,
    sql: &str,
    p: &Parsed,
    n: usize,
) -> Result<u64, DbError> {
    let ids = p.ids[..n].to_vec();
    let columns: Vec<Vec<Option<String>>> = p.columns.iter().map(|c| c[..n].to_vec()).collect();
    let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(columns.len() + 1);
    params.push(&ids);
    for c in &columns {
        params.push(c);
    }
    tx.execute(sql, &params).await
}

/// A value PostgreSQL refused (a check, a unique key, a value out of range).
pub(super) fn data_error(e: &DbError) -> Option<&tokio_postgres::error::DbError> {
    let db = match e {
        DbError::Postgres(pg) => pg.as_db_error()?,
        _ => return None,
    };
    matches!(&db.code().code()[..2], "22" | "23").then_some(db)
}

pub(super) const SAVEPOINT: &str = "SAVEPOINT sparky_import_file";
pub(super) const ROLLBACK_TO: &str = "ROLLBACK TO SAVEPOINT sparky_import_file";
pub(super) const RELEASE: &str = "RELEASE SAVEPOINT sparky_import_file";

/// Writes one file in one statement. When PostgreSQL refuses a value, it does not say which
/// row (row level security keeps the failing row out of its message), so the file is tried
/// again in ever shorter prefixes (a binary search, each try undone) to find the first row
/// that fails, and the error names its line.
pub(super) async fn insert_file(
    tx: &mut UserTx,
    spec: &FileSpec,
    sql: &str,
    p: &Parsed,
) -> AppResult<()> {
    let n = p.lines.len();
    tx.execute(SAVEPOINT, &[]).await?;
    let mut error = match insert_rows(tx, sql, p, n).await {
        Ok(_) => {
            tx.execute(RELEASE, &[]).await?;
            return Ok(());
        }
        Err(e) if data_error(&e).is_some() => e,
        Err(e) => return Err(e.into()),
    };
    // The first `lo` rows go in; the first `hi` do not.
    let (mut lo, mut hi) = (0, n);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        tx.execute(ROLLBACK_TO, &[]).await?;
        match insert_rows(tx, sql, p, mid).await {
            Ok(_) => lo = mid,
            Err(e) if data_error(&e).is_some() => {
                hi = mid;
                error = e;
            }
            Err(e) => return Err(e.into()),
        }
    }
    tx.execute(ROLLBACK_TO, &[]).await?;
    Err(db_error(spec, p.lines[hi - 1], &error))
}

/// What a broken rule means, for the constraints an edited archive most often breaks (the
/// constraint's own name meant nothing to a person).
/// Also the column it is about, when one is.
fn constraint_words(constraint: &str) -> Option<(&'static str, Option<&'static str>)> {
    Some(match constraint {
        "recipe_ingredients_not_itself" => ("a recipe cannot contain itself", Some("food")),
        "recipe_ingredients_position_key" => {
            ("the same ingredient position twice in one recipe", None)
        }
        "idx_goals_one_active_per_type" => ("only one goal of each type may be active", None),
        "idx_goals_one_active_weight_goal" => (
            "only one weight goal (weight_loss, muscle_gain or weight_target) may be active: \
             make the others paused",
            Some("status"),
        ),
        "exercise_sets_entry_set_key" => (
            "the same set number twice in one exercise",
            Some("set_number"),
        ),
        "health_data_records_key" => ("the same record twice (same type, source and time)", None),
        _ => return None,
    })
}

/// A refused value, named by file and line, and by column when the constraint names one
/// (`<table>_<column>_check`) or PostgreSQL does.
pub(super) fn db_error(spec: &FileSpec, line: u64, e: &DbError) -> AppError {
    let Some(db) = data_error(e) else {
        return AppError::internal(format!("import: {e}"));
    };
    let known = db.constraint().and_then(constraint_words);
    let column = db.column().map(str::to_string).or_else(|| {
        if let Some((_, column)) = known {
            return column.map(str::to_string);
        }
        let c = db.constraint()?;
        let table = db.table()?;
        let rest = c.strip_prefix(table)?.strip_prefix('_')?;
        Some(rest.strip_suffix("_check").unwrap_or(rest).to_string())
    });
    let offset = usize::from(spec.has_ref);
    let col = column.as_deref().and_then(|c| {
        spec.cols
            .iter()
            // Also the column the file's value came from (`food` is `i.food_item_id`).
            .position(|col| {
                col.name == c
                    || col.import == Some(c)
                    || col.export.split_once('.').is_some_and(|(alias, column)| {
                        column == c && alias.chars().all(|ch| ch.is_ascii_alphanumeric())
                    })
            })
            .map(|i| (i + offset + 1, spec.cols[i].name))
    });
    let place = match col {
        Some((n, name)) => format!("{} line {line} column {n} ({name})", spec.file),
        None => format!("{} line {line}", spec.file),
    };
    // PostgreSQL's words name its constraints; say what they mean instead where that is
    // plain, and keep its text (and detail) otherwise.
    let problem = match (db.code().code(), known) {
        (_, Some((words, _))) => words.to_string(),
        ("23505", _) => "repeats an earlier row (the same key twice)".to_string(),
        // A check without a constraint is one of Sparky's own triggers, whose one sentence
        // says what is wrong ("a recipe cannot contain a recipe that contains it").
        ("23514", _) if db.constraint().is_none() => db.message().to_string(),
        ("23514" | "22003", _) => "a value out of the range Sparky accepts".to_string(),
        ("23502", _) => "must not be empty".to_string(),
        _ => {
            let mut m = db.message().to_string();
            if let Some(d) = db.detail() {
                m.push_str(&format!(" ({d})"));
            }
            m
        }
    };
    bad(format!("{place}: {problem}"))
}
