//! Ranking as people search: the plain food first, typos word by word, other names.

use super::*;

fn ranked<'a>(q: &str, names: &[&'a str]) -> Vec<&'a str> {
    let query = Query::parse(q);
    let mut v: Vec<(Relevance, &str)> = names
        .iter()
        .map(|n| (Relevance::of(&query, n, None), *n))
        .collect();
    v.sort();
    v.into_iter().map(|(_, n)| n).collect()
}

#[test]
fn singular_and_plural_meet() {
    for (a, b) in [
        ("banana", "bananas"),
        ("berry", "berries"),
        ("peach", "peaches"),
        ("egg", "eggs"),
        ("potato", "potatoes"),
        ("apple", "apples"),
        ("oat", "oats"),
        ("cookie", "cookies"),
        ("pie", "pies"),
    ] {
        assert_eq!(fold(a), fold(b), "{a} {b}");
    }
    assert_eq!(fold("fries"), "frie", "not fr, the start of frankfurter");
    assert!("fried".starts_with(fold("fries")));
    assert_eq!(fold("swiss"), "swiss");
    assert_eq!(fold("hummus"), "hummus");
    assert_eq!(fold("egg"), "egg");
    let q = Query::parse("Strawberries ");
    assert_eq!(q.prefixes(), ["strawberr"]);
    assert!("strawberry".starts_with(&q.prefixes()[0]));
}

#[test]
fn the_plain_food_comes_first() {
    let names = [
        "Babyfood, fruit, bananas with tapioca, strained",
        "Bananas, dehydrated, or banana powder",
        "Bread, banana, prepared from recipe, made with margarine",
        "Bananas, raw",
        "Pepper, banana, raw",
    ];
    assert_eq!(ranked("banana", &names)[0], "Bananas, raw");
    assert_eq!(ranked("bananas", &names)[0], "Bananas, raw");

    let milk = [
        "Cheese, ricotta, whole milk",
        "Milk, dry, whole, without added vitamin D",
        "Milk, whole, 3.25% milkfat, without added vitamin A and vitamin D",
        "Milk, whole, 3.25% milkfat, with added vitamin D",
        "Yogurt, plain, whole milk, 8 grams protein per 8 ounce",
        "Milk, lowfat, fluid, 1% milkfat, with added vitamin A and vitamin D",
    ];
    assert_eq!(
        ranked("whole milk", &milk)[0],
        "Milk, whole, 3.25% milkfat, with added vitamin D"
    );
    assert_eq!(
        ranked("milk", &milk)[0],
        "Milk, whole, 3.25% milkfat, with added vitamin D"
    );

    let eggs = [
        "Eggplant, raw",
        "Noodles, egg, cooked, enriched",
        "Egg, yolk, raw, fresh",
        "Egg, white, raw, fresh",
        "Egg, duck, whole, fresh, raw",
        "Egg, whole, raw, fresh",
        "Egg, whole, cooked, fried",
        "Egg substitute, powder",
        "Eggnog",
    ];
    let r = ranked("egg", &eggs);
    assert_eq!(r[0], "Egg, whole, raw, fresh", "{r:?}");
    assert!(
        r.iter().position(|n| *n == "Eggplant, raw")
            > r.iter()
                .position(|n| *n == "Noodles, egg, cooked, enriched"),
        "a word before a word start: {r:?}"
    );
    assert_eq!(ranked("eggs", &eggs)[0], "Egg, whole, raw, fresh");

    let more_milk = [
        "Milk, buttermilk, fluid, whole",
        "Milk, whole, 3.25% milkfat, with added vitamin D",
    ];
    assert_eq!(
        ranked("milk", &more_milk)[0],
        "Milk, whole, 3.25% milkfat, with added vitamin D",
        "the plain qualifier right after the head"
    );
    let breads = ["Bread, pita, whole-wheat", "Bread, italian"];
    assert_eq!(
        ranked("bread", &breads)[0],
        "Bread, italian",
        "whole-wheat is no qualifier"
    );
    let breast = [
        "Chicken breast, oven-roasted, fat-free, sliced",
        "Chicken, broilers or fryers, breast, meat and skin, raw",
        "Chicken, broilers or fryers, breast, meat only, raw",
    ];
    assert_eq!(
        ranked("chicken breast", &breast)[0],
        "Chicken, broilers or fryers, breast, meat only, raw"
    );
}

