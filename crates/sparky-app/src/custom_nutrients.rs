//! Custom nutrients: what a user tracks beyond the fifteen built-in nutrients (caffeine,
//! omega-3, iodine, ...). Each is defined once with its unit; a food's serving holds amounts
//! keyed by the name (so a food shared in a family means the same to everyone who defines the
//! name), and a diary entry keeps the serving's amounts as logged: it holds them times its
//! servings. Amounts of a name without a definition are kept but not shown, so deleting a
//! definition loses nothing and defining the name again brings them back.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_core::nutrition::Nutrients;
use sparky_core::Amount;
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::acting::{Acting, Area, OWNER};
use crate::error::{AppError, AppResult, Validation};

/// Custom nutrients one user may define.
pub const MAX_CUSTOM_NUTRIENTS: i64 = 50;

/// Longest name.
pub const MAX_NAME_CHARS: usize = 40;

/// The largest daily bound, in the nutrient's unit.
pub const MAX_DAILY: i64 = 1_000_000;

/// Most of a custom nutrient one serving may hold, in its unit.
pub const MAX_SERVING_AMOUNT: i64 = 100_000;

/// The units a custom nutrient may be in.
pub const UNITS: [&str; 4] = ["g", "mg", "µg", "IU"];

/// Amounts of custom nutrients by name.
pub type Amounts = BTreeMap<String, Decimal>;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomNutrient {
    pub id: Uuid,
    /// As defined, e.g. "Caffeine"; foods and diary entries key amounts by it.
    pub name: String,
    /// g, mg, µg or IU.
    pub unit: String,
    /// A day should hold at least this much (null: no lower bound).
    #[schema(value_type = Option<f64>)]
    pub daily_min: Option<Amount>,
    /// A day should hold at most this much (null: no upper bound).
    #[schema(value_type = Option<f64>)]
    pub daily_max: Option<Amount>,
}

/// A custom nutrient of your own.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomNutrientInput {
    /// 1 to 40 characters, unique among yours whatever the letter case, not a built-in
    /// nutrient's name.
    #[schema(min_length = 1, max_length = 40)]
    pub name: String,
    /// g, mg, µg (also mcg, ug) or IU.
    #[schema(min_length = 1, max_length = 10)]
    pub unit: String,
    /// What a day should hold at least, in the unit (0 to 1,000,000; left out: no lower
    /// bound). A `PUT` without it removes it.
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 1000000)]
    pub daily_min: Option<Amount>,
    /// What a day should hold at most (greater than 0, at most 1,000,000, not below
    /// `daily_min`; left out: no upper bound). A `PUT` without it removes it.
    #[schema(value_type = Option<f64>, exclusive_minimum = 0, maximum = 1000000)]
    pub daily_max: Option<Amount>,
}

/// A validated [`CustomNutrientInput`].
#[derive(Debug, Clone)]
pub struct NewCustomNutrient {
    pub name: String,
    pub unit: &'static str,
    pub daily_min: Option<Decimal>,
    pub daily_max: Option<Decimal>,
}

/// A unit as stored, from what a person types ("MG", "mcg", "μg" with a Greek mu).
pub fn parse_unit(raw: &str) -> Option<&'static str> {
    match raw.trim().to_lowercase().as_str() {
        "g" | "gram" | "grams" => Some("g"),
        "mg" | "milligram" | "milligrams" => Some("mg"),
        "µg" | "μg" | "mcg" | "ug" | "microgram" | "micrograms" => Some("µg"),
        "iu" => Some("IU"),
        _ => None,
    }
}

/// Whether `name` is one of the built-in nutrients ("Saturated fat", "sodium", "kcal").
fn is_built_in(name: &str) -> bool {
    let key = name.trim().to_lowercase().replace([' ', '-'], "_");
    Nutrients::NAMES.contains(&key.as_str())
        || matches!(
            key.as_str(),
            "kcal" | "energy" | "carbs" | "carbohydrate" | "sugars" | "fibre" | "saturated"
        )
}

