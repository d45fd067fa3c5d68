//! MacroFactor's food lists (Custom Foods, Favorites): rows of a food's name, brand, serving
//! and nutrients, without a date. Each becomes a food of the user's own with that one
//! serving; a food listed in two sheets (a favorite custom food) is taken once.

use std::collections::HashSet;

use rust_decimal::Decimal;

use super::{CellReader, Table};
use crate::{nutrients_text, opt_text, Area, FoodRecord, Keys, Parsed, Record};

/// The longest serving unit a food may have (the foods table's limit).
const MAX_UNIT_CHARS: usize = 50;

pub(super) fn read(tables: &[Table], reader: &CellReader, keys: &mut Keys, out: &mut Parsed) {
    let mut seen = HashSet::new();
    for t in tables {
        let c = &t.columns;
        let sheet = &t.sheet.name;
        let extra_cols = c.extra_columns(out);
        for row in t.rows {
            let line = row.number;
            let skip = |out: &mut Parsed, why: String| {
                out.skip(Some(Area::Foods), line, format!("{sheet}: {why}"))
            };
            let Some(name) = c.food.and_then(|i| row.get(i).text()) else {
                skip(out, "the food has no name".into());
                continue;
            };
            let nutrients = match reader.nutrients(row, &c.nutrients) {
                Ok(n) => n,
                Err(why) => {
                    skip(out, format!("{name}: {why}"));
                    continue;
                }
            };
            if nutrients.iter().all(|(_, v)| v.is_none()) {
                skip(out, format!("{name}: no calories or nutrients"));
                continue;
            }
            let extra = match reader.extra(row, &extra_cols, out) {
                Ok(e) => e,
                Err(why) => {
                    skip(out, format!("{name}: {why}"));
                    continue;
                }
            };
            let number = |i: Option<usize>| {
                i.and_then(|i| reader.number(row.get(i)).ok().flatten())
                    .filter(|v| *v > Decimal::ZERO)
            };
            let grams = number(c.serving_grams()).map(|g| g.round_dp(2).normalize());
            let quantity = number(c.serving_qty).map(|q| q.round_dp(3).normalize());
            let size = c.serving_size.and_then(|i| row.get(i).text());
            let (serving_size, serving_unit) = match (quantity, size, grams) {
                (q, Some(unit), _) => (q.unwrap_or(Decimal::ONE), unit.to_string()),
                (None, None, Some(g)) => (g, "g".to_string()),
                (q, None, _) => (q.unwrap_or(Decimal::ONE), "serving".to_string()),
            };
            let serving_unit: String = serving_unit.chars().take(MAX_UNIT_CHARS).collect();
            let brand = c
                .brand
                .and_then(|i| row.get(i).text())
                .map(|b| b.chars().take(255).collect::<String>());
            let name: String = name.chars().take(255).collect();
            let parts = [
                name.clone(),
                brand.clone().unwrap_or_default(),
                serving_size.to_string(),
                serving_unit.clone(),
                opt_text(grams),
                nutrients_text(&nutrients),
            ];
            if !seen.insert(parts.clone()) {
                skip(out, format!("{name}: listed in another sheet too"));
                continue;
            }
            let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
            out.records.push(Record::Food(FoodRecord {
                key: keys.of(Area::Foods, &parts),
                line,
                name,
                brand,
                serving_size,
                serving_unit,
                weight_g: grams,
                nutrients,
                extra,
            }));
        }
    }
}
