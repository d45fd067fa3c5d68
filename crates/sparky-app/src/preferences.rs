//! Preferences: theme, units, AI provider and the timezone that decides what "today" is.

use serde::{Deserialize, Serialize};
use sparky_core::{Theme, UnitsSystem, Weekday};
use sparky_db::UserTx;
use utoipa::ToSchema;

use crate::acting::{Acting, OWNER};
use crate::error::{AppError, AppResult, Validation};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preferences {
    pub theme: String,
    pub units_system: String,
    pub ai_provider: Option<String>,
    /// IANA timezone name; a diary day is a calendar date in this zone.
    pub timezone: String,
    /// How much of the calories burned by logged exercise is added back to the day's calorie
    /// target, in % (100: all of it; 0: none).
    #[schema(minimum = 0, maximum = 100)]
    pub exercise_eat_back_percent: i16,
    /// The first day of the week (weekly budget, report weeks); `monday` by default.
    pub week_start: Weekday,
}

/// Fields to change; the ones left out keep their value.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesUpdate {
    pub theme: Option<Theme>,
    pub units_system: Option<UnitsSystem>,
    /// e.g. `openai`, `anthropic`, `ollama`.
    #[schema(max_length = 50, pattern = "^[a-z0-9_-]+$")]
    pub ai_provider: Option<String>,
    /// IANA name such as `Europe/Berlin` or `Pacific/Auckland`.
    #[schema(max_length = 64)]
    pub timezone: Option<String>,
    /// 0 to 100: the share of exercise calories added back to the calorie target.
    #[schema(minimum = 0, maximum = 100)]
    pub exercise_eat_back_percent: Option<i16>,
    /// The first day of the week: `monday`, `sunday`, `saturday`, ….
    pub week_start: Option<Weekday>,
}

const COLUMNS: &str =
    "theme, units_system, ai_provider, timezone, exercise_eat_back_percent, week_start";

pub(crate) fn from_row(r: &tokio_postgres::Row) -> Preferences {
    Preferences {
        theme: r
            .get::<_, Option<String>>("theme")
            .unwrap_or_else(|| "system".into()),
        units_system: r
            .get::<_, Option<String>>("units_system")
            .unwrap_or_else(|| "metric".into()),
        ai_provider: r.get("ai_provider"),
        timezone: r.get("timezone"),
        exercise_eat_back_percent: r.get("exercise_eat_back_percent"),
        // The column's CHECK lists exactly these names.
        week_start: Weekday::parse(r.get("week_start")).unwrap_or(Weekday::Monday),
    }
}

/// Checks an IANA timezone name.
pub fn parse_timezone(field: &str, tz: &str) -> AppResult<String> {
    let tz = tz.trim();
    if tz.len() > 64 || tz.parse::<chrono_tz::Tz>().is_err() {
        return Err(AppError::invalid(
            field,
            "is not an IANA timezone name such as Europe/Berlin",
        ));
    }
    Ok(tz.to_string())
}

/// The preferences of the owner (the caller, or someone who shared data with them).
pub async fn get(tx: &mut UserTx, acting: Acting) -> AppResult<Preferences> {
    let row = tx.query_opt(&select_sql(), &[&acting.owner]).await?;
    found(row.as_ref())
}

/// The preferences of the owner in `$1` (the caller's own when NULL).
pub(crate) fn select_sql() -> String {
    format!("SELECT {COLUMNS} FROM user_preferences WHERE user_id = {OWNER}")
}

/// The preferences from [`select_sql`]'s row, or 404 when there was none (not visible).
pub(crate) fn found(row: Option<&tokio_postgres::Row>) -> AppResult<Preferences> {
    row.map(from_row).ok_or(AppError::NotFound("preferences"))
}

/// Changes preferences; RLS lets only their owner change them (403 for someone they are
/// shared with, 404 otherwise).
pub async fn update(
    tx: &mut UserTx,
    acting: Acting,
    req: PreferencesUpdate,
) -> AppResult<Preferences> {
    let mut v = Validation::new();
    let timezone = req
        .timezone
        .as_deref()
        .and_then(|tz| v.take(parse_timezone("timezone", tz)));
    if let Some(p) = &req.ai_provider {
        let ok = !p.is_empty()
            && p.len() <= 50
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        v.check(
            ok,
            "ai_provider",
            "must be 1 to 50 lowercase letters, digits, - or _",
        );
    }
    v.check(
        req.exercise_eat_back_percent
            .is_none_or(|p| (0..=100).contains(&p)),
        "exercise_eat_back_percent",
        "must be between 0 and 100",
    );
    v.finish()?;
    let updated = tx
        .query_opt(
            &format!(
                "UPDATE user_preferences SET
                theme = coalesce($2, theme), units_system = coalesce($3, units_system),
                ai_provider = coalesce($4, ai_provider), timezone = coalesce($5, timezone),
                exercise_eat_back_percent = coalesce($6, exercise_eat_back_percent),
                week_start = coalesce($7, week_start)
             WHERE user_id = {OWNER} RETURNING {COLUMNS}"
            ),
            &[
                &acting.owner,
                &req.theme.map(Theme::as_str),
                &req.units_system.map(UnitsSystem::as_str),
                &req.ai_provider,
                &timezone,
                &req.exercise_eat_back_percent,
                &req.week_start.map(Weekday::as_str),
            ],
        )
        .await?;
    match updated {
        Some(row) => Ok(from_row(&row)),
        // RLS hid the row from the update: readable (shared with the caller) or not at all.
        None => match tx.query_opt(&select_sql(), &[&acting.owner]).await? {
            Some(_) => Err(AppError::forbidden(
                "you may read these preferences but not change them",
            )),
            None => Err(AppError::NotFound("preferences")),
        },
    }
}
