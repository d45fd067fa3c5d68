//! `/api/v1/reports/{nutrition,body,exercise}`: reports over a range of days, as JSON or CSV
//! (see `sparky_app::reports`). `?user_id=` reads a family member's reports: RLS decides
//! (`reports` reads all three; `calorie` the nutrition and exercise ones, `checkin` the body one).

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sparky_app::reports::{self, BodyReport, ExerciseReport, NutritionReport, ReportRange, ToCsv};
use sparky_core::Date;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(nutrition_report))
        .routes(routes!(body_report))
        .routes(routes!(exercise_report))
}

/// How a report is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    #[default]
    Json,
    Csv,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// The last `days` days up to today in the owner's timezone (the Reports screen offers 7,
    /// 30, 90 and 365). Default 30. Not together with `from`/`to`.
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<i64>,
    /// A custom range's first day, YYYY-MM-DD; needs `to`.
    pub from: Option<Date>,
    /// A custom range's last day, inclusive: at most 365 days after `from` (366 days in all).
    pub to: Option<Date>,
    /// `json` (default) or `csv`: a file with a header row, ISO dates and the owner's units.
    #[param(inline)]
    pub format: Option<ReportFormat>,
    /// Whose report (a family member who shared their data with you).
    pub user_id: Option<Uuid>,
}

impl ReportParams {
    fn range(&self) -> Result<ReportRange, sparky_app::AppError> {
        ReportRange::parse(self.days, self.from, self.to)
    }
}

/// The report as JSON, or as a CSV download.
fn respond<R: Serialize + ToCsv>(report: R, format: Option<ReportFormat>) -> Response {
    match format.unwrap_or_default() {
        ReportFormat::Json => ApiJson(report).into_response(),
        ReportFormat::Csv => {
            let name = reports::csv_file_name(&report);
            let mut r = reports::to_csv(&report).into_response();
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
    }
}

/// Nutrition over a range: calories a day against the calorie target with the average over
/// the logged days, weekly totals against a weekly budget (7 × the daily target, in
/// proportion for part weeks), the macro split, and every other nutrient the diary holds
/// against its reference intake with the share of logged days met. Days without diary
/// entries are null, never zero. One query.
#[utoipa::path(get, path = "/api/v1/reports/nutrition", tag = "reports",
    params(ReportParams),
    responses(
        (status = 200, description = "The report; with `format=csv` one row a day: date, logged, calorie_target_kcal, burned_kcal and every nutrient with its unit",
            content((NutritionReport = "application/json"), (String = "text/csv"))),
        (status = 404, description = "Not shared with you", body = ErrorBody),
    ))]
async fn nutrition_report(
    Auth { mut tx, .. }: Auth,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Response> {
    let range = p.range()?;
    let r = reports::nutrition(&mut tx, sparky_app::Acting::new(p.user_id), range).await?;
    tx.commit().await?;
    Ok(respond(r, p.format))
}

/// Body measurements over a range: weight with its trend (EWMA, alpha 0.1) and the trend's
/// weekly rate of change, and every other measurement type (custom ones too), in the owner's
/// units. One query.
#[utoipa::path(get, path = "/api/v1/reports/body", tag = "reports",
    params(ReportParams),
    responses(
        (status = 200, description = "The report; with `format=csv` one row per type and day: date, type, value, unit, trend (weight only)",
            content((BodyReport = "application/json"), (String = "text/csv"))),
        (status = 404, description = "Not shared with you", body = ErrorBody),
    ))]
async fn body_report(
    Auth { mut tx, .. }: Auth,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Response> {
    let range = p.range()?;
    let r = reports::body(&mut tx, sparky_app::Acting::new(p.user_id), range).await?;
    tx.commit().await?;
    Ok(respond(r, p.format))
}

/// Exercise over a range: sessions, calories and minutes per day and week, weekly volume
/// (reps × weight) per muscle group, and the personal records (estimated one-rep max,
/// heaviest weight) set in the range, in the owner's units. One query.
#[utoipa::path(get, path = "/api/v1/reports/exercise", tag = "reports",
    params(ReportParams),
    responses(
        (status = 200, description = "The report; with `format=csv` one value a row: date, metric, subject, value, unit",
            content((ExerciseReport = "application/json"), (String = "text/csv"))),
        (status = 404, description = "Not shared with you", body = ErrorBody),
    ))]
async fn exercise_report(
    Auth { mut tx, .. }: Auth,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Response> {
    let range = p.range()?;
    let r = reports::exercise(&mut tx, sparky_app::Acting::new(p.user_id), range).await?;
    tx.commit().await?;
    Ok(respond(r, p.format))
}