impl CustomNutrientInput {
    pub fn parse(&self) -> AppResult<NewCustomNutrient> {
        let mut v = Validation::new();
        let name = self.name.split_whitespace().collect::<Vec<_>>().join(" ");
        v.check(
            !name.is_empty() && name.chars().count() <= MAX_NAME_CHARS,
            "name",
            "must be 1 to 40 characters",
        );
        v.check(
            !name.chars().any(char::is_control),
            "name",
            "must not hold control characters",
        );
        v.check(
            !is_built_in(&name),
            "name",
            "is a built-in nutrient: give its amount in nutrients instead",
        );
        let unit = parse_unit(&self.unit);
        v.check(unit.is_some(), "unit", "must be g, mg, µg (mcg) or IU");
        let most = Decimal::from(MAX_DAILY);
        let daily_min = self
            .daily_min
            .map(|a| sparky_core::units::round_dp(a.decimal(), 4));
        let daily_max = self
            .daily_max
            .map(|a| sparky_core::units::round_dp(a.decimal(), 4));
        v.check(
            daily_min.is_none_or(|d| d >= Decimal::ZERO && d <= most),
            "daily_min",
            "must be from 0 to 1,000,000",
        );
        v.check(
            daily_max.is_none_or(|d| d > Decimal::ZERO && d <= most),
            "daily_max",
            "must be greater than 0 and at most 1,000,000",
        );
        if let (Some(low), Some(high)) = (daily_min, daily_max) {
            v.check(low <= high, "daily_max", "must not be below daily_min");
        }
        v.finish()?;
        Ok(NewCustomNutrient {
            name,
            unit: unit.unwrap_or("g"),
            daily_min,
            daily_max,
        })
    }
}

fn from_row(r: &tokio_postgres::Row) -> CustomNutrient {
    let amount = |col: &str| {
        r.get::<_, Option<Decimal>>(col)
            .map(|d| Amount(d.normalize()))
    };
    CustomNutrient {
        id: r.get("id"),
        name: r.get("name"),
        unit: r.get("unit"),
        daily_min: amount("daily_min"),
        daily_max: amount("daily_max"),
    }
}

/// What `amount` of the nutrient in a day is against its daily range.
pub fn judge(n: &CustomNutrient, amount: Decimal) -> DailyRange {
    if n.daily_min.is_some_and(|low| amount < low.decimal()) {
        DailyRange::Under
    } else if n.daily_max.is_some_and(|high| amount > high.decimal()) {
        DailyRange::Over
    } else if n.daily_min.is_some() || n.daily_max.is_some() {
        DailyRange::Within
    } else {
        DailyRange::NoRange
    }
}

/// A day's amount against a daily range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DailyRange {
    NoRange,
    Under,
    Within,
    Over,
}

/// The owner's custom nutrients by name (yours, or those of someone whose diary is shared with
/// you; 404 for anyone else).
pub async fn list(tx: &mut UserTx, acting: Acting) -> AppResult<Vec<CustomNutrient>> {
    if acting.owner.is_some() {
        acting.ensure_visible(tx, Area::Diary).await?;
    }
    let rows = tx
        .query(&list_sql(), &[&acting.owner, &MAX_CUSTOM_NUTRIENTS])
        .await?;
    Ok(rows.iter().map(from_row).collect())
}

/// The custom nutrients of the owner in `$1`, at most `$2`, by name.
fn list_sql() -> String {
    format!(
        "SELECT id, name, unit, daily_min, daily_max FROM custom_nutrients WHERE user_id = {OWNER}
         ORDER BY lower(name), id LIMIT $2"
    )
}

/// [`list`]'s read, planned (see [`crate::reads`]); the caller has checked that the owner's
/// diary is visible.
pub struct ListPlan(crate::reads::ReadId);

pub fn plan_list(reads: &mut crate::reads::Reads, acting: Acting) -> ListPlan {
    ListPlan(reads.add(
        list_sql(),
        vec![Box::new(acting.owner), Box::new(MAX_CUSTOM_NUTRIENTS)],
    ))
}

impl ListPlan {
    pub fn finish(self, answers: &mut crate::reads::Answers) -> AppResult<Vec<CustomNutrient>> {
        Ok(answers.take(self.0)?.iter().map(from_row).collect())
    }
}

