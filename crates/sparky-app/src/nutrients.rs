//! Nutrient columns in SQL: the one mapping between the 15 NUMERIC columns every nutrient
//! table has and [`Nutrients`], plus validation of nutrients people type in.

use rust_decimal::Decimal;
use sparky_core::nutrition::Nutrients;

use crate::error::{AppError, AppResult};

/// Rounds typed-in nutrients to the stored precision and checks them (no negatives, nothing
/// absurd); `prefix` names the field in errors, e.g. `servings[0].nutrients`.
pub fn parse_nutrients(mut n: Nutrients, prefix: &str) -> AppResult<Nutrients> {
    for name in Nutrients::NAMES {
        let v = n.get(name).map(|d| sparky_core::units::round_dp(d, 4));
        n.set(name, v);
    }
    n.validate()
        .map_err(|(name, problem)| AppError::invalid(&format!("{prefix}.{name}"), problem))?;
    // Parts cannot outweigh their whole: sugars are carbohydrates, saturated and trans fat are
    // fat (half a gram of rounding allowed). A label typed into the wrong field says so.
    let slack = Decimal::new(5, 1);
    if let (Some(sugar), Some(carbs)) = (n.sugar, n.carbohydrates) {
        if sugar > carbs + slack {
            return Err(AppError::invalid(
                &format!("{prefix}.sugar"),
                "is more than the carbohydrates it is part of",
            ));
        }
    }
    let fats = n.saturated_fat.unwrap_or_default() + n.trans_fat.unwrap_or_default();
    if let Some(fat) = n.fat {
        if fats > fat + slack {
            return Err(AppError::invalid(
                &format!("{prefix}.saturated_fat"),
                "saturated and trans fat are more than the fat they are part of",
            ));
        }
    }
    Ok(n)
}

/// The values of `n` in `Nutrients::NAMES` order, for statement parameters.
pub fn values(n: &Nutrients) -> Vec<Option<Decimal>> {
    Nutrients::NAMES.iter().map(|name| n.get(name)).collect()
}

/// Reads the 15 nutrient columns (named as in `Nutrients::NAMES`) of a row, with a prefix.
pub fn nutrients_from_row(row: &tokio_postgres::Row, prefix: &str) -> Nutrients {
    let mut n = Nutrients::default();
    // The columns come in NAMES order (nutrient_columns); find the first once instead of
    // formatting and looking up every name (this runs for every row of a year's summary).
    let columns = row.columns();
    let is = |i: usize, name: &str| {
        columns.get(i).is_some_and(|c| {
            c.name().len() == prefix.len() + name.len()
                && c.name().starts_with(prefix)
                && c.name().ends_with(name)
        })
    };
    let first = Nutrients::NAMES[0];
    let start = (0..columns.len()).find(|&i| is(i, first));
    for (k, name) in Nutrients::NAMES.iter().enumerate() {
        let v: Option<Decimal> = match start {
            Some(s) if is(s + k, name) => row.get(s + k),
            _ => row.get(format!("{prefix}{name}").as_str()),
        };
        n.set(name, v);
    }
    n
}

