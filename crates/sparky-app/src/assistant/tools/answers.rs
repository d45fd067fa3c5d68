//! Reading the user's answer to a question the assistant asked: a yes typed or picked.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Words that say yes.
const YES: &[&str] = &[
    "yes",
    "y",
    "yeah",
    "yep",
    "yup",
    "ok",
    "okay",
    "sure",
    "correct",
    "confirm",
    "confirmed",
    "absolutely",
    "definitely",
];

/// Words a yes may come with ("yes, log it please", "sure, go ahead").
const WITH_YES: &[&str] = &[
    "log", "it", "please", "do", "go", "ahead", "that", "that's", "thats", "is", "right", "fine",
    "good", "great", "sounds", "thanks", "thank", "you", "all", "of", "course", "exactly",
    "anyway",
];

/// Whether a typed reply says yes, and nothing else: every word is a yes or goes with one
/// ("yes", "yes, log it", "ok", "sure, go ahead"). A reply that corrects or adds anything ("ok
/// no wait, I meant 20 g") is not a yes; it used to count by its first word.
pub fn says_yes(reply: &str) -> bool {
    let lower = reply.trim().to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
        .collect();
    (words.iter().any(|w| YES.contains(w)) || lower.starts_with("log it"))
        && words
            .iter()
            .all(|w| YES.contains(w) || WITH_YES.contains(w))
}

/// Whether a quick reply the user picked (by its number or text) is the yes option: the
/// model's own wording of it starts with a yes ("Yes, log 20 lb").
pub fn picks_yes(option: &str) -> bool {
    let lower = option.trim().to_lowercase();
    lower
        .split(|c: char| !c.is_alphanumeric())
        .find(|w| !w.is_empty())
        .is_some_and(|first| YES.contains(&first))
        || lower.starts_with("log it")
}

/// A question for the user with quick replies; typing the option's number or text picks it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Question {
    pub question: String,
    pub options: Vec<String>,
}

impl Question {
    /// The option a reply picks: its number ("1", "2.") or its text (any letter case).
    pub fn pick(&self, reply: &str) -> Option<&str> {
        let r = reply.trim().trim_end_matches(['.', ')']).trim();
        if let Ok(n) = r.parse::<usize>() {
            return n
                .checked_sub(1)
                .and_then(|i| self.options.get(i))
                .map(String::as_str);
        }
        self.options
            .iter()
            .find(|o| o.trim().eq_ignore_ascii_case(r))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_number_or_the_text_picks_an_option() {
        let q = Question {
            question: "Which egg?".into(),
            options: vec!["Egg, whole, boiled".into(), "Egg white".into()],
        };
        assert_eq!(q.pick("1"), Some("Egg, whole, boiled"));
        assert_eq!(q.pick(" 2. "), Some("Egg white"));
        assert_eq!(q.pick("egg WHITE"), Some("Egg white"));
        assert_eq!(q.pick("3"), None);
        assert_eq!(q.pick("0"), None);
        assert_eq!(q.pick("the big one"), None);
    }
}
