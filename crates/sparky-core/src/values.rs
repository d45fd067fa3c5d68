//! Value types shared by every front door: meal types, units systems, goal types, themes, and
//! the exact [`Amount`]. Each is defined once; its text form, its serde form (case-insensitive
//! on input) and its OpenAPI schema all come from the same definition.

use std::fmt;
use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// A closed set of names, parsed case-insensitively (surrounding spaces ignored; `-` and ` `
/// read as `_`), printed in its canonical lower-case form.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every accepted name, for error messages and schemas.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Reads a name in any letter case.
            pub fn parse(s: &str) -> Result<$name, UnknownName> {
                let norm: String = s
                    .trim()
                    .chars()
                    .map(|c| if c == '-' || c == ' ' { '_' } else { c.to_ascii_lowercase() })
                    .collect();
                // A plural is the same name ("lbs", "kgs", "snacks").
                let singular = norm.strip_suffix('s').unwrap_or(&norm);
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == norm)
                    .or_else(|| $name::ALL.iter().copied().find(|v| v.as_str() == singular))
                    .ok_or_else(|| UnknownName { what: $what, given: s.trim().chars().take(40).collect(), allowed: $name::NAMES })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<$name, UnknownName> {
                $name::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "one of: {}", $name::NAMES.join(", "))
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$name, E> {
                        $name::parse(v).map_err(E::custom)
                    }
                }
                d.deserialize_str(V)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some($name::NAMES.iter().copied()))
                    .description(Some(concat!("A ", $what, " (any letter case is accepted)")))
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

/// A name that is not one of an enumeration's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} \"{given}\"; use one of: {}", allowed.join(", "))]
pub struct UnknownName {
    pub what: &'static str,
    pub given: String,
    pub allowed: &'static [&'static str],
}

named_enum!(
    /// Which meal of the day a diary entry belongs to.
    MealType, "meal type" {
        Breakfast => "breakfast",
        Lunch => "lunch",
        Dinner => "dinner",
        Snack => "snack",
    }
);

impl MealType {
    /// The meal a time of day falls in: from 04:00 breakfast, 11:00 lunch, 17:00 dinner, and
    /// from 22:00 snacks (for apps without meals, and a form opened without one).
    pub fn at(time: chrono::NaiveTime) -> MealType {
        use chrono::Timelike;
        match time.hour() {
            4..=10 => MealType::Breakfast,
            11..=16 => MealType::Lunch,
            17..=21 => MealType::Dinner,
            _ => MealType::Snack,
        }
    }
}

named_enum!(
    /// The user's preference (`user_preferences.units_system`): how weights, lengths and
    /// volumes are shown.
    UnitsSystem, "units system" {
        Metric => "metric",
        Imperial => "imperial",
    }
);

named_enum!(
    /// A day of the week, e.g. the day a person's week starts on.
    Weekday, "day of the week" {
        Monday => "monday",
        Tuesday => "tuesday",
        Wednesday => "wednesday",
        Thursday => "thursday",
        Friday => "friday",
        Saturday => "saturday",
        Sunday => "sunday",
    }
);

impl Weekday {
    pub fn to_chrono(self) -> chrono::Weekday {
        match self {
            Weekday::Monday => chrono::Weekday::Mon,
            Weekday::Tuesday => chrono::Weekday::Tue,
            Weekday::Wednesday => chrono::Weekday::Wed,
            Weekday::Thursday => chrono::Weekday::Thu,
            Weekday::Friday => chrono::Weekday::Fri,
            Weekday::Saturday => chrono::Weekday::Sat,
            Weekday::Sunday => chrono::Weekday::Sun,
        }
    }
}

named_enum!(
    /// The colour theme of the web app.
    Theme, "theme" {
        Light => "light",
        Dark => "dark",
        System => "system",
    }
);

named_enum!(
    /// What a goal is about. One active goal per type.
    GoalType, "goal type" {
        WeightLoss => "weight_loss",
        MuscleGain => "muscle_gain",
        WeightTarget => "weight_target",
        CalorieTarget => "calorie_target",
        ProteinTarget => "protein_target",
        CarbsTarget => "carbs_target",
        FatTarget => "fat_target",
        WaterTarget => "water_target",
    }
);

named_enum!(
    /// Where a goal stands.
    GoalStatus, "goal status" {
        Active => "active",
        Completed => "completed",
        Paused => "paused",
    }
);

named_enum!(
    /// What a family member may do with the grantor's data (see the README's table).
    AccessType, "access type" {
        Calorie => "calorie",
        Checkin => "checkin",
        Reports => "reports",
        FoodList => "food_list",
    }
);

named_enum!(
    /// The kind of an exercise (the catalog and custom exercises use the same four).
    ExerciseCategory, "exercise category" {
        Strength => "strength",
        Cardio => "cardio",
        Flexibility => "flexibility",
        Sports => "sports",
    }
);

named_enum!(
    /// The unit a set's weight is given or shown in (stored in kg).
    WeightUnit, "weight unit" {
        Kg => "kg",
        Lb => "lb",
    }
);

