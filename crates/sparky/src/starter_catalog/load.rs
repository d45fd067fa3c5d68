//! Writing a data set into the shared catalog in one transaction, and the load on start.

use std::time::Instant;

use anyhow::Context;
use tokio_postgres::Client;

use super::files::built_in_checksum;
use super::{Dataset, Kind, NUTRIENTS};
use crate::food_import::{copy_in, put_decimal, put_text};

/// What a load did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadSummary {
    pub kind: Kind,
    pub foods: u64,
    pub servings: u64,
    pub added: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped_portions: u64,
    /// Foods of the files left out (the supplement's that SR24 has).
    pub skipped_foods: u64,
}

impl LoadSummary {
    pub fn line(&self, seconds: f64) -> String {
        let left_out = match self.kind {
            Kind::Sr24 => String::new(),
            Kind::Supplement => format!(
                "{} foods that repeat the starter catalog's or their own and ",
                self.skipped_foods
            ),
        };
        format!(
            "{}: {} foods with {} servings: {} added, {} updated, {} unchanged \
             ({left_out}{} unusable household measures left out) in {seconds:.1} s",
            self.kind.label(),
            self.foods,
            self.servings,
            self.added,
            self.updated,
            self.unchanged,
            self.skipped_portions
        )
    }
}

/// On start: loads each built-in data set (SR24, then the supplement) unless this very copy
/// was loaded before, each in its own transaction, so one failing leaves the other loaded.
/// What each load did or why it failed; empty when there was nothing to do (one query).
pub async fn ensure_loaded(
    client: &mut Client,
) -> anyhow::Result<Vec<anyhow::Result<(LoadSummary, f64)>>> {
    let loaded = loaded_checksums(client).await?;
    let is_current = |kind: Kind| {
        loaded
            .iter()
            .any(|(d, c)| d == kind.built_in_name() && *c == built_in_checksum(kind))
    };
    let mut done = Vec::new();
    if is_current(Kind::Sr24) && is_current(Kind::Supplement) {
        return Ok(done);
    }
    let sr24 = Dataset::built_in()?;
    for kind in [Kind::Sr24, Kind::Supplement] {
        if is_current(kind) {
            continue;
        }
        let started = Instant::now();
        let result = async {
            let data = match kind {
                Kind::Sr24 => None,
                Kind::Supplement => Some(Dataset::built_in_supplement(&sr24)?),
            };
            load(client, data.as_ref().unwrap_or(&sr24), Stamp::IfChanged).await
        }
        .await;
        match result {
            Ok(Some(s)) => done.push(Ok((s, started.elapsed().as_secs_f64()))),
            Ok(None) => {}
            Err(e) => done.push(Err(e.context(format!("the {}", kind.label())))),
        }
    }
    Ok(done)
}

