//! Measurement types: the built-in catalog (weight, body fat, girths, height, heart rate,
//! steps, water) and users' custom types. A type measures one [`Dimension`]; its values are
//! stored in the dimension's canonical unit and shown in the owner's unit system. Custom types
//! are their owner's to create; RLS lets `checkin` and `reports` grantees read them.

use serde::{Deserialize, Serialize};
use sparky_core::measure::{self, Dimension, MeasureUnit};
use sparky_core::UnitsSystem;
use sparky_db::UserTx;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::acting::{Acting, Area, OWNER};
use crate::error::{AppError, AppResult, Validation};

/// Custom types one user may have (the built-in ones come on top), so a user's type list and
/// "latest of each type" stay bounded.
pub const MAX_CUSTOM_TYPES: i64 = 200;

/// Longest type name.
pub const MAX_NAME_LEN: usize = 50;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeasurementType {
    pub id: Uuid,
    /// snake_case, e.g. `weight`, `body_fat`, `bicep_left`.
    pub name: String,
    /// The canonical unit values are stored in: kg, cm, %, count, ml or bpm.
    pub unit: String,
    pub dimension: Dimension,
    /// The unit values are shown in for this user (their unit system).
    pub display_unit: String,
    /// Units a value may be entered in.
    pub accepted_units: Vec<String>,
    /// Owner of a custom type; null for a built-in one.
    pub user_id: Option<Uuid>,
    pub built_in: bool,
}

/// A custom measurement type of your own.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasurementTypeInput {
    /// snake_case: a letter, then letters, digits or `_`; at most 50. Stored in lower case.
    #[schema(min_length = 1, max_length = 50)]
    pub name: String,
    /// May be left out when `unit` is given.
    pub dimension: Option<Dimension>,
    /// Any unit of the dimension (e.g. `in` for a length); values are stored in the
    /// dimension's canonical unit whatever is given here.
    #[schema(max_length = 20)]
    pub unit: Option<String>,
}

/// A validated [`MeasurementTypeInput`].
#[derive(Debug, Clone)]
pub struct NewMeasurementType {
    pub name: String,
    pub dimension: Dimension,
}

/// A type name as stored: trimmed and in lower case (names are snake_case, so any letter case
/// a person types names the same type).
pub fn type_name(raw: &str) -> String {
    raw.trim().to_lowercase()
}

pub(crate) fn valid_type_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && name.len() <= MAX_NAME_LEN
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// Reads a unit as typed ("KG", "inches", "fl oz") for `field`.
pub(crate) fn parse_unit(field: &str, unit: &str) -> AppResult<MeasureUnit> {
    MeasureUnit::parse(unit).map_err(|e| AppError::invalid(field, e.to_string()))
}

/// Reads a unit for a reading of the type `kind`: the types phones push (counts stored already
/// converted) also take the unit they are shown in, so `sleep_hours` takes the `h` it shows.
pub(crate) fn parse_unit_for(kind: &str, field: &str, unit: &str) -> AppResult<MeasureUnit> {
    let shown = sparky_core::health::shown_unit(kind, MeasureUnit::Count.as_str());
    if shown == MeasureUnit::Count.as_str() {
        return parse_unit(field, unit);
    }
    if unit.trim().eq_ignore_ascii_case(shown) || unit.trim().eq_ignore_ascii_case("count") {
        return Ok(MeasureUnit::Count);
    }
    Err(AppError::invalid(
        field,
        format!("{kind} is in {shown}: send the value in {shown}"),
    ))
}

impl MeasurementTypeInput {
    pub fn parse(self) -> AppResult<NewMeasurementType> {
        let mut v = Validation::new();
        let name = type_name(&self.name);
        v.check(
            valid_type_name(&name),
            "name",
            "must be snake_case: a letter, then letters, digits or _ (at most 50)",
        );
        let unit = self
            .unit
            .as_deref()
            .and_then(|u| v.take(parse_unit("unit", u)));
        let dimension = match (self.dimension, unit) {
            (Some(d), Some(u)) if u.dimension() != d => {
                let problem = measure::to_canonical(rust_decimal::Decimal::ONE, u, d)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                v.add("unit", problem);
                None
            }
            (Some(d), _) => Some(d),
            (None, Some(u)) => Some(u.dimension()),
            (None, None) if self.unit.is_none() => {
                v.add(
                    "dimension",
                    "give a dimension (mass, length, percent, count, volume, rate) or a unit",
                );
                None
            }
            (None, None) => None,
        };
        v.finish()?;
        Ok(NewMeasurementType {
            name,
            dimension: dimension.ok_or_else(|| AppError::internal("dimension checked above"))?,
        })
    }
}

fn type_from_row(r: &tokio_postgres::Row, system: UnitsSystem) -> MeasurementType {
    let stored: String = r.get("dimension");
    // The table's CHECK allows only the six dimensions.
    let dimension = Dimension::parse(&stored).unwrap_or(Dimension::Count);
    let user_id: Option<Uuid> = r.get("user_id");
    let name: String = r.get("name");
    let display_unit =
        sparky_core::health::shown_unit(&name, dimension.display_unit(system).as_str()).to_string();
    // A phone type also takes the unit it is shown in (parse_unit_for).
    let accepted_units = std::iter::once(display_unit.as_str())
        .filter(|shown| MeasureUnit::parse(shown).is_err())
        .chain(dimension.units().iter().map(|u| u.as_str()))
        .map(str::to_string)
        .collect();
    MeasurementType {
        id: r.get("id"),
        name,
        unit: r.get("unit"),
        display_unit,
        accepted_units,
        dimension,
        built_in: user_id.is_none(),
        user_id,
    }
}

