//! Sparky's application layer: every use case as a typed operation over the caller's RLS
//! transaction ([`sparky_db::UserTx`]), with all SQL for user data.
//!
//! Every front door — the JSON API, the web pages, the assistant's tools, the MCP server,
//! importers and the CLI — parses its input, calls an operation here and renders the result.
//! Operations take parsed inputs (validated once, here), return domain structs and fail with
//! one [`AppError`]. The caller owns the transaction: it commits when it is done, so several
//! operations can form one atomic change (an import, an assistant turn).
//!
//! RLS decides who may see and change what. This layer never re-checks permissions; it only
//! picks whose data a statement is about ([`Acting`]) and, when a read of someone else's data
//! comes back empty, tells "not shared with you" (404) from "nothing there"
//! ([`Acting::ensure_visible`]).

pub mod accounts;
pub mod acting;
pub mod api_keys;
pub mod assistant;
pub mod catalog;
pub mod chat;
pub mod custom_nutrients;
pub mod days;
pub mod diary;
pub mod error;
pub mod exercises;
pub mod family;
pub mod foods;
pub mod frame;
pub mod goals;
pub mod health_data;
pub mod idempotency;
pub mod imports;
pub mod meal_plans;
pub mod measurement_types;
pub mod measurements;
pub mod nutrients;
pub mod onboarding;
pub mod outage;
mod outside_readings;
pub mod overview;
pub mod paging;
pub mod preferences;
pub mod profile;
pub mod providers;
pub mod reads;
pub mod recipes;
pub mod reports;
pub mod summary;
pub mod transfer;
pub mod workouts;

pub use acting::{Acting, Area};
pub use error::{AppError, AppResult, FieldErrors, Validation};
pub use paging::{Cursor, LimitBounds, Page, PageRequest};
pub use sparky_db::UserTx;
