//! Exercises: search over the shared catalog (with MET values from the Compendium of Physical
//! Activities) and your own exercises; your own exercises' CRUD. RLS decides what is visible:
//! the catalog to everyone signed in, custom exercises to their owner only.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use base64::Engine;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokio_postgres::types::ToSql;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::nutrients::{decimal_from_f64, f64_of};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody, Validation};
use crate::json::ApiJson;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(search_exercises, create_exercise))
        .routes(routes!(get_exercise, update_exercise, delete_exercise))
}

/// The categories a custom exercise may have (the catalog uses the same ones).
pub const CATEGORIES: [&str; 4] = ["strength", "cardio", "flexibility", "sports"];

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExerciseInput {
    /// 1 to 255 characters.
    pub name: String,
    /// strength, cardio, flexibility or sports.
    pub category: Option<String>,
    /// e.g. ["quadriceps", "glutes"] (lowercased; at most 20).
    #[serde(default)]
    pub muscle_groups: Vec<String>,
    /// e.g. barbell, dumbbell, machine, cable, kettlebells, body only.
    pub equipment: Option<String>,
    pub instructions: Option<String>,
    /// Energy cost in METs (greater than 0, at most 30), used to estimate calories burned.
    pub met_value: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Exercise {
    pub id: Uuid,
    pub name: String,
    pub category: Option<String>,
    pub muscle_groups: Vec<String>,
    pub equipment: Option<String>,
    pub instructions: Option<String>,
    /// METs; null when unknown (then calories cannot be estimated).
    pub met_value: Option<f64>,
    /// Activity code in the 2011 Compendium of Physical Activities that `met_value` comes from.
    pub compendium_code: Option<String>,
    /// `sparky` (starter catalog), `free-exercise-db` (imported) or `user`.
    pub source: Option<String>,
    pub source_id: Option<String>,
    /// Owner; null for the shared catalog.
    pub user_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExercisePage {
    pub items: Vec<Exercise>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

const COLUMNS: &str = "e.id, e.name, e.category, e.muscle_groups, e.equipment, e.instructions, \
                       e.met_value, e.compendium_code, e.source, e.source_id, e.user_id";

fn exercise_from_row(r: &tokio_postgres::Row) -> Exercise {
    Exercise {
        id: r.get("id"),
        name: r.get("name"),
        category: r.get("category"),
        muscle_groups: r
            .get::<_, Option<Vec<String>>>("muscle_groups")
            .unwrap_or_default(),
        equipment: r.get("equipment"),
        instructions: r.get("instructions"),
        met_value: r.get::<_, Option<Decimal>>("met_value").map(f64_of),
        compendium_code: r.get("compendium_code"),
        source: r.get("source"),
        source_id: r.get("source_id"),
        user_id: r.get("user_id"),
    }
}

struct ValidExercise {
    name: String,
    category: Option<String>,
    muscle_groups: Vec<String>,
    equipment: Option<String>,
    instructions: Option<String>,
    met_value: Option<Decimal>,
}

fn clean(s: &Option<String>) -> Option<String> {
    s.as_ref()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn validate(input: &ExerciseInput) -> ApiResult<ValidExercise> {
    let mut v = Validation::new();
    let name = input.name.trim().to_string();
    v.check(
        !name.is_empty() && name.chars().count() <= 255,
        "name",
        "must be 1 to 255 characters",
    );
    let category = clean(&input.category).map(|c| c.to_lowercase());
    v.check(
        category.as_deref().is_none_or(|c| CATEGORIES.contains(&c)),
        "category",
        "must be one of strength, cardio, flexibility, sports",
    );
    let muscle_groups: Vec<String> = input
        .muscle_groups
        .iter()
        .map(|m| m.trim().to_lowercase())
        .filter(|m| !m.is_empty())
        .fold(Vec::new(), |mut acc, m| {
            if !acc.contains(&m) {
                acc.push(m);
            }
            acc
        });
    v.check(
        muscle_groups.len() <= 20 && muscle_groups.iter().all(|m| m.chars().count() <= 50),
        "muscle_groups",
        "at most 20, each at most 50 characters",
    );
    let equipment = clean(&input.equipment).map(|e| e.to_lowercase());
    v.check(
        equipment.as_ref().is_none_or(|e| e.chars().count() <= 100),
        "equipment",
        "must be at most 100 characters",
    );
    let instructions = clean(&input.instructions);
    v.check(
        instructions
            .as_ref()
            .is_none_or(|i| i.chars().count() <= 5000),
        "instructions",
        "must be at most 5000 characters",
    );
    v.finish()?;
    let met_value = match input.met_value {
        None => None,
        Some(m) => {
            let d = decimal_from_f64("met_value", m)?;
            if d <= Decimal::ZERO || d > Decimal::from(30) {
                return Err(ApiError::invalid(
                    "met_value",
                    "must be greater than 0 and at most 30",
                ));
            }
            Some(sparky_core::units::round_dp(d, 2))
        }
    };
    Ok(ValidExercise {
        name,
        category,
        muscle_groups,
        equipment,
        instructions,
        met_value,
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Part of the name; typos are tolerated.
    pub q: Option<String>,
    /// strength, cardio, flexibility or sports.
    pub category: Option<String>,
    /// A muscle group, e.g. `quadriceps`.
    pub muscle: Option<String>,
    /// e.g. `barbell`, `body only`.
    pub equipment: Option<String>,
    /// 1–100, default 20.
    pub limit: Option<i64>,
    /// From the previous page's `next_cursor`.
    pub cursor: Option<String>,
}

fn decode_cursor(c: &str) -> ApiResult<i64> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("o:").and_then(|n| n.parse().ok()))
        .filter(|n: &i64| *n >= 0 && *n <= 100_000)
        .ok_or_else(|| ApiError::invalid("cursor", "is not a cursor from a previous page"))
}

fn encode_cursor(offset: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn filter(v: &Option<String>, field: &str) -> ApiResult<Option<String>> {
    let f = clean(v).map(|s| s.to_lowercase());
    if f.as_ref().is_some_and(|s| s.chars().count() > 100) {
        return Err(ApiError::invalid(field, "must be at most 100 characters"));
    }
    Ok(f)
}

/// Search exercises: the shared catalog and your own. Exact and prefix name matches first,
/// then names containing the text, then similar names; filters combine with AND.
#[utoipa::path(get, path = "/api/v1/exercises", tag = "exercises",
    security(("session" = []), ("api_key" = [])),
    params(SearchParams),
    responses(
        (status = 200, description = "A page of exercises", body = ExercisePage),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "Invalid parameters", body = ErrorBody),
    ))]
async fn search_exercises(
    Auth { tx, .. }: Auth,
    Query(p): Query<SearchParams>,
) -> ApiResult<ApiJson<ExercisePage>> {
    let limit = p.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 100"));
    }
    let offset = p
        .cursor
        .as_deref()
        .map(decode_cursor)
        .transpose()?
        .unwrap_or(0);
    let q = filter(&p.q, "q")?.unwrap_or_default();
    let category = filter(&p.category, "category")?;
    let muscle = filter(&p.muscle, "muscle")?;
    let equipment = filter(&p.equipment, "equipment")?;
    let fetch = limit + 1;
    let pattern = format!("%{}%", like_escape(&q));
    let prefix = format!("{}%", like_escape(&q));
    let params: [&(dyn ToSql + Sync); 8] = [
        &q, &pattern, &prefix, &category, &muscle, &equipment, &fetch, &offset,
    ];
    let rows = tx
        .query_and_commit(
            &format!(
                "SELECT {COLUMNS} FROM exercises e
                 WHERE ($1 = '' OR lower(e.name) LIKE $2 OR $1 <% lower(e.name))
                   AND ($4::text IS NULL OR lower(e.category) = $4)
                   AND ($5::text IS NULL OR e.muscle_groups @> ARRAY[$5::text])
                   AND ($6::text IS NULL OR lower(e.equipment) = $6)
                 ORDER BY
                     CASE WHEN $1 = '' THEN 0
                          WHEN lower(e.name) = $1 THEN 0
                          WHEN lower(e.name) LIKE $3 THEN 1
                          WHEN lower(e.name) LIKE $2 THEN 2
                          ELSE 3 END,
                     CASE WHEN $1 = '' THEN 0 ELSE word_similarity($1, lower(e.name)) END DESC,
                     lower(e.name), e.id
                 LIMIT $7 OFFSET $8"
            ),
            &params,
        )
        .await?;
    let mut items: Vec<Exercise> = rows.iter().map(exercise_from_row).collect();
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    Ok(ApiJson(ExercisePage {
        items,
        next_cursor: more.then(|| encode_cursor(offset + limit)),
    }))
}

/// Add an exercise of your own.
#[utoipa::path(post, path = "/api/v1/exercises", tag = "exercises",
    security(("session" = []), ("api_key" = [])),
    request_body = ExerciseInput,
    responses(
        (status = 201, description = "Created", body = Exercise),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn create_exercise(
    Auth { tx, .. }: Auth,
    ApiJson(input): ApiJson<ExerciseInput>,
) -> ApiResult<(StatusCode, ApiJson<Exercise>)> {
    let e = validate(&input)?;
    let rows = tx
        .query_and_commit(
            &format!(
                "INSERT INTO exercises AS e (name, category, muscle_groups, equipment, instructions,
                     met_value, source, user_id)
                 VALUES ($1, $2, $3, $4, $5, $6, 'user', auth.uid())
                 RETURNING {COLUMNS}"
            ),
            &[
                &e.name,
                &e.category,
                &e.muscle_groups,
                &e.equipment,
                &e.instructions,
                &e.met_value,
            ],
        )
        .await?;
    let row = rows.first().ok_or_else(ApiError::internal)?;
    Ok((StatusCode::CREATED, ApiJson(exercise_from_row(row))))
}

/// An exercise from the catalog or one of your own.
#[utoipa::path(get, path = "/api/v1/exercises/{id}", tag = "exercises",
    security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "Exercise id")),
    responses(
        (status = 200, description = "The exercise", body = Exercise),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such exercise visible to you", body = ErrorBody),
    ))]
