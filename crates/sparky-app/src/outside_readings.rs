//! Readings from outside — a phone's push or a file import — meeting what another of them
//! stored.
//!
//! Each door keeps its own ledger of what it wrote (`health_data_records` for pushes,
//! `import_records` for files), so neither knows the other's rows: a day imported from Apple
//! Health's export and then pushed again by the phone would be counted twice. Both doors ask
//! here first:
//!
//! - A **day value** (a reading without a time of a type whose day adds up: a day's steps,
//!   water, sleep, active calories or distance, [`SUMMED_TYPES`]) meets the day value of that
//!   type that a push or an earlier import stored: one value a day per type, the larger. A
//!   weight or a heart rate without a time is not a total: each source keeps its own.
//!   A day's total only grows while the day goes on, and an export or a push is a snapshot of
//!   it, so the larger is the later (re-importing last month's file does not undo today's
//!   pushes). One source correcting its own value is not this: its own ledger updates its row.
//! - A **timed reading** equal to one already stored (same type, instant and value) is the same
//!   reading from another source: it is linked to that row, not stored again.
//!
//! Readings the user logged by hand are neither: they have no ledger row and stay as they are.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sparky_core::health::SUMMED_TYPES;
use sparky_db::UserTx;
use sparky_import::Source;
use uuid::Uuid;

use crate::error::AppResult;

/// Readings one statement looks up at most.
const CHUNK: usize = 5000;

/// Whether a reading is a day's total: no time, and a type whose day adds up.
pub(crate) fn is_day_total(kind: &str, at: Option<DateTime<Utc>>) -> bool {
    at.is_none() && SUMMED_TYPES.contains(&kind)
}

/// A reading about to be stored, in its type's canonical unit.
pub(crate) struct Arriving<'a> {
    pub kind: &'a str,
    pub day: NaiveDate,
    /// None: the day's value.
    pub at: Option<DateTime<Utc>>,
    pub value: Decimal,
}

/// Why a day value was not written.
pub(crate) const LARGER_STORED: &str =
    "a larger total for this day is already stored (by your phone or an import)";

/// What to do with an arriving reading that another door already stored.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Meeting {
    /// A larger day value: it replaces the value of this row.
    Replaces(Uuid),
    /// Already there (the same value, or a larger day total): link to this row, with why.
    Kept(Uuid, &'static str),
}

impl AlreadyThere {
    /// What `arriving` does to the row already holding its reading.
    pub(crate) fn meet(&self, arriving: &Arriving) -> Meeting {
        let total = is_day_total(arriving.kind, arriving.at);
        match arriving.at {
            None if total && arriving.value > self.value => Meeting::Replaces(self.id),
            None if total && arriving.value < self.value => Meeting::Kept(self.id, LARGER_STORED),
            _ => Meeting::Kept(
                self.id,
                "already stored with the same value (by your phone or an import)",
            ),
        }
    }
}

/// The row already holding an arriving reading, and its value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AlreadyThere {
    pub id: Uuid,
    pub value: Decimal,
}

/// The import ledger's key of a file's day value: how Apple Health's day sums are keyed.
pub(crate) fn day_value_key(kind: &str, day: NaiveDate) -> String {
    format!("measurements:{kind}|{}", day.format("%Y-%m-%d"))
}

/// For each arriving reading, in order, the row already holding it: for a day value, the day
/// value of its type and day that a push or an import stored; for a timed reading, an equal
/// reading at the same instant.
pub(crate) async fn already_there(
    tx: &mut UserTx,
    arriving: &[Arriving<'_>],
) -> AppResult<Vec<Option<AlreadyThere>>> {
    let sources: &[&str] = &Source::NAMES;
    let mut found = vec![None; arriving.len()];
    for (n, chunk) in arriving.chunks(CHUNK).enumerate() {
        // Untimed readings of other types (a weight with only a date) meet nothing.
        let ords: Vec<i32> = chunk
            .iter()
            .enumerate()
            .filter(|(_, a)| a.at.is_some() || is_day_total(a.kind, a.at))
            .map(|(i, _)| i as i32)
            .collect();
        if ords.is_empty() {
            continue;
        }
        let picked = || ords.iter().map(|&i| &chunk[i as usize]);
        let kinds: Vec<&str> = picked().map(|a| a.kind).collect();
        let days: Vec<NaiveDate> = picked().map(|a| a.day).collect();
        let ats: Vec<Option<DateTime<Utc>>> = picked().map(|a| a.at).collect();
        let values: Vec<Decimal> = picked().map(|a| a.value).collect();
        let rows = tx
            .query(
                "SELECT k.ord, m.id, m.value
                 FROM unnest($1::int4[], $2::text[], $3::date[], $4::timestamptz[], $5::numeric[])
                      AS k(ord, type, day, at, value)
                 CROSS JOIN LATERAL (
                     (SELECT m.id, m.value, m.updated_at FROM measurements m
                      WHERE k.at IS NULL AND m.user_id = auth.uid() AND m.type = k.type
                        AND m.entry_date = k.day
                        AND (EXISTS (SELECT 1 FROM health_data_records h
                                     WHERE h.measurement_id = m.id
                                       AND h.record_key = to_char(k.day, 'YYYY-MM-DD'))
                             OR EXISTS (SELECT 1 FROM import_records i
                                        WHERE i.user_id = auth.uid() AND i.source = ANY($6)
                                          AND i.record_key = 'measurements:' || k.type || '|'
                                                             || to_char(k.day, 'YYYY-MM-DD')
                                          AND i.target_id = m.id)))
                     UNION ALL
                     (SELECT m.id, m.value, m.updated_at FROM measurements m
                      WHERE k.at IS NOT NULL AND m.user_id = auth.uid() AND m.type = k.type
                        AND m.measured_at = k.at AND m.value = k.value)
                     ORDER BY 3 DESC NULLS LAST, 1
                     LIMIT 1) m",
                &[&ords, &kinds, &days, &ats, &values, &sources],
            )
            .await?;
        for r in rows {
            let ord: i32 = r.get(0);
            found[n * CHUNK + ord as usize] = Some(AlreadyThere {
                id: r.get(1),
                value: r.get(2),
            });
        }
    }
    Ok(found)
}
