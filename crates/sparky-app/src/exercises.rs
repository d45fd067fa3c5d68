//! Exercises: search over the shared catalog (with MET values from the Compendium of Physical
//! Activities) and your own exercises; your own exercises' create, read, update and delete;
//! the catalog import's validation and insert. RLS decides what is visible: the catalog to
//! everyone signed in, custom exercises to their owner only.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::{Amount, ExerciseCategory};
use sparky_db::UserTx;
use tokio_postgres::types::ToSql;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::acting::delete_by_id;
use crate::error::{AppError, AppResult, Validation};
use crate::paging::{Cursor, LimitBounds, Page, PageRequest};

/// Bounds of a search page's `limit`.
pub const SEARCH_LIMIT: LimitBounds = LimitBounds::new(20, 100);
/// Ranked search results (with `q`) can be paged this deep; listing without `q` has no bound.
pub const MAX_RANKED: i64 = 1000;
/// Longest search text or filter.
pub const MAX_FILTER_CHARS: usize = 100;
pub const MAX_NAME_CHARS: usize = 255;
pub const MAX_MUSCLE_GROUPS: usize = 20;
pub const MAX_MUSCLE_CHARS: usize = 50;
pub const MAX_EQUIPMENT_CHARS: usize = 100;
pub const MAX_INSTRUCTIONS_CHARS: usize = 5000;
/// Largest MET value (the Compendium's highest is about 23).
pub const MAX_MET: i64 = 30;

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

/// An exercise of your own (also what the catalog import validates each entry as).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExerciseInput {
    /// 1 to 255 characters.
    #[schema(max_length = 255)]
    pub name: String,
    /// strength, cardio, flexibility or sports (any letter case).
    #[schema(value_type = Option<ExerciseCategory>)]
    pub category: Option<String>,
    /// e.g. ["quadriceps", "glutes"] (lowercased, repeats dropped; at most 20, each at most 50
    /// characters).
    #[serde(default)]
    #[schema(max_items = 20, value_type = Vec<MuscleGroupName>)]
    pub muscle_groups: Vec<String>,
    /// e.g. barbell, dumbbell, machine, cable, kettlebells, body only (lowercased).
    #[schema(max_length = 100)]
    pub equipment: Option<String>,
    #[schema(max_length = 5000)]
    pub instructions: Option<String>,
    /// Energy cost in METs (greater than 0, at most 30), used to estimate calories burned.
    #[schema(value_type = Option<f64>, exclusive_minimum = 0, maximum = 30)]
    pub met_value: Option<Amount>,
}

/// One muscle group's name, for the OpenAPI document (the item limit of `muscle_groups`).
pub struct MuscleGroupName;

impl utoipa::PartialSchema for MuscleGroupName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .max_length(Some(MAX_MUSCLE_CHARS))
            .into()
    }
}

impl ToSchema for MuscleGroupName {}

/// A validated exercise.
#[derive(Debug, Clone, PartialEq)]
pub struct NewExercise {
    pub name: String,
    pub category: Option<ExerciseCategory>,
    pub muscle_groups: Vec<String>,
    pub equipment: Option<String>,
    pub instructions: Option<String>,
    pub met_value: Option<Decimal>,
}

