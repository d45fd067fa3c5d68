//! The text shown at the end of a turn: the server's confirmation built from the cards.

use crate::assistant::actions::Card;

const CLAIMS: &[&str] = &[
    "logged", "added", "recorded", "saved", "updated", "deleted", "removed", "undone", "undid",
    "tracked",
];

/// Words that make a sentence say what was not done ("so it was NOT logged").
/// (A curly apostrophe splits "couldn’t" into "couldn" and "t".)
const NEGATIONS: &[&str] = &[
    "not", "never", "nothing", "no", "unable", "failed", "cannot", "couldn", "didn", "wasn",
    "weren", "won", "isn", "aren", "doesn", "hasn", "haven", "wouldn",
];

/// Whether a sentence of the model's says it wrote something: a claim word, not asked, not
/// negated, not about what the user did ("You logged 1,250 kcal today").
fn claims_a_write(sentence: &str) -> bool {
    let lower = sentence.trim().to_lowercase();
    if lower.ends_with('?') || lower.starts_with("you ") {
        return false;
    }
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    let claims = words.iter().any(|w| CLAIMS.contains(&w.trim_matches('\'')));
    let negated = words
        .iter()
        .any(|w| NEGATIONS.contains(w) || w.ends_with("n't"));
    claims && !negated
}

/// The sentences of a text, each with its closing punctuation and following space.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let ends = match c {
            '\n' => true,
            '.' | '!' | '?' => chars.peek().is_none_or(|(_, next)| next.is_whitespace()),
            _ => false,
        };
        if ends {
            let end = i + c.len_utf8();
            out.push(&text[start..end]);
            start = end;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// The model's words without the sentences that claim a write (the cards say what was
/// written); what it says was not done, and its questions, stay.
fn without_claims(text: &str) -> String {
    sentences(text)
        .into_iter()
        .filter(|s| !claims_a_write(s))
        .collect::<String>()
        .trim()
        .to_string()
}

/// The text shown at the end of a turn. After writes: the confirmation from the cards (and the
/// model's words only when they claim no write of their own). Without writes, a model text that
/// claims one gets a note that nothing was changed.
pub fn final_text(model_text: &str, cards: &[Card]) -> String {
    let model_text = model_text.trim();
    if cards.is_empty() {
        if sentences(model_text).into_iter().any(claims_a_write) {
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
    let kept = without_claims(model_text);
    if !kept.is_empty() {
        out.push_str("\n\n");
        out.push_str(&kept);
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
            proposal_id: None,
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
        assert_eq!(
            final_text("You logged 1,250 kcal today.", &[]),
            "You logged 1,250 kcal today."
        );
    }

    #[test]
    fn what_the_model_says_was_not_done_and_its_questions_are_kept() {
        let cards = [card("Logged to breakfast", "Egg: 143 kcal", 143.0)];
        let t = final_text(
            "I logged the eggs. I could not find the toast you mentioned, so it was NOT logged. Tell me which bread it was and I will add it.",
            &cards,
        );
        assert!(!t.contains("I logged the eggs"), "{t}");
        assert!(t.contains("so it was NOT logged."), "{t}");
        assert!(t.ends_with("I will add it."), "{t}");
        let t = final_text(
            "Toast is not in the catalog. Which bread was it? Nothing else was added.",
            &cards,
        );
        assert!(
            t.ends_with("Toast is not in the catalog. Which bread was it? Nothing else was added."),
            "{t}"
        );
        let t = final_text("Should I have added the jam?", &cards);
        assert!(t.ends_with("Should I have added the jam?"), "{t}");
        let t = final_text("The toast wasn't logged.", &[]);
        assert_eq!(t, "The toast wasn't logged.");
        let t = final_text("The toast couldn’t be logged.", &cards);
        assert!(t.ends_with("The toast couldn’t be logged."), "{t}");
    }
}
