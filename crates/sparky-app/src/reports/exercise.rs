//! The exercise report.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use sparky_core::exercise::{rounded_minutes, total_rounded_minutes};
use sparky_core::report::{self as calc};
use sparky_core::{Amount, UnitsSystem, WeightUnit};
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::acting::{Acting, Area};
use crate::error::{AppError, AppResult};

use super::{amount, line, opt, ReportRange, ToCsv, HEAD};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExerciseDay {
    pub date: NaiveDate,
    /// Exercise diary entries that day.
    pub sessions: i64,
    /// kcal of the sessions that have an estimate (a lower bound when
    /// `sessions_without_calories` is not 0); null when none has one.
    #[schema(value_type = Option<f64>)]
    pub calories_burned: Option<Amount>,
    /// Minutes of the sessions that have a duration (`duration_seconds` rounded); null when
    /// none has one.
    pub duration_minutes: Option<i64>,
    pub duration_seconds: Option<i64>,
    /// Sessions that day without a calorie estimate (no weight logged, no MET value).
    pub sessions_without_calories: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MuscleVolume {
    /// A muscle group of the exercise (`other` when the exercise names none or is gone).
    pub muscle_group: String,
    /// Σ reps × weight of the sets, in `weight_unit`, 2 places. A set counts fully for each
    /// muscle group its exercise works.
    #[schema(value_type = f64)]
    pub volume: Amount,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExerciseWeek {
    /// The week's first day (Monday unless the owner's `week_start` says otherwise; may be
    /// before `from`).
    pub week_start: NaiveDate,
    pub sessions: i64,
    #[schema(value_type = f64)]
    pub calories_burned: Amount,
    /// `duration_seconds` rounded to the minute.
    pub duration_minutes: i64,
    pub duration_seconds: i64,
    /// Largest first.
    pub volume: Vec<MuscleVolume>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordEvent {
    /// The day a record was set (beating every earlier session of the exercise, before the
    /// range too; an exercise's first session sets its first records).
    pub date: NaiveDate,
    /// Null when the exercise was deleted since.
    pub exercise_id: Option<Uuid>,
    pub exercise_name: String,
    /// `one_rep_max` (Epley estimate of the day's best set), `heaviest_weight`, `longest_set`
    /// (a timed set), `longest_distance` or `fastest_pace` (the Exercise page's records).
    pub kind: &'static str,
    /// The record in `unit`, 2 places: a weight, seconds, a distance or minutes per km (mi).
    #[schema(value_type = f64)]
    pub value: Amount,
    /// `weight_unit` for weights, `s` for a timed set, km or mi for a distance, `min/km` or
    /// `min/mi` for a pace.
    pub unit: String,
    /// The set's weight (strength records, and a loaded timed set; null for distance and pace).
    #[schema(value_type = Option<f64>)]
    pub weight: Option<Amount>,
    /// The set's reps (strength records; null for a weight held without reps, a timed set,
    /// distance and pace).
    pub reps: Option<i32>,
    /// The session's distance in km or mi (distance and pace records).
    #[schema(value_type = Option<f64>)]
    pub distance: Option<Amount>,
    /// The session's minutes (distance and pace records, when known), or the set's (a timed
    /// set), rounded.
    pub duration_minutes: Option<i32>,
    /// The session's duration to the second, or the timed set's.
    pub duration_seconds: Option<i32>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExerciseReport {
    pub user_id: Uuid,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub weight_unit: WeightUnit,
    pub sessions: i64,
    /// Days with at least one session.
    pub active_days: i64,
    #[schema(value_type = f64)]
    pub calories_burned: Amount,
    /// `duration_seconds` rounded to the minute.
    pub duration_minutes: i64,
    pub duration_seconds: i64,
    /// Sessions without a calorie estimate: `calories_burned` counts the others only.
    pub sessions_without_calories: i64,
    /// Total volume per muscle group over the range, largest first.
    pub volume: Vec<MuscleVolume>,
    /// Days with a session, oldest first.
    #[schema(max_items = 366)]
    pub days: Vec<ExerciseDay>,
    /// Every week of the range, oldest first.
    #[schema(max_items = 54)]
    pub weeks: Vec<ExerciseWeek>,
    /// Records set in the range, oldest first.
    pub records: Vec<RecordEvent>,
}

const EXERCISE_SQL_TAIL: &str = "
     e AS (SELECT d.id, d.entry_date, d.exercise_id, d.calories_burned, d.duration_seconds
           FROM exercise_diary d
           WHERE d.user_id = (SELECT id FROM who)
             AND d.entry_date BETWEEN (SELECT f FROM b) AND (SELECT t FROM b)),
     per_day AS (SELECT entry_date, count(*) AS n, sum(calories_burned) AS kcal,
                        sum(duration_seconds)::numeric AS secs,
                        count(*) FILTER (WHERE calories_burned IS NULL) AS no_kcal
                 FROM e GROUP BY entry_date),
     hist AS (SELECT d.entry_date, coalesce(d.exercise_id::text, 'name:' || d.exercise_name) AS ex_key,
                     d.exercise_id, d.exercise_name, s.reps, s.weight_kg,
                     -- Estimated from sets of up to 12 reps (exercise::MAX_ONE_REP_MAX_REPS).
                     round(CASE WHEN s.reps = 1 THEN s.weight_kg
                                WHEN s.reps <= 12 THEN s.weight_kg * (s.reps + 30) / 30 END, 6) AS e1rm
              FROM exercise_diary d JOIN exercise_sets s ON s.exercise_diary_id = d.id
              WHERE d.user_id = (SELECT id FROM who) AND d.entry_date <= (SELECT t FROM b)
                -- A weight without reps (a hold, a carry) is a heaviest set, as on the
                -- Exercise page; 0 reps is a missed lift.
                AND (s.reps > 0 OR s.reps IS NULL) AND s.weight_kg > 0),
     vol AS (SELECT w.wk, coalesce(mg, 'other') AS mg, sum(w.v) AS v
             FROM (SELECT entry_date - (extract(isodow FROM entry_date)::int - (SELECT isodow FROM ws) + 7) % 7 AS wk,
                          exercise_id, sum(reps * weight_kg) AS v
                   FROM hist WHERE entry_date >= (SELECT f FROM b) AND reps IS NOT NULL
                   GROUP BY 1, 2) w
             LEFT JOIN exercises x ON x.id = w.exercise_id
             LEFT JOIN LATERAL unnest(x.muscle_groups) AS mg ON true
             GROUP BY 1, 2),
     best AS (SELECT DISTINCT ON (ex_key, entry_date) * FROM hist
              ORDER BY ex_key, entry_date, e1rm DESC NULLS LAST, weight_kg DESC),
     heavy AS (SELECT DISTINCT ON (ex_key, entry_date) * FROM hist
               ORDER BY ex_key, entry_date, weight_kg DESC, reps DESC NULLS LAST),
     pr1 AS (SELECT *, max(e1rm) OVER (PARTITION BY ex_key ORDER BY entry_date
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
             FROM best),
     pr2 AS (SELECT *, max(weight_kg) OVER (PARTITION BY ex_key ORDER BY entry_date
                                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
             FROM heavy),
     -- The longest timed set of each day (its first, as the Exercise page keeps ties).
     held AS (SELECT DISTINCT ON (ex_key, entry_date) * FROM (
                  SELECT d.entry_date, coalesce(d.exercise_id::text, 'name:' || d.exercise_name) AS ex_key,
                         d.exercise_id, d.exercise_name, s.duration_seconds AS secs, s.weight_kg,
                         d.performed_at, d.created_at, d.id, s.set_number
                  FROM exercise_diary d JOIN exercise_sets s ON s.exercise_diary_id = d.id
                  WHERE d.user_id = (SELECT id FROM who) AND d.entry_date <= (SELECT t FROM b)
                    AND s.duration_seconds > 0) x
              ORDER BY ex_key, entry_date, secs DESC, performed_at, created_at, id, set_number),
     pr5 AS (SELECT *, max(secs) OVER (PARTITION BY ex_key ORDER BY entry_date
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
             FROM held),
     -- Distance and pace records, as the Exercise page finds them (a pace faster than
     -- 100 km/h, 0.6 min/km, is no record).
     card AS (SELECT d.entry_date, coalesce(d.exercise_id::text, 'name:' || d.exercise_name) AS ex_key,
                     d.exercise_id, d.exercise_name, d.distance_km, d.duration_seconds,
                     CASE WHEN d.duration_seconds > 0
                          THEN d.duration_seconds / 60.0 / d.distance_km END AS pace
              FROM exercise_diary d
              WHERE d.user_id = (SELECT id FROM who) AND d.entry_date <= (SELECT t FROM b)
                AND d.distance_km > 0),
     far AS (SELECT DISTINCT ON (ex_key, entry_date) * FROM card
             ORDER BY ex_key, entry_date, distance_km DESC),
     fast AS (SELECT DISTINCT ON (ex_key, entry_date) * FROM card WHERE pace >= 0.6
              ORDER BY ex_key, entry_date, pace),
     pr3 AS (SELECT *, max(distance_km) OVER (PARTITION BY ex_key ORDER BY entry_date
                                              ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
             FROM far),
     pr4 AS (SELECT *, min(pace) OVER (PARTITION BY ex_key ORDER BY entry_date
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev
             FROM fast)
     SELECT 'h' AS kind, b.f AS day, b.t AS day2, (SELECT id FROM who) AS uid,
            (SELECT units FROM pref) AS name, NULL::numeric AS a, NULL::numeric AS c,
            NULL::bigint AS n, (SELECT isodow FROM ws)::integer AS reps
     FROM b
     UNION ALL
     SELECT 'd', entry_date, NULL, NULL, NULL, kcal, secs, n, no_kcal::integer FROM per_day
     UNION ALL
     SELECT 'v', wk, NULL, NULL, mg, v, NULL, NULL, NULL FROM vol
     UNION ALL
     SELECT 'r', entry_date, NULL, exercise_id, exercise_name, e1rm, weight_kg, NULL, reps FROM pr1
     WHERE entry_date >= (SELECT f FROM b) AND e1rm IS NOT NULL AND (prev IS NULL OR e1rm > prev)
     UNION ALL
     SELECT 'w', entry_date, NULL, exercise_id, exercise_name, weight_kg, weight_kg, NULL, reps FROM pr2
     WHERE entry_date >= (SELECT f FROM b) AND (prev IS NULL OR weight_kg > prev)
     UNION ALL
     SELECT 't', entry_date, NULL, exercise_id, exercise_name, secs, weight_kg, NULL, secs FROM pr5
     WHERE entry_date >= (SELECT f FROM b) AND (prev IS NULL OR secs > prev)
     UNION ALL
     SELECT 'l', entry_date, NULL, exercise_id, exercise_name, distance_km, NULL, NULL, duration_seconds
     FROM pr3 WHERE entry_date >= (SELECT f FROM b) AND (prev IS NULL OR distance_km > prev)
     UNION ALL
     SELECT 'p', entry_date, NULL, exercise_id, exercise_name, pace, distance_km, NULL, duration_seconds
     FROM pr4 WHERE entry_date >= (SELECT f FROM b) AND (prev IS NULL OR pace < prev)";

/// The exercise report (one statement).
pub async fn exercise(
    tx: &mut UserTx,
    acting: Acting,
    range: ReportRange,
) -> AppResult<ExerciseReport> {
    acting.ensure_visible(tx, Area::Diary).await?;
    let (from, to, days) = range.params();
    let rows = tx
        .query(
            &format!("WITH {HEAD},{EXERCISE_SQL_TAIL}"),
            &[&acting.owner, &from, &to, &days],
        )
        .await?;
    let header = rows
        .iter()
        .find(|r| r.get::<_, &str>("kind") == "h")
        .ok_or_else(|| AppError::internal("exercise report: no header row"))?;
    let (from, to): (NaiveDate, NaiveDate) = (header.get("day"), header.get("day2"));
    let user_id: Uuid = header.get("uid");
    let system = UnitsSystem::from_preference(header.get::<_, Option<String>>("name").as_deref());
    let wu = WeightUnit::of(system);
    let kg = |v: Decimal| amount(wu.from_kg(v), 2);
    let du = sparky_core::DistanceUnit::of(system);
    // The header row carries the owner's first day of the week in `reps`.
    let first_day =
        calc::weekday_from_iso(header.get::<_, Option<i32>>("reps").unwrap_or(1).into());

    let mut weeks: Vec<ExerciseWeek> = Vec::new();
    let mut week = calc::week_start_on(from, first_day);
    while week <= to {
        weeks.push(ExerciseWeek {
            week_start: week,
            sessions: 0,
            calories_burned: Amount::ZERO,
            duration_minutes: 0,
            duration_seconds: 0,
            volume: Vec::new(),
        });
        week += Duration::days(7);
    }
    let week_of = |weeks: &[ExerciseWeek], d: NaiveDate| -> Option<usize> {
        let start = calc::week_start_on(d, first_day);
        weeks.iter().position(|w| w.week_start == start)
    };
    let mut out_days = Vec::new();
    let mut totals: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut week_volume: Vec<BTreeMap<String, Decimal>> = vec![BTreeMap::new(); weeks.len()];
    let mut records = Vec::new();
    for r in &rows {
        let day: NaiveDate = r.get("day");
        let a = r.get::<_, Option<Decimal>>("a");
        match r.get::<_, &str>("kind") {
            "d" => {
                // Unknown stays unknown (null), not 0; sums are of the sessions that know.
                let kcal = a;
                let secs = r
                    .get::<_, Option<Decimal>>("c")
                    .map(|s| i64::try_from(s.trunc()).unwrap_or(0));
                let n: i64 = r.get("n");
                let without: i32 = r.get::<_, Option<i32>>("reps").unwrap_or(0);
                if let Some(i) = week_of(&weeks, day) {
                    let w = &mut weeks[i];
                    w.sessions += n;
                    w.calories_burned = Amount(w.calories_burned.0 + kcal.unwrap_or_default());
                    w.duration_seconds += secs.unwrap_or(0);
                    w.duration_minutes = total_rounded_minutes(w.duration_seconds);
                }
                out_days.push(ExerciseDay {
                    date: day,
                    sessions: n,
                    calories_burned: kcal.map(|k| amount(k, 2)),
                    duration_minutes: secs.map(total_rounded_minutes),
                    duration_seconds: secs,
                    sessions_without_calories: i64::from(without),
                });
            }
            "v" => {
                let mg: String = r.get("name");
                let v = a.unwrap_or_default();
                *totals.entry(mg.clone()).or_default() += v;
                if let Some(i) = week_of(&weeks, day) {
                    *week_volume[i].entry(mg).or_default() += v;
                }
            }
            kind @ ("r" | "w") => {
                records.push(RecordEvent {
                    date: day,
                    exercise_id: r.get("uid"),
                    exercise_name: r.get("name"),
                    kind: if kind == "r" {
                        "one_rep_max"
                    } else {
                        "heaviest_weight"
                    },
                    value: kg(a.unwrap_or_default()),
                    unit: wu.as_str().to_string(),
                    weight: Some(kg(r.get::<_, Option<Decimal>>("c").unwrap_or_default())),
                    reps: r.get("reps"),
                    distance: None,
                    duration_minutes: None,
                    duration_seconds: None,
                });
            }
            "t" => {
                let seconds: Option<i32> = r.get("reps");
                records.push(RecordEvent {
                    date: day,
                    exercise_id: r.get("uid"),
                    exercise_name: r.get("name"),
                    kind: "longest_set",
                    value: amount(a.unwrap_or_default(), 2),
                    unit: "s".into(),
                    weight: r.get::<_, Option<Decimal>>("c").map(kg),
                    reps: None,
                    distance: None,
                    duration_minutes: seconds.map(rounded_minutes),
                    duration_seconds: seconds,
                });
            }
            "l" => {
                let km = a.unwrap_or_default();
                records.push(RecordEvent {
                    date: day,
                    exercise_id: r.get("uid"),
                    exercise_name: r.get("name"),
                    kind: "longest_distance",
                    value: amount(du.show(km), 2),
                    unit: du.as_str().to_string(),
                    weight: None,
                    reps: None,
                    distance: Some(amount(du.show(km), 2)),
                    duration_minutes: r.get::<_, Option<i32>>("reps").map(rounded_minutes),
                    duration_seconds: r.get("reps"),
                });
            }
            "p" => {
                let km = r.get::<_, Option<Decimal>>("c").unwrap_or_default();
                records.push(RecordEvent {
                    date: day,
                    exercise_id: r.get("uid"),
                    exercise_name: r.get("name"),
                    kind: "fastest_pace",
                    value: amount(du.show_pace(a.unwrap_or_default()), 2),
                    unit: format!("min/{}", du.as_str()),
                    weight: None,
                    reps: None,
                    distance: Some(amount(du.show(km), 2)),
                    duration_minutes: r.get::<_, Option<i32>>("reps").map(rounded_minutes),
                    duration_seconds: r.get("reps"),
                });
            }
            _ => {}
        }
    }
    let sorted = |m: &BTreeMap<String, Decimal>| -> Vec<MuscleVolume> {
        let mut v: Vec<MuscleVolume> = m
            .iter()
            .map(|(g, v)| MuscleVolume {
                muscle_group: g.clone(),
                volume: kg(*v),
            })
            .collect();
        v.sort_by(|a, b| {
            b.volume
                .cmp(&a.volume)
                .then(a.muscle_group.cmp(&b.muscle_group))
        });
        v
    };
    for (w, m) in weeks.iter_mut().zip(&week_volume) {
        w.volume = sorted(m);
        w.calories_burned = amount(w.calories_burned.0, 2);
    }
    out_days.sort_by_key(|d| d.date);
    records.sort_by(|a, b| {
        (a.date, &a.exercise_name, a.kind).cmp(&(b.date, &b.exercise_name, b.kind))
    });
    let total_seconds: i64 = out_days.iter().filter_map(|d| d.duration_seconds).sum();
    Ok(ExerciseReport {
        user_id,
        from,
        to,
        weight_unit: wu,
        sessions: out_days.iter().map(|d| d.sessions).sum(),
        active_days: out_days.len() as i64,
        calories_burned: amount(
            out_days
                .iter()
                .filter_map(|d| d.calories_burned.map(|c| c.0))
                .sum(),
            2,
        ),
        duration_minutes: total_rounded_minutes(total_seconds),
        duration_seconds: total_seconds,
        sessions_without_calories: out_days.iter().map(|d| d.sessions_without_calories).sum(),
        volume: sorted(&totals),
        days: out_days,
        weeks,
        records,
    })
}

impl ToCsv for ExerciseReport {
    fn name(&self) -> &'static str {
        "exercise"
    }
    fn bounds(&self) -> (NaiveDate, NaiveDate) {
        (self.from, self.to)
    }
    /// Long form, one value a row: `date,metric,subject,value,unit`. Metrics: `sessions`,
    /// `calories_burned`, `duration` (per day), `volume` (per week and muscle group, dated by
    /// the week's first day), `one_rep_max`, `heaviest_weight`, `longest_set` (seconds),
    /// `longest_distance` and `fastest_pace` records (per exercise).
    fn to_csv(&self) -> String {
        let mut out = String::new();
        let wu = self.weight_unit.as_str().to_string();
        line(
            &mut out,
            &["date", "metric", "subject", "value", "unit"].map(String::from),
        );
        for d in &self.days {
            let date = d.date.to_string();
            line(
                &mut out,
                &[
                    date.clone(),
                    "sessions".into(),
                    String::new(),
                    d.sessions.to_string(),
                    "count".into(),
                ],
            );
            line(
                &mut out,
                &[
                    date.clone(),
                    "calories_burned".into(),
                    String::new(),
                    opt(d.calories_burned),
                    "kcal".into(),
                ],
            );
            line(
                &mut out,
                &[
                    date,
                    "duration".into(),
                    String::new(),
                    d.duration_minutes
                        .map(|m| m.to_string())
                        .unwrap_or_default(),
                    "min".into(),
                ],
            );
        }
        for w in &self.weeks {
            for v in &w.volume {
                line(
                    &mut out,
                    &[
                        w.week_start.to_string(),
                        "volume".into(),
                        v.muscle_group.clone(),
                        opt(Some(v.volume)),
                        wu.clone(),
                    ],
                );
            }
        }
        for r in &self.records {
            line(
                &mut out,
                &[
                    r.date.to_string(),
                    r.kind.into(),
                    r.exercise_name.clone(),
                    opt(Some(r.value)),
                    r.unit.clone(),
                ],
            );
        }
        out
    }
}
