//! Health data from a phone (see `sparky_app::health_data`): `POST /api/v1/health-data`, and
//! the routes of SparkyFitness that its mobile app and iOS Shortcuts call, so they can point at
//! Sparky unchanged: `POST /api/health-data`, `GET /api/identity/user` (the app's connection
//! check) and `POST /api/user-preferences/bootstrap-timezone` (asked before every sync).
//!
//! API keys work as `Authorization: Bearer <key>` or `X-API-Key: <key>`; a browser session
//! works too (with the same-origin check on writes, as everywhere).

use std::borrow::Cow;

use axum::extract::{Request, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sparky_app::health_data::{
    self, Batch, HealthDataResult, HealthRecordInput, PushOutcome, RecordOutcome, MAX_RECORDS,
};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::extract::{json_body, parse_json, ApiJson};
use crate::AppState;

/// Health pushes may be this many times `SPARKY_MAX_BODY` (8 MiB by default): 5,000 records,
/// or a few workouts with their GPS tracks, are more than a megabyte.
pub const BODY_LIMIT_FACTOR: usize = 8;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(push_health_data))
        .routes(routes!(push_health_data_compat))
        .routes(routes!(compat_identity))
        .routes(routes!(compat_bootstrap_timezone))
}

async fn body(app: &AppState, req: Request) -> Result<bytes::Bytes, ApiError> {
    let limit = app.config.max_body_bytes.saturating_mul(BODY_LIMIT_FACTOR);
    json_body(req, limit).await
}

fn not_records() -> ApiError {
    ApiError::invalid(
        "body",
        "must be a JSON array of health records, or one record object",
    )
}

/// The request body of `POST /api/v1/health-data`: records, or one record.
pub struct HealthDataBody;

impl PartialSchema for HealthDataBody {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ArrayBuilder::new()
                    .items(Ref::from_schema_name("HealthRecordInput"))
                    .max_items(Some(MAX_RECORDS))
                    .description(Some("Up to 5,000 records")),
            )
            .item(Ref::from_schema_name("HealthRecordInput"))
            .into()
    }
}

impl ToSchema for HealthDataBody {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("HealthDataBody")
    }
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((
            "HealthRecordInput".into(),
            <HealthRecordInput as PartialSchema>::schema(),
        ));
        <HealthRecordInput as ToSchema>::schemas(schemas);
    }
}

/// Push health data from a phone or a script: an array of records (or one record) of steps,
/// weight, body fat, water, active calories, sleep, distance, workouts or anything else.
///
/// | `type` | stored as | `value` and `unit` |
/// |---|---|---|
/// | `steps` | measurement `steps` | count |
/// | `weight` | measurement `weight` | kg, lb or g (> 0, ≤ 1000 kg) |
/// | `body_fat` | measurement `body_fat` | % (0–100) |
/// | `water` | measurement `water` (counts in the day's water) | ml, l, fl oz or cup (≤ 100 l) |
/// | `waist`, `hips`, `neck`, `chest`, `height`, `muscle_mass`, `resting_heart_rate` | that measurement | its units (cm, in, m, ft; kg, lb; bpm) |
/// | `active_calories` | measurement `active_calories` (not added to `burned`: it already contains your workouts) | kcal or kJ (≤ 100,000 kcal) |
/// | `sleep` | measurement `sleep_hours` | h, min or s (≤ 24 h) |
/// | `distance` | measurement `distance_km` | m, km or mi |
/// | `workout` | an exercise diary entry, matched to the catalog by `name` when it can be | no value: `name`, `duration_minutes` (≤ 10080; fractions kept to the second), `distance` + `distance_unit` (≤ 100000), `calories` (≤ 100000 kcal) |
/// | `nutrition` | skipped: food is logged in Sparky | |
/// | anything else | a custom measurement type of that name (snake_case), created on first use (at most 50 new types a request, 200 in all) | a body unit makes it a type of that kind; any other unit keeps the value as sent, the unit noted |
///
/// Without a `unit`, values are in your display units. Resending is safe: records are told
/// apart by source, type and `timestamp` (else `date`, and for workouts without a time also
/// `name`); the same values again are skipped, new values (a step count that grew) replace
/// the old ones, never add to them. A record that cannot be stored is listed in `errors` with
/// its index; the others are stored. The whole request is one transaction.
#[utoipa::path(post, path = "/api/v1/health-data", tag = "health data",
    request_body = HealthDataBody,
    responses(
        (status = 200, description = "Every record's outcome: counts, and the records that failed", body = HealthDataResult),
    ))]