named_enum!(
    /// The unit a workout's distance is given or shown in (stored in km).
    DistanceUnit, "distance unit" {
        Km => "km",
        Mi => "mi",
    }
);

impl UnitsSystem {
    /// The stored preference; anything unknown or missing reads as metric.
    pub fn from_preference(s: Option<&str>) -> UnitsSystem {
        s.and_then(|s| UnitsSystem::parse(s).ok())
            .unwrap_or(UnitsSystem::Metric)
    }

    pub fn is_imperial(self) -> bool {
        self == UnitsSystem::Imperial
    }
}

impl GoalType {
    pub fn is_weight(self) -> bool {
        matches!(
            self,
            GoalType::WeightLoss | GoalType::MuscleGain | GoalType::WeightTarget
        )
    }

    /// The unit values are stored in.
    pub fn canonical_unit(self) -> &'static str {
        match self {
            GoalType::WeightLoss | GoalType::MuscleGain | GoalType::WeightTarget => "kg",
            GoalType::CalorieTarget => "kcal",
            GoalType::ProteinTarget | GoalType::CarbsTarget | GoalType::FatTarget => "g",
            GoalType::WaterTarget => "ml",
        }
    }

    /// The largest sensible target, in the canonical unit.
    pub fn max_target(self) -> Decimal {
        match self {
            GoalType::WeightLoss | GoalType::MuscleGain | GoalType::WeightTarget => {
                Decimal::from(700)
            }
            GoalType::CalorieTarget => Decimal::from(20000),
            GoalType::ProteinTarget | GoalType::CarbsTarget | GoalType::FatTarget => {
                Decimal::from(2000)
            }
            GoalType::WaterTarget => Decimal::from(20000),
        }
    }
}

/// An exact decimal amount (a nutrient value, a quantity, a weight). Stored as NUMERIC and
/// printed as a JSON number: the one place where an exact value becomes a printed number
/// (its shortest round-trip `f64` form, which for Sparky's at most 8 decimal places is the
/// decimal itself) and where a JSON number becomes an exact value again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(pub Decimal);

impl Amount {
    pub const ZERO: Amount = Amount(Decimal::ZERO);

    /// The number a JSON reader sees.
    pub fn to_f64(self) -> f64 {
        self.0.normalize().to_f64().unwrap_or(0.0)
    }

    /// A JSON number (as an `f64`) as the exact decimal it was written as: the shortest
    /// decimal that reads back as the same `f64`. None for NaN, infinities and values beyond
    /// `Decimal`'s range.
    pub fn from_f64(v: f64) -> Option<Amount> {
        if !v.is_finite() {
            return None;
        }
        Decimal::from_str(&v.to_string())
            .or_else(|_| Decimal::from_scientific(&format!("{v:e}")))
            .ok()
            .map(Amount)
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }
}

impl From<Decimal> for Amount {
    fn from(d: Decimal) -> Amount {
        Amount(d)
    }
}

impl From<Amount> for Decimal {
    fn from(a: Amount) -> Decimal {
        a.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.to_f64())
    }
}

impl<'de> serde::Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Amount, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Amount, E> {
                Amount::from_f64(v).ok_or_else(|| E::custom("must be a finite number in range"))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Amount, E> {
                Ok(Amount(Decimal::from(v)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Amount, E> {
                Ok(Amount(Decimal::from(v)))
            }
            /// Numbers stored as text (older snapshots, CSV) are read exactly.
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Amount, E> {
                Decimal::from_str(v.trim())
                    .or_else(|_| Decimal::from_scientific(v.trim()))
                    .map(Amount)
                    .map_err(|_| E::custom("must be a number"))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'a> postgres_types::FromSql<'a> for Amount {
    fn from_sql(
        ty: &postgres_types::Type,
        raw: &'a [u8],
    ) -> Result<Amount, Box<dyn std::error::Error + Sync + Send>> {
        Decimal::from_sql(ty, raw).map(Amount)
    }
    fn accepts(ty: &postgres_types::Type) -> bool {
        <Decimal as postgres_types::FromSql>::accepts(ty)
    }
}

impl postgres_types::ToSql for Amount {
    fn to_sql(
        &self,
        ty: &postgres_types::Type,
        out: &mut postgres_types::private::BytesMut,
    ) -> Result<postgres_types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        self.0.to_sql(ty, out)
    }
    fn accepts(ty: &postgres_types::Type) -> bool {
        <Decimal as postgres_types::ToSql>::accepts(ty)
    }
    postgres_types::to_sql_checked!();
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Amount {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Double,
            )))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Amount {}

/// The earliest and latest calendar dates Sparky accepts anywhere (a weight dated 9999-12-31
/// would otherwise become "the latest weight" for ever).
pub fn min_date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date")
}

pub fn max_date() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2199, 12, 31).expect("valid date")
}