/// Defines a custom nutrient of your own: 409 when you have one of that name, 422 beyond
/// [`MAX_CUSTOM_NUTRIENTS`].
pub async fn create(tx: &mut UserTx, new: &NewCustomNutrient) -> AppResult<CustomNutrient> {
    // One add at a time per user: two adds at 49 would each count 49 and make 51.
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('custom_nutrients:' || auth.uid()::text, 0))",
        &[],
    )
    .await?;
    refuse_taken_name(tx, &new.name, None).await?;
    let row = tx
        .query_opt(
            "INSERT INTO custom_nutrients (user_id, name, unit, daily_min, daily_max)
             SELECT auth.uid(), $1, $2, $4, $5
             WHERE (SELECT count(*) FROM custom_nutrients WHERE user_id = auth.uid()) < $3
             RETURNING id, name, unit, daily_min, daily_max",
            &[
                &new.name,
                &new.unit,
                &MAX_CUSTOM_NUTRIENTS,
                &new.daily_min,
                &new.daily_max,
            ],
        )
        .await?;
    match row {
        Some(r) => Ok(from_row(&r)),
        None => Err(AppError::invalid(
            "name",
            format!("you have {MAX_CUSTOM_NUTRIENTS} custom nutrients, the most one user may have"),
        )),
    }
}

async fn refuse_taken_name(tx: &mut UserTx, name: &str, except: Option<Uuid>) -> AppResult<()> {
    let clash = tx
        .query_opt(
            "SELECT 1 FROM custom_nutrients
             WHERE user_id = auth.uid() AND lower(name) = lower($1) AND id IS DISTINCT FROM $2",
            &[&name, &except],
        )
        .await?;
    match clash {
        Some(_) => Err(AppError::conflict(format!(
            "you already have a custom nutrient named {name}"
        ))),
        None => Ok(()),
    }
}

/// Renames one of your custom nutrients or changes its unit. A new name is carried into your
/// foods and your diary in the same transaction, so what was logged keeps counting.
pub async fn update(
    tx: &mut UserTx,
    id: Uuid,
    new: &NewCustomNutrient,
) -> AppResult<CustomNutrient> {
    let old: String = tx
        .query_opt(
            "SELECT name FROM custom_nutrients WHERE id = $1 AND user_id = auth.uid() FOR UPDATE",
            &[&id],
        )
        .await?
        .ok_or(AppError::NotFound("custom nutrient"))?
        .get(0);
    refuse_taken_name(tx, &new.name, Some(id)).await?;
    let row = tx
        .query_one(
            "UPDATE custom_nutrients SET name = $2, unit = $3, daily_min = $4, daily_max = $5
             WHERE id = $1 RETURNING id, name, unit, daily_min, daily_max",
            &[&id, &new.name, &new.unit, &new.daily_min, &new.daily_max],
        )
        .await?;
    if old != new.name {
        let rekey = |col: &str| {
            format!("({col} - $1::text) || jsonb_build_object($2::text, {col} -> $1::text)")
        };
        tx.execute(
            &format!(
                "UPDATE nutrition_data n SET custom_nutrients = {}
                 FROM food_items f
                 WHERE f.id = n.food_item_id AND f.user_id = auth.uid()
                   AND n.custom_nutrients ? $1::text",
                rekey("n.custom_nutrients")
            ),
            &[&old, &new.name],
        )
        .await?;
        tx.execute(
            &format!(
                "UPDATE food_diary d SET custom_per_serving = {}
                 WHERE d.user_id = auth.uid() AND d.custom_per_serving ? $1::text",
                rekey("d.custom_per_serving")
            ),
            &[&old, &new.name],
        )
        .await?;
    }
    Ok(from_row(&row))
}

/// Deletes one of your custom nutrients. Amounts foods and entries hold of it stay (hidden);
/// defining the name again shows them again.
pub async fn delete(tx: &mut UserTx, id: Uuid) -> AppResult<()> {
    let n = tx
        .execute(
            "DELETE FROM custom_nutrients WHERE id = $1 AND user_id = auth.uid()",
            &[&id],
        )
        .await?;
    if n == 0 {
        return Err(AppError::NotFound("custom nutrient"));
    }
    Ok(())
}

