//! USDA FoodData Central: foods from the unzipped CSV download directory, their nutrient
//! amounts and branded-food details gathered by food first.

use std::collections::HashMap;

use anyhow::{bail, Context};
use indicatif::ProgressBar;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use sparky_app::catalog::{clean_text, normalised_barcode, storable, MAX_TEXT};
use sparky_core::nutrition::{kj_to_kcal, STORE_DP};

use super::{csv_reader, header_index, parse_decimal, Food, UsdaFiles, Values};

/// Source nutrients, by nutrient number, in slot order; several feed one Sparky nutrient with
/// a fallback (e.g. Foundation foods give energy as "Atwater" 957/958 rather than 208).
const USDA_NUMBERS: [&str; 21] = [
    "208",   // 0 energy kcal
    "958",   // 1 energy, Atwater specific factors (kcal)
    "957",   // 2 energy, Atwater general factors (kcal)
    "268",   // 3 energy kJ
    "203",   // 4 protein
    "205",   // 5 carbohydrate, by difference
    "205.2", // 6 carbohydrate, by summation
    "204",   // 7 total lipid (fat)
    "298",   // 8 total fat (NLEA)
    "291",   // 9 fiber, total dietary
    "269",   // 10 sugars, total including NLEA
    "269.3", // 11 sugars, total
    "307",   // 12 sodium mg
    "606",   // 13 fatty acids, total saturated
    "605",   // 14 fatty acids, total trans
    "601",   // 15 cholesterol mg
    "306",   // 16 potassium mg
    "301",   // 17 calcium mg
    "303",   // 18 iron mg
    "320",   // 19 vitamin A, RAE µg
    "401",   // 20 vitamin C mg
];

/// Amounts of one food as fixed-point integers (4 places), `MISSING` when absent: a third of
/// the memory of `Option<Decimal>`, and exact at the precision that is stored.
type Slots = [i64; USDA_NUMBERS.len()];
const MISSING: i64 = i64::MIN;

fn to_fixed(v: Decimal) -> Option<i64> {
    storable(v)?.checked_mul(Decimal::from(10_000))?.to_i64()
}

fn from_fixed(v: i64) -> Option<Decimal> {
    (v != MISSING).then(|| Decimal::new(v, STORE_DP).normalize())
}

fn usda_values(s: &Slots) -> Values {
    let at = |i: usize| from_fixed(s[i]);
    let calories = at(0)
        .or_else(|| at(1))
        .or_else(|| at(2))
        .or_else(|| at(3).map(kj_to_kcal).and_then(storable));
    [
        calories,
        at(4),
        at(5).or_else(|| at(6)),
        at(7).or_else(|| at(8)),
        at(9),
        at(10).or_else(|| at(11)),
        at(12),
        at(13),
        at(14),
        at(15),
        at(16),
        at(17),
        at(18),
        at(19),
        at(20),
    ]
}

struct Branded {
    brand: Option<Box<str>>,
    barcode: Option<Box<str>>,
    serving_g: Option<i64>,
}

/// Data types that are foods people eat; the lab sample records of the full download
/// (sample_food, sub_sample_food, market_acquisition, …) are skipped as unusable.
const USDA_FOOD_TYPES: [&str; 5] = [
    "foundation_food",
    "sr_legacy_food",
    "survey_fndds_food",
    "branded_food",
    "experimental_food",
];