async fn push_health_data(
    State(app): State<AppState>,
    Auth { mut tx, .. }: Auth,
    req: Request,
) -> ApiResult<ApiJson<HealthDataResult>> {
    let bytes = body(&app, req).await?;
    let records: Vec<HealthRecordInput> = match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => parse_json(&bytes)?,
        Some(b'{') => vec![parse_json(&bytes)?],
        _ => {
            // Malformed JSON is a 400; well-formed JSON of another kind a 422.
            parse_json::<Value>(&bytes)?;
            return Err(not_records());
        }
    };
    let batch = Batch::native(records)?;
    let outcome = health_data::push(&mut tx, batch).await?;
    tx.commit().await?;
    Ok(ApiJson(HealthDataResult::from(&outcome)))
}

/// The request body of `POST /api/health-data`: SparkyFitness records, or one record.
pub struct CompatBody;

fn compat_record_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "A SparkyFitness health record: `{type, value, date, unit?, source?, timestamp?, \
             record_timezone?, record_utc_offset_minutes?}`; sleep as `{type: \"SleepSession\", \
             bedtime, wake_time, duration_in_seconds, time_asleep_in_seconds}`; workouts as \
             `{type: \"ExerciseSession\", activityType, startTime, endTime, duration (s), \
             caloriesBurned, distance (km), source_id}`. Values are numbers or numbers as text; \
             without a unit, kg, cm, ml, % and kcal. Its fields are checked per record.",
        ))
}

impl PartialSchema for CompatBody {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ArrayBuilder::new()
                    .items(compat_record_schema())
                    .max_items(Some(MAX_RECORDS)),
            )
            .item(compat_record_schema())
            .into()
    }
}

impl ToSchema for CompatBody {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CompatHealthDataBody")
    }
}

/// A record that was stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompatProcessed {
    /// Its position in the request, from 0.
    pub index: usize,
    /// Its `type` as sent.
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    /// Always `success`.
    pub status: String,
}

/// A record that could not be stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompatError {
    pub index: usize,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    pub error: String,
}

/// A record not written on purpose (a resend of stored values, food).
#[derive(Debug, Serialize, ToSchema)]
pub struct CompatSkipped {
    pub index: usize,
    #[serde(rename = "type")]
    #[schema(rename = "type")]
    pub kind: String,
    pub reason: String,
}

/// SparkyFitness's answer to a health data push.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompatHealthResult {
    pub message: String,
    #[schema(max_items = 5000)]
    pub processed: Vec<CompatProcessed>,
    #[schema(max_items = 5000)]
    pub errors: Vec<CompatError>,
    #[schema(max_items = 5000)]
    pub skipped: Vec<CompatSkipped>,
}

impl From<PushOutcome> for CompatHealthResult {
    fn from(o: PushOutcome) -> CompatHealthResult {
        let mut r = CompatHealthResult {
            message: String::new(),
            processed: Vec::new(),
            errors: Vec::new(),
            skipped: Vec::new(),
        };
        for (index, (kind, outcome)) in o.records.into_iter().enumerate() {
            match outcome {
                RecordOutcome::Stored => r.processed.push(CompatProcessed {
                    index,
                    kind,
                    status: "success".into(),
                }),
                RecordOutcome::Skipped(reason) => r.skipped.push(CompatSkipped {
                    index,
                    kind,
                    reason,
                }),
                RecordOutcome::Failed(error) => r.errors.push(CompatError { index, kind, error }),
            }
        }
        r.message = if r.errors.is_empty() {
            "All health data successfully processed.".into()
        } else {
            "Some health data entries could not be processed.".into()
        };
        r
    }
}

