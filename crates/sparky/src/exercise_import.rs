//! `sparky exercises import FILE`: loads exercises in the public free-exercise-db JSON shape
//! into the shared catalog (user_id NULL, source `free-exercise-db`, source_id = the entry's
//! id). The whole file is checked before anything is written, and written in one
//! transaction; entries already in the catalog (same source and id) are skipped, so running
//! it again changes nothing.
//!
//! Mapping: muscle_groups = primaryMuscles then secondaryMuscles (lowercased, without
//! repeats); instructions = the steps, one per line; category `stretching` → flexibility,
//! `cardio` → cardio, everything else → strength. The file carries no energy costs, so the
//! MET value is the Compendium of Physical Activities' general code for the kind of training
//! (strength 02054 3.5, powerlifting / olympic weightlifting / strongman 02050 6.0,
//! plyometrics 02020 8.0, stretching 02101 2.3) and none for cardio.
//!
//! Each entry is then checked by the application layer's rules for an exercise
//! (`sparky_app::exercises::ExerciseInput::parse`, the same as `POST /api/v1/exercises`), and
//! the catalog rows are written by `sparky_app::exercises::insert_catalog`; this module keeps
//! only the file format and the owner-role connection.

use std::path::Path;

use anyhow::{anyhow, bail, Context};
use rust_decimal::Decimal;
use serde_json::Value;
use sparky_app::exercises::{insert_catalog, CatalogExercise, ExerciseInput};
use sparky_core::Amount;
use tokio_postgres::Client;

pub const SOURCE: &str = "free-exercise-db";

/// One exercise ready to store.
pub type Exercise = CatalogExercise;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub imported: u64,
    pub already_present: u64,
}

impl Summary {
    pub fn line(&self) -> String {
        format!(
            "imported {} exercises ({} already present)",
            self.imported, self.already_present
        )
    }
}

/// Reads and checks the whole file; the first problem is an error naming the entry.
pub fn read(path: &Path) -> anyhow::Result<Vec<Exercise>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&text).with_context(|| format!("{} is not a usable exercise list", path.display()))
}

pub fn parse(text: &str) -> anyhow::Result<Vec<Exercise>> {
    let value: Value = serde_json::from_str(text).context("invalid JSON")?;
    let Value::Array(items) = value else {
        bail!("expected a JSON array of exercises");
    };
    let mut out: Vec<Exercise> = Vec::with_capacity(items.len());
    let mut seen = std::collections::HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let e = parse_one(item).map_err(|e| {
            let id = item
                .get("id")
                .and_then(Value::as_str)
                .map(|id| format!(" (id \"{id}\")"))
                .unwrap_or_default();
            anyhow!("entry {i}{id}: {e}")
        })?;
        // A repeated id is the same exercise: the first one counts.
        if seen.insert(e.source_id.clone()) {
            out.push(e);
        }
    }
    Ok(out)
}

fn text_field(item: &Value, key: &str, max: usize) -> anyhow::Result<Option<String>> {
    match item.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.chars().count() > max {
                bail!("\"{key}\" is longer than {max} characters");
            }
            Ok(Some(s.to_string()).filter(|s| !s.is_empty()))
        }
        Some(_) => bail!("\"{key}\" must be a string"),
    }
}

fn list_field(item: &Value, key: &str) -> anyhow::Result<Vec<String>> {
    match item.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(values)) => values
            .iter()
            .map(|v| {
                v.as_str()
                    .map(|s| s.trim().to_string())
                    .ok_or_else(|| anyhow!("\"{key}\" must be a list of strings"))
            })
            .collect(),
        Some(_) => bail!("\"{key}\" must be a list of strings"),
    }
}

fn parse_one(item: &Value) -> anyhow::Result<Exercise> {
    if !item.is_object() {
        bail!("expected an object");
    }
    let source_id = text_field(item, "id", 255)?.ok_or_else(|| anyhow!("\"id\" is missing"))?;
    let name = text_field(item, "name", 255)?.ok_or_else(|| anyhow!("\"name\" is missing"))?;
    for key in ["force", "level", "mechanic"] {
        text_field(item, key, 100)?;
    }
    let kind = text_field(item, "category", 100)?
        .unwrap_or_default()
        .to_lowercase();
    let (category, met) = match kind.as_str() {
        "stretching" => ("flexibility", Some((Decimal::new(23, 1), "02101"))),
        "cardio" => ("cardio", None),
        "powerlifting" | "olympic weightlifting" | "strongman" => {
            ("strength", Some((Decimal::new(60, 1), "02050")))
        }
        "plyometrics" => ("strength", Some((Decimal::new(80, 1), "02020"))),
        _ => ("strength", Some((Decimal::new(35, 1), "02054"))),
    };
    let muscle_groups: Vec<String> = list_field(item, "primaryMuscles")?
        .into_iter()
        .chain(list_field(item, "secondaryMuscles")?)
        .collect();
    let steps: Vec<String> = list_field(item, "instructions")?
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    let input = ExerciseInput {
        name,
        category: Some(category.to_string()),
        muscle_groups,
        equipment: text_field(item, "equipment", 100)?,
        instructions: Some(steps.join("\n")).filter(|s| !s.is_empty()),
        met_value: met.map(|m| Amount(m.0)),
    };
    // The same rules as an exercise made through the API (lowercasing, repeats, limits).
    let exercise = input.parse().map_err(|e| anyhow!("{e}"))?;
    Ok(CatalogExercise {
        source_id,
        exercise,
        compendium_code: met.map(|m| m.1.to_string()),
    })
}

