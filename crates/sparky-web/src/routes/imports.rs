//! `POST /api/v1/import/{kind}`: another tracker's export file as the body, read by
//! `sparky_import` and written by `sparky_app::imports` (the same operation as
//! `sparky import-from`). `?dry_run=true` answers the same preview and writes nothing.
//!
//! The body may be up to `SPARKY_MAX_IMPORT_BODY` bytes (64 MiB by default; every other route
//! keeps `SPARKY_MAX_BODY`), is read only after the credential was accepted, and its import
//! runs under `SPARKY_IMPORT_STATEMENT_TIMEOUT_MS` instead of the request timeout.

use axum::extract::{Request, State};
use serde::Deserialize;
use sparky_app::imports::sparky_import::{
    self, Area, DateOrder, DecimalSeparator, Options, Source,
};
use sparky_app::imports::{self, ImportPreview};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(import_file))
}

/// Which tracker the file comes from.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ImportKind {
    Mfp,
    Cronometer,
    AppleHealth,
    Csv,
    Strong,
    Hevy,
    Fitnotes,
    Macrofactor,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct KindPath {
    /// `mfp` (MyFitnessPal), `cronometer`, `apple-health` (export.xml), `csv`, `strong`,
    /// `hevy`, `fitnotes` or `macrofactor` (its .xlsx export).
    #[param(inline)]
    pub kind: ImportKind,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetParam {
    Foods,
    Diary,
    Measurements,
    Workouts,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecimalParam {
    Point,
    Comma,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DatesParam {
    Dmy,
    Mdy,
}

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitsParam {
    Metric,
    Imperial,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// True: only count what would be created and skipped; nothing is written.
    pub dry_run: Option<bool>,
    /// csv (required there): what each row is.
    #[param(inline)]
    pub target: Option<TargetParam>,
    /// csv: columns to fields, `COLUMN=FIELD` pairs separated by `;`, e.g.
    /// `Kalorien=calories;Eiweiß=protein`; other columns are matched by their header.
    #[param(max_length = 2000)]
    pub map: Option<String>,
    /// The decimal separator of the file's numbers (default: detected from the file).
    #[param(inline)]
    pub decimal: Option<DecimalParam>,
    /// The order of day and month in dates like 01/02/2025 (default: detected).
    #[param(inline)]
    pub dates: Option<DatesParam>,
    /// The unit system of values the file gives without a unit (default: yours).
    #[param(inline)]
    pub units: Option<UnitsParam>,
}

impl ImportParams {
    fn options(&self) -> Result<Options, ApiError> {
        let mut map = Vec::new();
        if let Some(m) = &self.map {
            if m.chars().count() > 2000 {
                return Err(ApiError::invalid("map", "must be at most 2000 characters"));
            }
            for pair in m.split(';').map(str::trim).filter(|p| !p.is_empty()) {
                let (c, f) = pair.split_once('=').ok_or_else(|| {
                    ApiError::invalid("map", "write COLUMN=FIELD pairs separated by ;")
                })?;
                map.push((c.to_string(), f.to_string()));
            }
        }
        Ok(Options {
            target: self.target.map(|t| match t {
                TargetParam::Foods => Area::Foods,
                TargetParam::Diary => Area::Diary,
                TargetParam::Measurements => Area::Measurements,
                TargetParam::Workouts => Area::Workouts,
            }),
            map,
            decimal: self.decimal.map(|d| match d {
                DecimalParam::Point => DecimalSeparator::Point,
                DecimalParam::Comma => DecimalSeparator::Comma,
            }),
            dates: self.dates.map(|d| match d {
                DatesParam::Dmy => DateOrder::Dmy,
                DatesParam::Mdy => DateOrder::Mdy,
            }),
            units: self.units.map(|u| match u {
                UnitsParam::Metric => sparky_core::UnitsSystem::Metric,
                UnitsParam::Imperial => sparky_core::UnitsSystem::Imperial,
            }),
        })
    }
}

/// The export file, as it was saved (any content type).
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct ImportFile(#[allow(dead_code)] Vec<u8>);

/// Waits for a turn to unpack and parse an uploaded file or to build an export archive (at
/// most `SPARKY_MAX_CONCURRENT_IMPORTS` at once, since each may take several times its size
/// in memory); after `import_queue_wait`, 503 with `Retry-After`. An import takes it after
/// its body was read, so a slow upload does not hold a turn.
pub(crate) async fn import_turn(
    app: &AppState,
) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
    let wait = app.config.import_queue_wait;
    match tokio::time::timeout(wait, app.import_slots.clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => {
            let mut e = ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                format!(
                    "the server is busy with other imports and exports (at most {} at once, SPARKY_MAX_CONCURRENT_IMPORTS); try again shortly",
                    app.config.max_concurrent_imports.max(1)
                ),
            );
            e.retry_after = Some(wait.as_secs().clamp(1, 60));
            Err(e)
        }
    }
}

/// An uploaded file held in memory, and the room it takes in the upload budget (keep `room`
/// until the request ends; the bytes may go earlier).
pub(crate) struct Upload {
    pub(crate) bytes: bytes::Bytes,
    pub(crate) room: tokio::sync::OwnedSemaphorePermit,
}

/// The 413 of a file above `SPARKY_MAX_IMPORT_BODY`.
pub(crate) fn upload_too_large(app: &AppState) -> ApiError {
    let limit = app.config.max_import_body_bytes;
    ApiError::new(
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!("the file is larger than this server takes in a request ({limit} bytes, SPARKY_MAX_IMPORT_BODY); import it on the server with `sparky import` (an export archive) or `sparky import-from` (another tracker's file)"),
    )
}

/// Reserves room in the upload budget for the body `headers` announce: its declared length, or
/// the largest file when it declares none. When the budget stays full for
/// `import_queue_wait`, 503 `busy` with `Retry-After`, before a byte is read. A declared
/// length above the limit is a 413 at once. Keep the room until the request ends.
pub(crate) async fn reserve_upload(
    app: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
    let limit = app.config.max_import_body_bytes;
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    crate::extract::refuse_content_coding(headers)?;
    if declared.is_some_and(|d| d > limit as u64) {
        return Err(upload_too_large(app));
    }
    let size = declared.map_or(limit, |d| d as usize);
    let budget = crate::upload_budget_kib(&app.config);
    let kib = u32::try_from(size.div_ceil(1024))
        .unwrap_or(u32::MAX)
        .clamp(1, budget);
    let wait = app.config.import_queue_wait;
    match tokio::time::timeout(wait, app.upload_budget.clone().acquire_many_owned(kib)).await {
        Ok(Ok(room)) => Ok(room),
        _ => {
            let mut e = ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the server is receiving as many uploaded files as it holds at once; try again shortly",
            );
            e.retry_after = Some(wait.as_secs().clamp(1, 60));
            Err(e)
        }
    }
}

/// Reads an uploaded file (at most `SPARKY_MAX_IMPORT_BODY`) after reserving room for it in
/// the upload budget ([`reserve_upload`]).
pub(crate) async fn read_upload(app: &AppState, req: Request) -> Result<Upload, ApiError> {
    use http_body_util::BodyExt;
    let room = reserve_upload(app, req.headers()).await?;
    match http_body_util::Limited::new(req.into_body(), app.config.max_import_body_bytes)
        .collect()
        .await
    {
        Ok(collected) => Ok(Upload {
            bytes: collected.to_bytes(),
            room,
        }),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(upload_too_large(app)),
        Err(e) => Err(ApiError::bad_request(format!(
            "could not read the request body: {e}"
        ))),
    }
}

/// Import another tracker's export file into your account: the file is the request body.
///
/// | `kind` | file | becomes |
/// |---|---|---|
/// | `mfp` | a MyFitnessPal export CSV: Nutrition Summary, Measurement Summary or Exercise Summary | quick-add diary entries per day and meal with their macros; measurements (in `units`, default yours); workouts |
/// | `cronometer` | Cronometer's `servings.csv`, `biometrics.csv` or `exercises.csv` | diary entries with their nutrients; measurements; workouts |
/// | `apple-health` | Apple Health's `export.xml` | weight, body fat, height, daily steps and water, workouts |
/// | `csv` | any CSV with a header row; `target` says what the rows are, `map` names columns | foods, diary entries, measurements or workouts |
/// | `strong` | Strong's workout CSV (Settings → Export data) | a workout per exercise of each session, with its sets (weights without a unit in `units`, default yours) |
/// | `hevy` | Hevy's workouts CSV (Settings → Export & import data → Export workouts) | a workout per exercise of each session, with its sets |
/// | `fitnotes` | FitNotes' workout data CSV (Settings → Spreadsheet Export → Workout Data) | a workout per exercise of each day, with its sets (weights without a unit in `units`, default yours) |
/// | `macrofactor` | MacroFactor's data export workbook, `.xlsx` (More → Data Management → Data Export, quick or granular) | a diary entry per food log row with its nutrients, in the meal its time falls in; a "MacroFactor day total" entry for days with daily totals but no food log rows; weight (kg unless `units` says otherwise), body fat, steps; a workout per exercise of each session with its sets; custom foods and favorites as foods of your own |
///
/// The answer counts what was created (or with `dry_run=true`, would be) and what was skipped,
/// with each reason and the first line it applies to. Importing the same file again creates
/// nothing: rows already imported are skipped. A file that cannot be read is a 422 naming the
/// line, and nothing is written; the whole import is one transaction. Bodies up to
/// `SPARKY_MAX_IMPORT_BODY` (64 MiB by default); larger files: `sparky import-from`.
#[utoipa::path(post, path = "/api/v1/import/{kind}", tag = "import",
    params(KindPath, ImportParams),
    request_body(content = ImportFile, content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "What was (or would be) created and skipped", body = ImportPreview),
        (status = 404, description = "No importer of that kind", body = crate::error::ErrorBody),
        (status = 503, description = "Busy with other imports (`Retry-After`), the import took longer than the server allows, or the database is unavailable", body = crate::error::ErrorBody),
    ))]
