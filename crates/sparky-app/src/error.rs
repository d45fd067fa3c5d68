//! One error type for every operation. Each front door maps it to its own form: the JSON
//! error shape (sparky-web), an HTML page, a tool-call error for the assistant, a CLI message.

use std::collections::BTreeMap;
use std::fmt;

use sparky_db::DbError;

/// What went wrong, in terms a caller can act on.
#[derive(Debug)]
pub enum AppError {
    /// The thing does not exist or is not visible to the caller (RLS hides it): 404.
    NotFound(&'static str),
    /// Visible but not the caller's to change: 403.
    Forbidden(String),
    /// Input that parsed but is not acceptable; per field, what is wrong: 422.
    Invalid(FieldErrors),
    /// It already exists, or the request conflicts with the current state: 409.
    Conflict(String),
    /// No valid session or key: 401.
    Unauthenticated,
    /// Too many attempts: 429 with the seconds to wait.
    RateLimited { retry_after: u64 },
    /// The database (or another dependency) cannot serve now: 503.
    Unavailable(String),
    /// The work took longer than the request's time budget and was cancelled: 503.
    Timeout,
    /// An outside service answered badly (502) or not in time (504); the message names it.
    Upstream { timed_out: bool, message: String },
    /// A food provider this server has no settings (API key) for: 404.
    ProviderNotConfigured(&'static str),
    /// A feature this server has no settings for (mailing password links): 404, with the
    /// message naming what it needs.
    NotConfigured(&'static str),
    /// Deliberately not supported (yet): says so instead of pretending.
    NotImplemented(&'static str),
    /// A bug or an unexpected database answer; logged, shown without details: 500.
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// 422 naming one field.
    pub fn invalid(field: &str, problem: impl Into<String>) -> AppError {
        let mut f = FieldErrors::default();
        f.add(field, problem);
        AppError::Invalid(f)
    }

    pub fn forbidden(message: impl Into<String>) -> AppError {
        AppError::Forbidden(message.into())
    }

    pub fn conflict(message: impl Into<String>) -> AppError {
        AppError::Conflict(message.into())
    }

    pub fn internal(message: impl Into<String>) -> AppError {
        AppError::Internal(message.into())
    }

    /// What is wrong, without a field name: a validation error's first problem, else the
    /// message (a meal plan item's or recipe ingredient's `problem`).
    pub fn into_problem(self) -> String {
        match self {
            AppError::Invalid(f) => f.0.into_values().next().unwrap_or_default(),
            other => other.to_string(),
        }
    }

    /// The fields of a validation error (empty for other errors).
    pub fn fields(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Invalid(f) => Some(f),
            _ => None,
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::NotFound(what) => write!(f, "{what} not found"),
            AppError::Forbidden(m) | AppError::Conflict(m) | AppError::Unavailable(m) => {
                f.write_str(m)
            }
            AppError::Invalid(fields) => f.write_str(&fields.message()),
            AppError::Unauthenticated => {
                f.write_str("sign in, or send a valid API key as `Authorization: Bearer <key>`")
            }
            AppError::RateLimited { retry_after } => {
                write!(f, "too many attempts; try again in {retry_after} s")
            }
            AppError::Timeout => f.write_str(
                "the request took too long and was cancelled; try again, or ask for less at once",
            ),
            AppError::Upstream { message, .. } => f.write_str(message),
            AppError::ProviderNotConfigured(p) => {
                write!(f, "the food provider {p} is not configured on this server")
            }
            AppError::NotConfigured(what) => f.write_str(what),
            AppError::NotImplemented(what) => write!(f, "{what} is not implemented"),
            AppError::Internal(_) => f.write_str(
                "something went wrong on the server; the request id identifies it in the logs",
            ),
        }
    }
}

impl std::error::Error for AppError {}

/// Per input field, what is wrong with it (the first problem found for each).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub BTreeMap<String, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, problem: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_insert_with(|| problem.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// "field: problem; other: problem".
    pub fn message(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Collects several field problems into one [`AppError::Invalid`].
#[derive(Debug, Default)]
pub struct Validation {
    fields: FieldErrors,
}

impl Validation {
    pub fn new() -> Validation {
        Validation::default()
    }

    pub fn add(&mut self, field: &str, problem: impl Into<String>) {
        self.fields.add(field, problem);
    }

    pub fn check(&mut self, ok: bool, field: &str, problem: &str) {
        if !ok {
            self.add(field, problem);
        }
    }

    /// Records the error of a parse step and returns its value if it succeeded.
    pub fn take<T>(&mut self, r: AppResult<T>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(AppError::Invalid(f)) => {
                for (k, v) in f.0 {
                    self.fields.add(&k, v);
                }
                None
            }
            Err(other) => {
                self.add("body", other.to_string());
                None
            }
        }
    }

    pub fn finish(self) -> AppResult<()> {
        if self.fields.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.fields))
        }
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> AppError {
        match &e {
            DbError::Unauthenticated => return AppError::Unauthenticated,
            DbError::Pool(_) => {
                crate::outage::database_unavailable(&e);
                return AppError::Unavailable(
                    "the database is unavailable; try again shortly".into(),
                );
            }
            _ => {}
        }
        if let DbError::Postgres(pg) = &e {
            let text = pg.to_string();
            // A value that did not fit its column's type is a bug here, not an outage.
            if text.starts_with("error serializing") || text.starts_with("error deserializing") {
                return AppError::Internal(format!("database error: {text}"));
            }
            if pg.is_closed() || pg.as_db_error().is_none() && pg.code().is_none() {
                crate::outage::database_unavailable(&e);
                return AppError::Unavailable(
                    "the database is unavailable; try again shortly".into(),
                );
            }
            if let Some(db) = pg.as_db_error() {
                match db.code().code() {
                    // RLS refused a write: the row is not the caller's to write.
                    "42501" => {
                        return AppError::forbidden(
                            "you do not have write access to that user's data",
                        )
                    }
                    // A read-only API key's transaction (auth.resolve_credential) refused a write.
                    "25006" => {
                        return AppError::forbidden(
                            "this API key is read-only: it can read but not change anything",
                        )
                    }
                    "23505" => return AppError::conflict("that already exists"),
                    // auth.keep_an_administrator: the last enabled administrator stays.
                    "SPA01" => {
                        return AppError::conflict(match db.hint() {
                            Some(hint) => format!("{} ({hint})", db.message()),
                            None => db.message().to_string(),
                        })
                    }
                    // auth.require_admin: the caller is not an enabled administrator.
                    "SPA02" => return AppError::forbidden(db.message().to_string()),
                    // auth.admin_*: the administrator's own account is changed in Settings.
                    "SPA03" => return AppError::conflict(db.message().to_string()),
                    "23503" => {
                        let field = db.constraint().unwrap_or("reference");
                        let mut f = FieldErrors::default();
                        f.add(
                            field,
                            "a referenced item does not exist or is not visible to you",
                        );
                        return AppError::Invalid(f);
                    }
                    "23514" | "23502" | "22001" | "22003" | "22P02" | "22007" | "22008"
                    | "22021" | "54000" => {
                        let mut f = FieldErrors::default();
                        f.add(
                            db.column().unwrap_or("value"),
                            format!("invalid value: {}", db.message()),
                        );
                        return AppError::Invalid(f);
                    }
                    // statement_timeout or a cancelled query (the client went away).
                    "57014" => return AppError::Timeout,
                    // idle_in_transaction_session_timeout ended the session.
                    "25P03" => return AppError::Timeout,
                    // Admin shutdown, crash recovery, cannot connect now, too many connections.
                    "57P01" | "57P02" | "57P03" | "53300" | "08006" | "08003" => {
                        crate::outage::database_unavailable(&e);
                        return AppError::Unavailable(
                            "the database is unavailable; try again shortly".into(),
                        );
                    }
                    // Deadlock or serialisation failure: safe to retry.
                    "40P01" | "40001" => {
                        return AppError::Unavailable(
                            "the request collided with another; try again".into(),
                        )
                    }
                    _ => {}
                }
                // tokio-postgres says only "db error": the log gets PostgreSQL's own words.
                return AppError::Internal(format!(
                    "database error {}: {}{}{}",
                    db.code().code(),
                    db.message(),
                    db.detail().map(|d| format!(" ({d})")).unwrap_or_default(),
                    db.where_()
                        .map(|w| format!(" [{}]", w.replace('\n', " / ")))
                        .unwrap_or_default()
                ));
            }
        }
        AppError::Internal(format!("database error: {e}"))
    }
}

impl From<sparky_core::values::UnknownName> for AppError {
    fn from(e: sparky_core::values::UnknownName) -> AppError {
        AppError::invalid(&e.what.replace(' ', "_"), e.to_string())
    }
}