pub async fn check_schema(client: &Client) -> anyhow::Result<()> {
    let ready: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns
                            WHERE table_schema = 'public' AND table_name = 'exercises'
                              AND column_name = 'met_value')
                AND to_regclass('public.idx_exercises_catalog_source') IS NOT NULL",
            &[],
        )
        .await?
        .get(0);
    if !ready {
        bail!(
            "the database schema is not up to date: run `sparky migrate up` (or start the server once) first"
        );
    }
    Ok(())
}

/// Writes all exercises in one transaction, skipping those already in the catalog.
pub async fn run(client: &mut Client, exercises: &[Exercise]) -> anyhow::Result<Summary> {
    // The owner is subject to FORCEd row level security unless it is a superuser or has
    // BYPASSRLS: lift FORCE inside the transaction, as the migrations do.
    let bypass: bool = sparky_db::roles::current_role_bypasses_rls(client).await?;
    let tx = client.transaction().await?;
    if !bypass {
        tx.batch_execute("ALTER TABLE exercises NO FORCE ROW LEVEL SECURITY")
            .await
            .context("cannot lift FORCE ROW LEVEL SECURITY (the owner role must own exercises)")?;
    }
    let inserted = insert_catalog(&tx, SOURCE, exercises)
        .await
        .context("inserting the exercises failed")?;
    if !bypass {
        tx.batch_execute("ALTER TABLE exercises FORCE ROW LEVEL SECURITY")
            .await?;
    }
    tx.commit().await?;
    Ok(Summary {
        imported: inserted,
        already_present: exercises.len() as u64 - inserted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_free_exercise_db_shape() {
        let list = parse(
            r#"[{"id": "Air_Bike", "name": "Air Bike", "force": "pull", "level": "beginner",
                 "mechanic": "compound", "equipment": "body only",
                 "primaryMuscles": ["abdominals"], "secondaryMuscles": ["Obliques", "abdominals"],
                 "instructions": ["Lie flat.", "Pedal."], "category": "strength", "images": []},
                {"id": "Air_Bike", "name": "Repeated"},
                {"id": "Hug", "name": "Hug knees", "equipment": null, "category": "stretching"}]"#,
        )
        .unwrap();
        assert_eq!(list.len(), 2);
        let (air, hug) = (&list[0].exercise, &list[1].exercise);
        assert_eq!(air.muscle_groups, vec!["abdominals", "obliques"]);
        assert_eq!(air.instructions.as_deref(), Some("Lie flat.\nPedal."));
        assert_eq!(air.met_value, Some(Decimal::new(35, 1)));
        assert_eq!(list[0].compendium_code.as_deref(), Some("02054"));
        assert_eq!(
            hug.category,
            Some(sparky_core::ExerciseCategory::Flexibility)
        );
        assert_eq!(hug.equipment, None);
        assert_eq!(hug.instructions, None);
    }

    #[test]
    fn malformed_input_names_the_entry() {
        for (text, wanted) in [
            ("{", "invalid JSON"),
            (r#"{"id": "x"}"#, "JSON array"),
            (
                r#"[{"id": "a", "name": "A"}, {"id": "b"}]"#,
                "entry 1 (id \"b\"): \"name\" is missing",
            ),
            (r#"[{"name": "A"}]"#, "entry 0: \"id\" is missing"),
            (
                r#"[{"id": "a", "name": "A", "primaryMuscles": "chest"}]"#,
                "list of strings",
            ),
            (r#"[1]"#, "expected an object"),
            (
                r#"[{"id": "a", "name": "A", "primaryMuscles": ["a","b","c","d","e","f","g","h","i","j","k","l","m","n","o","p","q","r","s","t","u"]}]"#,
                "entry 0 (id \"a\"): muscle_groups: at most 20",
            ),
        ] {
            let err = format!("{:#}", parse(text).unwrap_err());
            assert!(err.contains(wanted), "{text}: {err}");
        }
    }
}