async fn get_exercise(Auth { tx, .. }: Auth, Path(id): Path<Uuid>) -> ApiResult<ApiJson<Exercise>> {
    let rows = tx
        .query_and_commit(
            &format!("SELECT {COLUMNS} FROM exercises e WHERE e.id = $1"),
            &[&id],
        )
        .await?;
    rows.first()
        .map(|r| ApiJson(exercise_from_row(r)))
        .ok_or_else(|| ApiError::not_found("exercise"))
}

/// A refused write: 404 if the exercise is invisible, 403 if it is the read-only catalog.
async fn refused_write(tx: &mut sparky_db::UserTx, id: Uuid) -> ApiError {
    match tx
        .query_opt("SELECT 1 FROM exercises WHERE id = $1", &[&id])
        .await
    {
        Ok(Some(_)) => ApiError::forbidden(
            "only your own exercises can be changed; the shared catalog is read-only",
        ),
        Ok(None) => ApiError::not_found("exercise"),
        Err(e) => e.into(),
    }
}

/// Replace one of your exercises. Diary entries keep the name they were logged with.
#[utoipa::path(put, path = "/api/v1/exercises/{id}", tag = "exercises",
    security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "Exercise id")),
    request_body = ExerciseInput,
    responses(
        (status = 200, description = "Updated", body = Exercise),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "A catalog exercise", body = ErrorBody),
        (status = 404, description = "No such exercise", body = ErrorBody),
        (status = 422, description = "Invalid input", body = ErrorBody),
    ))]
