//! Family access: share parts of your data with another account. RLS enforces what each
//! access type allows (see the README's table); these operations only create, list and remove
//! grants.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sparky_core::AccessType;
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::acting::delete_by_id;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGrantInput {
    /// The account to share with (it must exist).
    #[schema(max_length = 254)]
    pub grantee_email: String,
    pub access_type: AccessType,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Person {
    pub id: Uuid,
    pub email: Option<String>,
    pub full_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Grant {
    pub id: Uuid,
    pub grantor: Person,
    pub grantee: Person,
    pub access_type: String,
    pub granted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccessibleUser {
    pub user_id: Uuid,
    pub email: Option<String>,
    pub full_name: Option<String>,
    /// What you may do with their data.
    pub access_types: Vec<String>,
}

/// Most grants one person can hold or give (4 access types × many people is far below it).
pub(crate) const MAX_LISTED: i64 = 1000;

/// Shares a kind of the caller's data with another account.
pub async fn grant(tx: &mut UserTx, input: CreateGrantInput) -> AppResult<Grant> {
    let email = input.grantee_email.trim().to_lowercase();
    if email.is_empty() || email.chars().count() > 254 {
        return Err(AppError::invalid(
            "grantee_email",
            "must be an email address",
        ));
    }
    let grantee: Option<Uuid> = tx
        .query_one("SELECT auth.find_user_id_by_email($1)", &[&email])
        .await?
        .get(0);
    let grantee = grantee.ok_or(AppError::NotFound("account with that email"))?;
    if grantee == tx.user_id().await? {
        return Err(AppError::invalid(
            "grantee_email",
            "you cannot grant access to yourself",
        ));
    }
    // DO NOTHING rather than a unique violation: the caller's transaction stays usable (a page
    // shows the problem next to the form in the same transaction).
    let inserted = tx
        .query_opt(
            "INSERT INTO family_access (grantor_user_id, grantee_user_id, access_type)
             VALUES (auth.uid(), $1, $2)
             ON CONFLICT (grantor_user_id, grantee_user_id, access_type) DO NOTHING
             RETURNING id",
            &[&grantee, &input.access_type.as_str()],
        )
        .await?
        .ok_or_else(|| AppError::conflict("that access is already granted"))?;
    let id: Uuid = inserted.get(0);
    let row = tx
        .query_one(&format!("{GRANT_SELECT} WHERE fa.id = $1"), &[&id])
        .await?;
    Ok(grant_from(&row))
}

/// Grants the caller gave and received.
pub async fn list(tx: &mut UserTx) -> AppResult<Grants> {
    let me = tx.user_id().await?;
    let rows = tx
        .query(
            &format!(
                "{GRANT_SELECT} WHERE fa.grantor_user_id = auth.uid() OR fa.grantee_user_id = auth.uid()
                 ORDER BY fa.granted_at, fa.id LIMIT $1"
            ),
            &[&MAX_LISTED],
        )
        .await?;
    let (given, received): (Vec<Grant>, Vec<Grant>) = rows
        .iter()
        .map(grant_from)
        .partition(|g| g.grantor.id == me);
    Ok(Grants { given, received })
}

/// Removes a grant the caller gave, or leaves one the caller was given; it stops working at
/// once. RLS lets exactly those two people delete it (and see it: anyone else gets 404).
pub async fn revoke(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    delete_by_id(
        tx,
        "family_access",
        id,
        "grant",
        "only the two people a grant is between can remove it",
    )
    .await
}

/// Leaves a grant the caller was given (404 for any other, also one the caller gave: that is
/// [`revoke`]).
pub async fn leave(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    let n = tx
        .execute(
            "DELETE FROM family_access WHERE id = $1 AND grantee_user_id = auth.uid()",
            &[&id],
        )
        .await?;
    match n {
        0 => Err(AppError::NotFound("grant")),
        _ => Ok(()),
    }
}

/// People whose data the caller may see or change, with what they may do.
pub async fn accessible_users(tx: &mut UserTx) -> AppResult<Vec<AccessibleUser>> {
    let rows = tx.query(ACCESSIBLE_SQL, &[&MAX_LISTED]).await?;
    Ok(accessible_from(&rows))
}

/// Who shares something with the caller, at most `$1` of them.
pub(crate) const ACCESSIBLE_SQL: &str = "SELECT fa.grantor_user_id, u.email, u.full_name,
        array_agg(fa.access_type::text ORDER BY fa.access_type) AS access_types
     FROM family_access fa LEFT JOIN users u ON u.id = fa.grantor_user_id
     WHERE fa.grantee_user_id = auth.uid()
     GROUP BY fa.grantor_user_id, u.email, u.full_name
     ORDER BY u.full_name, u.email LIMIT $1";

pub(crate) fn accessible_from(rows: &[tokio_postgres::Row]) -> Vec<AccessibleUser> {
    rows.iter()
        .map(|r| AccessibleUser {
            user_id: r.get(0),
            email: r.get(1),
            full_name: r.get(2),
            access_types: r.get(3),
        })
        .collect()
}