/// The owner's unit system (their preference, read through RLS: any family grant shows it).
pub(crate) async fn units_system(tx: &mut UserTx, acting: Acting) -> AppResult<UnitsSystem> {
    let row = tx.query_opt(&units_system_sql(), &[&acting.owner]).await?;
    Ok(units_system_from(row.as_ref()))
}

/// The units system of the owner in `$1` (the caller when NULL).
pub(crate) fn units_system_sql() -> String {
    format!("SELECT units_system FROM user_preferences WHERE user_id = {OWNER} LIMIT 1")
}

/// [`units_system_sql`]'s answer: metric without preferences.
pub(crate) fn units_system_from(row: Option<&tokio_postgres::Row>) -> UnitsSystem {
    UnitsSystem::from_preference(row.and_then(|r| r.get::<_, Option<String>>(0)).as_deref())
}

/// The dimension of a type known for the owner (built-in, or the owner's custom type).
pub(crate) async fn dimension_of(
    tx: &mut UserTx,
    acting: Acting,
    name: &str,
) -> AppResult<Option<Dimension>> {
    let row = tx
        .query_opt(&dimension_sql(), &[&acting.owner, &name])
        .await?;
    Ok(dimension_from(row.as_ref()))
}

/// The dimension of the type named `$2` for the owner in `$1`.
pub(crate) fn dimension_sql() -> String {
    format!(
        "SELECT dimension FROM measurement_types
         WHERE name = $2 AND (user_id IS NULL OR user_id = {OWNER})
         ORDER BY user_id NULLS FIRST LIMIT 1"
    )
}

pub(crate) fn dimension_from(row: Option<&tokio_postgres::Row>) -> Option<Dimension> {
    row.and_then(|r| Dimension::parse(r.get::<_, &str>(0)).ok())
}

/// The dimension of `name` for the owner, or a 422 naming `type` (a 404 first when the owner's
/// measurements are not shared with the caller at all).
pub(crate) async fn require_type(
    tx: &mut UserTx,
    acting: Acting,
    name: &str,
) -> AppResult<Dimension> {
    if let Some(d) = dimension_of(tx, acting, name).await? {
        return Ok(d);
    }
    Err(unknown_type(tx, acting, name).await)
}

/// The refusal of a type the owner does not have: a 422 naming `type`, or a 404 when the
/// owner's measurements are not shared with the caller at all.
pub(crate) async fn unknown_type(tx: &mut UserTx, acting: Acting, name: &str) -> AppError {
    if let Err(e) = acting.ensure_visible(tx, Area::Measurements).await {
        return e;
    }
    // The names to choose from, so any caller (a model over MCP has no GET) can pick one.
    let names: Vec<String> = match tx
        .query(
            &format!(
                "SELECT DISTINCT name FROM measurement_types
                 WHERE user_id IS NULL OR user_id = {OWNER} ORDER BY name LIMIT 60"
            ),
            &[&acting.owner],
        )
        .await
    {
        Ok(rows) => rows.iter().map(|r| r.get(0)).collect(),
        Err(e) => return e.into(),
    };
    AppError::invalid(
        "type",
        format!(
            "unknown measurement type {:?}; the types are: {} (GET /api/v1/measurement-types \
             lists them with their units)",
            name.chars().take(50).collect::<String>(),
            names.join(", ")
        ),
    )
}

/// The built-in types, then the owner's custom ones, by name. Without a grant for someone
/// else's custom types, only the built-in ones.
pub async fn list(tx: &mut UserTx, acting: Acting) -> AppResult<Vec<MeasurementType>> {
    // The built-in types are always there, so whether the person shares anything with the
    // caller is asked: 404 for a stranger, as other reads (any grant shows the list, with
    // their own types when it covers measurements).
    if acting.owner.is_some() {
        acting.ensure_visible(tx, Area::Profile).await?;
    }
    let system = units_system(tx, acting).await?;
    let rows = tx
        .query(
            &format!(
                "SELECT id, user_id, name, unit, dimension FROM measurement_types
                 WHERE user_id IS NULL OR user_id = {OWNER}
                 ORDER BY user_id NULLS FIRST, name
                 LIMIT $2"
            ),
            &[&acting.owner, &(MAX_CUSTOM_TYPES + 100)],
        )
        .await?;
    Ok(rows.iter().map(|r| type_from_row(r, system)).collect())
}

/// Creates a custom type of your own: 409 when a built-in type or one of yours has the name,
/// 422 beyond [`MAX_CUSTOM_TYPES`].
pub async fn create(tx: &mut UserTx, new: &NewMeasurementType) -> AppResult<MeasurementType> {
    let clash = tx
        .query_opt(
            "SELECT 1 FROM measurement_types
             WHERE name = $1 AND (user_id IS NULL OR user_id = auth.uid()) LIMIT 1",
            &[&new.name],
        )
        .await?;
    if clash.is_some() {
        return Err(AppError::conflict(format!(
            "a measurement type named {} already exists",
            new.name
        )));
    }
    let system = units_system(tx, Acting::ME).await?;
    let row = tx
        .query_opt(
            "INSERT INTO measurement_types (user_id, name, unit, dimension)
             SELECT auth.uid(), $1, $2, $3
             WHERE (SELECT count(*) FROM measurement_types WHERE user_id = auth.uid()) < $4
             RETURNING id, user_id, name, unit, dimension",
            &[
                &new.name,
                &new.dimension.canonical_unit().as_str(),
                &new.dimension.as_str(),
                &MAX_CUSTOM_TYPES,
            ],
        )
        .await?;
    match row {
        Some(r) => Ok(type_from_row(&r, system)),
        None => Err(AppError::invalid(
            "name",
            format!("you have {MAX_CUSTOM_TYPES} custom types, the most one user may have"),
        )),
    }
}
