//! `GET /api/v1/export` and `POST /api/v1/import`: all of your data as one archive, and back
//! (see `sparky_app::transfer` and docs/export-format.md). Both run with the longer
//! `SPARKY_IMPORT_STATEMENT_TIMEOUT_MS`; the import's body may be up to
//! `SPARKY_MAX_IMPORT_BODY` bytes and is read only after the credential was accepted.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sparky_app::transfer::{self, ExportOptions, ImportOptions, ImportReport};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::AppState;

/// The archive may hold this many times `SPARKY_MAX_IMPORT_BODY` once decompressed (CSV
/// compresses five- to tenfold; it is all held in memory while it is checked).
pub const UNCOMPRESSED_FACTOR: u64 = 8;

/// Media types an archive may be sent as.
const ARCHIVE_TYPES: &[&str] = &[
    "application/gzip",
    "application/x-gzip",
    "application/octet-stream",
    "application/x-tar",
];

/// An export archive in the OpenAPI document: bytes, not JSON.
pub struct ArchiveFile;

impl PartialSchema for ArchiveFile {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some(
                "A gzip-compressed tar file: manifest.json and one CSV file per area (docs/export-format.md)",
            ))
            .into()
    }
}

impl ToSchema for ArchiveFile {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("ExportArchive")
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_archive))
        .routes(routes!(import_archive))
}

fn schema_version(app: &AppState) -> String {
    app.migrator
        .migrations()
        .last()
        .map(|m| m.version.clone())
        .unwrap_or_default()
}

fn timeout(app: &AppState) -> Option<std::time::Duration> {
    Some(app.config.import_statement_timeout)
}

/// Download everything you own as one archive: a gzip-compressed tar file with
/// `manifest.json` and one CSV file per area (profile and preferences, foods and servings,
/// diary, exercises, workouts and sets, measurements and custom types, goals, meal plans,
/// chat history, health data, API key names, family grants you gave). Only your own rows;
/// never a password hash, API key or assistant key. The format is described in
/// docs/export-format.md; `POST /api/v1/import` reads it back.
#[utoipa::path(get, path = "/api/v1/export", tag = "export",
    responses(
        (status = 200, description = "The archive (`Content-Disposition: attachment`)",
            content_type = "application/gzip", body = ArchiveFile),
        (status = 503, description = "Busy with other exports and imports (`Retry-After`), the export took longer than the server allows, or the database is unavailable", body = ErrorBody),
    ))]
async fn export_archive(
    State(app): State<AppState>,
    Auth { mut tx, .. }: Auth,
) -> ApiResult<Response> {
    let options = ExportOptions {
        schema_version: schema_version(&app),
        statement_timeout: timeout(&app),
    };
    // Building an archive holds the account's history in memory: exports take turns with
    // imports, and wait for one without holding a database connection.
    let who = tx.identity().await?;
    tx.commit().await?;
    let _turn = super::imports::import_turn(&app).await?;
    let mut tx = app.db.as_identity(who).await?;
    let export = transfer::export(&mut tx, &options).await?;
    tx.commit().await?;
    let disposition = format!("attachment; filename=\"{}\"", export.file_name);
    let mut response = (StatusCode::OK, export.bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/gzip"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// Read an archive written by `GET /api/v1/export` (or `sparky export`) into your account,
/// which must not hold any data yet (foods, diary, workouts, measurements, goals, meal plans,
/// chats, health data: 409 otherwise). Profile, preferences and assistant settings are
/// replaced; every row gets a new id. The whole archive is checked first and written in one
/// transaction: a bad archive changes nothing and the 422 names the file, line and column
/// (`diary.csv line 12 column 5 (quantity): not a number`). API keys and family grants are
/// not imported. Send the file as the body (`Content-Type: application/gzip`); bodies up to
/// `SPARKY_MAX_IMPORT_BODY` (64 MiB by default).
#[utoipa::path(post, path = "/api/v1/import", tag = "export",
    request_body(content = ArchiveFile, content_type = "application/octet-stream",
        description = "The .tar.gz archive (also accepted as application/gzip)"),
    responses(
        (status = 200, description = "Imported: rows per file", body = ImportReport),
        (status = 400, description = "The body could not be read", body = ErrorBody),
        (status = 413, description = "The archive is larger than SPARKY_MAX_IMPORT_BODY", body = ErrorBody),
        (status = 415, description = "The body is not sent as application/octet-stream or application/gzip", body = ErrorBody),
        (status = 422, description = "The archive is not valid; `fields.archive` names the file, line and column", body = ErrorBody),
        (status = 409, description = "Your account already holds data", body = ErrorBody),
        (status = 503, description = "Busy with other imports (`Retry-After`), the import took longer than the server allows, or the database is unavailable", body = ErrorBody),
    ))]
async fn import_archive(
    State(app): State<AppState>,
    Auth { mut tx, .. }: Auth,
    req: Request,
) -> ApiResult<ApiJson<ImportReport>> {
    // A large body is read only for a valid credential, and without holding a database
    // connection (or an open transaction) while it arrives: a slow upload must not take a
    // pooled connection from other requests.
    let who = tx.identity().await?;
    tx.commit().await?;
    let mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    if !mime.as_deref().is_some_and(|m| ARCHIVE_TYPES.contains(&m)) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the archive as the body with `Content-Type: application/gzip`",
        ));
    }
    let super::imports::Upload {
        bytes: body,
        room: _room,
    } = super::imports::read_upload(&app, req).await?;
    Ok(ApiJson(archive_into_account(&app, who, body).await?))
}

/// Imports an archive already read (within the upload budget) into `who`'s account, in one
/// transaction, when an import turn is free: the API's and the Settings page's import.
pub(crate) async fn archive_into_account(
    app: &AppState,
    who: sparky_db::Identity,
    archive: bytes::Bytes,
) -> ApiResult<ImportReport> {
    let options = ImportOptions {
        max_uncompressed: (app.config.max_import_body_bytes as u64)
            .saturating_mul(UNCOMPRESSED_FACTOR),
        statement_timeout: timeout(app),
        assistant: app.assistant.clone(),
    };
    let _turn = super::imports::import_turn(app).await?;
    let mut tx = app.db.as_identity(who).await?;
    let report = transfer::import(&mut tx, archive, &options).await?;
    tx.commit().await?;
    Ok(report)
}
