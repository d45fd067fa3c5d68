//! Food search relevance: how well a food's name answers what someone typed.
//!
//! Catalog names follow USDA's style, "Head, qualifier, qualifier": "Bananas, raw",
//! "Milk, whole, 3.25% milkfat, with added vitamin D", "Egg, whole, raw, fresh". People type
//! "banana", "whole milk", "egg": a word in the singular, words in any order. So words match
//! whole or by their start, singular and plural alike, in any order, and among the foods that
//! match a food whose head is all the query says ("Egg, ..." rather than "Egg noodles" or
//! "Noodles, egg") and whose matched words come early ranks first, then the plain form (raw,
//! whole, fresh, plain), then generic before branded, then the shorter name.
//!
//! Words are the lower-cased text split at whitespace and ASCII punctuation, as the catalog's
//! word index (`food_search_words`) splits it.

use std::cmp::Reverse;

/// Qualifiers that mark the plain, unprocessed form of a food in USDA names, when they stand
/// alone between commas ("Egg, whole, raw", not "Bread, whole-wheat").
const PLAIN_QUALIFIERS: [&str; 5] = ["raw", "whole", "fresh", "plain", "regular"];
/// Heads of foods people eat cooked or brewed ("Rice, ..., cooked", "Coffee, brewed ..."):
/// for them the eaten form is the plain one, and raw, dry or instant is a form to cook from
/// (a cup of raw rice is 3.3 times the calories of a cup of cooked).
const EATEN_COOKED: [&str; 19] = [
    "rice",
    "pasta",
    "spaghetti",
    "macaroni",
    "noodles",
    "quinoa",
    "oats",
    "cereals",
    "couscous",
    "bulgur",
    "barley",
    "millet",
    "buckwheat",
    "lentils",
    "beans",
    "chickpeas",
    "peas",
    "coffee",
    "oatmeal",
];
/// Words that mark something made to stand in for the food ("Bacon, meatless", "Egg
/// substitute"): after the food itself, unless typed.
const STAND_IN_WORDS: [&str; 3] = ["meatless", "imitation", "substitute"];
/// The same as written with a hyphen ("Wine, non-alcoholic", "Non-dairy milk"), unless "non"
/// is typed.
const STAND_IN_PHRASES: [&str; 2] = ["non-alcoholic", "non-dairy"];
/// Heads USDA files foods under by kind ("Nuts, almonds", "Fish, tuna, fresh"): such a head
/// names no other food, so the food is the query's as much as "Almonds, ..." would be.
/// Not "Cereals" or "Beverages": under them are branded mixes that merely contain the food
/// ("Cereals, ..., raisins, dates and walnuts").
const KIND_HEADS: [&str; 7] = [
    "nuts",
    "seeds",
    "fish",
    "spices",
    "alcoholic beverage",
    "mollusks",
    "crustaceans",
];
/// How a comma-separated part of such a food's name starts when it is the eaten form.
const COOKED_WORDS: [&str; 4] = ["cooked", "brewed", "boiled", "prepared"];
/// Its forms to cook from, besides [`PROCESSED_WORDS`].
const UNCOOKED_WORDS: [&str; 3] = ["raw", "uncooked", "instant"];
/// Words that mark a processed or preserved form ("Milk, dry, whole", "Bananas, dehydrated").
const PROCESSED_WORDS: [&str; 11] = [
    "dry",
    "dried",
    "dehydrated",
    "powder",
    "canned",
    "frozen",
    "concentrate",
    "evaporated",
    "condensed",
    "imitation",
    "substitute",
];

