//! Tests of reading the catalog's files (foods, servings and the supplement's rules).

use super::*;
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

const FOODS: &str = "id,fdc_id,ndb_number,name,food_group,data_type,energy_kcal,protein_g,fat_g,carbs_g,fiber_g,sugars_g,sodium_mg,sat_fat_g,trans_fat_g,cholesterol_mg,potassium_mg,calcium_mg,iron_mg,vit_a_rae_ug,vit_c_mg
ndb-09040,,09040,\"Bananas, raw\",Fruits,sr24,89,1.09,0.33,22.84,2.6,12.23,1,0.112,,0,358,5,0.26,3,8.7
ndb-01077,,01077,\"Milk, whole\",Dairy,sr24,61,3.15,3.25,4.8,0,5.05,43,1.865,,10,132,113,0.03,46,0
ndb-99999,,99999,Plain,,sr24,1,,,,,,,,,,,,,,
";
const PORTIONS: &str = "id,amount,unit,gram_weight
ndb-09040,1,\"cup, mashed\",225
ndb-09040,1,\"medium (7\"\" to 7-7/8\"\" long)\",118
ndb-09040,1,\"medium (7\"\" to 7-7/8\"\" long)\",120
ndb-01077,1,cup,244
ndb-01077,1,tbsp,0
ndb-01077,100,g,100
";

#[test]
fn servings_and_their_default() {
    let data = parse(FOODS.as_bytes(), PORTIONS.as_bytes()).unwrap();
    assert_eq!(data.foods.len(), 3);
    assert_eq!(data.skipped_portions, 3, "repeat, zero weight, 100 g");
    let banana = data.foods[0].servings();
    assert_eq!(banana.len(), 3);
    assert_eq!((banana[0].size, banana[0].unit.as_str()), (d("100"), "g"));
    assert!(!banana[0].is_default && !banana[1].is_default);
    let medium = &banana[2];
    assert!(medium.is_default, "the medium banana");
    assert_eq!(medium.weight_g, d("118"));
    assert_eq!(medium.values[0], Some(d("105.02")), "89 kcal × 1.18");
    assert_eq!(medium.values[1], Some(d("1.2862")));
    assert_eq!(medium.values[8], None, "unknown trans fat stays unknown");
    assert_eq!(medium.values[9], Some(d("0")), "zero stays zero");
    let milk = data.foods[1].servings();
    assert!(milk[1].is_default && milk[1].unit == "cup", "first measure");
    let plain = data.foods[2].servings();
    assert_eq!(plain.len(), 1);
    assert!(plain[0].is_default, "100 g when there is no measure");
}

/// A cup of butter or a whole pizza is no default: the first measure one eats at once is.
#[test]
fn the_default_is_a_portion() {
    let foods = "id,fdc_id,ndb_number,name,food_group,data_type,energy_kcal,protein_g,fat_g,carbs_g,fiber_g,sugars_g,sodium_mg,sat_fat_g,trans_fat_g,cholesterol_mg,potassium_mg,calcium_mg,iron_mg,vit_a_rae_ug,vit_c_mg
ndb-01001,,01001,\"Butter, salted\",Dairy,sr24,717,0.85,81.11,0.06,0,0.06,714,51.368,3.278,215,24,24,0.02,684,0
ndb-21299,,21299,\"Pizza, frozen\",Fast,sr24,266,11,10,33,2,3,600,4,,20,200,180,2,60,1
ndb-05001,,05001,\"Chicken, breast\",Poultry,sr24,120,22,3,0,0,0,60,1,,70,300,10,1,10,0
ndb-01002,,01002,\"Cream\",Dairy,sr24,340,2,36,3,0,3,30,23,,110,90,60,0,400,0
";
    let portions = "id,amount,unit,gram_weight
ndb-01001,1,cup,227
ndb-01001,1,tbsp,14.2
ndb-21299,1,\"package 29 oz pizza\",822
ndb-21299,1,slice,137
ndb-05001,1,\"unit (yield from 1 lb ready-to-cook chicken)\",67
ndb-05001,0.5,breast,140
ndb-01002,1,cup,238
";
    let data = parse(foods.as_bytes(), portions.as_bytes()).unwrap();
    let default = |i: usize| {
        let s = data.foods[i].servings();
        let d = s.iter().find(|s| s.is_default).unwrap();
        d.unit.clone()
    };
    assert_eq!(default(0), "tbsp", "1,628 kcal a cup");
    assert_eq!(default(1), "slice", "2,187 kcal a package");
    assert_eq!(default(2), "breast", "a yield is no portion");
    assert_eq!(default(3), "cup", "no other measure: the first");
}

