//! Numbers as people type them into a form field: "70,5" as well as "70.5", and amounts as
//! recipes and labels write them: "1/2", "1 1/2", "½", "1½".

use std::str::FromStr;

use rust_decimal::Decimal;

/// Typed text that is not a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be a number (like 1.5, 1,5 or 1 1/2)")]
pub struct NotANumber;

/// Decimal places kept from a fraction that does not end ("1/3" is 0.3333).
pub const FRACTION_PLACES: u32 = 4;

/// The longest text read: no number anyone types is longer, and nothing longer is looked at.
const MAX_LEN: usize = 64;

/// Unicode's vulgar fractions, as (numerator, denominator).
/// Whether a character is one of the fractions typed as one character ("½").
pub fn is_vulgar_fraction(c: char) -> bool {
    vulgar(c).is_some()
}

fn vulgar(c: char) -> Option<(u32, u32)> {
    Some(match c {
        '½' => (1, 2),
        '⅓' => (1, 3),
        '⅔' => (2, 3),
        '¼' => (1, 4),
        '¾' => (3, 4),
        '⅕' => (1, 5),
        '⅖' => (2, 5),
        '⅗' => (3, 5),
        '⅘' => (4, 5),
        '⅙' => (1, 6),
        '⅚' => (5, 6),
        '⅛' => (1, 8),
        '⅜' => (3, 8),
        '⅝' => (5, 8),
        '⅞' => (7, 8),
        _ => return None,
    })
}

/// Reads a number typed into a form: `None` when the field is empty. A decimal comma is read
/// as a point, and commas before groups of three digits as thousands ("1,800"); a fraction (`1/2`, `1 1/2`, `½`, `1½`) is kept to [`FRACTION_PLACES`] places.
/// Signs are allowed on plain decimals only (range checks belong to the field).
pub fn parse(text: &str) -> Result<Option<Decimal>, NotANumber> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.len() > MAX_LEN {
        return Err(NotANumber);
    }
    if let Some(last) = text.chars().last().filter(|c| vulgar(*c).is_some()) {
        let (n, d) = vulgar(last).ok_or(NotANumber)?;
        let whole = text[..text.len() - last.len_utf8()].trim_end();
        return mixed(whole, n, d).map(Some);
    }
    if let Some((left, denominator)) = text.split_once('/') {
        let (whole, numerator) = match left.trim_end().rsplit_once(char::is_whitespace) {
            Some((whole, numerator)) => (whole.trim_end(), numerator),
            None => ("", left.trim_end()),
        };
        let n = counting_number(numerator)?;
        let d = counting_number(denominator.trim_start())?;
        return mixed(whole, n, d).map(Some);
    }
    let decimal = if thousands_grouped(text) {
        text.replace(',', "")
    } else {
        text.replace(',', ".")
    };
    if !decimal
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '+')
    {
        return Err(NotANumber);
    }
    Decimal::from_str(&decimal)
        .map(Some)
        .map_err(|_| NotANumber)
}

/// Whether commas group thousands ("1,800", "12,500.5", "1,000,000"): a first group of one to
/// three digits not starting with 0, then groups of exactly three after each comma, and at
/// most a decimal point after them. Any other comma is a decimal comma ("1,5", "70,25",
/// "0,125"). A calorie target typed "1,800" is 1800, not 1.8.
fn thousands_grouped(text: &str) -> bool {
    let unsigned = text.trim_start_matches(['-', '+']);
    let whole = unsigned.split_once('.').map_or(unsigned, |(w, _)| w);
    let mut groups = whole.split(',');
    let first = groups.next().unwrap_or_default();
    let first_ok = (1..=3).contains(&first.len())
        && first.chars().all(|c| c.is_ascii_digit())
        && !first.starts_with('0');
    let mut rest = groups.peekable();
    first_ok
        && rest.peek().is_some()
        && rest.all(|g| g.len() == 3 && g.chars().all(|c| c.is_ascii_digit()))
}

