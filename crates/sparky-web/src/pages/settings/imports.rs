//! Settings → Your data without JavaScript: the export archive and another app's export file
//! sent as `multipart/form-data` forms, answered with the Settings page and what happened.
//! The page's script sends the same files to the API instead; both end in the same
//! operations ([`archive_into_account`], [`ExportFile::import`]) under the same upload budget,
//! size limit and import turns.

use std::collections::HashMap;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use serde_json::json;
use sparky_app::imports::ImportPreview;

use super::super::page_request::check_form_token;
use super::super::{html, Page, PageError};
use super::{current, render, settings_shell, DataResult};
use crate::error::ApiError;
use crate::routes::imports::{
    reserve_upload, upload_too_large, ExportFile, ImportKind, ImportParams,
};
use crate::routes::transfer::archive_into_account;
use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/import", post(import_archive))
        .route("/settings/import-from", post(import_from))
}

/// Text fields a form may have, and how long each may be.
const MAX_FIELDS: usize = 8;
const MAX_FIELD_CHARS: usize = 2000;

/// A multipart form read whole: its text fields and the file of `file_field`, and the room
/// they take in the upload budget, held while the form is (that is, until its import ends).
struct UploadForm {
    fields: HashMap<String, String>,
    file: Option<Bytes>,
    _room: tokio::sync::OwnedSemaphorePermit,
}

impl UploadForm {
    fn text(&self, name: &str) -> &str {
        self.fields
            .get(name)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The file, unless none was chosen (a browser sends an empty part then).
    fn chosen_file(&self) -> Option<Bytes> {
        self.file.clone().filter(|b| !b.is_empty())
    }
}

fn unreadable(e: impl std::fmt::Display) -> ApiError {
    ApiError::invalid("file", format!("the form could not be read: {e}"))
}

/// Reads the form within the upload budget and checks its CSRF token.
async fn read_form(
    app: &AppState,
    req: Request,
    file_field: &str,
) -> Result<Result<UploadForm, ApiError>, PageError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let extensions = req.extensions().clone();
    let Ok(boundary) = multer::parse_boundary(&content_type) else {
        return Ok(Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the form as multipart/form-data",
        )));
    };
    let room = match reserve_upload(app, req.headers()).await {
        Ok(room) => room,
        Err(e) => return Ok(Err(e)),
    };
    // Parsed as it arrives: only the file's own bytes are held, not the body as well.
    let limit = app.config.max_import_body_bytes as u64;
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(limit));
    let stream = req.into_body().into_data_stream();
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
    let refused = |e: multer::Error| match e {
        multer::Error::StreamSizeExceeded { .. } => upload_too_large(app),
        e => unreadable(e),
    };
    let mut form = UploadForm {
        fields: HashMap::new(),
        file: None,
        _room: room,
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Ok(Err(refused(e))),
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == file_field {
            match field.bytes().await {
                Ok(b) => form.file = Some(b),
                Err(e) => return Ok(Err(refused(e))),
            }
            continue;
        }
        if form.fields.len() >= MAX_FIELDS {
            return Ok(Err(unreadable("too many fields")));
        }
        let text = match field.text().await {
            Ok(text) if text.chars().count() <= MAX_FIELD_CHARS && !text.contains('\0') => text,
            Ok(_) => {
                return Ok(Err(ApiError::invalid(
                    &name,
                    "is not a value this form sends",
                )))
            }
            Err(e) => return Ok(Err(refused(e))),
        };
        form.fields.insert(name, text);
    }
    check_form_token(&extensions, form.fields.get("_csrf").map(String::as_str))?;
    Ok(Ok(form))
}

/// What an error says on the form: the field's own words when it names one.
fn said(e: &ApiError) -> String {
    e.fields
        .values()
        .next()
        .cloned()
        .unwrap_or_else(|| e.message.clone())
}

/// The Settings page with the outcome of an import in its Your data card.
async fn answer(
    app: &AppState,
    detached: super::super::Detached,
    status: StatusCode,
    data: DataResult,
) -> Result<Response, PageError> {
    let mut page = detached.attach(app).await?;
    let t = page.t;
    let shell = settings_shell(&mut page, t.get("settings.title")).await?;
    let (p, prefs) = current(&mut page, &shell).await?;
    let nutrients = super::custom_nutrients::card(&t, &mut page.tx, None, None).await?;
    page.tx.commit().await?;
    let mut view = render(shell, p, prefs, Default::default(), false);
    view.data = data;
    view.nutrients = nutrients;
    Ok((status, html(&view)).into_response())
}

async fn import_archive(
    State(app): State<AppState>,
    page: Page,
    req: Request,
) -> Result<Response, PageError> {
    let t = page.t;
    // No pooled connection is held while the file arrives.
    let detached = page.detach().await?;
    let outcome = match read_form(&app, req, "archive").await? {
        Err(e) => Err(e),
        Ok(form) => match form.chosen_file() {
            None => Err(ApiError::invalid(
                "archive",
                t.get("settings.import_choose"),
            )),
            Some(bytes) => archive_into_account(&app, detached.who, bytes).await,
        },
    };
    let (status, data) = match outcome {
        Ok(_) => (
            StatusCode::OK,
            DataResult {
                archive: Some(t.get("settings.imported").to_string()),
                ..DataResult::default()
            },
        ),
        Err(e) => (
            e.status,
            DataResult {
                archive_error: Some(said(&e)),
                ..DataResult::default()
            },
        ),
    };
    answer(&app, detached, status, data).await
}