/// `a.calories, a.protein, …` for SELECT lists.
pub fn nutrient_columns(table: &str, prefix: &str) -> String {
    Nutrients::NAMES
        .iter()
        .map(|n| format!("{table}.{n} AS {prefix}{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A NUMERIC column read straight into the f64 the API prints: the exact decimal digits from
/// PostgreSQL's binary form, parsed as one correctly rounded f64 (what `f64_of` gives for the
/// same value). Skips rust_decimal's arithmetic, which dominated a year of daily summaries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumericF64(pub f64);

impl<'a> tokio_postgres::types::FromSql<'a> for NumericF64 {
    fn from_sql(
        _: &tokio_postgres::types::Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        numeric_to_f64(raw).map(NumericF64)
    }

    fn accepts(ty: &tokio_postgres::types::Type) -> bool {
        *ty == tokio_postgres::types::Type::NUMERIC
    }
}

/// PostgreSQL's binary NUMERIC: ndigits, weight, sign, dscale (i16/u16 each), then ndigits
/// base-10000 digits; the value is the sum of digit[i] × 10000^(weight − i).
fn numeric_to_f64(raw: &[u8]) -> Result<f64, Box<dyn std::error::Error + Sync + Send>> {
    let word = |i: usize| -> Result<u16, Box<dyn std::error::Error + Sync + Send>> {
        raw.get(i..i + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "truncated numeric".into())
    };
    let ndigits = word(0)? as usize;
    let weight = word(2)? as i16 as i64;
    let sign = word(4)?;
    match sign {
        0x0000 | 0x4000 => {}
        0xC000 => return Ok(f64::NAN),
        0xD000 => return Ok(f64::INFINITY),
        0xF000 => return Ok(f64::NEG_INFINITY),
        _ => return Err("invalid numeric sign".into()),
    }
    if ndigits == 0 {
        return Ok(0.0);
    }
    if ndigits > 1000 {
        return Err("numeric too long".into());
    }
    let negative = sign == 0x4000;
    // Fast path (almost every stored amount): the digits as an integer below 2^53 times a power
    // of ten up to 10^22 are both exact in f64, so one multiplication or division rounds
    // correctly, as parsing the decimal text would.
    if ndigits <= 4 {
        let mut mantissa: u64 = 0;
        for i in 0..ndigits {
            let d = word(8 + 2 * i)?;
            if d > 9999 {
                return Err("invalid numeric digit".into());
            }
            mantissa = mantissa * 10_000 + u64::from(d);
        }
        let exponent = (weight - (ndigits as i64 - 1)) * 4;
        if mantissa < (1 << 53) && (-22..=22).contains(&exponent) {
            let scale = 10f64.powi(exponent.unsigned_abs() as i32);
            let magnitude = if exponent >= 0 {
                mantissa as f64 * scale
            } else {
                mantissa as f64 / scale
            };
            // A product above 2^53 may not be exact; leave those to the parser.
            if exponent < 0 || magnitude < 9_007_199_254_740_992.0 {
                return Ok(if negative { -magnitude } else { magnitude });
            }
        }
    }
    // "<sign><all digits, 4 per base-10000 digit>e<exponent>", parsed by the standard library
    // (correctly rounded). 1000 base-10000 digits is PostgreSQL's own limit.
    let mut text = String::with_capacity(ndigits * 4 + 8);
    if negative {
        text.push('-');
    }
    for i in 0..ndigits {
        let d = word(8 + 2 * i)?;
        if d > 9999 {
            return Err("invalid numeric digit".into());
        }
        for div in [1000, 100, 10, 1] {
            text.push(char::from(b'0' + (d / div % 10) as u8));
        }
    }
    let exponent = (weight - (ndigits as i64 - 1)) * 4;
    text.push('e');
    text.push_str(&exponent.to_string());
    Ok(text.parse::<f64>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The binary form PostgreSQL sends for `d` (as rust_decimal encodes it).
    fn binary(d: Decimal) -> Vec<u8> {
        use tokio_postgres::types::{ToSql, Type};
        let mut buf = tokio_postgres::types::private::BytesMut::new();
        d.to_sql(&Type::NUMERIC, &mut buf).unwrap();
        buf.to_vec()
    }

    #[test]
    fn numeric_decodes_to_the_same_f64_as_the_decimal() {
        for s in [
            "0",
            "644.3",
            "644.3000",
            "-12.5",
            "0.0001",
            "1",
            "100",
            "10000",
            "123456789.1234",
            "0.1",
            "0.2",
            "0.3",
            "99999999.9999",
            "-0.0042",
            "3092.64",
            "1e-20",
            "1234567890123456789",
            "9007199254740993",
            "123456789012.3456",
            "0.000000000123",
            "-98765.4321",
            "1e22",
            "1.5e25",
        ] {
            let d: Decimal = s.parse().or_else(|_| Decimal::from_scientific(s)).unwrap();
            let got = numeric_to_f64(&binary(d)).unwrap();
            assert_eq!(got, sparky_core::Amount(d).to_f64(), "{s}");
            assert_eq!(
                got,
                d.to_string().parse::<f64>().unwrap(),
                "{s}: correctly rounded"
            );
        }
    }

    /// The summary's "eaten" objects are JSON text written by PostgreSQL (diary_day_totals.
    /// eaten_json, via json_number); they must print every amount exactly as the API prints
    /// a NUMERIC elsewhere (f64_of, then serde_json), byte for byte.
    #[tokio::test]
    async fn json_number_in_the_database_prints_amounts_like_the_api() {
        let db = sparky_testkit::TestDb::new().await;
        let owner = db.owner_client().await;
        for v in [
            "0",
            "0.0000",
            "0.0001",
            "0.0010",
            "1",
            "12.5",
            "12.5000",
            "100",
            "379.0000",
            "644.3",
            "1234.5678",
            "99999999.9999",
            "0.1",
            "0.2",
            "0.3",
            "3092.64",
            "1000000",
            "7.0500",
            "123456789012.3456",
        ] {
            let printed: String = owner
                .query_one("SELECT public.json_number($1::text::numeric)", &[&v])
                .await
                .unwrap()
                .get(0);
            let d: Decimal = v.parse().unwrap();
            assert_eq!(
                printed,
                serde_json::to_string(&sparky_core::Amount(d).to_f64()).unwrap(),
                "{v}"
            );
        }
    }

    #[test]
    fn numeric_special_values_and_garbage() {
        assert!(numeric_to_f64(&[0, 0, 0, 0, 0xC0, 0, 0, 0])
            .unwrap()
            .is_nan());
        assert_eq!(
            numeric_to_f64(&[0, 0, 0, 0, 0xD0, 0, 0, 0]).unwrap(),
            f64::INFINITY
        );
        assert!(numeric_to_f64(&[0, 1, 0]).is_err(), "truncated");
        assert!(
            numeric_to_f64(&[0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10]).is_err(),
            "digit 10000"
        );
        assert!(
            numeric_to_f64(&[0, 0, 0, 0, 0x12, 0x34, 0, 0]).is_err(),
            "bad sign"
        );
    }
}