/// Why a date or time was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("must be a date like 2026-11-25")]
    Format,
    #[error("must be a date and time like 2026-11-25T08:30:00Z (RFC 3339)")]
    TimeFormat,
    #[error("must be between 1900-01-01 and 2199-12-31")]
    OutOfRange,
    #[error("must be dated 1899-12-31 to 2200-01-01 (UTC), the times whose day somewhere is 1900-01-01 to 2199-12-31")]
    TimeOutOfRange,
}

/// A calendar date (`YYYY-MM-DD`) between 1900-01-01 and 2199-12-31.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub chrono::NaiveDate);

impl Date {
    pub fn new(d: chrono::NaiveDate) -> Result<Date, DateError> {
        if d < min_date() || d > max_date() {
            Err(DateError::OutOfRange)
        } else {
            Ok(Date(d))
        }
    }

    /// Exactly `YYYY-MM-DD`, as the OpenAPI document's `format: date` says: chrono alone also
    /// takes `2026-1-5`, `+2026-01-05` and surrounding spaces.
    pub fn parse(s: &str) -> Result<Date, DateError> {
        let b = s.as_bytes();
        let shape_ok = b.len() == 10
            && b.iter().enumerate().all(|(i, c)| match i {
                4 | 7 => *c == b'-',
                _ => c.is_ascii_digit(),
            });
        if !shape_ok {
            return Err(DateError::Format);
        }
        let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| DateError::Format)?;
        Date::new(d)
    }

    pub fn get(self) -> chrono::NaiveDate {
        self.0
    }
}

impl std::ops::Deref for Date {
    type Target = chrono::NaiveDate;
    fn deref(&self) -> &chrono::NaiveDate {
        &self.0
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        Date::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl postgres_types::ToSql for Date {
    fn to_sql(
        &self,
        ty: &postgres_types::Type,
        out: &mut postgres_types::private::BytesMut,
    ) -> Result<postgres_types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        self.0.to_sql(ty, out)
    }
    fn accepts(ty: &postgres_types::Type) -> bool {
        <chrono::NaiveDate as postgres_types::ToSql>::accepts(ty)
    }
    postgres_types::to_sql_checked!();
}

/// A moment (RFC 3339, e.g. `2026-11-25T08:30:00Z`) that is a day in [`Date`]'s range in some
/// timezone: UTC days from one before the first to one after the last. A time that dates an
/// entry must also fall in the range in the diary's own timezone; the writes check that
/// (`sparky_app::days`), so noon on 2199-12-31, the default time of an entry dated that day,
/// can be sent back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub chrono::DateTime<chrono::Utc>);

impl Timestamp {
    pub fn new(t: chrono::DateTime<chrono::Utc>) -> Result<Timestamp, DateError> {
        let d = t.date_naive();
        if d < min_date() - chrono::Days::new(1) || d > max_date() + chrono::Days::new(1) {
            Err(DateError::TimeOutOfRange)
        } else {
            Ok(Timestamp(t))
        }
    }

    pub fn get(self) -> chrono::DateTime<chrono::Utc> {
        self.0
    }

    /// Whether the time's day is in [`Date`]'s range in every timezone (UTC offsets are
    /// within 14 hours): only times within a day of either end need the owner's timezone.
    pub fn day_in_range_everywhere(t: chrono::DateTime<chrono::Utc>) -> bool {
        let d = t.date_naive();
        d > min_date() && d < max_date()
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = String::deserialize(d)?;
        let t = chrono::DateTime::parse_from_rfc3339(s.trim())
            .map_err(|_| serde::de::Error::custom(DateError::TimeFormat))?;
        Timestamp::new(t.with_timezone(&chrono::Utc)).map_err(serde::de::Error::custom)
    }
}

impl postgres_types::ToSql for Timestamp {
    fn to_sql(
        &self,
        ty: &postgres_types::Type,
        out: &mut postgres_types::private::BytesMut,
    ) -> Result<postgres_types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        self.0.to_sql(ty, out)
    }
    fn accepts(ty: &postgres_types::Type) -> bool {
        <chrono::DateTime<chrono::Utc> as postgres_types::ToSql>::accepts(ty)
    }
    postgres_types::to_sql_checked!();
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Date {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Date,
            )))
            .description(Some("A calendar date, 1900-01-01 to 2199-12-31"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Date {}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .description(Some(
                "RFC 3339 date and time, dated 1899-12-31 to 2200-01-01 (UTC); a time that \
                 dates an entry must be on 1900-01-01 to 2199-12-31 in the diary's timezone",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Timestamp {}

/// Serde for `Option<Decimal>` fields that are printed like [`Amount`].
pub mod amount_opt {
    use super::Amount;
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        v.map(Amount).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        Ok(Option::<Amount>::deserialize(d)?.map(|a| a.0))
    }
}

/// Serde for `Decimal` fields that are printed like [`Amount`].
pub mod amount {
    use super::Amount;
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        Amount(*v).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        Ok(Amount::deserialize(d)?.0)
    }
}

#[cfg(test)]
mod tests;
