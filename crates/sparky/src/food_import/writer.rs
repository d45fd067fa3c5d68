//! The database side: an export's food as a catalog food, and each batch loaded with COPY
//! into temporary staging tables and inserted into the catalog in one transaction.

use anyhow::Context;
use bytes::Bytes;
use futures::SinkExt;
use rust_decimal::Decimal;
use sparky_app::catalog::{CatalogFood, CatalogServing};
use sparky_core::nutrition::Nutrients;
use tokio_postgres::Client;

use super::{nutrients_of, scaled, Food};

pub(super) struct Writer {
    /// The owner role is subject to FORCEd row level security (not a superuser and without
    /// BYPASSRLS): lift FORCE inside each batch transaction, as the migrations do.
    lift_force: bool,
}

impl Writer {
    pub(super) async fn prepare(client: &Client) -> anyhow::Result<Writer> {
        let bypass: bool = sparky_db::roles::current_role_bypasses_rls(client).await?;
        let nutrient_cols: String = Nutrients::NAMES.map(|n| format!(", {n} numeric")).concat();
        client
            .batch_execute(&format!(
                "CREATE TEMP TABLE IF NOT EXISTS import_food_stage (
                     seq int4 NOT NULL, name text NOT NULL, brand text, barcode text,
                     source_id text NOT NULL
                 ) ON COMMIT DELETE ROWS;
                 CREATE TEMP TABLE IF NOT EXISTS import_serving_stage (
                     seq int4 NOT NULL, serving_size numeric NOT NULL, serving_unit text NOT NULL,
                     serving_weight_g numeric, is_default boolean NOT NULL{nutrient_cols}
                 ) ON COMMIT DELETE ROWS;"
            ))
            .await
            .context("cannot create the staging tables")?;
        Ok(Writer {
            lift_force: !bypass,
        })
    }

    /// Inserts one batch in one transaction; returns how many foods were new.
    pub(super) async fn write(
        &self,
        client: &mut Client,
        source: &str,
        foods: &[CatalogFood],
    ) -> anyhow::Result<u64> {
        if foods.is_empty() {
            return Ok(0);
        }
        let (food_copy, serving_copy) = copy_data(foods);
        let tx = client.transaction().await?;
        if self.lift_force {
            tx.batch_execute(
                "ALTER TABLE food_items NO FORCE ROW LEVEL SECURITY;
                 ALTER TABLE nutrition_data NO FORCE ROW LEVEL SECURITY;",
            )
            .await
            .context("cannot lift FORCE ROW LEVEL SECURITY (the owner role must own food_items)")?;
        }
        copy_in(&tx, "COPY import_food_stage FROM STDIN", food_copy).await?;
        copy_in(&tx, "COPY import_serving_stage FROM STDIN", serving_copy).await?;
        let cols = Nutrients::NAMES.join(", ");
        let s_cols = Nutrients::NAMES.map(|n| format!("s.{n}")).join(", ");
        let row = tx
            .query_one(
                &format!(
                    "WITH ins AS (
                         INSERT INTO food_items (name, brand, barcode, source, source_id, user_id)
                         SELECT name, brand, barcode, $1, source_id, NULL
                         FROM import_food_stage ORDER BY seq
                         ON CONFLICT (source, source_id)
                             WHERE user_id IS NULL AND source_id IS NOT NULL DO NOTHING
                         RETURNING id, source_id
                     ), nd AS (
                         INSERT INTO nutrition_data (food_item_id, serving_size, serving_unit,
                             serving_weight_g, is_default, {cols})
                         SELECT ins.id, s.serving_size, s.serving_unit, s.serving_weight_g,
                                s.is_default, {s_cols}
                         FROM ins
                         JOIN import_food_stage f ON f.source_id = ins.source_id
                         JOIN import_serving_stage s ON s.seq = f.seq
                         RETURNING 1
                     )
                     SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM nd)"
                ),
                &[&source],
            )
            .await
            .context("inserting a batch of foods failed")?;
        let inserted: i64 = row.get(0);
        if self.lift_force {
            tx.batch_execute(
                "ALTER TABLE food_items FORCE ROW LEVEL SECURITY;
                 ALTER TABLE nutrition_data FORCE ROW LEVEL SECURITY;",
            )
            .await?;
        }
        tx.commit().await?;
        Ok(inserted as u64)
    }
}

pub(crate) async fn copy_in(
    tx: &tokio_postgres::Transaction<'_>,
    sql: &str,
    data: Vec<u8>,
) -> anyhow::Result<()> {
    let sink = tx.copy_in::<_, Bytes>(sql).await?;
    futures::pin_mut!(sink);
    sink.send(Bytes::from(data)).await?;
    sink.finish().await?;
    Ok(())
}

/// COPY text-format field.
pub(crate) fn put_text(out: &mut Vec<u8>, v: Option<&str>) {
    match v {
        None => out.extend_from_slice(b"\\N"),
        Some(s) => {
            for b in s.bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    0 => {}
                    _ => out.push(b),
                }
            }
        }
    }
}

pub(crate) fn put_decimal(out: &mut Vec<u8>, v: Option<Decimal>) {
    match v {
        None => out.extend_from_slice(b"\\N"),
        Some(d) => out.extend_from_slice(d.to_string().as_bytes()),
    }
}