async fn update_exercise(
    Auth { mut tx, .. }: Auth,
    Path(id): Path<Uuid>,
    ApiJson(input): ApiJson<ExerciseInput>,
) -> ApiResult<ApiJson<Exercise>> {
    let e = validate(&input)?;
    let row = tx
        .query_opt(
            &format!(
                "UPDATE exercises e SET name = $2, category = $3, muscle_groups = $4, equipment = $5,
                     instructions = $6, met_value = $7
                 WHERE e.id = $1 AND e.user_id = auth.uid()
                 RETURNING {COLUMNS}"
            ),
            &[
                &id,
                &e.name,
                &e.category,
                &e.muscle_groups,
                &e.equipment,
                &e.instructions,
                &e.met_value,
            ],
        )
        .await?;
    let Some(row) = row else {
        return Err(refused_write(&mut tx, id).await);
    };
    tx.commit().await?;
    Ok(ApiJson(exercise_from_row(&row)))
}

/// Delete one of your exercises. Diary entries that used it stay, with its name.
#[utoipa::path(delete, path = "/api/v1/exercises/{id}", tag = "exercises",
    security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "Exercise id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "A catalog exercise", body = ErrorBody),
        (status = 404, description = "No such exercise", body = ErrorBody),
    ))]
async fn delete_exercise(Auth { mut tx, .. }: Auth, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    let n = tx
        .execute(
            "DELETE FROM exercises WHERE id = $1 AND user_id = auth.uid()",
            &[&id],
        )
        .await?;
    if n == 0 {
        return Err(refused_write(&mut tx, id).await);
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
