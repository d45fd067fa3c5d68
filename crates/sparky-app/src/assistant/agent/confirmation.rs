//! The text shown at the end of a turn: the server's confirmation built from the cards.

use crate::assistant::actions::Card;

const CLAIMS: &[&str] = &[
    "logged", "added", "recorded", "saved", "updated", "deleted", "removed", "undone", "undid",
    "tracked",
];

fn claims_a_write(text: &str) -> bool {
    let lower = text.to_lowercase();
    CLAIMS.iter().any(|w| lower.contains(w))
}

/// The text shown at the end of a turn. After writes: the confirmation from the cards (and the
/// model's words only when they claim no write of their own). Without writes, a model text that
/// claims one gets a note that nothing was changed.
pub fn final_text(model_text: &str, cards: &[Card]) -> String {
    let model_text = model_text.trim();
    if cards.is_empty() {
        if claims_a_write(model_text) {
            return format!("{model_text}\n\n(Nothing was changed in this turn.)");
        }
        return model_text.to_string();
    }
    let mut out = String::new();
    let mut kcal = rust_decimal::Decimal::ZERO;
    let mut food_cards = 0;
    for card in cards {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&card.title);
        out.push(':');
        for line in &card.lines {
            out.push_str("\n- ");
            out.push_str(line);
        }
        if matches!(card.tool.as_str(), "log_food" | "quick_add") {
            food_cards += 1;
            if let Some(c) = card.written["nutrients"]["calories"]
                .as_f64()
                .and_then(|c| rust_decimal::Decimal::try_from(c).ok())
            {
                kcal += c;
            }
        }
    }
    if food_cards > 1 {
        out.push_str(&format!("\nTotal: {} kcal", kcal.round_dp(0)));
    }
    if !model_text.is_empty() && !claims_a_write(model_text) {
        out.push_str("\n\n");
        out.push_str(model_text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uuid::Uuid;

    fn card(title: &str, line: &str, kcal: f64) -> Card {
        Card {
            action_id: Some(Uuid::nil()),
            tool: "log_food".into(),
            title: title.into(),
            lines: vec![line.into()],
            user_id: Uuid::nil(),
            written: json!({"nutrients": {"calories": kcal}}),
        }
    }

    #[test]
    fn the_confirmation_comes_from_the_cards_not_the_model() {
        let cards = [
            card("Logged to breakfast", "Egg: 143 kcal", 143.0),
            card("Logged to breakfast", "Toast: 80 kcal", 80.0),
        ];
        let t = final_text("I logged 3 eggs and a pizza!", &cards);
        assert!(
            t.contains("Egg: 143 kcal") && t.contains("Toast: 80 kcal"),
            "{t}"
        );
        assert!(t.contains("Total: 223 kcal"), "{t}");
        assert!(
            !t.contains("pizza"),
            "a claim of the model's own is not repeated: {t}"
        );
        let t = final_text("Enjoy your breakfast.", &cards);
        assert!(t.ends_with("Enjoy your breakfast."), "{t}");
        let t = final_text("Done, I logged it.", &[]);
        assert!(t.contains("Nothing was changed"), "{t}");
        assert_eq!(
            final_text("You ate 1200 kcal today.", &[]),
            "You ate 1200 kcal today."
        );
    }
}
