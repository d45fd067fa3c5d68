//! Storing: the owner's settings, measurement types and exercises, and the batched writes.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sparky_core::health;
use sparky_core::measure::{Dimension, MeasureUnit};
use sparky_core::UnitsSystem;
use sparky_db::UserTx;
use uuid::Uuid;

use super::plan::{Draft, DraftBody, Ready, Settings, Write};
use super::MAX_NEW_TYPES;
use crate::error::{AppError, AppResult};
use crate::measurement_types::{self, NewMeasurementType, MAX_CUSTOM_TYPES};

/// The owner's timezone and units.
pub(super) async fn settings(tx: &mut UserTx) -> AppResult<Settings> {
    let row = tx
        .query_opt(
            "SELECT timezone, units_system FROM user_preferences WHERE user_id = auth.uid() LIMIT 1",
            &[],
        )
        .await?;
    let tz = row
        .as_ref()
        .and_then(|r| r.get::<_, Option<String>>(0))
        .and_then(|t| t.parse().ok())
        .unwrap_or(chrono_tz::UTC);
    let units = UnitsSystem::from_preference(
        row.as_ref()
            .and_then(|r| r.get::<_, Option<String>>(1))
            .as_deref(),
    );
    Ok(Settings { tz, units })
}

/// Whether a custom type made for health data may take the dimension `unit` names: body-like
/// units do; lengths (a girth is at most 500 cm, a walk is not) and grams (a nutrient shown in
/// kg) keep the value as sent in a count.
fn dimension_for_new_type(unit: Option<&str>) -> Dimension {
    match unit.map(MeasureUnit::parse) {
        Some(Ok(MeasureUnit::G)) | Some(Err(_)) | None => Dimension::Count,
        Some(Ok(u)) if u.dimension() == Dimension::Length => Dimension::Count,
        Some(Ok(u)) => u.dimension(),
    }
}

