//! What a turn takes: the user's message and photos, from `POST /api/v1/chat` or a caller.

use sparky_ai::ImageData;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::AppResult;

/// One thing the user says.
#[derive(Debug, Clone, Default)]
pub struct TurnInput {
    /// Continue this conversation (default: start one).
    pub conversation_id: Option<Uuid>,
    pub message: String,
    pub images: Vec<ImageData>,
}

/// A photo sent with a message (resized by the client).
#[derive(Debug, Clone, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageInput {
    /// image/jpeg, image/png, image/webp or image/gif.
    #[schema(max_length = 50)]
    pub media_type: String,
    /// Standard base64 of the image bytes (the request body limit, 1 MiB by default, bounds it).
    #[schema(max_length = 1048576)]
    pub data: String,
}

/// Say something to the assistant.
#[derive(Debug, Clone, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatInput {
    /// Continue this conversation (default: start a new one).
    pub conversation_id: Option<Uuid>,
    /// What you say; a quick reply may be the option's number ("1") or its text.
    #[schema(max_length = 8000)]
    pub message: String,
    /// At most 4 photos.
    #[serde(default)]
    #[schema(max_items = 4)]
    pub images: Vec<ImageInput>,
}

impl ChatInput {
    pub fn parse(self) -> AppResult<TurnInput> {
        let mut v = crate::Validation::new();
        for (i, img) in self.images.iter().enumerate() {
            v.check(
                matches!(
                    img.media_type.as_str(),
                    "image/jpeg" | "image/png" | "image/webp" | "image/gif"
                ),
                &format!("images[{i}].media_type"),
                "must be image/jpeg, image/png, image/webp or image/gif",
            );
            use base64::Engine;
            v.check(
                base64::engine::general_purpose::STANDARD
                    .decode(img.data.trim())
                    .is_ok(),
                &format!("images[{i}].data"),
                "must be standard base64",
            );
        }
        v.finish()?;
        Ok(TurnInput {
            conversation_id: self.conversation_id,
            message: self.message,
            images: self
                .images
                .into_iter()
                .map(|i| ImageData {
                    media_type: i.media_type,
                    data: i.data.trim().to_string(),
                })
                .collect(),
        })
    }
}