async fn import_from(
    State(app): State<AppState>,
    page: Page,
    req: Request,
) -> Result<Response, PageError> {
    let t = page.t;
    let detached = page.detach().await?;
    let mut data = DataResult::default();
    let outcome = match read_form(&app, req, "file").await? {
        Err(e) => Err(e),
        Ok(form) => {
            // The choices stay on the form, whatever happens.
            data.kind = form.text("kind").to_string();
            data.target = form.text("target").to_string();
            data.map = form.text("map").to_string();
            let dry_run = form.text("action") != "import";
            data.checked = dry_run;
            match (export_file(&form), form.chosen_file()) {
                (Err(e), _) => Err(e),
                (Ok(_), None) => Err(ApiError::invalid("file", t.get("settings.from_choose"))),
                (Ok(file), Some(bytes)) => file.import(&app, detached.who, bytes, dry_run).await,
            }
        }
    };
    let status = match outcome {
        Ok(preview) => {
            data.preview(&t, &preview);
            StatusCode::OK
        }
        Err(e) => {
            data.checked = false;
            data.from_error = Some(said(&e));
            e.status
        }
    };
    answer(&app, detached, status, data).await
}

/// The form's app, rows and column names, read as the API reads its path and query.
fn export_file(form: &UploadForm) -> Result<ExportFile, ApiError> {
    let kind: ImportKind = serde_json::from_value(json!(form.text("kind")))
        .map_err(|_| ApiError::invalid("kind", "choose the app the file comes from"))?;
    let csv = matches!(kind, ImportKind::Csv);
    let params: ImportParams = serde_json::from_value(json!({
        "target": (csv && !form.text("target").is_empty()).then(|| form.text("target")),
        "map": (csv && !form.text("map").trim().is_empty()).then(|| form.text("map")),
    }))
    .map_err(|_| ApiError::invalid("target", "choose what each row is"))?;
    ExportFile::new(kind, &params, "file")
}

impl DataResult {
    /// The preview as the page's script shows it: counts, replacements, a CSV's columns,
    /// notes and why rows were left out (the first ten of each).
    fn preview(&mut self, t: &crate::i18n::Messages, preview: &ImportPreview) {
        let c = &preview.created;
        let parts: Vec<String> = [
            (c.foods, "settings.from_foods"),
            (c.diary, "settings.from_diary"),
            (c.measurements, "settings.from_measurements"),
            (c.workouts, "settings.from_workouts"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, key)| format!("{n} {}", t.fill_count(key, n as i64, &[])))
        .collect();
        self.from.push(if parts.is_empty() {
            t.get("settings.from_nothing").to_string()
        } else {
            let key = if preview.dry_run {
                "settings.from_would"
            } else {
                "settings.from_added"
            };
            t.fill(key, &[("list", &parts.join(", "))])
        });
        // Nothing to import after a check that found nothing new.
        self.checked = preview.dry_run && !parts.is_empty();
        for (n, key) in [
            (preview.replaced_day_totals, "settings.from_replaced"),
            (preview.replaced_entries, "settings.from_replaced_entries"),
            (preview.replaced_day_values, "settings.from_replaced_values"),
        ] {
            if n > 0 {
                self.from.push(t.fill(key, &[("n", &n.to_string())]));
            }
        }
        if !preview.columns.is_empty() {
            let columns: Vec<String> = preview
                .columns
                .iter()
                .map(|c| {
                    format!(
                        "{} → {}",
                        c.column,
                        c.field.unwrap_or(t.get("settings.from_unused"))
                    )
                })
                .collect();
            self.from.push(format!(
                "{} {}",
                t.get("settings.from_columns"),
                columns.join(", ")
            ));
        }
        // Nutrient columns with no built-in field: kept as the user's custom nutrients, or not.
        let (kept, unkept): (Vec<_>, Vec<_>) = preview
            .custom_nutrients
            .iter()
            .partition(|c| c.custom_nutrient.is_some());
        if !kept.is_empty() {
            let list: Vec<String> = kept
                .iter()
                .map(|c| {
                    format!(
                        "{} → {}",
                        c.column,
                        c.custom_nutrient.as_deref().unwrap_or("")
                    )
                })
                .collect();
            self.from
                .push(t.fill("settings.from_custom_kept", &[("list", &list.join(", "))]));
        }
        if !unkept.is_empty() {
            let mut list: Vec<&str> = unkept.iter().take(12).map(|c| c.column.as_str()).collect();
            if unkept.len() > 12 {
                list.push("…");
            }
            self.from
                .push(t.fill("settings.from_custom_unkept", &[("list", &list.join(", "))]));
        }
        let line = |first: Option<u64>| {
            first
                .map(|l| {
                    format!(
                        " ({})",
                        t.fill("settings.from_line", &[("line", &l.to_string())])
                    )
                })
                .unwrap_or_default()
        };
        self.notes = preview
            .notes
            .iter()
            .take(10)
            .map(|n| format!("{} × {}{}", n.count, n.note, line(n.first_line)))
            .collect();
        self.skipped = preview
            .skip_reasons
            .iter()
            .take(10)
            .map(|s| format!("{} × {}{}", s.count, s.reason, line(s.first_line)))
            .collect();
    }
}