/// Accented letters (lower case) and the plain letters search reads them as: "crème brûlée"
/// and "creme brulee" meet, "müsli" finds "Musli". SQL's `public.search_fold`, which makes the
/// stored `food_items.search_text`, folds the same (a database test holds the two together).
pub const ACCENTED: &str = "àáâãäåāăąçćčďđèéêëēėęěğìíîïīįıłñńňòóôõöøōőřśšşșťţțùúûüūůűųýÿźżž";
/// [`ACCENTED`]'s plain letters, one for one.
pub const PLAIN: &str = "aaaaaaaaacccddeeeeeeeegiiiiiiilnnnoooooooorsssstttuuuuuuuuyyzzz";
/// Letters that fold into two.
pub const LIGATURES: [(char, &str); 3] = [('ß', "ss"), ('æ', "ae"), ('œ', "oe")];

/// `lower` (lower-cased text) with accents folded ([`ACCENTED`], [`LIGATURES`]).
pub fn fold_accents(lower: &str) -> std::borrow::Cow<'_, str> {
    if lower.is_ascii() {
        return std::borrow::Cow::Borrowed(lower);
    }
    let mut out = String::with_capacity(lower.len());
    for c in lower.chars() {
        if let Some(i) = ACCENTED.chars().position(|a| a == c) {
            out.push(PLAIN.as_bytes()[i] as char);
        } else if let Some((_, two)) = LIGATURES.iter().find(|(l, _)| *l == c) {
            out.push_str(two);
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || c.is_ascii_punctuation()
}

/// The words of a lower-cased text.
pub fn words(lower: &str) -> impl Iterator<Item = &str> {
    lower.split(is_separator).filter(|w| !w.is_empty())
}

/// Foods whose singular ends in "ie": their plural is not a "y" word's ("cookies", "berries").
const IE_NOUNS: [&str; 8] = [
    "pie",
    "cookie",
    "brownie",
    "smoothie",
    "veggie",
    "calorie",
    "rotisserie",
    "hoagie",
];

/// The singular of an English noun, roughly, so "bananas" and "banana", "berries" and "berry",
/// "peaches" and "peach" compare equal. Applied to both sides, it needs to be consistent more
/// than correct.
pub fn singular(word: &str) -> &str {
    let n = word.len();
    if !word.is_ascii() || n <= 3 {
        return word;
    }
    if let Some(stem) = word.strip_suffix("ies") {
        if IE_NOUNS.contains(&&word[..n - 1]) {
            // "cookies" → "cookie", not "cook" (which would find cooked foods).
            return &word[..n - 1];
        }
        // "berries" → "berr", compared as "berr" + "y" below; "fries" → "frie", not "fr"
        // (which would find every "fr" word: frankfurters first).
        return if stem.len() >= 3 {
            stem
        } else {
            &word[..n - 1]
        };
    }
    for suffix in ["ches", "shes", "sses", "xes", "oes"] {
        if word.ends_with(suffix) {
            return &word[..n - 2];
        }
    }
    if word.ends_with('s')
        && !word.ends_with("ss")
        && !word.ends_with("us")
        && !word.ends_with("is")
    {
        return &word[..n - 1];
    }
    word
}

/// The comparable form of a word: singular, with a final "y" dropped so that "berry" and
/// "berries" (both "berr") meet. Always a prefix of the word.
pub fn fold(word: &str) -> &str {
    let s = singular(word);
    match s.strip_suffix('y') {
        Some(stem) if stem.len() >= 3 && s.is_ascii() => stem,
        _ => s,
    }
}

/// Words the catalog knows by another name (British and Australian names, the everyday name
/// of a cereal), with the catalog's word: a search that finds few foods also looks for that.
pub const SYNONYMS: &[(&str, &str)] = &[
    ("aubergine", "eggplant"),
    ("beetroot", "beets"),
    ("capsicum", "peppers"),
    ("coke", "cola"),
    ("cornflour", "cornstarch"),
    ("courgette", "zucchini"),
    ("crisps", "chips"),
    ("donut", "doughnuts"),
    ("gammon", "ham"),
    ("mince", "ground"),
    ("oatmeal", "cereals oats cooked"),
    ("porridge", "cereals oats cooked"),
    ("prawn", "shrimp"),
    ("rapeseed", "canola"),
    ("rocket", "arugula"),
    ("soda", "carbonated beverage"),
    ("sultana", "raisins"),
    ("swede", "rutabaga"),
    ("treacle", "molasses"),
    ("yoghurt", "yogurt"),
];

/// Dishes and drinks the catalog names by what they are ("oatmeal" is "Cereals, oats, ...,
/// cooked with water", a soda a "Carbonated beverage"): searched for alone, the dish is what
/// was meant, before the foods that carry the word in their name (oatmeal cookies, baby
/// cereal; saltines "(includes oyster, soda, soup)").
const DISHES: [&str; 3] = ["oatmeal", "porridge", "soda"];

/// The everyday kind of a food that a word (or two) names, as the catalog words it: typed
/// alone, the name means that kind first, then every other kind the catalog lists ("tea": black tea
/// before chamomile; "cheese": cheddar before queso fresco; "chicken": the breast before
/// separable fat). Facts of what is eaten most, since the catalog has no popularity.
const EVERYDAY_KINDS: &[(&str, &str)] = &[
    ("beef", "beef ground"),
    // The sliced loaf, not the toasted slice the catalog lists first.
    ("bread", "bread white soft"),
    ("cheese", "cheese cheddar"),
    ("chicken", "chicken breast"),
    ("chips", "snacks potato chips plain salted"),
    ("hot dog", "hotdog"),
    ("juice", "orange juice"),
    ("cookie", "cookies chocolate chip"),
    // The starter catalog's supplement: a hamburger (not Burger King's menu), breakfast
    // cereal, and fish, soup, stew, a smoothie and a steak as a meal, of no one kind (not
    // beef broth cubes, a Navajo stew, a bottled V8 smoothie or raw flank).
    ("burger", "hamburger nfs"),
    ("cereal", "cereal eat nfs"),
    ("fish", "fish type baked broiled"),
    ("smoothie", "fruit smoothie nfs"),
    ("soup", "soup nfs"),
    ("steak", "beef steak nfs"),
    ("stew", "stew nfs"),
    ("oil", "oil olive"),
    ("pork", "pork loin whole"),
    ("potato", "potatoes baked flesh skin without salt"),
    ("salad", "salad vegetable tossed"),
    ("salmon", "salmon atlantic"),
    ("sandwich", "fast foods sandwich"),
    ("sugar", "sugars granulated"),
    ("tea", "tea black"),
    ("tomato", "tomatoes red"),
    ("tortilla", "tortillas flour"),
    ("tuna", "tuna light"),
    ("turkey", "turkey breast meat only roasted"),
    ("wine", "wine table"),
];

/// The catalog's wording of a query with a [`SYNONYMS`] word, or of a word alone that names a
/// dish or an everyday kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynonymQuery {
    /// The query with every such word put as the catalog says it, each word once.
    pub text: String,
    /// The query is a dish's or an everyday kind's name alone: its catalog wording ranks
    /// before the typed words' own matches, and is searched even when those are many.
    pub first: bool,
}

