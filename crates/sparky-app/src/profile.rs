//! The body profile: sex, birth date, height and activity level — what the energy equations
//! need besides the weight (which is the latest `weight` measurement). `/goals/suggest` and
//! goal setting use it for whatever a request leaves out. Only its owner writes it; anyone the
//! owner shared any data with may read it, as with preferences (RLS decides).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use sparky_core::energy::{ActivityLevel, Sex};
use sparky_core::{Amount, Date};
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::acting::{Acting, Area, OWNER};
use crate::error::{AppResult, Validation};

/// Heights a profile accepts, in cm.
pub const MIN_HEIGHT_CM: i64 = 50;
pub const MAX_HEIGHT_CM: i64 = 272;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Profile {
    pub user_id: Uuid,
    pub sex: Option<Sex>,
    pub birth_date: Option<NaiveDate>,
    /// Whole years today (in the owner's timezone), from `birth_date`.
    pub age: Option<i32>,
    pub height_cm: Option<Amount>,
    pub activity_level: Option<ActivityLevel>,
    /// Null until the profile is first saved.
    pub updated_at: Option<DateTime<Utc>>,
}

/// Fields to change. A field left out keeps its value; `null` clears it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Sex>, nullable)]
    pub sex: Option<Option<Sex>>,
    /// In the past, from 1900-01-01.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Date>, nullable)]
    pub birth_date: Option<Option<Date>>,
    /// 50 to 272 cm (kept to 2 decimal places).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<f64>, nullable, minimum = 50, maximum = 272)]
    pub height_cm: Option<Option<Amount>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<ActivityLevel>, nullable)]
    pub activity_level: Option<Option<ActivityLevel>>,
}

/// A field that was sent (perhaps as `null`), as opposed to left out.
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A validated [`ProfileInput`]: `Some(value)` sets (a `None` value clears), `None` keeps.
#[derive(Debug, Clone, Default)]
pub struct ProfileChange {
    pub sex: Option<Option<Sex>>,
    pub birth_date: Option<Option<NaiveDate>>,
    pub height_cm: Option<Option<Decimal>>,
    pub activity_level: Option<Option<ActivityLevel>>,
}

impl ProfileInput {
    pub fn parse(self) -> AppResult<ProfileChange> {
        let mut v = Validation::new();
        let birth_date = self.birth_date.map(|d| d.map(Date::get));
        if let Some(Some(d)) = birth_date {
            // A day of slack: "today" may already be tomorrow in the owner's timezone.
            let latest = Utc::now().date_naive() + chrono::Days::new(1);
            v.check(d <= latest, "birth_date", "must not be in the future");
        }
        let height_cm = self.height_cm.map(|h| h.map(|a| a.decimal()));
        if let Some(Some(h)) = height_cm {
            v.check(
                h >= Decimal::from(MIN_HEIGHT_CM) && h <= Decimal::from(MAX_HEIGHT_CM),
                "height_cm",
                "must be between 50 and 272 (cm)",
            );
        }
        v.finish()?;
        Ok(ProfileChange {
            sex: self.sex,
            birth_date,
            height_cm: height_cm.map(|h| h.map(|d| sparky_core::units::round_dp(d, 2))),
            activity_level: self.activity_level,
        })
    }
}

/// Whole years from `birth` to `today`; None before birth.
pub fn age_on(birth: NaiveDate, today: NaiveDate) -> Option<i32> {
    if birth > today {
        return None;
    }
    let had_birthday = (today.month(), today.day()) >= (birth.month(), birth.day());
    Some(today.year() - birth.year() - i32::from(!had_birthday))
}

/// Today in the owner's timezone, as a SELECT expression over `$1` (the owner).
pub(crate) const TODAY: &str = "(now() AT TIME ZONE coalesce((SELECT up.timezone FROM user_preferences up
                     WHERE up.user_id = (SELECT coalesce($1::uuid, auth.uid())) LIMIT 1), 'UTC'))::date";

