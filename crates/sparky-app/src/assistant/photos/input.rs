//! What the photo routes take: images, meal photos, label photos and confirmed meal items.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sparky_ai::ImageData;
use sparky_core::{Amount, Date, MealType};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{MAX_HINT_CHARS, MAX_IMAGE_CHARS, MAX_ITEMS, MAX_ITEM_GRAMS};
use crate::diary;
use crate::error::{AppError, AppResult, Validation};

/// The image formats vision models take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub enum ImageType {
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/webp")]
    Webp,
    #[serde(rename = "image/gif")]
    Gif,
}

impl ImageType {
    fn as_str(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
            ImageType::Webp => "image/webp",
            ImageType::Gif => "image/gif",
        }
    }

    /// Whether `bytes` start like a file of this type.
    fn matches(self, bytes: &[u8]) -> bool {
        match self {
            ImageType::Jpeg => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
            ImageType::Png => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            ImageType::Gif => bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a"),
            ImageType::Webp => {
                bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP"
            }
        }
    }
}

/// A photo, resized by the client (the route takes bodies up to 8 MiB).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhotoImage {
    pub media_type: ImageType,
    /// Standard base64 of the image file, without a `data:` prefix.
    #[schema(min_length = 1, max_length = 8388608)]
    pub data: String,
}

impl PhotoImage {
    /// Checks that the data is base64 of an image of the type named.
    pub fn parse(self) -> AppResult<ImageData> {
        use base64::Engine;
        let data = self.data.trim();
        if data.chars().count() > MAX_IMAGE_CHARS {
            return Err(AppError::invalid(
                "image.data",
                "must be at most 8 MiB of base64",
            ));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|_| AppError::invalid("image.data", "must be standard base64"))?;
        if !self.media_type.matches(&bytes) {
            return Err(AppError::invalid(
                "image.data",
                format!("is not a {} image", self.media_type.as_str()),
            ));
        }
        Ok(ImageData {
            media_type: self.media_type.as_str().to_string(),
            data: data.to_string(),
        })
    }
}

/// A meal photo to estimate.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MealPhotoInput {
    pub image: PhotoImage,
    /// What the photo does not show, e.g. "the rice was brown, about a cup".
    #[schema(max_length = 500)]
    pub hint: Option<String>,
}

/// A validated [`MealPhotoInput`].
#[derive(Debug, Clone)]
pub struct MealPhoto {
    pub image: ImageData,
    pub hint: Option<String>,
}

impl MealPhotoInput {
    pub fn parse(self) -> AppResult<MealPhoto> {
        let hint = self
            .hint
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty());
        if hint
            .as_ref()
            .is_some_and(|h| h.chars().count() > MAX_HINT_CHARS)
        {
            return Err(AppError::invalid("hint", "must be at most 500 characters"));
        }
        Ok(MealPhoto {
            image: self.image.parse()?,
            hint,
        })
    }
}

/// A nutrition-label photo to read.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelPhotoInput {
    pub image: PhotoImage,
}

/// The meal confirmed items go to. `snacks` and `snack` are the same meal (stored as `snack`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PhotoMeal {
    Breakfast,
    Lunch,
    Dinner,
    Snacks,
    Snack,
}

impl From<PhotoMeal> for MealType {
    fn from(m: PhotoMeal) -> MealType {
        match m {
            PhotoMeal::Breakfast => MealType::Breakfast,
            PhotoMeal::Lunch => MealType::Lunch,
            PhotoMeal::Dinner => MealType::Dinner,
            PhotoMeal::Snacks | PhotoMeal::Snack => MealType::Snack,
        }
    }
}

/// One confirmed item: a food and its grams.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MealLogItemInput {
    pub food_id: Uuid,
    /// Greater than 0, at most 3000.
    #[schema(value_type = f64, exclusive_minimum = 0, maximum = 3000)]
    pub grams: Amount,
}

/// Log the confirmed items of a meal photo.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MealLogInput {
    pub meal_type: PhotoMeal,
    /// The diary day (default: today in your timezone).
    pub date: Option<Date>,
    /// 1 to 20 items.
    #[schema(min_items = 1, max_items = 20)]
    pub items: Vec<MealLogItemInput>,
}

/// A validated [`MealLogInput`].
#[derive(Debug, Clone)]
pub struct MealLog {
    pub meal: MealType,
    pub date: Option<NaiveDate>,
    /// (food, grams).
    pub items: Vec<(Uuid, Decimal)>,
}

impl MealLogInput {
    pub fn parse(self) -> AppResult<MealLog> {
        let mut v = Validation::new();
        v.check(
            (1..=MAX_ITEMS).contains(&self.items.len()),
            "items",
            "give 1 to 20 items",
        );
        let mut items = Vec::new();
        for (i, item) in self.items.iter().enumerate().take(MAX_ITEMS) {
            let field = format!("items[{i}].grams");
            match diary::parse_quantity(&field, item.grams) {
                Ok(g) if g <= Decimal::from(MAX_ITEM_GRAMS) => items.push((item.food_id, g)),
                _ => v.add(&field, "must be greater than 0 and at most 3000"),
            }
        }
        v.finish()?;
        Ok(MealLog {
            meal: self.meal_type.into(),
            date: self.date.map(Date::get),
            items,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_must_be_what_they_say() {
        use base64::Engine;
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        let png = PhotoImage {
            media_type: ImageType::Png,
            data: b64(b"\x89PNG\r\n\x1a\n...."),
        };
        assert_eq!(png.parse().unwrap().media_type, "image/png");
        let lie = PhotoImage {
            media_type: ImageType::Jpeg,
            data: b64(b"\x89PNG\r\n\x1a\n...."),
        };
        assert!(lie.parse().is_err());
        let junk = PhotoImage {
            media_type: ImageType::Jpeg,
            data: "not base64!".into(),
        };
        assert!(junk.parse().is_err());
    }
}
