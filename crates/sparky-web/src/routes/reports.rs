//! `/api/v1/reports/{nutrition,foods,body,exercise}`: reports over a range of days, as JSON or
//! CSV (see `sparky_app::reports`). `?user_id=` reads a family member's reports: RLS decides
//! (`reports` reads them all; `calorie` the nutrition, foods and exercise ones, `checkin` the
//! body one).

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sparky_app::reports::{
    self, BodyReport, ExerciseReport, FoodsReport, NutritionReport, RankBy, ReportRange, ToCsv,
};
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
        .routes(routes!(foods_report))
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
    /// `json` or `csv`: a file with a header row, ISO dates and the owner's units. Without it,
    /// an `Accept` header that ranks `text/csv` above `application/json` gets CSV; else JSON.
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

/// The format asked for: `format=` when given, else what the `Accept` header prefers (CSV
/// only when it ranks `text/csv` above JSON), else JSON.
fn chosen_format(format: Option<ReportFormat>, headers: &HeaderMap) -> ReportFormat {
    if let Some(f) = format {
        return f;
    }
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let (csv, json) = accept_weights(&accept);
    if csv > json {
        ReportFormat::Csv
    } else {
        ReportFormat::Json
    }
}

/// The quality an `Accept` value gives CSV and JSON, each from its most specific matching
/// range (`text/csv` over `text/*` over `*/*`), in thousandths.
fn accept_weights(accept: &str) -> (u16, u16) {
    // (specificity, quality) of the best match so far for each.
    let mut csv: (u8, u16) = (0, 0);
    let mut json: (u8, u16) = (0, 0);
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .next()
            .and_then(|v| v.trim().parse::<f32>().ok())
            .map_or(1000, |v| (v.clamp(0.0, 1.0) * 1000.0).round() as u16);
        let specificity = |full: &str, family: &str| match media.as_str() {
            m if m == full => 3,
            m if m == family => 2,
            "*/*" => 1,
            _ => 0,
        };
        let c = specificity("text/csv", "text/*");
        if c > csv.0 {
            csv = (c, q);
        }
        let j = specificity("application/json", "application/*");
        if j > json.0 {
            json = (j, q);
        }
    }
    // Without any Accept header both are acceptable and JSON, the default, wins the tie.
    if accept.trim().is_empty() {
        return (0, 1000);
    }
    (csv.1, json.1)
}

/// The report as JSON, or as a CSV download.
fn respond<R: Serialize + ToCsv>(report: R, format: ReportFormat) -> Response {
    let mut response = match format {
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
    };
    // Caches must keep the JSON and CSV answers of one URL apart.
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    response
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
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Response> {
    let range = p.range()?;
    let r = reports::nutrition(&mut tx, sparky_app::Acting::new(p.user_id), range).await?;
    tx.commit().await?;
    Ok(respond(r, chosen_format(p.format, &headers)))
}

/// The range of a foods report, the nutrient to rank by and how many foods.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FoodsReportParams {
    /// The last `days` days up to today in the owner's timezone. Default 30. Not together
    /// with `from`/`to`.
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<i64>,
    /// A custom range's first day, YYYY-MM-DD; needs `to`.
    pub from: Option<Date>,
    /// A custom range's last day, inclusive: at most 365 days after `from` (366 days in all).
    pub to: Option<Date>,
    /// The nutrient to rank the foods by (default `calories`).
    #[param(inline)]
    pub by: Option<RankBy>,
    /// How many foods, 1 to 50 (default 10).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<i64>,
    /// `json` or `csv` (one row per food); without it the `Accept` header decides.
    #[param(inline)]
    pub format: Option<ReportFormat>,
    /// Whose report (a family member who shared their diary with you).
    pub user_id: Option<Uuid>,
}

/// The foods that gave the most of a nutrient (calories unless `by` says otherwise) over a
/// range: how often each was logged, how much it gave, its share of the range's total and its
/// calories and macros. A food is one food item whatever it was called when logged; quick adds
/// count by name (any case). Foods that gave none of it are left out. One query.
#[utoipa::path(get, path = "/api/v1/reports/foods", tag = "reports",
    params(FoodsReportParams),
    responses(
        (status = 200, description = "The report; with `format=csv` one row per food: rank, food, brand, entries, the nutrient with its unit, percent, and those of calories_kcal, protein_g, carbohydrates_g, fat_g that are not the ranked one",
            content((FoodsReport = "application/json"), (String = "text/csv"))),
        (status = 404, description = "Not shared with you", body = ErrorBody),
    ))]
async fn foods_report(
    Auth { mut tx, .. }: Auth,
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<FoodsReportParams>,
) -> ApiResult<Response> {
    let range = ReportRange::parse(p.days, p.from, p.to)?;
    let r = reports::foods(
        &mut tx,
        sparky_app::Acting::new(p.user_id),
        range,
        p.by.unwrap_or_default(),
        p.limit,
    )
    .await?;
    tx.commit().await?;
    Ok(respond(r, chosen_format(p.format, &headers)))
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
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Response> {
    let range = p.range()?;
    let r = reports::body(&mut tx, sparky_app::Acting::new(p.user_id), range).await?;
    tx.commit().await?;
    Ok(respond(r, chosen_format(p.format, &headers)))
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
    headers: HeaderMap,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Response> {
    let range = p.range()?;
    let r = reports::exercise(&mut tx, sparky_app::Acting::new(p.user_id), range).await?;
    tx.commit().await?;
    Ok(respond(r, chosen_format(p.format, &headers)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(accept: &str) -> ReportFormat {
        let mut h = HeaderMap::new();
        if !accept.is_empty() {
            h.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        }
        chosen_format(None, &h)
    }

    #[test]
    fn accept_header_picks_csv_only_when_it_ranks_first() {
        assert_eq!(pick(""), ReportFormat::Json);
        assert_eq!(pick("*/*"), ReportFormat::Json);
        assert_eq!(pick("application/json"), ReportFormat::Json);
        assert_eq!(pick("text/csv"), ReportFormat::Csv);
        assert_eq!(pick("Text/CSV; charset=utf-8"), ReportFormat::Csv);
        assert_eq!(pick("text/csv, application/json"), ReportFormat::Json);
        assert_eq!(pick("text/csv, application/json;q=0.5"), ReportFormat::Csv);
        assert_eq!(pick("text/csv;q=0.2, */*;q=0.1"), ReportFormat::Csv);
        assert_eq!(pick("text/*, */*;q=0.1"), ReportFormat::Csv);
        assert_eq!(
            pick("text/html,application/xhtml+xml,*/*;q=0.8"),
            ReportFormat::Json
        );
        assert_eq!(pick("text/csv;q=0"), ReportFormat::Json);
        // An explicit format= wins over the header.
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_static("text/csv"));
        assert_eq!(
            chosen_format(Some(ReportFormat::Json), &h),
            ReportFormat::Json
        );
    }
}