/// `text` (as [`Query::text`]) put as the catalog says it: an everyday name alone as its
/// everyday kind ([`EVERYDAY_KINDS`], first), else every word that has a [`SYNONYMS`] entry
/// ("courgettes", "yoghurt"), first when it is a dish's name alone; None when nothing applies.
pub fn synonym_query(text: &str) -> Option<SynonymQuery> {
    let mut changed = false;
    let typed: Vec<&str> = words(text).collect();
    // The whole query is an everyday name ("tea", "hot dog"), word by word.
    let everyday = EVERYDAY_KINDS.iter().find(|(name, _)| {
        let named: Vec<&str> = words(name).collect();
        named.len() == typed.len() && named.iter().zip(&typed).all(|(n, t)| fold(n) == fold(t))
    });
    if let Some((_, kind)) = everyday {
        return Some(SynonymQuery {
            text: (*kind).to_string(),
            first: true,
        });
    }
    let mut out: Vec<&str> = Vec::new();
    for w in &typed {
        let put = match SYNONYMS.iter().find(|(other, _)| fold(other) == fold(w)) {
            Some((_, catalog)) => {
                changed = true;
                *catalog
            }
            None => w,
        };
        for word in put.split(' ') {
            if !out.contains(&word) {
                out.push(word);
            }
        }
    }
    let first = typed.len() == 1 && DISHES.iter().any(|d| fold(d) == fold(typed[0]));
    changed.then(|| SynonymQuery {
        text: out.join(" "),
        first,
    })
}