#[test]
fn the_part_that_is_the_query_comes_first() {
    let almonds = [
        "Nuts, almond butter, plain, with salt added",
        "Nuts, almonds",
        "Oil, almond",
    ];
    assert_eq!(ranked("almonds", &almonds)[0], "Nuts, almonds");
    let beer = [
        "Beerwurst, beer salami, pork",
        "Alcoholic beverage, beer, regular, all",
    ];
    assert_eq!(
        ranked("beer", &beer)[0],
        "Alcoholic beverage, beer, regular, all"
    );
    let tuna = ["Tuna salad", "Fish, tuna, fresh, yellowfin, raw"];
    assert_eq!(
        ranked("tuna", &tuna)[0],
        "Fish, tuna, fresh, yellowfin, raw"
    );
    let bacon = ["Bacon, meatless", "Pork, cured, bacon, raw"];
    assert_eq!(ranked("bacon", &bacon)[0], "Pork, cured, bacon, raw");
}

#[test]
fn grains_legumes_and_coffee_come_cooked_first() {
    let rice = [
        "Rice, brown, long-grain, raw",
        "Rice, white, long-grain, regular, raw, enriched",
        "Rice, white, long-grain, regular, cooked",
        "Rice, white, long-grain, precooked or instant, enriched, dry",
        "Rice, white, long-grain, parboiled, enriched, cooked",
    ];
    assert_eq!(
        ranked("rice", &rice)[0],
        "Rice, white, long-grain, regular, cooked"
    );
    let coffee = [
        "Coffee, instant, regular, powder",
        "Coffee, instant, regular, prepared with water",
        "Coffee, brewed from grounds, prepared with tap water",
    ];
    assert_eq!(
        ranked("coffee", &coffee)[0],
        "Coffee, brewed from grounds, prepared with tap water"
    );
    let lentils = [
        "Lentils, raw",
        "Lentils, mature seeds, cooked, boiled, without salt",
    ];
    assert_eq!(
        ranked("lentils", &lentils)[0],
        "Lentils, mature seeds, cooked, boiled, without salt"
    );
    // Typed, the raw form is what was asked for; and fruit stays raw first.
    assert_eq!(
        ranked("rice raw", &rice)[0],
        "Rice, white, long-grain, regular, raw, enriched"
    );
    let bananas = ["Bananas, raw", "Bananas, cooked"];
    assert_eq!(ranked("banana", &bananas)[0], "Bananas, raw");
}

#[test]
fn tiers() {
    let q = Query::parse("whole milk");
    let t = |n: &str| Relevance::of(&q, n, None).tier;
    assert_eq!(t("Milk, whole"), Tier::Exact);
    assert_eq!(t("Milk, whole, 3.25% milkfat"), Tier::Words);
    assert_eq!(t("Wholesome milky bar"), Tier::Prefixes);
    assert_eq!(t("Buttermilk, wholegrain"), Tier::Inside);
    assert_eq!(t("Mlik"), Tier::Near);
    assert_eq!(
        Relevance::of(&Query::parse("oat"), "Oats", None).tier,
        Tier::Exact
    );
    // The brand counts for matching, not for being exact.
    let crunchy = Relevance::of(&Query::parse("crunchy"), "Banana chips", Some("Crunchy"));
    assert_eq!(crunchy.tier, Tier::Words);
}

#[test]
fn a_near_miss_is_close_word_by_word() {
    assert!((trigram_similarity("chiken", "chicken") - 0.5).abs() < 1e-6);
    assert!(trigram_similarity("brest", "breast") >= NEAR_WORD);
    assert!(trigram_similarity("bananna", "banana") >= NEAR_WORD);
    assert!(trigram_similarity("cookie", "cereal") < NEAR_WORD);
    let near = |q: &str, name: &str| Relevance::of(&Query::parse(q), name, None);
    assert!(!near("chiken brest", "Chicken, breast, roasted").partial);
    assert!(near("oatmeal cookies", "Babyfood, cereal, oatmeal, dry").partial);
    assert!(!near("oatmeal cookies", "Cookies, oatmeal").partial);
    assert!(near("chiken", "Chickpeas, canned").partial);
    assert!(
        near("chiken brest", "Chicken breast tenders") < near("chiken brest", "Chicken soup"),
        "close in every word before close in some"
    );
}

#[test]
fn generic_before_branded_and_closer_spelling_first() {
    let q = Query::parse("cheerios");
    let brand = Relevance::of(&q, "Cheerios", Some("General Mills"));
    let generic = Relevance::of(&q, "Cheerios", None);
    assert!(generic < brand);
    let caps = Relevance::of(&Query::parse("soup"), "CAMPBELL'S, Soup, tomato", None);
    let plain = Relevance::of(&Query::parse("soup"), "Soup, tomato, canned", None);
    assert!(caps.branded && !plain.branded);

    let q = Query::parse("chiken");
    let close = Relevance::of(&q, "Chicken", None);
    let far = Relevance::of(&q, "Chickpeas", None);
    assert!(close < far);
}