/// SparkyFitness compatibility: the health data push of its mobile app (Apple Health and
/// Health Connect sync) and of iOS Shortcuts, with the same API key (`Authorization: Bearer`
/// or `X-API-Key`). Stored exactly as `POST /api/v1/health-data` stores records, with
/// SparkyFitness's defaults: units left out are kg, cm, ml, % and kcal, and the source
/// `manual`; a `date` with a time is bucketed in `record_timezone` (else
/// `record_utc_offset_minutes`, else your timezone). Food (`Nutrition`) is skipped. The answer
/// is SparkyFitness's: 200 with every record in `processed`, `errors` or `skipped`.
#[utoipa::path(post, path = "/api/health-data", tag = "SparkyFitness compatibility",
    request_body = CompatBody,
    responses(
        (status = 200, description = "Every record's outcome", body = CompatHealthResult),
    ))]
async fn push_health_data_compat(
    State(app): State<AppState>,
    Auth { mut tx, .. }: Auth,
    req: Request,
) -> ApiResult<ApiJson<CompatHealthResult>> {
    let bytes = body(&app, req).await?;
    let batch = Batch::compat(parse_json::<Value>(&bytes)?)?;
    let outcome = health_data::push(&mut tx, batch).await?;
    tx.commit().await?;
    Ok(ApiJson(CompatHealthResult::from(outcome)))
}

/// Who the API key belongs to, in SparkyFitness's shape.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompatIdentity {
    pub authenticated_user_id: Uuid,
    pub authenticated_user_email: String,
    /// `admin` or `user`.
    pub role: String,
    /// Always the caller: Sparky acts for family members with `?user_id=`, not a switched
    /// context.
    pub active_user_id: Uuid,
    pub active_user_email: String,
    pub active_user_full_name: Option<String>,
}

/// SparkyFitness compatibility: the signed-in user (its mobile app checks the connection and
/// the API key with this).
#[utoipa::path(get, path = "/api/identity/user", tag = "SparkyFitness compatibility",
    responses(
        (status = 200, description = "The signed-in user", body = CompatIdentity),
    ))]
async fn compat_identity(Auth { mut tx, .. }: Auth) -> ApiResult<ApiJson<CompatIdentity>> {
    let me = sparky_app::accounts::me(&mut tx).await?;
    tx.commit().await?;
    Ok(ApiJson(CompatIdentity {
        authenticated_user_id: me.id,
        authenticated_user_email: me.email.clone(),
        role: if me.is_admin { "admin" } else { "user" }.into(),
        active_user_id: me.id,
        active_user_email: me.email,
        active_user_full_name: me.full_name,
    }))
}

/// The phone's timezone, offered to an account without one.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BootstrapTimezoneInput {
    /// IANA name, e.g. `Europe/Berlin`.
    #[schema(max_length = 64)]
    pub timezone: Option<String>,
}

/// The account's timezone.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompatTimezone {
    /// IANA name.
    pub timezone: String,
}

/// SparkyFitness compatibility: its mobile app offers the phone's timezone before each sync
/// and buckets records by the answer. Sparky always has a timezone (Settings, or onboarding),
/// so this changes nothing and answers the account's.
#[utoipa::path(post, path = "/api/user-preferences/bootstrap-timezone",
    tag = "SparkyFitness compatibility",
    request_body = BootstrapTimezoneInput,
    responses(
        (status = 200, description = "The account's timezone", body = CompatTimezone),
    ))]
async fn compat_bootstrap_timezone(
    Auth { mut tx, .. }: Auth,
    ApiJson(input): ApiJson<BootstrapTimezoneInput>,
) -> ApiResult<ApiJson<CompatTimezone>> {
    if input
        .timezone
        .as_ref()
        .is_some_and(|t| t.chars().count() > 64)
    {
        return Err(ApiError::invalid(
            "timezone",
            "must be at most 64 characters",
        ));
    }
    let prefs = sparky_app::preferences::get(&mut tx, sparky_app::Acting::ME).await?;
    tx.commit().await?;
    Ok(ApiJson(CompatTimezone {
        timezone: prefs.timezone,
    }))
}