#[test]
fn bad_files_are_refused() {
    let e = parse(b"id,name\nx,y\n", PORTIONS.as_bytes()).unwrap_err();
    assert!(format!("{e:#}").contains("ndb_number"), "{e:#}");
    let bad = FOODS.replace(",89,", ",lots,");
    let e = parse(bad.as_bytes(), PORTIONS.as_bytes()).unwrap_err();
    assert!(format!("{e:#}").contains("line 2, energy_kcal"), "{e:#}");
    let orphan = format!("{PORTIONS}ndb-00000,1,cup,5\n");
    let e = parse(FOODS.as_bytes(), orphan.as_bytes()).unwrap_err();
    assert!(format!("{e:#}").contains("no food has the id"), "{e:#}");
}

/// The supplement keeps what SR24 lacks, each name once, the best data type first, and
/// no unnamed measure.
#[test]
fn the_supplement_keeps_what_sr24_lacks() {
    let sr24 = parse(FOODS.as_bytes(), PORTIONS.as_bytes()).unwrap();
    let foods = "id,fdc_id,ndb_number,name,food_group,data_type,energy_kcal,protein_g,fat_g,carbs_g,fiber_g,sugars_g,sodium_mg,sat_fat_g,trans_fat_g,cholesterol_mg,potassium_mg,calcium_mg,iron_mg,vit_a_rae_ug,vit_c_mg
fn-1,,,\"Banana, raw\",Fruit,survey_fndds_food,97,1,0.3,23,2,12,1,0.1,,0,358,5,0.26,3,8.7
fn-2,,,\"Milk, whole\",Milk,survey_fndds_food,61,3,3,5,0,5,43,1.8,,10,132,113,0.03,46,0
fn-3,,,\"Sushi roll, salmon\",Sushi,survey_fndds_food,150,6,3,24,1,3,400,0.6,,10,120,10,0.5,20,1
sr-4,,,\"Hummus, commercial\",Legumes,sr_legacy_food,166,7.9,9.6,14.3,6,0.3,379,1.4,,0,228,38,2.4,1,0
ff-5,,,\"Hummus, commercial\",Legumes,foundation_food,229,7.4,17,15,5.4,0.7,426,2.2,,0,289,41,1.9,,0
sr-6,,,\"Beverages, tea, green, brewed, regular\",Beverages,sr_legacy_food,1,0.22,0,0,0,0,1,0,,0,8,0,0.02,0,0
fn-7,,,Oat milk,Plant-based milk,survey_fndds_food,45,0.66,2.33,5.37,0.5,2.04,43,0.187,,0,18,155,0.21,0,0
fn-8,,,\"Soup, bean\",\"Soups, broth-based\",survey_fndds_food,60,3,1,9,2,1,300,0.2,,0,200,20,1,5,1
fn-9,,,\"Milk, condensed, sweetened\",\"Flavored milk, whole\",survey_fndds_food,321,7.9,8.7,54,0,54,127,5.5,,34,371,284,0.2,74,2.6
";
    let portions = "id,amount,unit,gram_weight
fn-1,1,medium,118
sr-4,1,undetermined,30
ff-5,1,tablespoon,15
sr-6,1,undetermined,245
";
    let data = parse_supplement(foods.as_bytes(), portions.as_bytes(), &sr24.foods).unwrap();
    let kept: Vec<(&str, &str)> = data
        .foods
        .iter()
        .map(|f| (f.source_id.as_str(), f.name.as_str()))
        .collect();
    assert_eq!(
        kept,
        [
            ("ff-5", "Hummus, commercial"),
            ("sr-6", "Beverages, tea, green, brewed, regular"),
            ("fn-3", "Sushi roll, salmon"),
            ("fn-7", "Oat milk"),
            ("fn-8", "Soup, bean"),
            ("fn-9", "Milk, condensed, sweetened"),
        ],
        "SR24 has the banana and the whole milk; Foundation's hummus before SR Legacy's"
    );
    assert_eq!(data.skipped_foods, 3);
    assert_eq!(
        data.skipped_portions, 1,
        "the green tea's undetermined measure"
    );
    assert_eq!(data.foods[0].portions.len(), 1, "the hummus's tablespoon");
    let sushi = data.foods[2].servings();
    assert_eq!(sushi.len(), 1);
    assert!(sushi[0].is_default && sushi[0].unit == "g", "100 g only");
    // Poured foods come by the cup (the default) and the fluid ounce; milks weigh more.
    let measures = |i: usize| -> Vec<(String, String, bool)> {
        data.foods[i]
            .servings()
            .iter()
            .map(|s| (s.unit.clone(), s.weight_g.to_string(), s.is_default))
            .collect()
    };
    let m = |u: &str, g: &str, d: bool| (u.to_string(), g.to_string(), d);
    assert_eq!(
        measures(3),
        [
            m("g", "100", false),
            m("cup", "247.2", true),
            m("fl oz", "30.9", false)
        ]
    );
    assert_eq!(
        measures(4),
        [
            m("g", "100", false),
            m("cup", "240", true),
            m("fl oz", "30", false)
        ]
    );
    assert_eq!(
        measures(5),
        [m("g", "100", true)],
        "condensed milk is no drink"
    );
    assert!(
        data.foods[1].portions.is_empty(),
        "SR Legacy's tea keeps its own"
    );
    let bad = foods.replace("survey_fndds_food", "branded_food");
    let e = parse_supplement(bad.as_bytes(), portions.as_bytes(), &sr24.foods).unwrap_err();
    assert!(format!("{e:#}").contains("branded_food"), "{e:#}");
}

