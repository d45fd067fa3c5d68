//! Asking before a write that cannot be undone: deleting a recipe, a meal plan, a workout, one's
//! own exercise, a check-in entry, a weight goal or a custom nutrient, revoking an API key or a
//! family grant, leaving a grant one was given (diary entries have Undo instead). The page's
//! script asks with the browser's own dialog (the form's `data-confirm` text) and sends
//! `confirm=yes`; a form sent without it (no script ran, a script of the user's own) gets a
//! page asking the same, whose button sends the form again with `confirm=yes`, and nothing is
//! changed until then.

use askama::Template;
use axum::response::Response;
use serde::Deserialize;

use super::{html, Page, PageError, Shell};

/// The form of a destructive button: only `confirm=yes` (besides the CSRF token) counts.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    confirm: Option<String>,
}

impl ConfirmForm {
    pub fn confirmed(&self) -> bool {
        self.confirm.as_deref() == Some("yes")
    }
}

/// What is about to be lost, by its messages: `confirm.<kind>` asks, `confirm.<kind>.why`
/// says what goes with it, `confirm.<kind>.do` is the button.
#[derive(Clone, Copy)]
pub enum Loss {
    Recipe,
    Food,
    Plan,
    Workout,
    Exercise,
    CheckinEntry,
    WeightGoal,
    ApiKey,
    FamilyGrant,
    ReceivedGrant,
    Account,
    CustomNutrient,
}

impl Loss {
    fn key(self) -> &'static str {
        match self {
            Loss::Recipe => "recipe",
            Loss::Food => "food",
            Loss::Plan => "plan",
            Loss::Workout => "workout",
            Loss::Exercise => "exercise",
            Loss::CheckinEntry => "checkin",
            Loss::WeightGoal => "goal",
            Loss::ApiKey => "key",
            Loss::FamilyGrant => "grant",
            Loss::ReceivedGrant => "leave",
            Loss::Account => "account",
            Loss::CustomNutrient => "nutrient",
        }
    }

    fn nav(self) -> &'static str {
        match self {
            Loss::Recipe
            | Loss::Food
            | Loss::Plan
            | Loss::ApiKey
            | Loss::FamilyGrant
            | Loss::ReceivedGrant
            | Loss::Account
            | Loss::CustomNutrient => "more",
            Loss::Workout | Loss::Exercise => "exercise",
            Loss::CheckinEntry => "checkin",
            Loss::WeightGoal => "goals",
        }
    }
}

#[derive(Template)]
#[template(path = "pages/confirm.html")]
struct ConfirmPage {
    shell: Shell,
    question: String,
    why: &'static str,
    button: &'static str,
    /// Where the form goes: the path it was sent to.
    action: String,
    /// Where Cancel leads: the page the button was on.
    back: String,
}

/// The page asking whether to go on with `loss` of `what` (its name, read by the caller, which
/// also makes an unknown or invisible id the 404 it would be), sent again to `action`; Cancel
/// goes `back`.
pub async fn ask(
    mut page: Page,
    loss: Loss,
    what: &str,
    action: String,
    back: String,
) -> Result<Response, PageError> {
    let t = page.t;
    let question = t.fill(&format!("confirm.{}", loss.key()), &[("what", what)]);
    let shell = page.shell(&question, loss.nav()).await?;
    Ok(html(&ConfirmPage {
        shell,
        question,
        why: t.get(&format!("confirm.{}.why", loss.key())),
        button: t.get(&format!("confirm.{}.do", loss.key())),
        action,
        back,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Messages;

    #[test]
    fn every_loss_has_its_question_reason_and_button() {
        let t = Messages::default();
        for loss in [
            Loss::Recipe,
            Loss::Plan,
            Loss::Workout,
            Loss::CheckinEntry,
            Loss::WeightGoal,
            Loss::ApiKey,
            Loss::FamilyGrant,
            Loss::ReceivedGrant,
            Loss::Account,
            Loss::CustomNutrient,
        ] {
            for suffix in ["", ".why", ".do"] {
                let key = format!("confirm.{}{suffix}", loss.key());
                assert!(t.has(&key), "{key} is missing from the catalog");
            }
        }
    }
}
