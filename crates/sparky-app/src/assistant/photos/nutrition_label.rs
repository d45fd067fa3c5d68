//! Nutrition-label photos: reading one into a food proposal.

use serde_json::Value;
use sparky_ai::LenientJsonError;
use sparky_db::{Database, UserTx};

use super::input::LabelPhotoInput;
use super::model_call::ask;
use super::output::LabelProposal;
use crate::assistant::config::Assistant;
use crate::assistant::label;
use crate::error::{AppError, AppResult};

/// Reads a nutrition-label photo into a food proposal (nothing is stored but the call's usage).
pub async fn read_label(
    db: &Database,
    a: &Assistant,
    tx: UserTx,
    input: LabelPhotoInput,
) -> AppResult<LabelProposal> {
    let image = input.image.parse()?;
    let prompt = "Read the nutrition label in this photo.".to_string();
    let (answer, tx) = ask(db, a, tx, "nutrition_label", label::PROMPT, prompt, image).await?;
    tx.commit().await?;
    let value = match sparky_ai::extract_json(&answer.text) {
        Ok(v) => v,
        Err(LenientJsonError::NotFound) => Value::Null,
        Err(e @ LenientJsonError::Invalid(_)) => {
            return Err(AppError::Upstream {
                timed_out: false,
                message: format!("the model's answer could not be read: {e}"),
            })
        }
    };
    let reading = label::read(&value)?;
    Ok(LabelProposal {
        food: reading.food,
        warnings: reading.warnings,
        provider: answer.provider,
        model: answer.model,
    })
}
