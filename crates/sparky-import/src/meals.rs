//! Meal names as trackers export them, read as Sparky's four meals.

use sparky_core::MealType;

/// Reads a meal name as the apps write it (`Breakfast`, `Snacks`, `Snack 2`, `Uncategorized`),
/// in English and the languages trackers are most used in (`Frühstück`, `Mittagessen`,
/// `Abendessen`, `Desayuno`, `Déjeuner`…; a German export used to land all in snacks). A name
/// with "snack" in it is a snack ("Morning snack"); an unknown one is a snack too.
pub fn meal_of(s: &str) -> MealType {
    meal_named(s).unwrap_or(MealType::Snack)
}

/// The meal a name says (see [`meal_of`]); none for a name it does not know ("Pre-workout").
pub fn meal_named(s: &str) -> Option<MealType> {
    let lower = s.trim().to_lowercase();
    let folded: String = lower
        .chars()
        .map(|c| match c {
            'ä' | 'à' | 'á' | 'â' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' => 'i',
            'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            'ś' => 's',
            c => c,
        })
        .collect();
    let has = |words: &[&str]| words.iter().any(|w| folded.starts_with(w));
    Some(
        if folded.contains("snack")
            || folded.contains("imbiss")
            || folded.contains("merienda")
            || has(&["uncategori", "other"])
        {
            MealType::Snack
        } else if has(&[
            "breakfast",
            "morning",
            "brunch",
            "fruhstuck",
            "petit dejeuner",
            "petit-dejeuner",
            "desayuno",
            "colazione",
            "ontbijt",
            "cafe da manha",
            "pequeno almoco",
            "sniadanie",
            "frukost",
            "morgenmad",
            "frokost",
            "завтрак",
        ]) {
            MealType::Breakfast
        } else if has(&[
            "lunch", "midday", "noon", "mittag", "dejeuner", "almuerzo", "comida", "pranzo",
            "almoco", "obiad", "обед",
        ]) {
            MealType::Lunch
        } else if has(&[
            "dinner",
            "supper",
            "evening",
            "abendessen",
            "abendbrot",
            "diner",
            "cena",
            "avondeten",
            "jantar",
            "kolacja",
            "middag",
            "aftensmad",
            "ужин",
        ]) {
            MealType::Dinner
        } else {
            return None;
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Parsed;

    #[test]
    fn meal_names_are_read_in_the_languages_trackers_export() {
        for (name, meal) in [
            ("Breakfast", MealType::Breakfast),
            ("Frühstück", MealType::Breakfast),
            ("Brunch", MealType::Breakfast),
            ("Petit-déjeuner", MealType::Breakfast),
            ("Desayuno", MealType::Breakfast),
            ("Mittagessen", MealType::Lunch),
            ("Déjeuner", MealType::Lunch),
            ("Pranzo", MealType::Lunch),
            ("Abendessen", MealType::Dinner),
            ("Dîner", MealType::Dinner),
            ("Cena", MealType::Dinner),
            ("Supper", MealType::Dinner),
            ("Morning snack", MealType::Snack),
            ("Snacks", MealType::Snack),
            ("Uncategorized", MealType::Snack),
        ] {
            assert_eq!(meal_of(name), meal, "{name}");
            assert_eq!(meal_named(name), Some(meal), "{name}");
        }
        // Unknown: snacks, and a note the preview shows once with its count.
        assert_eq!(meal_of("Pre-workout"), MealType::Snack);
        assert_eq!(meal_named("Pre-workout"), None);
        let mut p = Parsed::default();
        p.note_meal(2, "Pre-workout");
        p.note_meal(5, "Pre-workout");
        p.note_meal(6, "Lunch");
        p.note_meal(7, "");
        assert_eq!(p.notes.len(), 1, "{:?}", p.notes);
        assert_eq!((p.notes[0].line, p.notes[0].count), (2, 2));
        assert!(p.notes[0].message.contains("“Pre-workout”"));
    }
}