pub(super) fn usda(
    files: &UsdaFiles,
    bar: &ProgressBar,
    emit: &mut dyn FnMut(Option<Food>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    // 1. nutrient.csv (small): nutrient id → slot.
    let mut slot_of: HashMap<i64, usize> = HashMap::new();
    {
        let mut r = csv_reader(&files.nutrient, b',', None)?;
        let headers = r.byte_headers()?.clone();
        let ix = header_index(&files.nutrient, &headers, &["id", "nutrient_nbr"])?;
        for rec in r.records() {
            let rec = rec.with_context(|| format!("cannot read {}", files.nutrient.display()))?;
            let (Some(id), Some(nbr)) = (
                rec.get(ix["id"]).and_then(|s| s.trim().parse::<i64>().ok()),
                rec.get(ix["nutrient_nbr"]).and_then(parse_decimal),
            ) else {
                continue;
            };
            let nbr = nbr.normalize().to_string();
            if let Some(slot) = USDA_NUMBERS.iter().position(|n| *n == nbr) {
                slot_of.insert(id, slot);
            }
        }
    }
    if slot_of.is_empty() {
        bail!(
            "{} lists none of the nutrients Sparky stores (energy 208, protein 203, …)",
            files.nutrient.display()
        );
    }

    // 2. food_nutrient.csv (large, unsorted): fdc_id → amounts of the nutrients we store.
    bar.set_length(std::fs::metadata(&files.food_nutrient)?.len());
    bar.set_message("reading food_nutrient.csv");
    let mut amounts: HashMap<i64, Slots> = HashMap::new();
    {
        let mut r = csv_reader(&files.food_nutrient, b',', Some(bar))?;
        let headers = r.byte_headers()?.clone();
        let ix = header_index(
            &files.food_nutrient,
            &headers,
            &["fdc_id", "nutrient_id", "amount"],
        )?;
        let (i_food, i_nutrient, i_amount) = (ix["fdc_id"], ix["nutrient_id"], ix["amount"]);
        let mut rec = csv::ByteRecord::new();
        while r
            .read_byte_record(&mut rec)
            .with_context(|| format!("cannot read {}", files.food_nutrient.display()))?
        {
            let int = |i: usize| {
                rec.get(i)
                    .and_then(|b| std::str::from_utf8(b).ok())
                    .and_then(|s| s.trim().parse::<i64>().ok())
            };
            let Some(slot) = int(i_nutrient).and_then(|n| slot_of.get(&n).copied()) else {
                continue;
            };
            let Some(fdc_id) = int(i_food) else { continue };
            let Some(amount) = rec
                .get(i_amount)
                .and_then(|b| std::str::from_utf8(b).ok())
                .and_then(parse_decimal)
                .and_then(to_fixed)
            else {
                continue;
            };
            amounts
                .entry(fdc_id)
                .or_insert([MISSING; USDA_NUMBERS.len()])[slot] = amount;
        }
    }

    // 3. branded_food.csv (optional): brand, barcode, serving weight.
    let mut branded: HashMap<i64, Branded> = HashMap::new();
    if let Some(path) = &files.branded_food {
        bar.reset();
        bar.set_length(std::fs::metadata(path)?.len());
        bar.set_message("reading branded_food.csv");
        let mut r = csv_reader(path, b',', Some(bar))?;
        let headers = r.byte_headers()?.clone();
        let ix = header_index(path, &headers, &["fdc_id", "brand_owner", "gtin_upc"])?;
        let col = |k: &str| ix.get(k).copied();
        let (i_id, i_brand, i_gtin) = (ix["fdc_id"], ix["brand_owner"], ix["gtin_upc"]);
        let (i_size, i_unit) = (col("serving_size"), col("serving_size_unit"));
        let mut rec = csv::StringRecord::new();
        while r
            .read_record(&mut rec)
            .with_context(|| format!("cannot read {}", path.display()))?
        {
            let Some(fdc_id) = rec.get(i_id).and_then(|s| s.trim().parse::<i64>().ok()) else {
                continue;
            };
            let unit_is_grams = i_unit
                .and_then(|i| rec.get(i))
                .map(|u| u.trim().to_lowercase())
                .is_some_and(|u| matches!(u.as_str(), "g" | "grm" | "gm" | "gram" | "grams"));
            let serving_g = i_size
                .filter(|_| unit_is_grams)
                .and_then(|i| rec.get(i))
                .and_then(parse_decimal)
                .filter(|d| *d > Decimal::ZERO)
                .and_then(to_fixed)
                .filter(|v| *v > 0);
            branded.insert(
                fdc_id,
                Branded {
                    brand: rec
                        .get(i_brand)
                        .and_then(|b| clean_text(b, MAX_TEXT))
                        .map(String::into_boxed_str),
                    barcode: rec
                        .get(i_gtin)
                        .and_then(normalised_barcode)
                        .map(String::into_boxed_str),
                    serving_g,
                },
            );
        }
    }

    // 4. food.csv: stream the foods.
    bar.reset();
    bar.set_length(std::fs::metadata(&files.food)?.len());
    bar.set_message("importing");
    let mut r = csv_reader(&files.food, b',', Some(bar))?;
    let headers = r.byte_headers()?.clone();
    let ix = header_index(
        &files.food,
        &headers,
        &["fdc_id", "data_type", "description"],
    )?;
    let (i_id, i_type, i_desc) = (ix["fdc_id"], ix["data_type"], ix["description"]);
    let mut rec = csv::StringRecord::new();
    while r
        .read_record(&mut rec)
        .with_context(|| format!("cannot read {}", files.food.display()))?
    {
        let food = (|| {
            let fdc_id = rec.get(i_id)?.trim().parse::<i64>().ok()?;
            let data_type = rec.get(i_type)?.trim();
            if !USDA_FOOD_TYPES.contains(&data_type) {
                return None;
            }
            let name = clean_text(rec.get(i_desc)?, MAX_TEXT)?;
            // Each food is looked up once: free its amounts as we go.
            let per_100 = usda_values(&amounts.remove(&fdc_id)?);
            if per_100.iter().all(Option::is_none) {
                return None;
            }
            let b = branded.remove(&fdc_id);
            Some(Food {
                name,
                brand: b
                    .as_ref()
                    .and_then(|b| b.brand.as_deref().map(str::to_string)),
                barcode: b
                    .as_ref()
                    .and_then(|b| b.barcode.as_deref().map(str::to_string)),
                source_id: fdc_id.to_string(),
                per_100,
                per_100_ml: false,
                serving_quantity: b.and_then(|b| b.serving_g).and_then(from_fixed),
            })
        })();
        emit(food)?;
    }
    Ok(())
}