/// What someone typed, ready to match.
#[derive(Debug, Clone)]
pub struct Query {
    /// Lower-cased and trimmed.
    pub text: String,
    pub words: Vec<String>,
    folded: Vec<String>,
}

impl Query {
    pub fn parse(q: &str) -> Query {
        let text = fold_accents(&q.trim().to_lowercase()).into_owned();
        let words: Vec<String> = words(&text).map(str::to_string).collect();
        let folded = words.iter().map(|w| fold(w).to_string()).collect();
        Query {
            text,
            words,
            folded,
        }
    }

    /// Per query word, the start that every form of it begins with ("berries" and "berry"
    /// → "berr", "eggs" → "egg"): catalog words starting with it are candidates. The same
    /// prefixes, as substrings, decide whether a food matches at all.
    pub fn prefixes(&self) -> Vec<String> {
        self.folded.clone()
    }

    /// The longest prefix: the most selective one to drive an index scan with.
    pub fn longest_prefix(&self) -> Option<&str> {
        self.folded
            .iter()
            .max_by_key(|w| w.len())
            .map(String::as_str)
    }
}

/// How a food matches a query: the lower, the better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tier {
    /// The name is the query's words and nothing else, in any order ("Milk, whole" for
    /// "whole milk", "Oats" for "oat").
    Exact,
    /// Every query word is a word of the name or brand.
    Words,
    /// Every query word starts a word of the name or brand ("chi" for chicken).
    Prefixes,
    /// Every query word is somewhere in the text, inside a word ("gurt" for yogurt).
    Inside,
    /// None of that: a near miss let in by typo tolerance.
    Near,
}

/// Sorts foods for a query; compare keys, lower first. Ties are broken by the caller (recently
/// logged foods first within a tier, then this, then a stable id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Relevance {
    pub tier: Tier,
    /// A near miss with a query word that is nowhere close ("greek yogurt" finding "Yogurt,
    /// plain"): after those close in every word.
    partial: bool,
    /// Typo tolerance: the closer spelling first (only for [`Tier::Near`]: the query words'
    /// mean [`trigram_similarity`] to their closest words of the food).
    near: Reverse<u32>,
    /// Made to stand in for the food ([`STAND_IN_WORDS`]), and not asked for.
    stand_in: bool,
    /// The first comma-separated part of the name has a word the query does not mention.
    head_unmentioned: bool,
    /// From a secondary catalog ([`Relevance::secondary`]): after the primary catalog's foods
    /// that answer as well so far.
    secondary: bool,
    /// A comma-separated part with a query word has other words too: "Nuts, almonds" before
    /// "Nuts, almond butter", "Alcoholic beverage, beer" before "Beerwurst, beer salami".
    part_has_more: bool,
    /// Plain-form qualifiers minus processed-form words, of those not typed: "Bananas, raw"
    /// before "Bananas, dehydrated".
    plain: Reverse<i32>,
    /// The first plain qualifier comes early: "Milk, whole" before "Milk, buttermilk, whole".
    first_plain: usize,
    /// Where the query words first appear, summed: "Milk, whole" before "Milk, dry, whole".
    positions: usize,
    branded: bool,
    word_count: usize,
    length: usize,
    name: String,
}

