//! Whose data an operation acts on, and the one place that tells "not shared with you" (404)
//! from "shared, but empty".
//!
//! RLS decides what a caller may read and write; this module only chooses the owner a query
//! is about and, when a read comes back empty for someone else's data, asks whether any grant
//! makes that data visible at all.

use sparky_core::AccessType;
use sparky_db::UserTx;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// The owner of the data an operation is about: the signed-in user (`None`) or a family
/// member who shared their data (`?user_id=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Acting {
    pub owner: Option<Uuid>,
}

/// The areas of someone's data that family access grants cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    /// Food and exercise diaries (and the summary built from them).
    Diary,
    Measurements,
    Goals,
    /// Own foods and meal plan templates.
    FoodList,
    /// The body profile (sex, birth date, height, activity level): any grant shows it, as it
    /// shows preferences.
    Profile,
}

impl Area {
    /// The access types that let a grantee read this area (mirrors the RLS policies).
    pub fn read_access(self) -> &'static [AccessType] {
        match self {
            Area::Diary => &[AccessType::Calorie, AccessType::Reports],
            Area::Measurements => &[AccessType::Checkin, AccessType::Reports],
            // Daily targets with the diary, weight goals with the weight (goals_select).
            Area::Goals => &[
                AccessType::Calorie,
                AccessType::Checkin,
                AccessType::Reports,
            ],
            Area::FoodList => &[AccessType::FoodList],
            Area::Profile => AccessType::ALL,
        }
    }

    /// SQL that is true when `owner` (an SQL expression) is the caller or has given the caller
    /// an access type that lets them read this area: what the area's select policies decide,
    /// asked where an empty read must be told from one that is not shared (`tests/rls.rs`
    /// holds the two together).
    pub fn visible_sql(self, owner: &str) -> String {
        let types: Vec<String> = self
            .read_access()
            .iter()
            .map(|t| format!("'{}'", t.as_str()))
            .collect();
        format!(
            "({owner} = auth.uid() OR EXISTS (SELECT 1 FROM family_access
                 WHERE grantor_user_id = {owner} AND grantee_user_id = auth.uid()
                   AND access_type IN ({})))",
            types.join(", ")
        )
    }

    fn name(self) -> &'static str {
        match self {
            Area::Diary => "diary",
            Area::Measurements => "measurements",
            Area::Goals => "goals",
            Area::FoodList => "food list",
            Area::Profile => "profile",
        }
    }
}

/// The owner a statement is about, with the requested owner in parameter `$1`: the caller's
/// own rows when it is NULL. Written as a scalar subquery so that PostgreSQL evaluates it once
/// and can use the `user_id` index under RLS (`coalesce` itself counts as leaky and would keep
/// the condition from driving an index).
pub const OWNER: &str = "(SELECT coalesce($1::uuid, auth.uid()))";

impl Acting {
    pub const ME: Acting = Acting { owner: None };

    pub fn new(owner: Option<Uuid>) -> Acting {
        Acting { owner }
    }

    /// Whose data this is: the requested owner, or the caller.
    pub async fn owner_id(&self, tx: &mut UserTx) -> AppResult<Uuid> {
        match self.owner {
            Some(id) => Ok(id),
            None => Ok(tx.user_id().await?),
        }
    }

    /// True when the operation is about someone else's data.
    pub async fn is_other(&self, tx: &mut UserTx) -> AppResult<bool> {
        match self.owner {
            None => Ok(false),
            Some(id) => Ok(id != tx.user_id().await?),
        }
    }

    /// After a read came back empty: 404 unless the data is the caller's own or a grant makes
    /// `area` of it visible. Any number of matching grants is fine (two access types that
    /// both allow reading used to make this a 500).
    pub async fn ensure_visible(&self, tx: &mut UserTx, area: Area) -> AppResult<()> {
        let Some(owner) = self.owner else {
            return Ok(());
        };
        let types: Vec<&str> = area.read_access().iter().map(|t| t.as_str()).collect();
        let row = tx
            .query_one(
                "SELECT $1::uuid = auth.uid() OR EXISTS (
                     SELECT 1 FROM family_access
                     WHERE grantor_user_id = $1 AND grantee_user_id = auth.uid()
                       AND access_type = ANY($2))",
                &[&owner, &types],
            )
            .await?;
        if row.get::<_, Option<bool>>(0) == Some(true) {
            Ok(())
        } else {
            Err(AppError::NotFound(area.name()))
        }
    }
}

/// Whose diary a copy reads: `from_user_id`'s when named, else the diary written. Copying a
/// day onto itself in the same diary is refused (422 on `to_date`).
pub async fn copy_source(
    tx: &mut UserTx,
    acting: Acting,
    from_user_id: Option<Uuid>,
    from_date: sparky_core::Date,
    to_date: sparky_core::Date,
) -> AppResult<Acting> {
    // The caller's id is looked up only when someone is named: a round trip otherwise saved.
    let same_diary = match from_user_id {
        None => true,
        Some(from) => from == acting.owner_id(tx).await?,
    };
    if from_date == to_date && same_diary {
        return Err(AppError::invalid(
            "to_date",
            "must differ from from_date (a day cannot be copied onto itself)",
        ));
    }
    Ok(Acting::new(from_user_id.or(acting.owner)))
}

/// Deletes one row by id and tells apart "deleted", "visible but not yours to delete" (403)
/// and "no such row" (404) in one statement.
pub async fn delete_by_id(
    tx: &mut UserTx,
    table: &'static str,
    id: Uuid,
    what: &'static str,
    refused: &'static str,
) -> AppResult<()> {
    // `table` is always a literal from the caller, never input.
    let sql = format!(
        "WITH d AS (DELETE FROM {table} WHERE id = $1 RETURNING 1)
         SELECT (SELECT count(*) FROM d), EXISTS (SELECT 1 FROM {table} WHERE id = $1)"
    );
    let row = tx.query_one(&sql, &[&id]).await?;
    let deleted: i64 = row.get(0);
    let visible: bool = row.get(1);
    match (deleted, visible) {
        (n, _) if n > 0 => Ok(()),
        (_, true) => Err(AppError::forbidden(refused)),
        _ => Err(AppError::NotFound(what)),
    }
}