/// `whole` (digits or nothing) plus `n`/`d`, rounded to [`FRACTION_PLACES`].
fn mixed(whole: &str, n: u32, d: u32) -> Result<Decimal, NotANumber> {
    if d == 0 {
        return Err(NotANumber);
    }
    let whole = if whole.is_empty() {
        Decimal::ZERO
    } else {
        Decimal::from(counting_number(whole)?)
    };
    let fraction = Decimal::from(n) / Decimal::from(d);
    Ok((whole + fraction).round_dp(FRACTION_PLACES).normalize())
}

/// Digits only, as a number that fits in a u32.
fn counting_number(text: &str) -> Result<u32, NotANumber> {
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
        return Err(NotANumber);
    }
    text.parse().map_err(|_| NotANumber)
}

/// An amount typed with or without its unit: "45", "45 g", "1,5 cups", "2tbsp", "1 1/2 cups",
/// "½ cup". The number is read as [`parse`]; the rest, if any, is the unit (checked against the
/// food by whoever reads it). `None` when the text is empty.
pub fn amount_with_unit(raw: &str) -> Result<Option<(Decimal, Option<String>)>, NotANumber> {
    let text = raw.trim();
    let split = text
        .char_indices()
        .find(|(_, c)| {
            !(c.is_ascii_digit()
                || matches!(c, '.' | ',' | ' ' | '\u{a0}' | '/')
                || is_vulgar_fraction(*c))
        })
        .map_or(text.len(), |(i, _)| i);
    let (number, unit) = text.split_at(split);
    let unit = unit.trim();
    match parse(number)? {
        None if unit.is_empty() => Ok(None),
        None => Err(NotANumber),
        Some(n) => Ok(Some((n, Some(unit.to_string()).filter(|u| !u.is_empty())))),
    }
}

/// Typed text that is not a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be minutes (like 30), minutes and seconds (25:40) or hours (1:05:00, 1h 30)")]
pub struct NotADuration;

/// A duration typed into a minutes field, in whole minutes (seconds rounded, half up); see
/// [`duration_seconds`].
pub fn whole_minutes(text: &str) -> Result<Option<i32>, NotADuration> {
    Ok(duration_seconds(text)?.map(crate::exercise::rounded_minutes))
}

/// A duration typed into a minutes field, in seconds: "30" (minutes), "25:40" (minutes and
/// seconds, as a stopwatch shows them), "1:05:00" (hours too), "1h 30", "1h30m", "90 min",
/// "45m". `None` when the field is empty. Signs and fractions of a minute other than seconds
/// are refused; range checks belong to the field.
pub fn duration_seconds(text: &str) -> Result<Option<i32>, NotADuration> {
    let text = text.trim().to_lowercase();
    if text.is_empty() {
        return Ok(None);
    }
    if text.len() > MAX_LEN {
        return Err(NotADuration);
    }
    let count = |t: &str| -> Result<i64, NotADuration> {
        let t = t.trim();
        if t.is_empty() || t.len() > 9 || !t.chars().all(|c| c.is_ascii_digit()) {
            return Err(NotADuration);
        }
        t.parse().map_err(|_| NotADuration)
    };
    let seconds: i64 = if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        let numbers = parts
            .iter()
            .map(|p| count(p))
            .collect::<Result<Vec<_>, _>>()?;
        match numbers[..] {
            [m, s] if s < 60 => m * 60 + s,
            [h, m, s] if m < 60 && s < 60 => h * 3600 + m * 60 + s,
            _ => return Err(NotADuration),
        }
    } else {
        // "1h 30", "1 h 30 min", "90 min", "45m", "30": hours, then minutes.
        let (hours, rest) = match text.split_once('h') {
            Some((h, rest)) => {
                let rest = rest.trim_start_matches(|c: char| c.is_alphabetic() || c == '.');
                (count(h)?, rest)
            }
            None => (0, text.as_str()),
        };
        let rest = rest.trim();
        let minutes = rest
            .strip_suffix("minutes")
            .or_else(|| rest.strip_suffix("minute"))
            .or_else(|| rest.strip_suffix("mins"))
            .or_else(|| rest.strip_suffix("min"))
            .or_else(|| rest.strip_suffix('m'))
            .unwrap_or(rest)
            .trim();
        let minutes = if minutes.is_empty() && text.contains('h') {
            0
        } else {
            count(minutes)?
        };
        hours * 3600 + minutes * 60
    };
    i32::try_from(seconds).map(Some).map_err(|_| NotADuration)
}

