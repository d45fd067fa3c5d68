//! Family access: share parts of your data with another account. RLS enforces what each
//! access type allows; these endpoints only create, list and remove grants.

use axum::extract::Path;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_grant, list_grants))
        .routes(routes!(delete_grant))
        .routes(routes!(accessible_users))
}

/// What a grant lets the grantee do with the grantor's data.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AccessType {
    /// Read and write the food and exercise diaries; read goals.
    Calorie,
    /// Read and write measurements.
    Checkin,
    /// Read diaries, measurements and goals.
    Reports,
    /// Read the grantor's own foods and meal plan templates.
    FoodList,
}

impl AccessType {
    fn as_str(self) -> &'static str {
        match self {
            AccessType::Calorie => "calorie",
            AccessType::Checkin => "checkin",
            AccessType::Reports => "reports",
            AccessType::FoodList => "food_list",
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGrantRequest {
    /// The account to share with (it must exist).
    pub grantee_email: String,
    pub access_type: AccessType,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Person {
    pub id: Uuid,
    pub email: Option<String>,
    pub full_name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Grant {
    pub id: Uuid,
    pub grantor: Person,
    pub grantee: Person,
    pub access_type: String,
    pub granted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Grants {
    /// Grants you gave.
    pub given: Vec<Grant>,
    /// Grants you received.
    pub received: Vec<Grant>,
}

const GRANT_SELECT: &str = "SELECT fa.id, fa.access_type, fa.granted_at,
        fa.grantor_user_id, gr.email AS grantor_email, gr.full_name AS grantor_name,
        fa.grantee_user_id, ge.email AS grantee_email, ge.full_name AS grantee_name
     FROM family_access fa
     LEFT JOIN users gr ON gr.id = fa.grantor_user_id
     LEFT JOIN users ge ON ge.id = fa.grantee_user_id";

fn grant_from(r: &tokio_postgres::Row) -> Grant {
    Grant {
        id: r.get("id"),
        access_type: r.get("access_type"),
        granted_at: r.get("granted_at"),
        grantor: Person {
            id: r.get("grantor_user_id"),
            email: r.get("grantor_email"),
            full_name: r.get("grantor_name"),
        },
        grantee: Person {
            id: r.get("grantee_user_id"),
            email: r.get("grantee_email"),
            full_name: r.get("grantee_name"),
        },
    }
}

/// Share a kind of your data with another account.
#[utoipa::path(post, path = "/api/v1/family-access", tag = "family access",
    security(("session" = []), ("api_key" = [])),
    request_body = CreateGrantRequest,
    responses(
        (status = 201, description = "Granted", body = Grant),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No account with that email", body = ErrorBody),
        (status = 409, description = "Already granted", body = ErrorBody),
        (status = 422, description = "Invalid input, or granting to yourself", body = ErrorBody),
    ))]
async fn create_grant(
    Auth { mut tx, .. }: Auth,
    ApiJson(req): ApiJson<CreateGrantRequest>,
) -> ApiResult<(StatusCode, ApiJson<Grant>)> {
    let email = req.grantee_email.trim().to_lowercase();
    let grantee: Option<Uuid> = tx
        .query_one("SELECT auth.find_user_id_by_email($1)", &[&email])
        .await?
        .get(0);
    let grantee = grantee.ok_or_else(|| ApiError::not_found("account with that email"))?;
    if Some(grantee) == tx.user_id().await.ok() {
        return Err(ApiError::invalid(
            "grantee_email",
            "you cannot grant access to yourself",
        ));
    }
    let inserted = tx
        .query_one(
            "INSERT INTO family_access (grantor_user_id, grantee_user_id, access_type)
             VALUES (auth.uid(), $1, $2) RETURNING id",
            &[&grantee, &req.access_type.as_str()],
        )
        .await
        .map_err(|e| match e.code() {
            Some("23505") => ApiError::conflict("that access is already granted"),
            _ => e.into(),
        })?;
    let id: Uuid = inserted.get(0);
    let rows = tx
        .query_and_commit(&format!("{GRANT_SELECT} WHERE fa.id = $1"), &[&id])
        .await?;
    let grant = rows
        .first()
        .map(grant_from)
        .ok_or_else(ApiError::internal)?;
    Ok((StatusCode::CREATED, ApiJson(grant)))
}

/// Grants you gave and grants you received.
#[utoipa::path(get, path = "/api/v1/family-access", tag = "family access",
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "Grants", body = Grants),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
async fn list_grants(Auth { mut tx, .. }: Auth) -> ApiResult<ApiJson<Grants>> {
    let me = tx.user_id().await?;
    let rows = tx
        .query_and_commit(
            &format!(
                "{GRANT_SELECT} WHERE fa.grantor_user_id = auth.uid() OR fa.grantee_user_id = auth.uid()
                 ORDER BY fa.granted_at, fa.id LIMIT 1000"
            ),
            &[],
        )
        .await?;
    let (given, received): (Vec<Grant>, Vec<Grant>) = rows
        .iter()
        .map(grant_from)
        .partition(|g| g.grantor.id == me);
    Ok(ApiJson(Grants { given, received }))
}

/// Remove a grant you gave; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/family-access/{id}", tag = "family access",
    security(("session" = []), ("api_key" = [])),
    params(("id" = Uuid, Path, description = "Grant id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Only the grantor can remove a grant", body = ErrorBody),
        (status = 404, description = "No such grant", body = ErrorBody),
    ))]