/// Checks amounts typed for a serving: names 1 to 40 characters, at most
/// [`MAX_CUSTOM_NUTRIENTS`] of them, each amount from 0 to [`MAX_SERVING_AMOUNT`] (4 decimal
/// places kept). Whether the names are defined is [`resolve_names`]'s to check.
pub fn parse_amounts(
    typed: &BTreeMap<String, Amount>,
    prefix: &str,
    v: &mut Validation,
) -> Amounts {
    if typed.len() as i64 > MAX_CUSTOM_NUTRIENTS {
        v.add(
            prefix,
            format!("give at most {MAX_CUSTOM_NUTRIENTS} custom nutrients"),
        );
        return Amounts::new();
    }
    let mut amounts = Amounts::new();
    for (name, amount) in typed {
        let field = format!(
            "{prefix}.{}",
            name.chars().take(MAX_NAME_CHARS).collect::<String>()
        );
        let d = amount.decimal();
        if name.trim().is_empty() || name.chars().count() > MAX_NAME_CHARS {
            v.add(&field, "names a custom nutrient of 1 to 40 characters");
        } else if d < Decimal::ZERO || d > Decimal::from(MAX_SERVING_AMOUNT) {
            v.add(&field, "must be from 0 to 100,000");
        } else if amounts.contains_key(name.trim()) {
            v.add(&field, "is given twice");
        } else {
            amounts.insert(name.trim().to_string(), sparky_core::units::round_dp(d, 4));
        }
    }
    amounts
}

/// Writes each serving's amounts under your definitions' names (any letter case finds one);
/// a name you have not defined is a 422 at `{prefix(i)}.{name}`, unless the food being
/// changed (`food_id`) holds it already (its definition was deleted: the amount is kept).
pub(crate) async fn resolve_names(
    tx: &mut UserTx,
    servings: &mut [&mut Amounts],
    food_id: Option<Uuid>,
    prefix: impl Fn(usize) -> String,
) -> AppResult<()> {
    if servings.iter().all(|s| s.is_empty()) {
        return Ok(());
    }
    let defined: Vec<String> = tx
        .query(
            "SELECT name FROM custom_nutrients WHERE user_id = auth.uid()
             UNION ALL
             SELECT DISTINCT k FROM nutrition_data n, jsonb_object_keys(n.custom_nutrients) k
             WHERE n.food_item_id = $1",
            &[&food_id],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut v = Validation::new();
    for (i, amounts) in servings.iter_mut().enumerate() {
        let typed = std::mem::take(&mut **amounts);
        for (name, amount) in typed {
            match defined
                .iter()
                .find(|d| d.to_lowercase() == name.to_lowercase())
            {
                // "Caffeine" and "caffeine" in one serving: which amount was meant?
                Some(d) if amounts.contains_key(d) => v.add(
                    &format!("{}.{name}", prefix(i)),
                    format!("names {d} a second time"),
                ),
                Some(d) => {
                    amounts.insert(d.clone(), amount);
                }
                None => v.add(
                    &format!("{}.{name}", prefix(i)),
                    "is not one of your custom nutrients (define it first: POST \
                     /api/v1/custom-nutrients, or Settings → Custom nutrients)",
                ),
            }
        }
    }
    v.finish()
}

/// The OpenAPI schema of amounts typed for a serving: an object of at most
/// [`MAX_CUSTOM_NUTRIENTS`] numbers from 0 to [`MAX_SERVING_AMOUNT`], by name.
pub fn amounts_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let amount = ObjectBuilder::new()
        .schema_type(Type::Number)
        .minimum(Some(0))
        .maximum(Some(MAX_SERVING_AMOUNT));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(amount))
        .max_properties(Some(MAX_CUSTOM_NUTRIENTS as usize))
        .description(Some(
            "Amounts of your custom nutrients in the whole serving, by name (each from 0 to \
             100,000 in the nutrient's unit), e.g. `{\"Caffeine\": 95}`.",
        ))
        .build()
}

/// Amounts as stored in a jsonb column.
pub(crate) fn to_json(amounts: &Amounts) -> serde_json::Value {
    serde_json::Value::Object(
        amounts
            .iter()
            .map(|(k, v)| {
                let n: serde_json::Number = v
                    .normalize()
                    .to_string()
                    .parse()
                    .unwrap_or_else(|_| serde_json::Number::from(0));
                (k.clone(), serde_json::Value::Number(n))
            })
            .collect(),
    )
}