/// How alike (trigram similarity, as PostgreSQL's `pg_trgm` measures it) a misspelt word must
/// be to a word of the food: "chiken" and "chicken" are 0.5, "brest" and "breast" 0.44.
pub const NEAR_WORD: f32 = 0.35;

/// The trigrams of a word as `pg_trgm` makes them: two spaces before, one after.
fn trigrams(word: &str) -> Vec<[char; 3]> {
    let padded: Vec<char> = "  ".chars().chain(word.chars()).chain([' ']).collect();
    let mut t: Vec<[char; 3]> = padded.windows(3).map(|w| [w[0], w[1], w[2]]).collect();
    t.sort_unstable();
    t.dedup();
    t
}

/// Trigram similarity of two words: shared trigrams over all of both (0–1).
pub fn trigram_similarity(a: &str, b: &str) -> f32 {
    let (ta, tb) = (trigrams(a), trigrams(b));
    let shared = ta.iter().filter(|t| tb.binary_search(t).is_ok()).count();
    let all = ta.len() + tb.len() - shared;
    if all == 0 {
        0.0
    } else {
        shared as f32 / all as f32
    }
}

/// A word of the food matches a query word whole when their folded forms are equal, and by its
/// start when it starts with the query word's prefix.
fn whole_match(word_folded: &str, query_folded: &str) -> bool {
    word_folded == query_folded
}

fn prefix_match(word: &str, query_folded: &str) -> bool {
    word.starts_with(query_folded)
}

/// A name written partly in capitals ("CAMPBELL Soup Company", "KELLOGG'S") names a brand:
/// USDA writes brands that way.
fn has_brand_word(name: &str) -> bool {
    name.split(|c: char| !c.is_alphabetic())
        .any(|w| w.chars().count() >= 4 && w.chars().all(|c| c.is_uppercase()))
}

