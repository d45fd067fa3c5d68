//! Writing checked records: batched inserts per table and the import ledger.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sparky_core::nutrition::Nutrients;
use sparky_db::UserTx;
use sparky_import::{Area, DiaryRecord, FoodRecord, Source};
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::error::AppResult;
use crate::workouts::input::StoredSet;
use crate::workouts::set_summary;

use super::*;

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

/// Remembers the version each imported workout was stored at, and the row it now is (a newer
/// version replaced the earlier row).
pub(crate) async fn remember_versions(
    tx: &mut UserTx,
    source: Source,
    stored: &[(&str, Uuid, &str)],
) -> AppResult<()> {
    for chunk in stored.chunks(CHUNK) {
        let keys: Vec<&str> = chunk.iter().map(|(k, _, _)| *k).collect();
        let ids: Vec<Uuid> = chunk.iter().map(|(_, id, _)| *id).collect();
        let versions: Vec<&str> = chunk.iter().map(|(_, _, v)| *v).collect();
        tx.execute(
            "UPDATE import_records AS r SET target_id = k.id, fingerprint = k.version
             FROM unnest($2::text[], $3::uuid[], $4::text[]) AS k(key, id, version)
             WHERE r.user_id = auth.uid() AND r.source = $1 AND r.record_key = k.key",
            &[&source.as_str(), &keys, &ids, &versions],
        )
        .await?;
    }
    Ok(())
}

/// Remembers which entry now stands for each slot (what a row is a version of), so that the
/// next newer version replaces it.
pub(crate) async fn remember_slots(
    tx: &mut UserTx,
    source: Source,
    slots: &[(String, Uuid)],
) -> AppResult<()> {
    for chunk in slots.chunks(CHUNK) {
        let keys: Vec<&str> = chunk.iter().map(|(k, _)| k.as_str()).collect();
        let ids: Vec<Uuid> = chunk.iter().map(|(_, id)| *id).collect();
        tx.execute(
            "INSERT INTO import_records (user_id, source, record_key, area, target_id)
             SELECT auth.uid(), $1, k.key, 'diary', k.id
             FROM unnest($2::text[], $3::uuid[]) AS k(key, id)
             ON CONFLICT (user_id, source, record_key) DO UPDATE SET target_id = EXCLUDED.target_id",
            &[&source.as_str(), &keys, &ids],
        )
        .await?;
    }
    Ok(())
}

/// Each nutrient's values as one array.
pub(super) fn nutrient_arrays<'a>(
    all: impl Iterator<Item = &'a Nutrients>,
) -> Vec<Vec<Option<Decimal>>> {
    let mut cols: Vec<Vec<Option<Decimal>>> = vec![Vec::new(); Nutrients::NAMES.len()];
    for n in all {
        for (i, (_, v)) in n.iter().enumerate() {
            cols[i].push(v);
        }
    }
    cols
}

pub(super) fn nutrient_unnest(first: usize) -> (String, String) {
    let arrays: Vec<String> = (0..Nutrients::NAMES.len())
        .map(|i| format!("${}::numeric[]", first + i))
        .collect();
    (arrays.join(", "), Nutrients::NAMES.join(", "))
}

pub(super) async fn insert_foods(
    tx: &mut UserTx,
    rows: &[(Uuid, String, FoodRecord, serde_json::Value)],
) -> AppResult<()> {
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
    let custom: Vec<&serde_json::Value> = rows.iter().map(|r| &r.3).collect();
    let nutrients = nutrient_arrays(rows.iter().map(|r| &r.2.nutrients));
    let (arrays, cols) = nutrient_unnest(6);
    let sql = format!(
        "INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit, serving_weight_g,
             custom_nutrients, is_default, {cols})
         SELECT * FROM unnest($1::uuid[], $2::numeric[], $3::text[], $4::numeric[],
             $5::jsonb[], array_fill(true, ARRAY[cardinality($1::uuid[])]), {arrays})"
    );
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&ids, &sizes, &units, &weights, &custom];
    for n in &nutrients {
        params.push(n);
    }
    tx.execute(&sql, &params).await?;
    Ok(())
}