/// Amounts read back from a jsonb column (anything not a number is skipped).
pub(crate) fn from_json(value: Option<&serde_json::Value>) -> Amounts {
    let Some(serde_json::Value::Object(map)) = value else {
        return Amounts::new();
    };
    map.iter()
        .filter_map(|(k, v)| {
            let d: Decimal = match v {
                serde_json::Value::Number(n) => n.to_string().parse().ok()?,
                serde_json::Value::String(s) => s.parse().ok()?,
                _ => return None,
            };
            Some((k.clone(), d))
        })
        .collect()
}

/// A serving's amounts times `servings`, at the stored precision.
pub fn times(per_serving: &Amounts, servings: Decimal) -> Amounts {
    per_serving
        .iter()
        // An amount too large for a decimal (only a preview's unchecked quantity) is left out.
        .filter_map(|(k, v)| {
            Some((
                k.clone(),
                sparky_core::units::round_dp(v.checked_mul(servings)?, 4),
            ))
        })
        .collect()
}

/// Amounts as the API prints them.
pub fn shown(amounts: &Amounts) -> BTreeMap<String, Amount> {
    amounts
        .iter()
        .map(|(k, v)| (k.clone(), Amount(*v)))
        .collect()
}

/// Each day's amount of each custom nutrient (`entry_date`, `key`, `amount`) in the diary of
/// the owner in `$1` from `$2` to `$3`: each entry's amount as it shows it (the serving's
/// amount times its servings, at the stored precision), added up.
fn days_sql() -> String {
    format!(
        "SELECT d.entry_date, k.key, sum(round((k.value #>> '{{}}')::numeric * d.servings, 4)) AS amount
         FROM food_diary d, jsonb_each(d.custom_per_serving) k
         WHERE d.user_id = {OWNER} AND d.entry_date BETWEEN $2 AND $3
           AND d.custom_per_serving <> '{{}}'::jsonb AND d.servings IS NOT NULL
           AND jsonb_typeof(k.value) = 'number'
         GROUP BY d.entry_date, k.key"
    )
}

/// One day's custom nutrient totals.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomDay {
    pub date: NaiveDate,
    /// Amount of each custom nutrient eaten that day, by name (only days with any).
    #[schema(value_type = BTreeMap<String, f64>)]
    pub totals: BTreeMap<String, Amount>,
}

/// Custom nutrient totals of every day of `range` that has any, for the owner (yourself, or
/// someone whose diary is shared with you).
pub async fn daily_totals(
    tx: &mut UserTx,
    acting: Acting,
    range: crate::summary::Range,
) -> AppResult<Vec<CustomDay>> {
    if acting.owner.is_some() {
        acting.ensure_visible(tx, Area::Diary).await?;
    }
    let rows = tx
        .query(
            &format!(
                "SELECT entry_date, key, amount FROM ({}) days ORDER BY entry_date, key",
                days_sql()
            ),
            &[&acting.owner, &range.from, &range.to],
        )
        .await?;
    let mut days: Vec<CustomDay> = Vec::new();
    for r in &rows {
        let date: NaiveDate = r.get(0);
        if days.last().is_none_or(|d| d.date != date) {
            days.push(CustomDay {
                date,
                totals: BTreeMap::new(),
            });
        }
        if let Some(day) = days.last_mut() {
            day.totals.insert(r.get(1), Amount(r.get(2)));
        }
    }
    Ok(days)
}

/// A custom nutrient over a report's range.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomNutrientRow {
    pub name: String,
    /// g, mg, µg or IU.
    pub unit: String,
    /// Mean a day over the logged days (a day whose entries hold none of it counts as 0).
    #[schema(value_type = f64)]
    pub average: Amount,
    #[schema(value_type = Option<f64>)]
    pub daily_min: Option<Amount>,
    #[schema(value_type = Option<f64>)]
    pub daily_max: Option<Amount>,
    /// Logged days within the daily range; null without one.
    pub days_within: Option<u32>,
    /// Each logged day's amount (0 when its entries hold none), for the report's CSV.
    #[serde(skip)]
    pub by_day: BTreeMap<NaiveDate, Decimal>,
}