async fn delete_grant(Auth { tx, .. }: Auth, Path(id): Path<Uuid>) -> ApiResult<StatusCode> {
    // RLS lets only the grantor delete; a grantee sees the row but cannot remove it.
    let rows = tx
        .query_and_commit(
            "WITH d AS (DELETE FROM family_access WHERE id = $1 RETURNING 1)
             SELECT (SELECT count(*) FROM d), EXISTS (SELECT 1 FROM family_access WHERE id = $1)",
            &[&id],
        )
        .await?;
    let (deleted, visible): (i64, bool) = rows
        .first()
        .map(|r| (r.get(0), r.get(1)))
        .unwrap_or((0, false));
    match (deleted, visible) {
        (n, _) if n > 0 => Ok(StatusCode::NO_CONTENT),
        (_, true) => Err(ApiError::forbidden("only the grantor can remove a grant")),
        _ => Err(ApiError::not_found("grant")),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessibleUser {
    pub user_id: Uuid,
    pub email: Option<String>,
    pub full_name: Option<String>,
    /// What you may do with their data.
    pub access_types: Vec<String>,
}

/// People whose data you may see or change (use their id as `?user_id=`).
#[utoipa::path(get, path = "/api/v1/accessible-users", tag = "family access",
    security(("session" = []), ("api_key" = [])),
    responses(
        (status = 200, description = "People who shared data with you", body = Vec<AccessibleUser>),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ))]
async fn accessible_users(Auth { tx, .. }: Auth) -> ApiResult<ApiJson<Vec<AccessibleUser>>> {
    let rows = tx
        .query_and_commit(
            "SELECT fa.grantor_user_id, u.email, u.full_name,
                    array_agg(fa.access_type::text ORDER BY fa.access_type) AS access_types
             FROM family_access fa LEFT JOIN users u ON u.id = fa.grantor_user_id
             WHERE fa.grantee_user_id = auth.uid()
             GROUP BY fa.grantor_user_id, u.email, u.full_name
             ORDER BY u.full_name, u.email LIMIT 1000",
            &[],
        )
        .await?;
    Ok(ApiJson(
        rows.iter()
            .map(|r| AccessibleUser {
                user_id: r.get(0),
                email: r.get(1),
                full_name: r.get(2),
                access_types: r.get(3),
            })
            .collect(),
    ))
}
