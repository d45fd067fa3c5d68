//! Preferences: theme, units, AI provider and the timezone that decides what "today" is.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{ActingFor, Auth};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_preferences, put_preferences))
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    Light,
    Dark,
    System,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum UnitsSystem {
    Metric,
    Imperial,
}

impl Theme {
    fn as_str(self) -> &'static str {
        match self {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::System => "system",
        }
    }
}

impl UnitsSystem {
    fn as_str(self) -> &'static str {
        match self {
            UnitsSystem::Metric => "metric",
            UnitsSystem::Imperial => "imperial",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Preferences {
    pub theme: String,
    pub units_system: String,
    pub ai_provider: Option<String>,
    /// IANA timezone name; a diary day is a calendar date in this zone.
    pub timezone: String,
}

/// Fields to change; the ones left out keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesUpdate {
    pub theme: Option<Theme>,
    pub units_system: Option<UnitsSystem>,
    /// e.g. `openai`, `anthropic`, `ollama`.
    pub ai_provider: Option<String>,
    /// IANA name such as `Europe/Berlin` or `Pacific/Auckland`.
    pub timezone: Option<String>,
}

const COLUMNS: &str = "theme, units_system, ai_provider, timezone";

fn from_row(r: &tokio_postgres::Row) -> Preferences {
    Preferences {
        theme: r
            .get::<_, Option<String>>("theme")
            .unwrap_or_else(|| "system".into()),
        units_system: r
            .get::<_, Option<String>>("units_system")
            .unwrap_or_else(|| "metric".into()),
        ai_provider: r.get("ai_provider"),
        timezone: r.get("timezone"),
    }
}

/// Your preferences, or those of someone who shared data with you (`?user_id=`).
#[utoipa::path(get, path = "/api/v1/preferences", tag = "preferences",
    security(("session" = []), ("api_key" = [])),
    params(ActingFor),
    responses(
        (status = 200, description = "Preferences", body = Preferences),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Not visible to you", body = ErrorBody),
    ))]
async fn get_preferences(
    Auth { tx, .. }: Auth,
    acting: ActingFor,
) -> ApiResult<ApiJson<Preferences>> {
    let rows = tx
        .query_and_commit(
            &format!(
                "SELECT {COLUMNS} FROM user_preferences WHERE user_id = (SELECT coalesce($1, auth.uid()))"
            ),
            &[&acting.user_id],
        )
        .await?;
    rows.first()
        .map(|r| ApiJson(from_row(r)))
        .ok_or_else(|| ApiError::not_found("preferences"))
}

/// Change preferences. Unknown fields and invalid values are refused with the field named.
#[utoipa::path(put, path = "/api/v1/preferences", tag = "preferences",
    security(("session" = []), ("api_key" = [])),
    params(ActingFor),
    request_body = PreferencesUpdate,
    responses(
        (status = 200, description = "Updated preferences", body = Preferences),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Not yours to change", body = ErrorBody),
        (status = 422, description = "Invalid value", body = ErrorBody),
    ))]
async fn put_preferences(
    Auth { tx, .. }: Auth,
    acting: ActingFor,
    ApiJson(req): ApiJson<PreferencesUpdate>,
) -> ApiResult<ApiJson<Preferences>> {
    if let Some(tz) = &req.timezone {
        if tz.parse::<chrono_tz::Tz>().is_err() {
            return Err(ApiError::invalid(
                "timezone",
                "is not an IANA timezone name such as Europe/Berlin",
            ));
        }
    }
    if let Some(p) = &req.ai_provider {
        let ok = !p.is_empty()
            && p.len() <= 50
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !ok {
            return Err(ApiError::invalid(
                "ai_provider",
                "must be 1 to 50 lowercase letters, digits, - or _",
            ));
        }
    }
    let rows = tx
        .query_and_commit(
            &format!(
                "UPDATE user_preferences SET
                    theme = coalesce($1, theme), units_system = coalesce($2, units_system),
                    ai_provider = coalesce($3, ai_provider), timezone = coalesce($4, timezone)
                 WHERE user_id = (SELECT coalesce($5, auth.uid())) RETURNING {COLUMNS}"
            ),
            &[
                &req.theme.map(Theme::as_str),
                &req.units_system.map(UnitsSystem::as_str),
                &req.ai_provider,
                &req.timezone,
                &acting.user_id,
            ],
        )
        .await?;
    rows.first()
        .map(|r| ApiJson(from_row(r)))
        .ok_or_else(|| ApiError::not_found("preferences"))
}