pub(super) async fn insert_diary(
    tx: &mut UserTx,
    rows: &[Ready<DiaryRecord>],
    custom: &[serde_json::Value],
    tz: &str,
) -> AppResult<()> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let meals: Vec<&str> = rows.iter().map(|r| r.record.meal.as_str()).collect();
    let days: Vec<NaiveDate> = rows.iter().map(|r| r.record.date).collect();
    let ats: Vec<Option<DateTime<Utc>>> = rows.iter().map(|r| r.record.at).collect();
    let names: Vec<&str> = rows.iter().map(|r| r.record.name.trim()).collect();
    let nutrients = nutrient_arrays(rows.iter().map(|r| &r.record.nutrients));
    let (arrays, cols) = nutrient_unnest(8);
    let n = Nutrients::NAMES.len();
    let unnest_cols: Vec<String> = Nutrients::NAMES.iter().map(|c| format!("n_{c}")).collect();
    let sql = format!(
        "INSERT INTO food_diary (id, user_id, quantity, unit, meal_type, consumed_at, entry_date,
             food_name, servings, custom_per_serving, {cols})
         SELECT e.id, auth.uid(), 1, 'serving', e.meal,
                coalesce(e.at, (e.day + time '12:00') AT TIME ZONE $6), e.day, e.name,
                CASE WHEN e.custom <> '{{}}'::jsonb THEN 1 END, e.custom,
                {}
         FROM unnest($1::uuid[], $2::text[], $3::date[], $4::timestamptz[], $5::text[],
                     $7::jsonb[], {arrays})
              AS e(id, meal, day, at, name, custom, {})",
        unnest_cols.join(", "),
        unnest_cols.join(", ")
    );
    debug_assert_eq!(unnest_cols.len(), n);
    let mut params: Vec<&(dyn ToSql + Sync)> =
        vec![&ids, &meals, &days, &ats, &names, &tz, &custom];
    for n in &nutrients {
        params.push(n);
    }
    tx.execute(&sql, &params).await?;
    Ok(())
}

pub(super) async fn insert_measurements(
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

/// New values for day values a push or an earlier import stored (their time stays).
pub(super) async fn replace_measurements(
    tx: &mut UserTx,
    rows: &[(Uuid, String, Measured)],
    source: Source,
) -> AppResult<()> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let values: Vec<Decimal> = rows.iter().map(|r| r.2.value).collect();
    let units: Vec<&str> = rows.iter().map(|r| r.2.unit).collect();
    let note = format!("from {}", unit_name(source));
    tx.execute(
        "UPDATE measurements AS t SET value = m.value, unit = m.unit, note = $4
         FROM unnest($1::uuid[], $2::numeric[], $3::text[]) AS m(id, value, unit)
         WHERE t.id = m.id AND t.user_id = auth.uid()",
        &[&ids, &values, &units, &note],
    )
    .await?;
    Ok(())
}

pub(super) async fn insert_workouts(
    tx: &mut UserTx,
    rows: &[(Uuid, String, Worked)],
    tz: &str,
) -> AppResult<()> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let exercise_ids: Vec<Option<Uuid>> = rows.iter().map(|r| r.2.exercise_id).collect();
    let names: Vec<&str> = rows.iter().map(|r| r.2.name.as_str()).collect();
    let seconds: Vec<Option<i32>> = rows.iter().map(|r| r.2.seconds).collect();
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
             duration_seconds, distance_km, distance, notes, performed_at, entry_date,
             calories_burned, calories_source, sets, reps, weight)
         SELECT w.id, auth.uid(), w.exercise_id, w.name, e.met_value, w.seconds, w.km,
                round(w.km, 2), w.note,
                coalesce(w.at, (w.day + time '12:00') AT TIME ZONE $10), w.day, w.kcal,
                CASE WHEN w.kcal IS NULL THEN NULL ELSE 'user' END, w.sets, w.reps, w.weight
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int4[], $5::numeric[],
                     $6::numeric[], $7::timestamptz[], $8::date[], $9::text[], $11::int4[],
                     $12::int4[], $13::numeric[])
              AS w(id, exercise_id, name, seconds, km, kcal, at, day, note, sets, reps, weight)
         LEFT JOIN exercises e ON e.id = w.exercise_id",
        &[
            &ids,
            &exercise_ids,
            &names,
            &seconds,
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
        let set_seconds: Vec<Option<i32>> = sets.iter().map(|s| s.1.duration_seconds).collect();
        tx.execute(
            "INSERT INTO exercise_sets (exercise_diary_id, set_number, reps, weight_kg,
                 duration_seconds)
             SELECT s.id, s.n, s.r, s.w, s.d
             FROM unnest($1::uuid[], $2::int4[], $3::int4[], $4::numeric[], $5::int4[])
                  AS s(id, n, r, w, d)",
            &[&entry_ids, &numbers, &set_reps, &weights, &set_seconds],
        )
        .await?;
    }
    Ok(())
}
