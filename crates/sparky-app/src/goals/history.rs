//! The daily targets as they were from day to day (`goal_target_history`, kept by a trigger
//! on goals): a past day is judged by the target it had, not by today's.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use sparky_core::report::target_on;

/// SQL for one user's history of a daily target type as JSON, oldest first:
/// `[{"from", "value", "weekdays"}]` with numbers as text (exact). `user` is SQL for the
/// user's id, `kind` for the target type.
pub(crate) fn history_json_sql(user: &str, kind: &str) -> String {
    format!(
        "SELECT json_agg(json_build_object('from', valid_from, 'value', target_value::text,
                                           'weekdays', weekday_targets::text[])
                         ORDER BY valid_from)
         FROM goal_target_history WHERE user_id = {user} AND type = {kind}"
    )
}

/// A daily target from a day on: its usual value and its weekday values (Monday first).
struct TargetChange {
    from: NaiveDate,
    usual: Option<Decimal>,
    weekdays: Option<Vec<Option<Decimal>>>,
}

/// A daily target as it changed, oldest first, and the target in force now (the active goal).
pub(crate) struct TargetHistory {
    changes: Vec<TargetChange>,
    usual: Option<Decimal>,
    weekdays: Option<Vec<Option<Decimal>>>,
}

impl TargetHistory {
    /// From [`history_json_sql`]'s column and the active goal's values.
    pub(crate) fn new(
        json: Option<serde_json::Value>,
        usual: Option<Decimal>,
        weekdays: Option<Vec<Option<Decimal>>>,
    ) -> TargetHistory {
        let number = |v: &serde_json::Value| v.as_str().and_then(|t| t.parse::<Decimal>().ok());
        let changes = json
            .as_ref()
            .and_then(serde_json::Value::as_array)
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| {
                        let from = r["from"].as_str()?.parse::<NaiveDate>().ok()?;
                        let weekdays = r["weekdays"]
                            .as_array()
                            .map(|w| w.iter().map(number).collect());
                        Some(TargetChange {
                            from,
                            usual: number(&r["value"]),
                            weekdays,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        TargetHistory {
            changes,
            usual,
            weekdays,
        }
    }

    /// The target on `day`: the last change on or before it; before the first change, the
    /// first (nothing earlier is known); the active goal's without history.
    pub(crate) fn on(&self, day: NaiveDate) -> Option<Decimal> {
        match self
            .changes
            .iter()
            .rev()
            .find(|c| c.from <= day)
            .or(self.changes.first())
        {
            Some(c) => target_on(c.usual, c.weekdays.as_deref(), day),
            None => self.now(day),
        }
    }

    /// The target `day` is judged by when today is `today`: the one it had for a day before,
    /// the active goal's for today and the days ahead.
    pub(crate) fn as_of(&self, today: NaiveDate, day: NaiveDate) -> Option<Decimal> {
        if day < today {
            self.on(day)
        } else {
            self.now(day)
        }
    }

    /// The active goal's target on `day` (for today and the days ahead).
    pub(crate) fn now(&self, day: NaiveDate) -> Option<Decimal> {
        target_on(self.usual, self.weekdays.as_deref(), day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn each_day_has_the_target_in_force_then() {
        let h = TargetHistory::new(
            Some(json!([
                {"from": "2026-01-05", "value": "2000", "weekdays": null},
                {"from": "2026-02-01", "value": null, "weekdays": null},
                {"from": "2026-03-01", "value": "1800",
                 "weekdays": [null, null, null, null, null, "2200", null]},
            ])),
            Some(Decimal::from(1800)),
            None,
        );
        assert_eq!(
            h.on(day("2025-12-01")),
            Some(Decimal::from(2000)),
            "before: the first"
        );
        assert_eq!(h.on(day("2026-01-31")), Some(Decimal::from(2000)));
        assert_eq!(h.on(day("2026-02-10")), None, "no target then");
        // 2026-03-07 is a Saturday.
        assert_eq!(h.on(day("2026-03-07")), Some(Decimal::from(2200)));
        assert_eq!(h.on(day("2026-03-09")), Some(Decimal::from(1800)));
        let none = TargetHistory::new(None, Some(Decimal::from(1500)), None);
        assert_eq!(none.on(day("2026-03-09")), Some(Decimal::from(1500)));
    }
}