fn profile_from_row(r: &tokio_postgres::Row) -> Profile {
    let birth_date: Option<NaiveDate> = r.get("birth_date");
    let today: NaiveDate = r.get("today");
    Profile {
        user_id: r.get("owner"),
        sex: r.get::<_, Option<&str>>("sex").and_then(Sex::parse),
        birth_date,
        age: birth_date.and_then(|b| age_on(b, today)),
        height_cm: r
            .get::<_, Option<Decimal>>("height_cm")
            .map(|h| Amount(h.normalize())),
        activity_level: r
            .get::<_, Option<&str>>("activity_level")
            .and_then(ActivityLevel::parse),
        updated_at: r.get("updated_at"),
    }
}

/// The owner's profile (empty until first saved); 404 when someone else's data is not shared
/// with the caller at all.
pub async fn get(tx: &mut UserTx, acting: Acting) -> AppResult<Profile> {
    let row = tx
        .query_one(
            &format!(
                "WITH o AS (SELECT {OWNER} AS id)
                 SELECT o.id AS owner, p.id IS NOT NULL AS stored, p.sex, p.birth_date, p.height_cm,
                        p.activity_level, p.updated_at, {TODAY} AS today
                 FROM o LEFT JOIN user_profiles p ON p.user_id = o.id"
            ),
            &[&acting.owner],
        )
        .await?;
    if !row.get::<_, bool>("stored") {
        acting.ensure_visible(tx, Area::Profile).await?;
    }
    Ok(profile_from_row(&row))
}

/// Changes your own profile (creating it on first use).
pub async fn update(tx: &mut UserTx, change: &ProfileChange) -> AppResult<Profile> {
    let sex = change.sex.flatten().map(Sex::as_str);
    let activity = change.activity_level.flatten().map(ActivityLevel::as_str);
    let birth_date = change.birth_date.flatten();
    let height = change.height_cm.flatten();
    let no_owner: Option<Uuid> = None;
    let row = tx
        .query_one(
            &format!(
                "INSERT INTO user_profiles AS p (user_id, sex, birth_date, height_cm, activity_level)
                 VALUES (auth.uid(), $3, $5, $7, $9)
                 ON CONFLICT (user_id) DO UPDATE SET
                     sex = CASE WHEN $2 THEN EXCLUDED.sex ELSE p.sex END,
                     birth_date = CASE WHEN $4 THEN EXCLUDED.birth_date ELSE p.birth_date END,
                     height_cm = CASE WHEN $6 THEN EXCLUDED.height_cm ELSE p.height_cm END,
                     activity_level = CASE WHEN $8 THEN EXCLUDED.activity_level ELSE p.activity_level END
                 RETURNING p.user_id AS owner, p.sex, p.birth_date, p.height_cm, p.activity_level,
                           p.updated_at, {TODAY} AS today"
            ),
            &[
                &no_owner,
                &change.sex.is_some(),
                &sex,
                &change.birth_date.is_some(),
                &birth_date,
                &change.height_cm.is_some(),
                &height,
                &change.activity_level.is_some(),
                &activity,
            ],
        )
        .await?;
    Ok(profile_from_row(&row))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn age_counts_whole_years_to_the_birthday() {
        assert_eq!(age_on(d("1990-06-15"), d("2026-06-14")), Some(35));
        assert_eq!(age_on(d("1990-06-15"), d("2026-06-15")), Some(36));
        assert_eq!(age_on(d("2000-02-29"), d("2026-02-28")), Some(25));
        assert_eq!(age_on(d("2000-02-29"), d("2026-03-01")), Some(26));
        assert_eq!(age_on(d("2026-06-15"), d("2026-06-15")), Some(0));
        assert_eq!(age_on(d("2026-06-16"), d("2026-06-15")), None);
    }

    #[test]
    fn a_field_left_out_differs_from_null() {
        let p: ProfileInput = serde_json::from_str(r#"{"sex": null, "height_cm": 180}"#).unwrap();
        let c = p.parse().unwrap();
        assert_eq!(c.sex, Some(None));
        assert_eq!(c.birth_date, None);
        assert_eq!(c.height_cm, Some(Some(Decimal::from(180))));
        assert!(serde_json::from_str::<ProfileInput>(r#"{"weight": 80}"#).is_err());
        let bad: ProfileInput = serde_json::from_str(r#"{"height_cm": 49.99}"#).unwrap();
        assert!(bad.parse().is_err());
    }
}