/// Each custom nutrient the owner defines over `from`..=`to`, averaged and judged over the
/// `logged` days (the days with diary entries), in one statement.
pub async fn report_rows(
    tx: &mut UserTx,
    acting: Acting,
    from: NaiveDate,
    to: NaiveDate,
    logged: &[NaiveDate],
) -> AppResult<Vec<CustomNutrientRow>> {
    let rows = tx
        .query(
            &format!(
                "WITH defs AS (SELECT id, name, unit, daily_min, daily_max FROM custom_nutrients
                               WHERE user_id = {OWNER} ORDER BY lower(name), id LIMIT $4),
                 days AS ({})
                 SELECT defs.id, defs.name, defs.unit, defs.daily_min, defs.daily_max,
                        coalesce(json_object_agg(days.entry_date, days.amount)
                                 FILTER (WHERE days.entry_date IS NOT NULL), '{{}}')::text AS by_day
                 FROM defs LEFT JOIN days ON days.key = defs.name
                 GROUP BY defs.id, defs.name, defs.unit, defs.daily_min, defs.daily_max
                 ORDER BY lower(defs.name), defs.id",
                days_sql()
            ),
            &[&acting.owner, &from, &to, &MAX_CUSTOM_NUTRIENTS],
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let n = from_row(r);
        let by_day: BTreeMap<NaiveDate, Decimal> =
            serde_json::from_str::<BTreeMap<NaiveDate, serde_json::Value>>(r.get("by_day"))
                .map_err(|e| AppError::internal(format!("custom nutrient days: {e}")))?
                .into_iter()
                .filter_map(|(d, v)| Some((d, v.to_string().parse::<Decimal>().ok()?)))
                .collect();
        let by_day: BTreeMap<NaiveDate, Decimal> = logged
            .iter()
            .map(|d| (*d, by_day.get(d).copied().unwrap_or_default()))
            .collect();
        let amounts: Vec<Decimal> = by_day.values().copied().collect();
        let average = if amounts.is_empty() {
            Decimal::ZERO
        } else {
            amounts.iter().sum::<Decimal>() / Decimal::from(amounts.len())
        };
        let days_within = (n.daily_min.is_some() || n.daily_max.is_some()).then(|| {
            amounts
                .iter()
                .filter(|a| judge(&n, **a) == DailyRange::Within)
                .count() as u32
        });
        out.push(CustomNutrientRow {
            average: Amount(sparky_core::units::round_dp(average, 2).normalize()),
            name: n.name,
            unit: n.unit,
            daily_min: n.daily_min,
            daily_max: n.daily_max,
            days_within,
            by_day,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_read_as_typed() {
        assert_eq!(parse_unit(" MG "), Some("mg"));
        assert_eq!(parse_unit("mcg"), Some("µg"));
        assert_eq!(parse_unit("\u{3bc}g"), Some("µg"));
        assert_eq!(parse_unit("iu"), Some("IU"));
        assert_eq!(parse_unit("kcal"), None);
    }

    #[test]
    fn built_in_names_are_refused() {
        for name in ["Protein", "saturated fat", "Sodium", "kcal", "trans-fat"] {
            let input = CustomNutrientInput {
                name: name.into(),
                unit: "mg".into(),
                daily_min: None,
                daily_max: None,
            };
            assert!(input.parse().is_err(), "{name}");
        }
        let ok = CustomNutrientInput {
            name: "  Omega   3 ".into(),
            unit: "g".into(),
            daily_min: None,
            daily_max: None,
        }
        .parse()
        .unwrap();
        assert_eq!(ok.name, "Omega 3");
    }

    #[test]
    fn amounts_round_trip_through_json_and_scale() {
        let mut a = Amounts::new();
        a.insert("Caffeine".into(), Decimal::new(951234, 4));
        let back = from_json(Some(&to_json(&a)));
        assert_eq!(back, a);
        let two = times(&a, Decimal::new(25, 1));
        assert_eq!(two["Caffeine"], Decimal::new(2378085, 4));
    }
}