async fn import_file(
    State(app): State<AppState>,
    Auth { mut tx, .. }: Auth,
    ApiPath(KindPath { kind }): ApiPath<KindPath>,
    ApiQuery(params): ApiQuery<ImportParams>,
    req: Request,
) -> ApiResult<ApiJson<ImportPreview>> {
    let file = ExportFile::new(kind, &params, "body")?;
    // The body arrives without holding a database connection (or an open transaction): a slow
    // upload must not take a pooled connection from other requests.
    let who = tx.identity().await?;
    tx.commit().await?;
    let Upload {
        bytes: body,
        room: _room,
    } = read_upload(&app, req).await?;
    if body.is_empty() {
        return Err(ApiError::invalid("body", "is empty: send the export file"));
    }
    let dry_run = params.dry_run.unwrap_or(false);
    Ok(ApiJson(file.import(&app, who, body, dry_run).await?))
}

/// Another app's export file, read (within the upload budget) and about to be imported.
pub(crate) struct ExportFile {
    pub(crate) source: Source,
    pub(crate) options: Options,
    /// The field a file that cannot be read is reported against.
    pub(crate) field: &'static str,
}

impl ExportFile {
    /// The file's kind and reading options as the request gives them (a CSV must say what
    /// its rows are).
    pub(crate) fn new(
        kind: ImportKind,
        params: &ImportParams,
        field: &'static str,
    ) -> ApiResult<ExportFile> {
        let source = match kind {
            ImportKind::Mfp => Source::Mfp,
            ImportKind::Cronometer => Source::Cronometer,
            ImportKind::AppleHealth => Source::AppleHealth,
            ImportKind::Csv => Source::Csv,
            ImportKind::Strong => Source::Strong,
            ImportKind::Hevy => Source::Hevy,
            ImportKind::Fitnotes => Source::FitNotes,
            ImportKind::Macrofactor => Source::MacroFactor,
        };
        let options = params.options()?;
        if matches!(source, Source::Csv) && options.target.is_none() {
            return Err(ApiError::invalid(
                "target",
                "say what the rows are: foods, diary, measurements or workouts",
            ));
        }
        Ok(ExportFile {
            source,
            options,
            field,
        })
    }

    /// Parses the file when an import turn is free and imports it into `who`'s account in
    /// one transaction (rolled back for a dry run): the API's and the Settings page's import.
    pub(crate) async fn import(
        self,
        app: &AppState,
        who: sparky_db::Identity,
        bytes: bytes::Bytes,
        dry_run: bool,
    ) -> ApiResult<ImportPreview> {
        let ExportFile {
            source,
            options,
            field,
        } = self;
        let _turn = import_turn(app).await?;
        let parsed = tokio::task::spawn_blocking(move || {
            sparky_import::parse_bytes(source, &bytes, &options)
        })
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(|e| imports::file_error(field, e))?;
        let mut tx = app.db.as_identity(who).await?;
        tx.set_statement_timeout(app.config.import_statement_timeout);
        let preview = imports::run(&mut tx, source, parsed, dry_run).await?;
        if dry_run {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
        }
        Ok(preview)
    }
}
