//! Day values (a day's steps or water) from several doors and sources: one value a day per
//! type, the larger (see [`crate::outside_readings`]).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sparky_db::UserTx;
use uuid::Uuid;

use super::plan::{Ready, Write};
use super::RecordOutcome;
use crate::error::AppResult;
use crate::outside_readings::{self, Arriving, Meeting};

type Rows<'r> = Vec<(Uuid, &'r Ready)>;

/// New measurements that another push or a file import already stored
/// ([`outside_readings`]): a larger day value replaces that row (moved to `updates`); one
/// that is already there is skipped and returned, to be linked to that row in the ledger.
pub(super) async fn meet_other_doors<'r>(
    tx: &mut UserTx,
    inserts: &mut Vec<(Uuid, &'r Ready)>,
    updates: &mut Vec<(Uuid, &'r Ready)>,
    outcomes: &mut [(String, RecordOutcome)],
) -> AppResult<Vec<(Uuid, &'r Ready)>> {
    let measured: Vec<(usize, Arriving<'r>)> = inserts
        .iter()
        .enumerate()
        .filter_map(|(i, (_, r))| match &r.write {
            Write::Measurement {
                type_name,
                value,
                day,
                at,
                ..
            } => Some((
                i,
                Arriving {
                    kind: type_name,
                    day: *day,
                    at: *at,
                    value: *value,
                },
            )),
            Write::Workout { .. } => None,
        })
        .collect();
    let (positions, arriving): (Vec<usize>, Vec<Arriving>) = measured.into_iter().unzip();
    let there = outside_readings::already_there(tx, &arriving).await?;
    let mut links = Vec::new();
    let mut met = HashSet::new();
    for ((i, a), hit) in positions.into_iter().zip(&arriving).zip(there) {
        let Some(hit) = hit else { continue };
        let r = inserts[i].1;
        match hit.meet(a) {
            Meeting::Replaces(id) => updates.push((id, r)),
            Meeting::Kept(id, why) => {
                outcomes[r.index].1 = RecordOutcome::Skipped(why.into());
                links.push((id, r));
            }
        }
        met.insert(i);
    }
    let mut i = 0;
    inserts.retain(|_| {
        i += 1;
        !met.contains(&(i - 1))
    });
    Ok(links)
}

/// Whether `write`, a source's new value for a day value its earlier push wrote, would lower a
/// total another source has since raised: the row no longer holds what this source last stored
/// (`fingerprint`). A source may correct its own value, not lower another's.
pub(super) fn lowers_anothers_total(write: &Write, fingerprint: &str, now: Decimal) -> bool {
    let Write::Measurement {
        type_name,
        value,
        at: None,
        ..
    } = write
    else {
        return false;
    };
    if !outside_readings::is_day_total(type_name, None) {
        return false;
    }
    let own: Option<Decimal> = fingerprint.split('|').nth(1).and_then(|v| v.parse().ok());
    own != Some(now) && *value <= now
}

/// Each day total this push touched holds the largest of the latest totals its sources sent
/// (their ledger rows' values): a watch lowering its own total leaves the day at the phone's,
/// which then could not come back while the phone kept resending it unchanged.
pub(super) async fn settle_day_totals(
    tx: &mut UserTx,
    stored: &[&(Uuid, &Ready)],
) -> AppResult<()> {
    let totals: Vec<Uuid> = stored
        .iter()
        .filter(|(_, r)| {
            matches!(&r.write, Write::Measurement { type_name, at: None, .. }
                if outside_readings::is_day_total(type_name, None))
        })
        .map(|(id, _)| *id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if totals.is_empty() {
        return Ok(());
    }
    // A push's fingerprint is "m|{value}|{unit}|…" with the value in the stored unit; an
    // import's is the value. A row an import stored before imports kept values is left alone.
    tx.execute(
        "UPDATE measurements m SET value = x.v
         FROM (SELECT id, max(v) AS v, bool_or(unknown) AS unknown
               FROM (SELECT h.measurement_id AS id,
                            split_part(h.fingerprint, '|', 2)::numeric AS v, false AS unknown
                     FROM health_data_records h
                     WHERE h.user_id = auth.uid() AND h.measurement_id = ANY($1)
                       AND h.fingerprint LIKE 'm|%'
                     UNION ALL
                     SELECT i.target_id, i.fingerprint::numeric, i.fingerprint IS NULL
                     FROM import_records i
                     WHERE i.user_id = auth.uid() AND i.target_id = ANY($1)
                       AND i.area = 'measurements') sent
               GROUP BY id) x
         WHERE m.id = x.id AND m.user_id = auth.uid() AND NOT x.unknown AND m.value <> x.v",
        &[&totals],
    )
    .await?;
    Ok(())
}

/// Day values of one type and day within one request (a phone and a watch, two sources): only
/// the largest is written, into the row an earlier push of one of them wrote if there is one;
/// the others are linked to that row.
pub(super) fn largest_of_each_day<'r>(
    inserts: &mut Rows<'r>,
    updates: &mut Rows<'r>,
    links: &mut Rows<'r>,
    outcomes: &mut [(String, RecordOutcome)],
) {
    fn day_value(r: &Ready) -> Option<((&str, NaiveDate), Decimal)> {
        match &r.write {
            Write::Measurement {
                type_name,
                value,
                day,
                at: None,
                ..
            } if outside_readings::is_day_total(type_name, None) => {
                Some(((type_name.as_str(), *day), *value))
            }
            _ => None,
        }
    }
    // Per type and day: (is an update, position) of each record, updates first.
    let mut groups: HashMap<(&str, NaiveDate), Vec<(bool, usize)>> = HashMap::new();
    for (update, rows) in [(true, &*updates), (false, &*inserts)] {
        for (i, (_, r)) in rows.iter().enumerate() {
            if let Some((day, _)) = day_value(r) {
                groups.entry(day).or_default().push((update, i));
            }
        }
    }
    let mut dropped_updates = HashSet::new();
    let mut dropped_inserts = HashSet::new();
    let mut won: Vec<(bool, Uuid, &'r Ready)> = Vec::new();
    for members in groups.into_values().filter(|m| m.len() > 1) {
        let at = |(update, i): (bool, usize)| if update { updates[i] } else { inserts[i] };
        let value = |m: (bool, usize)| day_value(at(m).1).map(|(_, v)| v).unwrap_or_default();
        // The row they land in: an earlier push's (an update's target), else the first new one.
        let row = at(members[0]).0;
        let winner = members
            .iter()
            .copied()
            .reduce(|best, m| if value(m) > value(best) { m } else { best })
            .unwrap_or(members[0]);
        for m in &members {
            let (_, r) = at(*m);
            if m.0 {
                dropped_updates.insert(m.1);
            } else {
                dropped_inserts.insert(m.1);
            }
            if *m == winner {
                won.push((members[0].0, row, r));
            } else {
                outcomes[r.index].1 = RecordOutcome::Skipped(
                    "a larger or equal total for this day comes in the same request".into(),
                );
                links.push((row, r));
            }
        }
    }
    let keep = |dropped: &HashSet<usize>, rows: &mut Rows<'r>| {
        let mut i = 0;
        rows.retain(|_| {
            i += 1;
            !dropped.contains(&(i - 1))
        });
    };
    keep(&dropped_updates, updates);
    keep(&dropped_inserts, inserts);
    for (update, row, r) in won {
        if update {
            updates.push((row, r));
        } else {
            inserts.push((row, r));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(value: i64, timed: bool) -> Write {
        Write::Measurement {
            type_name: "steps".into(),
            value: Decimal::from(value),
            unit: "count".into(),
            day: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
            at: timed.then(chrono::Utc::now),
            note: String::new(),
        }
    }

    #[test]
    fn a_source_corrects_its_own_total_but_does_not_lower_anothers() {
        let own = "m|5000|count|2026-06-01|-";
        // The row still holds this source's 5000: a lower correction is its own business.
        assert!(!lowers_anothers_total(
            &steps(4800, false),
            own,
            Decimal::from(5000)
        ));
        // Another source raised it to 6000 since: lower or equal values leave it.
        assert!(lowers_anothers_total(
            &steps(5200, false),
            own,
            Decimal::from(6000)
        ));
        assert!(lowers_anothers_total(
            &steps(6000, false),
            own,
            Decimal::from(6000)
        ));
        assert!(!lowers_anothers_total(
            &steps(6100, false),
            own,
            Decimal::from(6000)
        ));
        // Timed readings are not totals.
        assert!(!lowers_anothers_total(
            &steps(10, true),
            own,
            Decimal::from(6000)
        ));
    }
}