/// `catalog_loads`' (dataset, checksum) pairs of the built-in data sets.
async fn loaded_checksums(client: &Client) -> anyhow::Result<Vec<(String, String)>> {
    Ok(client
        .query(
            "SELECT dataset, checksum FROM catalog_loads WHERE dataset = ANY($1)",
            &[&[Kind::Sr24.built_in_name(), Kind::Supplement.built_in_name()].as_slice()],
        )
        .await
        .context("cannot read catalog_loads (is the schema up to date?)")?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Whether a load records itself in `catalog_loads` as the built-in copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// Startup: skip when another server loaded this copy meanwhile; record it.
    IfChanged,
    /// `foods import` of the built-in copy: load regardless, then record it.
    Always,
    /// `foods import` of a file: load, record nothing (a newer built-in copy still applies
    /// on the next upgrade).
    Never,
}

/// The staged serving columns, after source_id.
const SERVING_COLUMNS: &str = "seq, serving_size, serving_unit, serving_weight_g, is_default";

fn copy_payloads(data: &Dataset) -> (Vec<u8>, Vec<u8>, u64) {
    let mut foods = Vec::with_capacity(data.foods.len() * 64);
    let mut servings = Vec::with_capacity(data.foods.len() * 400);
    let mut count = 0;
    for f in &data.foods {
        put_text(&mut foods, Some(&f.source_id));
        foods.push(b'\t');
        put_text(&mut foods, Some(&f.name));
        foods.push(b'\n');
        for (seq, s) in f.servings().iter().enumerate() {
            count += 1;
            put_text(&mut servings, Some(&f.source_id));
            servings.extend_from_slice(format!("\t{seq}\t{}\t", s.size).as_bytes());
            put_text(&mut servings, Some(&s.unit));
            servings.push(b'\t');
            put_decimal(&mut servings, Some(s.weight_g));
            servings.extend_from_slice(if s.is_default { b"\tt" } else { b"\tf" });
            for v in &s.values {
                servings.push(b'\t');
                put_decimal(&mut servings, *v);
            }
            servings.push(b'\n');
        }
    }
    (foods, servings, count)
}

/// Merges a data set into the shared catalog in one transaction. `None` when `stamp` is
/// [`Stamp::IfChanged`] and another server loaded the same copy first.
pub async fn load(
    client: &mut Client,
    data: &Dataset,
    stamp: Stamp,
) -> anyhow::Result<Option<LoadSummary>> {
    let bypass: bool = sparky_db::roles::current_role_bypasses_rls(client).await?;
    let started = Instant::now();
    let phase = |what: &str| {
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "loading the starter catalog: {what}"
        )
    };
    let (food_copy, serving_copy, serving_count) = copy_payloads(data);
    let tx = client.transaction().await?;
    let (source, built_in) = (data.kind.source(), data.kind.built_in_name());
    // Servers starting together: one loads, the others find its stamp.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('sparky:starter-catalog', 0))",
        &[],
    )
    .await?;
    if stamp == Stamp::IfChanged {
        let current: Option<String> = tx
            .query_opt(
                "SELECT checksum FROM catalog_loads WHERE dataset = $1",
                &[&built_in],
            )
            .await?
            .map(|r| r.get(0));
        if current.as_deref() == Some(data.checksum.as_str()) {
            return Ok(None);
        }
    }
    if !bypass {
        // The owner role is subject to FORCEd row level security (not a superuser and without
        // BYPASSRLS): lift FORCE for this transaction, as the migrations do.
        tx.batch_execute(
            "ALTER TABLE food_items NO FORCE ROW LEVEL SECURITY;
             ALTER TABLE nutrition_data NO FORCE ROW LEVEL SECURITY;",
        )
        .await
        .context("cannot lift FORCE ROW LEVEL SECURITY (the owner role must own food_items)")?;
    }
    let nutrient_defs: String = NUTRIENTS.map(|n| format!(", {n} numeric")).concat();
    tx.batch_execute(&format!(
        "CREATE TEMP TABLE starter_food_stage (source_id text NOT NULL, name text NOT NULL)
             ON COMMIT DROP;
         CREATE TEMP TABLE starter_serving_stage (
             source_id text NOT NULL, seq integer NOT NULL, serving_size numeric NOT NULL,
             serving_unit text NOT NULL, serving_weight_g numeric, is_default boolean NOT NULL
             {nutrient_defs}) ON COMMIT DROP;
         CREATE TEMP TABLE starter_target (food_item_id uuid NOT NULL, seq integer NOT NULL,
             serving_size numeric NOT NULL, serving_unit text NOT NULL, serving_weight_g numeric,
             is_default boolean NOT NULL {nutrient_defs}) ON COMMIT DROP;
         CREATE TEMP TABLE starter_touched (food_item_id uuid NOT NULL, is_new boolean NOT NULL)
             ON COMMIT DROP;"
    ))
    .await
    .context("cannot create the staging tables")?;
    copy_in(&tx, "COPY starter_food_stage FROM STDIN", food_copy).await?;
    copy_in(
        &tx,
        &format!(
            "COPY starter_serving_stage (source_id, {SERVING_COLUMNS}, {}) FROM STDIN",
            NUTRIENTS.join(", ")
        ),
        serving_copy,
    )
    .await?;
    phase("staged");

    let cols = NUTRIENTS.join(", ");
    let t_cols = NUTRIENTS.map(|n| format!("t.{n}")).join(", ");
    let n_cols = NUTRIENTS.map(|n| format!("n.{n}")).join(", ");
    let set_cols = NUTRIENTS.map(|n| format!("{n} = t.{n}")).join(", ");
    // A serving is the same serving when its size and unit are (a food lists each once).
    let same_serving = "n.food_item_id = t.food_item_id AND n.serving_size = t.serving_size
                        AND n.serving_unit = t.serving_unit";
    // New foods, and renamed ones.
    tx.execute(
        "WITH up AS (
             INSERT INTO food_items (name, source, source_id, user_id)
             SELECT name, $1, source_id, NULL FROM starter_food_stage
             ON CONFLICT (source, source_id) WHERE user_id IS NULL AND source_id IS NOT NULL
             DO UPDATE SET name = EXCLUDED.name
             WHERE food_items.name IS DISTINCT FROM EXCLUDED.name
             RETURNING id, (xmax = 0) AS is_new
         )
         INSERT INTO starter_touched SELECT id, is_new FROM up",
        &[&source],
    )
    .await
    .context("merging the foods failed")?;
    phase("foods merged");
    tx.execute(
        &format!(
            "INSERT INTO starter_target
             SELECT f.id, s.seq, s.serving_size, s.serving_unit, s.serving_weight_g, s.is_default,
                    {s_cols}
             FROM starter_serving_stage s
             JOIN food_items f
               ON f.user_id IS NULL AND f.source = $1 AND f.source_id = s.source_id",
            s_cols = NUTRIENTS.map(|n| format!("s.{n}")).join(", ")
        ),
        &[&source],
    )
    .await
    .context("staging the servings failed")?;
    // Fresh temporary tables have no statistics; the merge below joins them.
    tx.batch_execute("ANALYZE starter_target; ANALYZE starter_touched;")
        .await?;

    tx.batch_execute(&format!(
        "-- Servings the data no longer has.
         WITH gone AS (
             DELETE FROM nutrition_data n
             WHERE n.food_item_id IN (SELECT food_item_id FROM starter_target)
               AND NOT EXISTS (SELECT 1 FROM starter_target t WHERE {same_serving})
             RETURNING n.food_item_id
         )
         INSERT INTO starter_touched SELECT food_item_id, false FROM gone;

         -- Defaults move in two steps: one default per food holds at every row.
         WITH undefault AS (
             UPDATE nutrition_data n SET is_default = false
             FROM starter_target t
             WHERE {same_serving} AND n.is_default AND NOT t.is_default
             RETURNING n.food_item_id
         )
         INSERT INTO starter_touched SELECT food_item_id, false FROM undefault;

         WITH changed AS (
             UPDATE nutrition_data n
             SET serving_weight_g = t.serving_weight_g, is_default = t.is_default, {set_cols}
             FROM starter_target t
             WHERE {same_serving}
               AND (n.serving_weight_g, n.is_default, {n_cols})
                   IS DISTINCT FROM (t.serving_weight_g, t.is_default, {t_cols})
             RETURNING n.food_item_id
         )
         INSERT INTO starter_touched SELECT food_item_id, false FROM changed;

         -- New servings. created_at steps by a microsecond per serving so that they list in
         -- the data's order (servings are listed by created_at after the default).
         WITH added AS (
             INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit,
                 serving_weight_g, is_default, created_at, updated_at, {cols})
             SELECT t.food_item_id, t.serving_size, t.serving_unit, t.serving_weight_g,
                    t.is_default, now() + t.seq * interval '1 microsecond', now(), {t_cols}
             FROM starter_target t
             WHERE NOT EXISTS (SELECT 1 FROM nutrition_data n WHERE {same_serving})
             RETURNING food_item_id
         )
         INSERT INTO starter_touched SELECT food_item_id, false FROM added;"
    ))
    .await
    .context("merging the servings failed")?;
    phase("servings merged");

    let row = tx
        .query_one(
            "SELECT count(*) FILTER (WHERE is_new), count(*) FILTER (WHERE NOT is_new)
             FROM (SELECT food_item_id, bool_or(is_new) AS is_new
                   FROM starter_touched GROUP BY food_item_id) t",
            &[],
        )
        .await?;
    let (added, updated): (i64, i64) = (row.get(0), row.get(1));
    let foods = data.foods.len() as u64;
    if stamp != Stamp::Never {
        tx.execute(
            "INSERT INTO catalog_loads (dataset, checksum, foods, servings)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (dataset) DO UPDATE
             SET checksum = EXCLUDED.checksum, foods = EXCLUDED.foods,
                 servings = EXCLUDED.servings",
            &[
                &built_in,
                &data.checksum,
                &(foods as i32),
                &(serving_count as i32),
            ],
        )
        .await?;
    }
    if !bypass {
        tx.batch_execute(
            "ALTER TABLE food_items FORCE ROW LEVEL SECURITY;
             ALTER TABLE nutrition_data FORCE ROW LEVEL SECURITY;",
        )
        .await?;
    }
    tx.commit().await?;
    phase("committed");
    Ok(Some(LoadSummary {
        kind: data.kind,
        foods,
        servings: serving_count,
        added: added as u64,
        updated: updated as u64,
        unchanged: foods - added as u64 - updated as u64,
        skipped_portions: data.skipped_portions as u64,
        skipped_foods: data.skipped_foods as u64,
    }))
}