fn put_serving(out: &mut Vec<u8>, seq: usize, s: &CatalogServing) {
    out.extend_from_slice(format!("{seq}\t{}\t", s.size).as_bytes());
    put_text(out, Some(&s.unit));
    out.push(b'\t');
    put_decimal(out, s.weight_g);
    out.extend_from_slice(if s.is_default { b"\tt" } else { b"\tf" });
    for (_, v) in s.nutrients.iter() {
        out.push(b'\t');
        put_decimal(out, v);
    }
    out.push(b'\n');
}

/// The catalog food an export's food becomes: the per-100 default serving (100 g, or 100 ml
/// when the values are per 100 ml) and "1 serving" when the serving's weight is known; `None`
/// when the catalog's rules find it unusable.
pub(super) fn catalog_food(source: &str, food: Food) -> Option<CatalogFood> {
    let hundred = Decimal::from(100);
    let (unit, weight) = if food.per_100_ml {
        ("ml", None)
    } else {
        ("g", Some(hundred))
    };
    let mut servings = vec![CatalogServing {
        size: hundred,
        unit: unit.into(),
        weight_g: weight,
        is_default: true,
        nutrients: nutrients_of(&food.per_100),
    }];
    if let Some(q) = food.serving_quantity {
        if let Some(factor) = q.checked_div(hundred) {
            let values = food.per_100.map(|v| scaled(v, factor));
            // A serving too large to store its values is not offered.
            let overflow = values
                .iter()
                .zip(food.per_100.iter())
                .any(|(s, p)| s.is_none() && p.is_some());
            if !overflow {
                servings.push(CatalogServing {
                    size: Decimal::ONE,
                    unit: "serving".into(),
                    weight_g: (!food.per_100_ml).then_some(q),
                    is_default: false,
                    nutrients: nutrients_of(&values),
                });
            }
        }
    }
    CatalogFood {
        source: source.into(),
        source_id: food.source_id,
        name: food.name,
        brand: food.brand,
        barcode: food.barcode,
        servings,
    }
    .normalised()
}

/// The two COPY payloads of a batch: foods, and their servings.
fn copy_data(foods: &[CatalogFood]) -> (Vec<u8>, Vec<u8>) {
    let mut f_out = Vec::with_capacity(foods.len() * 80);
    let mut s_out = Vec::with_capacity(foods.len() * 200);
    for (seq, food) in foods.iter().enumerate() {
        f_out.extend_from_slice(format!("{seq}\t").as_bytes());
        put_text(&mut f_out, Some(&food.name));
        f_out.push(b'\t');
        put_text(&mut f_out, food.brand.as_deref());
        f_out.push(b'\t');
        put_text(&mut f_out, food.barcode.as_deref());
        f_out.push(b'\t');
        put_text(&mut f_out, Some(&food.source_id));
        f_out.push(b'\n');
        for serving in &food.servings {
            put_serving(&mut s_out, seq, serving);
        }
    }
    (f_out, s_out)
}

#[cfg(test)]
mod tests {

    use super::super::{Values, OPENFOODFACTS};
    use super::*;

    use super::super::tests::{d, CALORIES, SODIUM};

    fn food(per_100_ml: bool, serving_quantity: Option<&str>) -> Food {
        let mut per_100: Values = [None; 15];
        per_100[CALORIES] = Some(d("450"));
        per_100[SODIUM] = Some(d("300"));
        Food {
            name: "Oat bars".into(),
            brand: None,
            barcode: Some("0036000291452".into()),
            source_id: "0036000291452".into(),
            per_100,
            per_100_ml,
            serving_quantity: serving_quantity.map(d),
        }
    }

    #[test]
    fn an_export_food_becomes_a_catalog_food_with_its_servings() {
        let f = catalog_food(OPENFOODFACTS, food(false, Some("30"))).unwrap();
        assert_eq!(f.source, "openfoodfacts");
        assert_eq!(f.barcode.as_deref(), Some("0036000291452"));
        assert_eq!(f.servings.len(), 2);
        let (per_100, one) = (&f.servings[0], &f.servings[1]);
        assert_eq!((per_100.size, per_100.unit.as_str()), (d("100"), "g"));
        assert_eq!(per_100.weight_g, Some(d("100")));
        assert!(per_100.is_default && !one.is_default);
        assert_eq!(per_100.nutrients.calories, Some(d("450")));
        assert_eq!((one.size, one.unit.as_str()), (d("1"), "serving"));
        assert_eq!(one.weight_g, Some(d("30")));
        assert_eq!(one.nutrients.calories, Some(d("135")));
        assert_eq!(one.nutrients.sodium, Some(d("90")));

        let ml = catalog_food(OPENFOODFACTS, food(true, Some("250"))).unwrap();
        assert_eq!(ml.servings[0].unit, "ml");
        assert_eq!(ml.servings[0].weight_g, None);
        assert_eq!(ml.servings[1].weight_g, None);
        // A serving whose values would not fit a column is left out, not the food.
        let huge = catalog_food(OPENFOODFACTS, food(false, Some("100000000000"))).unwrap();
        assert_eq!(huge.servings.len(), 1);
        let mut nameless = food(false, None);
        nameless.name = " \t ".into();
        assert!(catalog_food(OPENFOODFACTS, nameless).is_none());
    }

    #[test]
    fn copy_text_is_escaped() {
        let mut out = Vec::new();
        put_text(&mut out, Some("a\tb\\c\nd"));
        assert_eq!(out, b"a\\tb\\\\c\\nd");
    }
}