/// A set's time as typed, in seconds, 1 to [`crate::exercise::MAX_SET_SECONDS`]: a number
/// alone is seconds ("60", also "45 s", "90 sec"); a stopwatch's "1:30" or "1:02:03" (and
/// "2 min", "1h") are read as [`duration_seconds`] reads them, whose number alone would be
/// minutes (a cardio duration). `None` when empty.
pub fn set_seconds(text: &str) -> Result<Option<i32>, NotASetTime> {
    let text = text.trim().to_lowercase();
    if text.is_empty() {
        return Ok(None);
    }
    let number = ["seconds", "second", "secs", "sec", "s"]
        .iter()
        .find_map(|unit| text.strip_suffix(unit))
        .unwrap_or(&text)
        .trim_end();
    let seconds = if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
        // At most a day's digits (and no overflow).
        if number.trim_start_matches('0').len() > 6 {
            return Err(NotASetTime);
        }
        number.parse::<i32>().map_err(|_| NotASetTime)?
    } else {
        duration_seconds(&text)
            .map_err(|_| NotASetTime)?
            .ok_or(NotASetTime)?
    };
    if (1..=crate::exercise::MAX_SET_SECONDS).contains(&seconds) {
        Ok(Some(seconds))
    } else {
        Err(NotASetTime)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be a time from 1 s to 24 h: seconds (60), minutes and seconds (1:30) or hours too (1:02:03)")]
pub struct NotASetTime;

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn durations_as_people_type_them() {
        for (text, minutes) in [
            ("30", 30),
            (" 45 ", 45),
            ("25:40", 26),
            ("25:29", 25),
            ("0:30", 1),
            ("1:05:00", 65),
            ("2:00:29", 120),
            ("1h 30", 90),
            ("1h30m", 90),
            ("1 h 30 min", 90),
            ("2h", 120),
            ("1 hr 5 mins", 65),
            ("90 min", 90),
            ("45m", 45),
            ("45 minutes", 45),
        ] {
            assert_eq!(whole_minutes(text), Ok(Some(minutes)), "{text}");
        }
        assert_eq!(whole_minutes(""), Ok(None));
        assert_eq!(duration_seconds("25:34"), Ok(Some(1534)));
        assert_eq!(duration_seconds("0:45"), Ok(Some(45)));
        assert_eq!(duration_seconds("1:02:03"), Ok(Some(3723)));
        assert_eq!(duration_seconds("1h 30"), Ok(Some(5400)));
        assert_eq!(duration_seconds(""), Ok(None));
        for text in [
            "-5",
            "1.5",
            "abc",
            "30:75",
            "1:2:3:4",
            ":30",
            "h",
            "1h 70x",
            "30 s",
            "99999999999",
            "1:60:00",
        ] {
            assert_eq!(whole_minutes(text), Err(NotADuration), "{text}");
        }
    }

    #[test]
    fn decimals_with_a_point_or_a_comma() {
        assert_eq!(parse(" 70,5 "), Ok(Some(dec!(70.5))));
        assert_eq!(parse("70.5"), Ok(Some(dec!(70.5))));
        assert_eq!(parse("250"), Ok(Some(dec!(250))));
        assert_eq!(parse("-1"), Ok(Some(dec!(-1))));
        assert_eq!(parse(""), Ok(None));
        assert_eq!(parse("   "), Ok(None));
    }

    #[test]
    fn commas_before_three_digits_group_thousands() {
        assert_eq!(parse("1,800"), Ok(Some(dec!(1800))));
        assert_eq!(parse("1,000"), Ok(Some(dec!(1000))));
        assert_eq!(parse("12,500.5"), Ok(Some(dec!(12500.5))));
        assert_eq!(parse("1,000,000"), Ok(Some(dec!(1000000))));
        assert_eq!(parse("-2,000"), Ok(Some(dec!(-2000))));
        // Not a grouping: a decimal comma.
        assert_eq!(parse("0,125"), Ok(Some(dec!(0.125))));
        assert_eq!(parse("1,5"), Ok(Some(dec!(1.5))));
        assert_eq!(parse("1,2345"), Ok(Some(dec!(1.2345))));
        assert_eq!(parse("1234,500"), Ok(Some(dec!(1234.500))));
        // Neither: refused rather than guessed.
        assert_eq!(parse("1,000,5"), Err(NotANumber));
        assert_eq!(parse("1,5.5"), Err(NotANumber));
    }

    #[test]
    fn fractions_as_recipes_write_them() {
        assert_eq!(parse("1/2"), Ok(Some(dec!(0.5))));
        assert_eq!(parse("1 1/2"), Ok(Some(dec!(1.5))));
        assert_eq!(parse("2  3/4"), Ok(Some(dec!(2.75))));
        assert_eq!(parse("1 / 4"), Ok(Some(dec!(0.25))));
        assert_eq!(parse("½"), Ok(Some(dec!(0.5))));
        assert_eq!(parse("1½"), Ok(Some(dec!(1.5))));
        assert_eq!(parse("1 ¾"), Ok(Some(dec!(1.75))));
        assert_eq!(parse("1/3"), Ok(Some(dec!(0.3333))));
        assert_eq!(parse("⅔"), Ok(Some(dec!(0.6667))));
        assert_eq!(parse("3/2"), Ok(Some(dec!(1.5))));
    }

    #[test]
    fn anything_else_is_not_a_number() {
        for text in [
            "lots",
            "1/0",
            "1/",
            "/2",
            "1/2/3",
            "a 1/2",
            "1.5 1/2",
            "-1/2",
            "1e5",
            "NaN",
            "inf",
            "1,000,5",
            "1 000",
            "½½",
            "x½",
            "0x10",
            "1/-2",
            "١",
            "4294967296/2",
        ] {
            assert_eq!(parse(text), Err(NotANumber), "{text}");
        }
        assert_eq!(parse(&"9".repeat(65)), Err(NotANumber));
    }

    #[test]
    fn a_set_time_is_seconds_or_a_stopwatch() {
        for (text, seconds) in [
            ("60", 60),
            (" 45 ", 45),
            ("45 s", 45),
            ("90sec", 90),
            ("1:30", 90),
            ("0:45", 45),
            ("1:00", 60),
            ("1:02:03", 3723),
            ("2 min", 120),
            ("24:00:00", 86_400),
            ("86400", 86_400),
        ] {
            assert_eq!(set_seconds(text), Ok(Some(seconds)), "{text}");
        }
        assert_eq!(set_seconds(""), Ok(None));
        assert_eq!(set_seconds("   "), Ok(None));
        for bad in [
            "abc",
            "0",
            "0:00",
            "25:99",
            "1:60",
            "86401",
            "24:00:01",
            "-5",
            "1.5",
            "s",
            "1:30 s",
            "99999999999999",
        ] {
            assert_eq!(set_seconds(bad), Err(NotASetTime), "{bad}");
        }
        // A stored time comes back as the field reads it.
        for s in [1, 45, 60, 90, 3723, 86_400] {
            assert_eq!(set_seconds(&crate::exercise::clock(s)), Ok(Some(s)), "{s}");
        }
    }
}