#[test]
fn other_names_are_put_as_the_catalog_says_them() {
    let text = |q: &str| synonym_query(q).map(|s| s.text);
    assert_eq!(text("courgettes").as_deref(), Some("zucchini"));
    assert_eq!(text("greek yoghurt").as_deref(), Some("greek yogurt"));
    assert_eq!(
        text("porridge, cooked").as_deref(),
        Some("cereals oats cooked")
    );
    assert_eq!(text("prawns").as_deref(), Some("shrimp"));
    assert_eq!(synonym_query("zucchini"), None);
    assert_eq!(synonym_query("rock"), None, "whole words only");
    // A dish's name alone means the dish; with other words, they say what is meant.
    assert!(synonym_query("oatmeal").is_some_and(|s| s.first && s.text == "cereals oats cooked"));
    assert!(synonym_query("porridges").is_some_and(|s| s.first));
    assert!(synonym_query("oatmeal cookies").is_some_and(|s| !s.first));
    assert!(synonym_query("courgette").is_some_and(|s| !s.first));
    // A soda is a carbonated beverage, before the crackers that mention soda; a coke a cola.
    assert!(synonym_query("sodas").is_some_and(|s| s.first && s.text == "carbonated beverage"));
    assert!(synonym_query("baking soda").is_some_and(|s| !s.first));
    assert_eq!(text("coke").as_deref(), Some("cola"));
    // A food's everyday kind, for the word alone.
    assert!(synonym_query("teas").is_some_and(|s| s.first && s.text == "tea black"));
    assert!(synonym_query("tomato").is_some_and(|s| s.first && s.text == "tomatoes red"));
    assert_eq!(synonym_query("green tea"), None);
    assert!(synonym_query("hot dogs").is_some_and(|s| s.first && s.text == "hotdog"));
    assert_eq!(synonym_query("hot"), None);
    assert!(
        synonym_query("potatoes").is_some_and(|s| s.first && s.text.starts_with("potatoes baked"))
    );
    assert_eq!(synonym_query("sweet potato"), None);
    assert_eq!(
        synonym_query("olive oil"),
        None,
        "the words say what is meant"
    );
}

#[test]
fn oatmeal_as_the_catalog_says_it_is_cooked_oats() {
    let names = [
        "Cereals, oats, regular and quick, not fortified, dry",
        "Cereals, oats, regular and quick, unenriched, cooked with water (includes boiling and microwaving), without salt",
        "Oats",
        "Cereals, oats, instant, fortified, plain, prepared with water (boiling water added or microwaved)",
    ];
    let dish = synonym_query("oatmeal").unwrap();
    let query = Query::parse(&dish.text);
    let found: Vec<&str> = names
        .iter()
        .filter(|n| Relevance::of(&query, n, None).tier <= Tier::Prefixes)
        .copied()
        .collect();
    assert_eq!(found, [names[1]], "only the cooked oats");
}

#[test]
fn a_non_alcoholic_or_non_dairy_stand_in_comes_after_unless_asked_for() {
    let names = [
        "Wine, non-alcoholic",
        "Alcoholic beverage, wine, table, red",
    ];
    assert_eq!(ranked("wine", &names)[0], names[1]);
    assert_eq!(ranked("non alcoholic wine", &names)[0], names[0]);
}

/// A secondary catalog's food comes after a primary one that answers as well by tier and head,
/// even where finer keys would put it first; it still wins where it answers better.
#[test]
fn a_secondary_catalog_comes_after_the_primary_one() {
    let q = Query::parse("banana");
    let primary = Relevance::of(&q, "Bananas, raw", None);
    let supplement = Relevance::of(&q, "Banana, raw", None);
    assert!(supplement < primary, "shorter name first among equals");
    let supplement = supplement.secondary(true);
    assert!(primary < supplement, "the primary catalog's banana first");
    // A better tier or head still wins: "greek yogurt" is all in the supplement's name.
    let q = Query::parse("greek yogurt");
    let primary = Relevance::of(&q, "Yogurt, plain, whole milk", None);
    let supplement = Relevance::of(&q, "Yogurt, Greek, plain, whole milk", None).secondary(true);
    assert!(supplement < primary);
    let q = Query::parse("oat milk");
    let primary = Relevance::of(&q, "Cereals, oats, instant, prepared with milk", None);
    let supplement = Relevance::of(&q, "Oat milk", None).secondary(true);
    assert!(supplement < primary, "the head names what was typed");
}