#[test]
fn the_built_in_supplement_parses() {
    let sr24 = Dataset::built_in().unwrap();
    let data = Dataset::built_in_supplement(&sr24).unwrap();
    assert_eq!(data.foods.len() + data.skipped_foods, 7311);
    assert!(
        (3_500..5_000).contains(&data.foods.len()),
        "{} foods kept",
        data.foods.len()
    );
    assert_eq!(data.checksum, built_in_checksum(Kind::Supplement));
    let names: HashSet<&str> = data.foods.iter().map(|f| f.name.as_str()).collect();
    for dish in [
        "Sushi roll, salmon",
        "Yogurt, Greek, plain, nonfat",
        "Oat milk",
    ] {
        assert!(names.contains(dish), "{dish}");
    }
    for duplicate in ["Banana, raw", "Milk, whole", "Apple, raw"] {
        assert!(!names.contains(duplicate), "{duplicate}");
    }
    assert!(data
        .foods
        .iter()
        .flat_map(|f| &f.portions)
        .all(|p| p.unit != "undetermined"));
}

#[test]
fn the_built_in_copy_parses() {
    let data = Dataset::built_in().unwrap();
    assert_eq!(data.foods.len(), 7907);
    let portions: usize = data.foods.iter().map(|f| f.portions.len()).sum();
    assert_eq!(portions + data.skipped_portions, 13_817);
    assert_eq!(data.checksum, built_in_checksum(Kind::Sr24));
}