/// The dimension of each measurement type the drafts use, creating the missing ones as the
/// owner's custom types (at most [`MAX_NEW_TYPES`]). A type that could not be created maps to
/// the reason.
pub(super) async fn resolve_types(
    tx: &mut UserTx,
    drafts: &[(usize, Draft)],
) -> AppResult<HashMap<String, Result<Dimension, String>>> {
    let mut first_unit: Vec<(String, Option<String>, bool)> = Vec::new();
    let mut seen = HashSet::new();
    for (_, d) in drafts {
        if let DraftBody::Measurement {
            type_name,
            unit,
            converted,
            ..
        } = &d.body
        {
            if seen.insert(type_name.clone()) {
                first_unit.push((type_name.clone(), unit.clone(), *converted));
            }
        }
    }
    let names: Vec<&str> = first_unit.iter().map(|(n, _, _)| n.as_str()).collect();
    let rows = tx
        .query(
            "SELECT DISTINCT ON (name) name, dimension FROM measurement_types
             WHERE name = ANY($1) AND (user_id IS NULL OR user_id = auth.uid())
             ORDER BY name, user_id NULLS FIRST",
            &[&names],
        )
        .await?;
    let mut out: HashMap<String, Result<Dimension, String>> = rows
        .iter()
        .map(|r| {
            let name: String = r.get(0);
            let dim = Dimension::parse(r.get::<_, &str>(1)).unwrap_or(Dimension::Count);
            (name, Ok(dim))
        })
        .collect();
    let mut created = 0;
    for (name, unit, converted) in first_unit {
        if out.contains_key(&name) {
            continue;
        }
        if created >= MAX_NEW_TYPES {
            out.insert(
                name,
                Err(format!(
                    "one request creates at most {MAX_NEW_TYPES} new measurement types; send \
                     this record again to create its type"
                )),
            );
            continue;
        }
        let dimension = if converted {
            Dimension::Count
        } else {
            dimension_for_new_type(unit.as_deref())
        };
        let new = NewMeasurementType {
            name: name.clone(),
            dimension,
        };
        match measurement_types::create(tx, &new).await {
            Ok(_) => {
                created += 1;
                out.insert(name, Ok(dimension));
            }
            Err(AppError::Invalid(_)) => {
                out.insert(
                    name,
                    Err(format!(
                        "you have {MAX_CUSTOM_TYPES} custom measurement types, the most one user \
                         may have; delete one to store new kinds of data"
                    )),
                );
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The catalog exercise (or the owner's own) each workout name stands for.
pub(crate) async fn match_exercises(
    tx: &mut UserTx,
    names: &[String],
) -> AppResult<HashMap<String, (Uuid, String)>> {
    let candidates: Vec<(String, Vec<String>)> = names
        .iter()
        .map(|n| (n.clone(), health::activity_candidates(n)))
        .collect();
    let all: Vec<String> = candidates
        .iter()
        .flat_map(|(_, c)| c.iter().cloned())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if all.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = tx
        .query(
            "SELECT DISTINCT ON (lower(name)) lower(name), id, name FROM exercises
             WHERE lower(name) = ANY($1) AND (user_id IS NULL OR user_id = auth.uid())
             ORDER BY lower(name), user_id NULLS LAST, id",
            &[&all],
        )
        .await?;
    let found: HashMap<String, (Uuid, String)> = rows
        .iter()
        .map(|r| (r.get::<_, String>(0), (r.get(1), r.get(2))))
        .collect();
    Ok(candidates
        .into_iter()
        .filter_map(|(name, c)| {
            c.iter()
                .find_map(|k| found.get(k).cloned())
                .map(|hit| (name, hit))
        })
        .collect())
}

pub(super) async fn write_measurements(
    tx: &mut UserTx,
    inserts: &[(Uuid, &Ready)],
    updates: &[(Uuid, &Ready)],
    tz: &str,
) -> AppResult<()> {
    struct Cols<'a> {
        ids: Vec<Uuid>,
        types: Vec<&'a str>,
        values: Vec<Decimal>,
        units: Vec<&'a str>,
        ats: Vec<Option<DateTime<Utc>>>,
        days: Vec<NaiveDate>,
        notes: Vec<&'a str>,
    }
    fn cols<'a>(rows: &'a [(Uuid, &'a Ready)]) -> Cols<'a> {
        let mut c = Cols {
            ids: vec![],
            types: vec![],
            values: vec![],
            units: vec![],
            ats: vec![],
            days: vec![],
            notes: vec![],
        };
        for (id, r) in rows {
            if let Write::Measurement {
                type_name,
                value,
                unit,
                day,
                at,
                note,
            } = &r.write
            {
                c.ids.push(*id);
                c.types.push(type_name);
                c.values.push(*value);
                c.units.push(unit);
                c.ats.push(*at);
                c.days.push(*day);
                c.notes.push(note);
            }
        }
        c
    }
    let new = cols(inserts);
    if !new.ids.is_empty() {
        tx.execute(
            "INSERT INTO measurements (id, user_id, type, value, unit, measured_at, entry_date, note)
             SELECT m.id, auth.uid(), m.type, m.value, m.unit,
                    coalesce(m.at, (m.day + time '12:00') AT TIME ZONE $8), m.day, m.note
             FROM unnest($1::uuid[], $2::text[], $3::numeric[], $4::text[], $5::timestamptz[],
                         $6::date[], $7::text[]) AS m(id, type, value, unit, at, day, note)",
            &[
                &new.ids,
                &new.types,
                &new.values,
                &new.units,
                &new.ats,
                &new.days,
                &new.notes,
                &tz,
            ],
        )
        .await?;
    }
    let changed = cols(updates);
    if !changed.ids.is_empty() {
        tx.execute(
            "UPDATE measurements AS t SET value = m.value, unit = m.unit,
                    measured_at = coalesce(m.at, (m.day + time '12:00') AT TIME ZONE $8),
                    entry_date = m.day, note = m.note
             FROM unnest($1::uuid[], $2::text[], $3::numeric[], $4::text[], $5::timestamptz[],
                         $6::date[], $7::text[]) AS m(id, type, value, unit, at, day, note)
             WHERE t.id = m.id AND t.type = m.type",
            &[
                &changed.ids,
                &changed.types,
                &changed.values,
                &changed.units,
                &changed.ats,
                &changed.days,
                &changed.notes,
                &tz,
            ],
        )
        .await?;
    }
    Ok(())
}

pub(super) async fn write_workouts(
    tx: &mut UserTx,
    inserts: &[(Uuid, &Ready)],
    updates: &[(Uuid, &Ready)],
    tz: &str,
) -> AppResult<()> {
    #[derive(Default)]
    struct Cols<'a> {
        ids: Vec<Uuid>,
        exercise_ids: Vec<Option<Uuid>>,
        names: Vec<&'a str>,
        seconds: Vec<Option<i32>>,
        km: Vec<Option<Decimal>>,
        kcal: Vec<Option<Decimal>>,
        ats: Vec<Option<DateTime<Utc>>>,
        days: Vec<NaiveDate>,
        notes: Vec<&'a str>,
    }
    fn cols<'a>(rows: &'a [(Uuid, &'a Ready)]) -> Cols<'a> {
        let mut c = Cols::default();
        for (id, r) in rows {
            if let Write::Workout {
                exercise_id,
                name,
                seconds,
                km,
                kcal,
                day,
                at,
                note,
            } = &r.write
            {
                c.ids.push(*id);
                c.exercise_ids.push(*exercise_id);
                c.names.push(name);
                c.seconds.push(*seconds);
                c.km.push(*km);
                c.kcal.push(*kcal);
                c.ats.push(*at);
                c.days.push(*day);
                c.notes.push(note);
            }
        }
        c
    }
    const INPUT: &str = "unnest($1::uuid[], $2::uuid[], $3::text[], $4::int4[], $5::numeric[],
                                $6::numeric[], $7::timestamptz[], $8::date[], $9::text[])
                         AS w(id, exercise_id, name, seconds, km, kcal, at, day, note)";
    let new = cols(inserts);
    if !new.ids.is_empty() {
        tx.execute(
            &format!(
                "INSERT INTO exercise_diary (id, user_id, exercise_id, exercise_name, met_value,
                     duration_seconds, distance_km, distance, notes, performed_at, entry_date,
                     calories_burned, calories_source)
                 SELECT w.id, auth.uid(), w.exercise_id, w.name, e.met_value, w.seconds, w.km,
                        round(w.km, 2), w.note,
                        coalesce(w.at, (w.day + time '12:00') AT TIME ZONE $10), w.day, w.kcal,
                        CASE WHEN w.kcal IS NULL THEN NULL ELSE 'user' END
                 FROM {INPUT} LEFT JOIN exercises e ON e.id = w.exercise_id"
            ),
            &[
                &new.ids,
                &new.exercise_ids,
                &new.names,
                &new.seconds,
                &new.km,
                &new.kcal,
                &new.ats,
                &new.days,
                &new.notes,
                &tz,
            ],
        )
        .await?;
    }
    let changed = cols(updates);
    if !changed.ids.is_empty() {
        tx.execute(
            &format!(
                "UPDATE exercise_diary AS d SET exercise_id = w.exercise_id, exercise_name = w.name,
                     met_value = w.met, duration_seconds = w.seconds, distance_km = w.km,
                     distance = round(w.km, 2), notes = w.note,
                     performed_at = coalesce(w.at, (w.day + time '12:00') AT TIME ZONE $10),
                     entry_date = w.day, calories_burned = w.kcal,
                     calories_source = CASE WHEN w.kcal IS NULL THEN NULL ELSE 'user' END
                 FROM (SELECT w.*, e.met_value AS met FROM {INPUT}
                       LEFT JOIN exercises e ON e.id = w.exercise_id) AS w
                 WHERE d.id = w.id"
            ),
            &[
                &changed.ids,
                &changed.exercise_ids,
                &changed.names,
                &changed.seconds,
                &changed.km,
                &changed.kcal,
                &changed.ats,
                &changed.days,
                &changed.notes,
                &tz,
            ],
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_types_take_body_like_dimensions_only() {
        assert_eq!(dimension_for_new_type(Some("kg")), Dimension::Mass);
        assert_eq!(dimension_for_new_type(Some("%")), Dimension::Percent);
        assert_eq!(dimension_for_new_type(Some("bpm")), Dimension::Rate);
        assert_eq!(dimension_for_new_type(Some("ml")), Dimension::Volume);
        assert_eq!(dimension_for_new_type(Some("m")), Dimension::Count);
        assert_eq!(dimension_for_new_type(Some("g")), Dimension::Count);
        assert_eq!(dimension_for_new_type(Some("mmol/L")), Dimension::Count);
        assert_eq!(dimension_for_new_type(None), Dimension::Count);
    }
}
