//! OpenFoodFacts: products from the CSV export (TAB-separated, header row) or the JSONL
//! export (one product per line), with their values per 100 g or 100 ml.

use std::io::{BufRead, BufReader};
use std::path::Path;

use anyhow::Context;
use indicatif::ProgressBar;
use rust_decimal::Decimal;
use sparky_app::catalog::{clean_text, normalised_barcode, storable, MAX_TEXT};
use sparky_core::nutrition::kj_to_kcal;

use super::{csv_reader, header_index, parse_decimal, reader, scaled, Food, Values};

/// Per-100 g values from the `*_100g` fields, converted to Sparky's units.
fn off_values(get: impl Fn(&str) -> Option<Decimal>) -> Values {
    let thousand = Decimal::from(1000);
    let g = |k: &str| get(k).and_then(storable);
    let mg = |k: &str| scaled(get(k), thousand);
    let calories = get("energy-kcal_100g")
        .or_else(|| get("energy-kj_100g").map(kj_to_kcal))
        .or_else(|| get("energy_100g").map(kj_to_kcal))
        .and_then(storable);
    // Sodium from salt: salt = sodium × 2.5.
    let sodium = mg("sodium_100g").or_else(|| scaled(get("salt_100g"), Decimal::from(400)));
    [
        calories,
        g("proteins_100g"),
        g("carbohydrates_100g"),
        g("fat_100g"),
        g("fiber_100g"),
        g("sugars_100g"),
        sodium,
        g("saturated-fat_100g"),
        g("trans-fat_100g"),
        mg("cholesterol_100g"),
        mg("potassium_100g"),
        mg("calcium_100g"),
        mg("iron_100g"),
        scaled(get("vitamin-a_100g"), Decimal::from(1_000_000)),
        mg("vitamin-c_100g"),
    ]
}

/// One OpenFoodFacts product from its fields; `None` when unusable (no code, no name, or no
/// nutrient at all).
fn off_food(
    text: impl Fn(&str) -> Option<String>,
    number: impl Fn(&str) -> Option<Decimal>,
) -> Option<Food> {
    let code = text("code").and_then(|c| clean_text(&c, MAX_TEXT))?;
    let name = ["product_name", "product_name_en", "generic_name"]
        .iter()
        .find_map(|k| text(k).and_then(|n| clean_text(&n, MAX_TEXT)))?;
    let per_100 = off_values(&number);
    if per_100.iter().all(Option::is_none) {
        return None;
    }
    let brand = text("brands").and_then(|b| b.split(',').find_map(|b| clean_text(b, MAX_TEXT)));
    let per_100_ml =
        text("nutrition_data_per").is_some_and(|s| s.trim().eq_ignore_ascii_case("100ml"));
    let basis_unit = if per_100_ml { "ml" } else { "g" };
    // serving_quantity is in grams unless serving_quantity_unit says otherwise.
    let serving_unit = text("serving_quantity_unit")
        .map(|u| u.trim().to_lowercase())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "g".to_string());
    let serving_quantity = number("serving_quantity")
        .and_then(storable)
        .filter(|q| *q > Decimal::ZERO && serving_unit == basis_unit);
    Some(Food {
        barcode: normalised_barcode(&code),
        source_id: code,
        name,
        brand,
        per_100,
        per_100_ml,
        serving_quantity,
    })
}

pub(super) fn off_csv(
    path: &Path,
    delimiter: u8,
    bar: &ProgressBar,
    emit: &mut dyn FnMut(Option<Food>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    bar.set_length(std::fs::metadata(path)?.len());
    bar.set_message("importing");
    let mut r = csv_reader(path, delimiter, Some(bar))?;
    let headers = r.byte_headers()?.clone();
    let index = header_index(path, &headers, &["code", "product_name"])?;
    let mut record = csv::ByteRecord::new();
    loop {
        let more = r
            .read_byte_record(&mut record)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if !more {
            return Ok(());
        }
        let field = |k: &str| -> Option<&[u8]> { index.get(k).and_then(|i| record.get(*i)) };
        let food = off_food(
            |k| field(k).map(|b| String::from_utf8_lossy(b).into_owned()),
            |k| {
                field(k)
                    .and_then(|b| std::str::from_utf8(b).ok())
                    .and_then(parse_decimal)
            },
        );
        emit(food)?;
    }
}

fn json_text(v: Option<&serde_json::Value>) -> Option<String> {
    match v? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(super) fn off_jsonl(
    path: &Path,
    bar: &ProgressBar,
    emit: &mut dyn FnMut(Option<Food>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    bar.set_length(std::fs::metadata(path)?.len());
    bar.set_message("importing");
    let mut r = BufReader::with_capacity(1 << 16, reader(path, Some(bar))?);
    let mut line = Vec::new();
    let mut line_no = 0u64;
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)
            .with_context(|| format!("cannot read {}", path.display()))?
            == 0
        {
            return Ok(());
        }
        line_no += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let p: serde_json::Value = serde_json::from_slice(&line)
            .with_context(|| format!("{} line {line_no}: not valid JSON", path.display()))?;
        let nutriments = p.get("nutriments");
        let food = off_food(
            |k| json_text(p.get(k)),
            |k| {
                json_text(nutriments.and_then(|n| n.get(k)).or_else(|| p.get(k)))
                    .and_then(|s| parse_decimal(&s))
            },
        );
        emit(food)?;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    use super::super::tests::{d, CALORIES, SODIUM};

    #[test]
    fn off_units_are_converted() {
        let fields: HashMap<&str, &str> = [
            ("energy-kj_100g", "1046"),
            ("salt_100g", "1.25"),
            ("iron_100g", "0.0021"),
            ("vitamin-a_100g", "0.00012"),
        ]
        .into();
        let v = off_values(|k| fields.get(k).and_then(|s| parse_decimal(s)));
        assert_eq!(v[CALORIES], Some(d("250")));
        assert_eq!(v[SODIUM], Some(d("500")));
        assert_eq!(v[12], Some(d("2.1")));
        assert_eq!(v[13], Some(d("120")));
    }
}
