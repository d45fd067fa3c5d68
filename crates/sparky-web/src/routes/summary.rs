//! `/api/v1/summary`: the daily summary, for one day or one row a day for a range (see
//! `sparky_app::summary`). `?user_id=` needs a `calorie` or `reports` grant.

use serde::Deserialize;
use sparky_app::days::DayRef;
use sparky_app::summary::{self, DaySummary, Range, RangeSummary};
use sparky_core::Date;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::{ActingFor, Auth};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::json::SizedJson;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(day_summary))
        .routes(routes!(range_summary))
}

/// One day: eaten (with the nutrients only some entries know), burned, remaining against the
/// active targets, water, weight, streak.
#[utoipa::path(get, path = "/api/v1/summary/{date}", tag = "summary",
    params(("date" = String, Path, description = "The day: YYYY-MM-DD (1900-01-01 to 2199-12-31) or `today` (in the owner's timezone)", pattern = r"^([Tt][Oo][Dd][Aa][Yy]|(19|2[01])[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))$"), ActingFor),
    responses(
        (status = 200, description = "The day", body = DaySummary),
        (status = 404, description = "Not shared with you", body = ErrorBody),
    ))]
async fn day_summary(
    Auth { mut tx, .. }: Auth,
    ApiPath(key): ApiPath<String>,
    acting: ActingFor,
) -> ApiResult<ApiJson<DaySummary>> {
    let acting = acting.acting();
    let date = DayRef::parse(&key)?.resolve(&mut tx, acting).await?;
    let day = summary::day_and_commit(tx, acting, date).await?;
    Ok(ApiJson(day))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeParams {
    /// First day, YYYY-MM-DD (1900-01-01 to 2199-12-31).
    pub from: Date,
    /// Last day, at most 365 days after `from` (366 days in all).
    pub to: Date,
    /// Whose summary (a family member who shared their diary with you).
    pub user_id: Option<Uuid>,
}

/// One row a day for up to 366 days, computed in one query.
#[utoipa::path(get, path = "/api/v1/summary", tag = "summary",
    params(RangeParams),
    responses(
        (status = 200, description = "One row per day", body = RangeSummary),
        (status = 404, description = "Not shared with you", body = ErrorBody),
    ))]
async fn range_summary(
    Auth { tx, .. }: Auth,
    ApiQuery(p): ApiQuery<RangeParams>,
) -> ApiResult<SizedJson<RangeSummary>> {
    let range = Range::parse(p.from, p.to)?;
    // Your own range is one round trip: authentication, query and commit are pipelined.
    let s = summary::range_and_commit(tx, sparky_app::Acting::new(p.user_id), range).await?;
    let size = s.json_size_hint();
    Ok(SizedJson(s, size))
}
