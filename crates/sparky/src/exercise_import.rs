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

use std::path::Path;

use anyhow::{anyhow, bail, Context};
use serde_json::{json, Value};
use tokio_postgres::Client;

pub const SOURCE: &str = "free-exercise-db";

/// One exercise ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Exercise {
    pub source_id: String,
    pub name: String,
    pub category: String,
    pub muscle_groups: Vec<String>,
    pub equipment: Option<String>,
    pub instructions: Option<String>,
    pub met: Option<(&'static str, &'static str)>,
}

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
        "stretching" => ("flexibility", Some(("2.3", "02101"))),
        "cardio" => ("cardio", None),
        "powerlifting" | "olympic weightlifting" | "strongman" => {
            ("strength", Some(("6.0", "02050")))
        }
        "plyometrics" => ("strength", Some(("8.0", "02020"))),
        _ => ("strength", Some(("3.5", "02054"))),
    };
    let mut muscle_groups: Vec<String> = Vec::new();
    for m in list_field(item, "primaryMuscles")?
        .into_iter()
        .chain(list_field(item, "secondaryMuscles")?)
    {
        let m = m.to_lowercase();
        if m.chars().count() > 50 {
            bail!("muscle \"{m}\" is longer than 50 characters");
        }
        if !m.is_empty() && !muscle_groups.contains(&m) {
            muscle_groups.push(m);
        }
    }
    let steps: Vec<String> = list_field(item, "instructions")?
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    Ok(Exercise {
        source_id,
        name,
        category: category.to_string(),
        muscle_groups,
        equipment: text_field(item, "equipment", 100)?.map(|e| e.to_lowercase()),
        instructions: Some(steps.join("\n")).filter(|s| !s.is_empty()),
        met,
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
    let bypass: bool = client
        .query_one(
            "SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .await?
        .get(0);
    let rows: Vec<Value> = exercises
        .iter()
        .map(|e| {
            json!({
                "source_id": e.source_id,
                "name": e.name,
                "category": e.category,
                "muscle_groups": e.muscle_groups,
                "equipment": e.equipment,
                "instructions": e.instructions,
                "met_value": e.met.map(|m| m.0),
                "compendium_code": e.met.map(|m| m.1),
            })
        })
        .collect();
    let payload = Value::Array(rows).to_string();
    let tx = client.transaction().await?;
    if !bypass {
        tx.batch_execute("ALTER TABLE exercises NO FORCE ROW LEVEL SECURITY")
            .await
            .context("cannot lift FORCE ROW LEVEL SECURITY (the owner role must own exercises)")?;
    }
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
            &[&payload, &SOURCE],
        )
        .await
        .context("inserting the exercises failed")?
        .get(0);
    if !bypass {
        tx.batch_execute("ALTER TABLE exercises FORCE ROW LEVEL SECURITY")
            .await?;
    }
    tx.commit().await?;
    Ok(Summary {
        imported: inserted as u64,
        already_present: exercises.len() as u64 - inserted as u64,
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
        assert_eq!(list[0].muscle_groups, vec!["abdominals", "obliques"]);
        assert_eq!(list[0].instructions.as_deref(), Some("Lie flat.\nPedal."));
        assert_eq!(list[0].met, Some(("3.5", "02054")));
        assert_eq!(list[1].category, "flexibility");
        assert_eq!(list[1].equipment, None);
        assert_eq!(list[1].instructions, None);
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
        ] {
            let err = format!("{:#}", parse(text).unwrap_err());
            assert!(err.contains(wanted), "{text}: {err}");
        }
    }
}