impl Relevance {
    /// Runs for every candidate of a search (a few hundred), so it borrows where it can.
    pub fn of(query: &Query, name: &str, brand: Option<&str>) -> Self {
        let name_lower = fold_accents(&name.to_lowercase()).into_owned();
        let brand_lower = brand
            .map(|b| fold_accents(&b.to_lowercase()).into_owned())
            .unwrap_or_default();
        // (word, folded) of the name, then of the brand.
        let mut all: Vec<(&str, &str)> = words(&name_lower).map(|w| (w, fold(w))).collect();
        let name_word_count = all.len();
        all.extend(words(&brand_lower).map(|w| (w, fold(w))));
        let head_end = name_lower.find(',').unwrap_or(name_lower.len());
        let head_word_count = words(&name_lower[..head_end]).count();
        let qs = &query.folded;

        let whole_at = |q: &str| all.iter().position(|(_, f)| *f == q);
        let prefix_at = |q: &str| all.iter().position(|(w, _)| w.starts_with(q));
        // The name is the query's words and nothing else, in any order.
        let exact = name_word_count == qs.len() && {
            let mut a: Vec<&str> = all[..name_word_count].iter().map(|(_, f)| *f).collect();
            let mut b: Vec<&str> = qs.iter().map(String::as_str).collect();
            a.sort_unstable();
            b.sort_unstable();
            a == b
        };
        let tier = if qs.is_empty() {
            Tier::Near
        } else if exact {
            Tier::Exact
        } else if qs.iter().all(|q| whole_at(q).is_some()) {
            Tier::Words
        } else if qs.iter().all(|q| prefix_at(q).is_some()) {
            Tier::Prefixes
        } else if qs
            .iter()
            .all(|q| name_lower.contains(q.as_str()) || brand_lower.contains(q.as_str()))
        {
            Tier::Inside
        } else {
            Tier::Near
        };

        let positions = qs
            .iter()
            .map(|q| whole_at(q).or_else(|| prefix_at(q)).unwrap_or(all.len()))
            .sum();
        // A near miss: how close each query word is to its closest word of the food.
        let closeness = |q: &str| {
            if name_lower.contains(q) || brand_lower.contains(q) {
                1.0
            } else {
                all.iter()
                    .map(|(_, f)| trigram_similarity(q, f))
                    .fold(0.0, f32::max)
            }
        };
        let near_words: Vec<f32> = if tier == Tier::Near {
            qs.iter().map(|q| closeness(q)).collect()
        } else {
            Vec::new()
        };
        // A word of the food's name the query mentions: whole, or by its start when the query
        // word is only a start of a word in any case ("chi").
        let mentions = |w: &str, f: &str| {
            qs.iter().any(|q| {
                whole_match(f, q)
                    || tier >= Tier::Prefixes && prefix_match(w, q)
                    || tier == Tier::Near && trigram_similarity(q, f) >= NEAR_WORD
            })
        };
        let head_unmentioned = !KIND_HEADS.contains(&name_lower[..head_end].trim())
            && all[..head_word_count].iter().any(|(w, f)| !mentions(w, f));
        let part_has_more = name_lower.split(',').any(|part| {
            let in_part: Vec<(&str, &str)> = words(part).map(|w| (w, fold(w))).collect();
            in_part.iter().any(|(w, f)| mentions(w, f))
                && in_part.iter().any(|(w, f)| !mentions(w, f))
        });
        let typed = |w: &str| query.words.iter().any(|q| q == w);
        let eaten_cooked = all[..head_word_count]
            .iter()
            .any(|(w, _)| EATEN_COOKED.contains(w));
        let is_plain = |q: &&str| {
            if eaten_cooked {
                // "cooked with water (...)", "brewed from grounds": the part's first word.
                let first = q.split_whitespace().next().unwrap_or_default();
                if COOKED_WORDS.contains(&first) && !typed(first) {
                    return true;
                }
                if UNCOOKED_WORDS.contains(q) {
                    return false;
                }
            }
            PLAIN_QUALIFIERS.contains(q) && !typed(q)
        };
        let plain_qualifiers = name_lower
            .split(',')
            .map(str::trim)
            .filter(is_plain)
            .count();
        let processed = all[..name_word_count]
            .iter()
            .filter(|(w, _)| {
                (PROCESSED_WORDS.contains(w) || eaten_cooked && UNCOOKED_WORDS.contains(w))
                    && !typed(w)
            })
            .count();
        let plain = plain_qualifiers as i32 - processed as i32;
        let first_plain = if plain > 0 {
            name_lower
                .split(',')
                .map(str::trim)
                .position(|q| is_plain(&q))
                .unwrap_or(usize::MAX)
        } else {
            usize::MAX
        };
        Relevance {
            // Matched the query as a whole only: "oatmeal cookies" is close to "Babyfood,
            // cereal, oatmeal" by its first word alone.
            partial: near_words.iter().any(|c| *c < NEAR_WORD),
            tier,
            near: Reverse(
                (near_words.iter().sum::<f32>() / near_words.len().max(1) as f32 * 1000.0) as u32,
            ),
            stand_in: all[..name_word_count]
                .iter()
                .any(|(w, _)| STAND_IN_WORDS.contains(w) && !typed(w))
                || !typed("non") && STAND_IN_PHRASES.iter().any(|p| name_lower.contains(p)),
            head_unmentioned,
            secondary: false,
            part_has_more,
            plain: Reverse(plain),
            first_plain,
            positions,
            branded: brand.is_some_and(|b| !b.trim().is_empty()) || has_brand_word(name),
            word_count: name_word_count,
            length: name.chars().count(),
            name: name_lower,
        }
    }

    /// The food comes from a catalog kept for what the primary one lacks (the starter
    /// catalog's supplement): where a primary food answers the query as well by tier and head,
    /// that one first, whatever the finer keys say ("banana": SR's "Bananas, raw" with its
    /// household measures before a supplement's ripe banana).
    pub fn secondary(mut self, secondary: bool) -> Self {
        self.secondary = secondary;
        self
    }
}

#[cfg(test)]
mod tests;