fn clean(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

impl ExerciseInput {
    /// Checks every field, naming each one that is wrong.
    pub fn parse(&self) -> AppResult<NewExercise> {
        let mut v = Validation::new();
        let name = self.name.trim().to_string();
        v.check(
            !name.is_empty() && name.chars().count() <= MAX_NAME_CHARS,
            "name",
            "must be 1 to 255 characters",
        );
        let category = match clean(self.category.as_deref()) {
            None => None,
            Some(c) => match ExerciseCategory::parse(&c) {
                Ok(c) => Some(c),
                Err(e) => {
                    v.add("category", e.to_string());
                    None
                }
            },
        };
        let mut muscle_groups: Vec<String> = Vec::new();
        for m in &self.muscle_groups {
            let m = m.trim().to_lowercase();
            if !m.is_empty() && !muscle_groups.contains(&m) {
                muscle_groups.push(m);
            }
        }
        // The limits hold for what was sent (as the OpenAPI document says), not for what is
        // left after trimming and dropping repeats.
        v.check(
            self.muscle_groups.len() <= MAX_MUSCLE_GROUPS
                && self
                    .muscle_groups
                    .iter()
                    .all(|m| m.chars().count() <= MAX_MUSCLE_CHARS),
            "muscle_groups",
            "at most 20, each at most 50 characters",
        );
        let equipment = clean(self.equipment.as_deref()).map(|e| e.to_lowercase());
        v.check(
            equipment
                .as_ref()
                .is_none_or(|e| e.chars().count() <= MAX_EQUIPMENT_CHARS),
            "equipment",
            "must be at most 100 characters",
        );
        let instructions = clean(self.instructions.as_deref());
        v.check(
            instructions
                .as_ref()
                .is_none_or(|i| i.chars().count() <= MAX_INSTRUCTIONS_CHARS),
            "instructions",
            "must be at most 5000 characters",
        );
        // Kept to 2 places: checked as kept (0.004 passed "greater than 0", then the column
        // refused the 0.00 it became).
        let met_value = self
            .met_value
            .map(|m| sparky_core::units::round_dp(m.decimal(), 2));
        v.check(
            met_value.is_none_or(|m| m > Decimal::ZERO && m <= Decimal::from(MAX_MET)),
            "met_value",
            "must be from 0.01 to 30",
        );
        v.finish()?;
        Ok(NewExercise {
            name,
            category,
            muscle_groups,
            equipment,
            instructions,
            met_value,
        })
    }
}

/// An exercise search: text, filters (combined with AND) and a page.
#[derive(Debug, Clone)]
pub struct Search {
    pub q: String,
    pub category: Option<ExerciseCategory>,
    pub muscle: Option<String>,
    pub equipment: Option<String>,
    pub page: PageRequest,
}

fn filter(v: Option<&str>, field: &str) -> AppResult<Option<String>> {
    let f = clean(v).map(|s| s.to_lowercase());
    if f.as_ref()
        .is_some_and(|s| s.chars().count() > MAX_FILTER_CHARS)
    {
        return Err(AppError::invalid(field, "must be at most 100 characters"));
    }
    Ok(f)
}

impl Search {
    pub fn parse(
        q: Option<&str>,
        category: Option<ExerciseCategory>,
        muscle: Option<&str>,
        equipment: Option<&str>,
        limit: Option<i64>,
        cursor: Option<&str>,
    ) -> AppResult<Search> {
        Ok(Search {
            q: filter(q, "q")?.unwrap_or_default(),
            category,
            muscle: filter(muscle, "muscle")?,
            equipment: filter(equipment, "equipment")?,
            page: PageRequest::parse(limit, cursor, SEARCH_LIMIT)?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Exercise {
    pub id: Uuid,
    pub name: String,
    /// strength, cardio, flexibility or sports.
    pub category: Option<String>,
    pub muscle_groups: Vec<String>,
    pub equipment: Option<String>,
    pub instructions: Option<String>,
    /// METs; null when unknown (then calories cannot be estimated).
    #[schema(value_type = Option<f64>)]
    pub met_value: Option<Amount>,
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

impl From<Page<Exercise>> for ExercisePage {
    fn from(p: Page<Exercise>) -> ExercisePage {
        ExercisePage {
            items: p.items,
            next_cursor: p.next_cursor,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------

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
        met_value: r.get("met_value"),
        compendium_code: r.get("compendium_code"),
        source: r.get("source"),
        source_id: r.get("source_id"),
        user_id: r.get("user_id"),
    }
}

/// Escapes LIKE wildcards so a search for "50%" means the text "50%".
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/// Searches the catalog and your own exercises. Without `q`, all of them by name (keyset
/// pages); with `q`, exact and prefix name matches first, then names containing the text, then
/// similar names (typos), paged by position up to [`MAX_RANKED`].
pub async fn search(tx: &mut UserTx, s: &Search) -> AppResult<Page<Exercise>> {
    let category = s.category.map(ExerciseCategory::as_str);
    let fetch = s.page.fetch();
    if s.q.is_empty() {
        let after: Option<(String, Uuid)> = s.page.after()?;
        let (after_name, after_id) = after.unzip();
        let rows = tx
            .query(
                &format!(
                    "SELECT {COLUMNS}, lower(e.name) AS sort_name FROM exercises e
                     WHERE ($1::text IS NULL OR lower(e.category) = $1)
                       AND ($2::text IS NULL OR e.muscle_groups @> ARRAY[$2::text])
                       AND ($3::text IS NULL OR lower(e.equipment) = $3)
                       AND ($4::text IS NULL OR (lower(e.name), e.id) > ($4::text, $5::uuid))
                     ORDER BY lower(e.name), e.id
                     LIMIT $6"
                ),
                &[
                    &category,
                    &s.muscle,
                    &s.equipment,
                    &after_name,
                    &after_id,
                    &fetch,
                ],
            )
            .await?;
        let items: Vec<(String, Exercise)> = rows
            .iter()
            .map(|r| (r.get("sort_name"), exercise_from_row(r)))
            .collect();
        return Ok(s
            .page
            .finish_keyset(items, |(name, e)| (name.clone(), e.id))
            .map(|(_, e)| e));
    }
    let offset = s.page.offset()?;
    if offset + s.page.limit > MAX_RANKED {
        return Err(AppError::invalid(
            "cursor",
            "search pages end after the best 1000 matches; refine the query",
        ));
    }
    let pattern = format!("%{}%", like_escape(&s.q));
    let prefix = format!("{}%", like_escape(&s.q));
    let params: [&(dyn ToSql + Sync); 8] = [
        &s.q,
        &pattern,
        &prefix,
        &category,
        &s.muscle,
        &s.equipment,
        &fetch,
        &offset,
    ];
    let rows = tx
        .query(
            &format!(
                "SELECT {COLUMNS} FROM exercises e
                 WHERE (lower(e.name) LIKE $2 OR $1 <% lower(e.name))
                   AND ($4::text IS NULL OR lower(e.category) = $4)
                   AND ($5::text IS NULL OR e.muscle_groups @> ARRAY[$5::text])
                   AND ($6::text IS NULL OR lower(e.equipment) = $6)
                 ORDER BY
                     CASE WHEN lower(e.name) = $1 THEN 0
                          WHEN lower(e.name) LIKE $3 THEN 1
                          WHEN lower(e.name) LIKE $2 THEN 2
                          ELSE 3 END,
                     word_similarity($1, lower(e.name)) DESC,
                     lower(e.name), e.id
                 LIMIT $7 OFFSET $8"
            ),
            &params,
        )
        .await?;
    let limit = s.page.limit;
    let more = rows.len() as i64 > limit && offset + 2 * limit <= MAX_RANKED;
    Ok(Page {
        items: rows
            .iter()
            .take(limit as usize)
            .map(exercise_from_row)
            .collect(),
        next_cursor: more.then(|| Cursor::at(offset + limit).encode()),
    })
}

/// Values the search filters can take, for choosing from a list.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Facets {
    /// Every muscle group of a visible exercise, by name.
    pub muscle_groups: Vec<String>,
    /// Every kind of equipment of a visible exercise, by name.
    pub equipment: Vec<String>,
}

/// Longest list of facet values returned (the catalog has a few dozen of each).
pub const MAX_FACETS: i64 = 200;

/// The muscle groups and equipment of the exercises the caller can see (the catalog and
/// their own), lowercased as the search compares them.
pub async fn facets(tx: &mut UserTx) -> AppResult<Facets> {
    let rows = tx
        .query(
            "(SELECT 'muscle' AS kind, m AS value FROM
                  (SELECT DISTINCT lower(m) AS m FROM exercises e, unnest(e.muscle_groups) AS m
                   WHERE m <> '' ORDER BY 1 LIMIT $1) x)
             UNION ALL
             (SELECT 'equipment', q FROM
                  (SELECT DISTINCT lower(e.equipment) AS q FROM exercises e
                   WHERE coalesce(e.equipment, '') <> '' ORDER BY 1 LIMIT $1) y)",
            &[&MAX_FACETS],
        )
        .await?;
    let mut out = Facets::default();
    for r in &rows {
        let value: String = r.get("value");
        match r.get::<_, &str>("kind") {
            "muscle" => out.muscle_groups.push(value),
            _ => out.equipment.push(value),
        }
    }
    Ok(out)
}

/// Adds an exercise of your own.
pub async fn create(tx: &mut UserTx, e: &NewExercise) -> AppResult<Exercise> {
    let category = e.category.map(ExerciseCategory::as_str);
    let row = tx
        .query_one(
            &format!(
                "INSERT INTO exercises AS e (name, category, muscle_groups, equipment, instructions,
                     met_value, source, user_id)
                 VALUES ($1, $2, $3, $4, $5, $6, 'user', auth.uid())
                 RETURNING {COLUMNS}"
            ),
            &[
                &e.name,
                &category,
                &e.muscle_groups,
                &e.equipment,
                &e.instructions,
                &e.met_value,
            ],
        )
        .await?;
    Ok(exercise_from_row(&row))
}

/// An exercise from the catalog or one of your own (404 otherwise).
pub async fn get(tx: &mut UserTx, id: Uuid) -> AppResult<Exercise> {
    tx.query_opt(
        &format!("SELECT {COLUMNS} FROM exercises e WHERE e.id = $1"),
        &[&id],
    )
    .await?
    .map(|r| exercise_from_row(&r))
    .ok_or(AppError::NotFound("exercise"))
}

const READ_ONLY: &str = "only your own exercises can be changed; the shared catalog is read-only";

/// Replaces one of your exercises. Diary entries keep the name they were logged with.
pub async fn update(tx: &mut UserTx, id: Uuid, e: &NewExercise) -> AppResult<Exercise> {
    let category = e.category.map(ExerciseCategory::as_str);
    let row = tx
        .query_opt(
            &format!(
                "UPDATE exercises e SET name = $2, category = $3, muscle_groups = $4, equipment = $5,
                     instructions = $6, met_value = $7
                 WHERE e.id = $1
                 RETURNING {COLUMNS}"
            ),
            &[
                &id,
                &e.name,
                &category,
                &e.muscle_groups,
                &e.equipment,
                &e.instructions,
                &e.met_value,
            ],
        )
        .await?;
    match row {
        Some(row) => Ok(exercise_from_row(&row)),
        // RLS lets you change only your own: a visible one is the read-only catalog.
        None => match tx
            .query_opt("SELECT 1 FROM exercises WHERE id = $1", &[&id])
            .await?
        {
            Some(_) => Err(AppError::forbidden(READ_ONLY)),
            None => Err(AppError::NotFound("exercise")),
        },
    }
}

/// Deletes one of your exercises. Diary entries that used it stay, with its name.
pub async fn delete(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    delete_by_id(tx, "exercises", id, "exercise", READ_ONLY).await
}

// ---------------------------------------------------------------------------------------------
// The shared catalog (written by the owner role: `sparky exercises import`)
// ---------------------------------------------------------------------------------------------

/// An exercise for the shared catalog from an outside source.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogExercise {
    /// The entry's id in its source; importing it again is a no-op.
    pub source_id: String,
    pub exercise: NewExercise,
    /// The Compendium activity code the MET value comes from (five digits).
    pub compendium_code: Option<String>,
}

/// Inserts catalog exercises (user_id NULL) from `source`, skipping those already there (same
/// source and id). Returns how many were new. Runs in the caller's transaction on an owner-role
/// connection: users cannot write the catalog, and the caller owns the lifting of FORCE RLS.
pub async fn insert_catalog(
    tx: &tokio_postgres::Transaction<'_>,
    source: &str,
    items: &[CatalogExercise],
) -> Result<u64, tokio_postgres::Error> {
    let rows: Vec<serde_json::Value> = items
        .iter()
        .map(|c| {
            let e = &c.exercise;
            serde_json::json!({
                "source_id": c.source_id,
                "name": e.name,
                "category": e.category.map(ExerciseCategory::as_str),
                "muscle_groups": e.muscle_groups,
                "equipment": e.equipment,
                "instructions": e.instructions,
                "met_value": e.met_value.map(|m| m.to_string()),
                "compendium_code": c.compendium_code,
            })
        })
        .collect();
    let payload = serde_json::Value::Array(rows).to_string();
    let inserted: i64 = tx
        .query_one(
            "WITH ins AS (
                 INSERT INTO exercises (name, category, muscle_groups, equipment, instructions,
                     met_value, compendium_code, source, source_id, user_id)
                 SELECT x.name, x.category, x.muscle_groups, x.equipment, x.instructions,
                        x.met_value, x.compendium_code, $2, x.source_id, NULL
                 FROM jsonb_to_recordset($1::text::jsonb) AS x(source_id text, name text, category text,
                     muscle_groups text[], equipment text, instructions text, met_value numeric,
                     compendium_code text)
                 ON CONFLICT (source, source_id) WHERE user_id IS NULL AND source_id IS NOT NULL
                 DO NOTHING
                 RETURNING 1
             )
             SELECT count(*) FROM ins",
            &[&payload, &source],
        )
        .await?
        .get(0);
    Ok(inserted as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: serde_json::Value) -> ExerciseInput {
        serde_json::from_value(json).unwrap()
    }

    /// Facets list what the catalog holds (sorted, lowercased, no repeats) plus the caller's
    /// own exercises, and never someone else's.
    #[tokio::test]
    async fn facets_list_the_catalog_and_own_exercises() {
        let db = sparky_testkit::TestDb::new().await;
        let owner = db.owner_client().await;
        let mut ids = Vec::new();
        for email in ["ann@example.com", "bob@example.com"] {
            let id: Uuid = owner
                .query_one(
                    "INSERT INTO users (email, password_hash) VALUES ($1, 'x') RETURNING id",
                    &[&email],
                )
                .await
                .unwrap()
                .get(0);
            ids.push(id);
        }
        let database = db.database().await;
        let mut bob = database.as_user(ids[1]).await.unwrap();
        let bobs = ExerciseInput {
            name: "Log carry".into(),
            category: None,
            muscle_groups: vec!["Forearms".into(), "Secret muscle".into()],
            equipment: Some("Tree trunk".into()),
            instructions: None,
            met_value: None,
        };
        create(&mut bob, &bobs.parse().unwrap()).await.unwrap();
        bob.commit().await.unwrap();

        let mut ann = database.as_user(ids[0]).await.unwrap();
        let f = facets(&mut ann).await.unwrap();
        for m in ["biceps", "quadriceps", "chest"] {
            assert!(f.muscle_groups.iter().any(|x| x == m), "{m}: {f:?}");
        }
        assert!(f.equipment.iter().any(|x| x == "barbell"), "{f:?}");
        assert!(!f.muscle_groups.iter().any(|x| x == "secret muscle"));
        assert!(!f.equipment.iter().any(|x| x == "tree trunk"));
        let mut sorted = f.muscle_groups.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, f.muscle_groups);

        let mut bob = database.as_user(ids[1]).await.unwrap();
        let f = facets(&mut bob).await.unwrap();
        assert!(f.muscle_groups.iter().any(|x| x == "secret muscle"));
        assert!(f.equipment.iter().any(|x| x == "tree trunk"));
    }

    #[test]
    fn parse_cleans_and_names_every_bad_field() {
        let e = input(
            serde_json::json!({"name": " Sled push ", "category": "STRENGTH",
            "muscle_groups": ["Quadriceps", "quadriceps ", "", "glutes"], "equipment": " Sled ",
            "met_value": 6.005}),
        )
        .parse()
        .unwrap();
        assert_eq!(e.name, "Sled push");
        assert_eq!(e.category, Some(ExerciseCategory::Strength));
        assert_eq!(e.muscle_groups, vec!["quadriceps", "glutes"]);
        assert_eq!(e.equipment.as_deref(), Some("sled"));
        assert_eq!(e.met_value, Some(Decimal::new(601, 2)));
        let err = input(
            serde_json::json!({"name": " ", "category": "juggling", "met_value": 0,
            "muscle_groups": (0..21).map(|i| format!("muscle {i}")).collect::<Vec<_>>()}),
        )
        .parse()
        .unwrap_err();
        let fields = err.fields().unwrap();
        for f in ["name", "category", "met_value", "muscle_groups"] {
            assert!(fields.0.contains_key(f), "{f}: {fields:?}");
        }
    }
}
