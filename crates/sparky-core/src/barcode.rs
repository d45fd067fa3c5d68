//! Product barcodes, normalised to one GTIN-13 form so that a product scanned as UPC-A,
//! UPC-E or EAN-13 is found under one key.

use std::fmt;

/// A normalised GTIN-13 (13 digits, valid check digit).
///
/// - EAN-13 is kept as is.
/// - UPC-A (12 digits) becomes "0" + UPC-A, which is its EAN-13 form: one product, one key.
/// - UPC-E (8 digits) is expanded to UPC-A by the standard rules, then as UPC-A.
/// - EAN-8 becomes "00000" + EAN-8, the GTIN-13 form GS1 uses for it (leading zeros do not
///   change a GS1 check digit, so the result is a valid GTIN-13 too).
///
/// An 8-digit code could be EAN-8 or UPC-E. It is read as UPC-E when it starts with 0 or 1
/// and its check digit is right for the expanded UPC-A; otherwise as EAN-8 (check digit by
/// the EAN-8 rule). Scanners report UPC-E this way; the rare EAN-8 starting with 0 or 1 whose
/// check digit also fits UPC-E is read as UPC-E.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Barcode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BarcodeError {
    #[error("is empty")]
    Empty,
    #[error("must contain only digits (spaces and hyphens are ignored)")]
    NotDigits,
    #[error("has {0} digits; a barcode has 8 (EAN-8, UPC-E), 12 (UPC-A) or 13 (EAN-13)")]
    Length(usize),
    #[error("has a wrong check digit for {0}: mistyped, or not a product barcode")]
    CheckDigit(&'static str),
}

impl Barcode {
    pub fn parse(s: &str) -> Result<Barcode, BarcodeError> {
        let digits: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if digits.is_empty() {
            return Err(BarcodeError::Empty);
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BarcodeError::NotDigits);
        }
        let gtin13 = match digits.len() {
            13 => checked(&digits, "EAN-13")?.to_string(),
            12 => format!("0{}", checked(&digits, "UPC-A")?),
            8 => match upc_e_to_upc_a(&digits) {
                Some(upc_a) if check_digit_ok(&upc_a) => format!("0{upc_a}"),
                _ => {
                    let format = if digits.starts_with(['0', '1']) {
                        "EAN-8 or UPC-E"
                    } else {
                        "EAN-8"
                    };
                    format!("00000{}", checked(&digits, format)?)
                }
            },
            n => return Err(BarcodeError::Length(n)),
        };
        Ok(Barcode(gtin13))
    }

    /// The normalised 13 digits used for storage and lookup.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Barcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn checked<'a>(digits: &'a str, format: &'static str) -> Result<&'a str, BarcodeError> {
    if check_digit_ok(digits) {
        Ok(digits)
    } else {
        Err(BarcodeError::CheckDigit(format))
    }
}

/// GS1 mod-10: weights 3, 1, 3, … from the digit left of the check digit; the check digit
/// brings the weighted sum to a multiple of 10. The same rule for every GTIN length.
fn check_digit_ok(digits: &str) -> bool {
    let d = digits.as_bytes();
    let Some((&check, body)) = d.split_last() else {
        return false;
    };
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10 == u32::from(check - b'0')
}

/// Expands UPC-E (number system 0 or 1, six digits d1..d6, check digit) to UPC-A by the last
/// of the six digits: 0-2 → NS d1 d2 d6 0000 d3 d4 d5; 3 → NS d1 d2 d3 00000 d4 d5;
/// 4 → NS d1 d2 d3 d4 00000 d5; 5-9 → NS d1 d2 d3 d4 d5 0000 d6; the check digit is kept.
/// None when the number system digit is not 0 or 1.
fn upc_e_to_upc_a(upc_e: &str) -> Option<String> {
    let b = upc_e.as_bytes();
    if b.len() != 8 || !matches!(b[0], b'0' | b'1') {
        return None;
    }
    let ns = &upc_e[0..1];
    let d = &upc_e[1..7];
    let check = &upc_e[7..8];
    let (d1d2, d3, d4, d5, d6) = (&d[0..2], &d[2..3], &d[3..4], &d[4..5], &d[5..6]);
    let middle = match d6 {
        "0" | "1" | "2" => format!("{d1d2}{d6}0000{d3}{d4}{d5}"),
        "3" => format!("{d1d2}{d3}00000{d4}{d5}"),
        "4" => format!("{d1d2}{d3}{d4}00000{d5}"),
        _ => format!("{d1d2}{d3}{d4}{d5}0000{d6}"),
    };
    Some(format!("{ns}{middle}{check}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        Barcode::parse(s).unwrap().as_str().to_string()
    }

    #[test]
    fn known_codes() {
        assert_eq!(norm("036000291452"), "0036000291452");
        assert_eq!(norm("0036000291452"), "0036000291452");
        assert_eq!(norm(" 0 36000-29145 2 "), "0036000291452");
        assert_eq!(norm("4006381333931"), "4006381333931");
        assert_eq!(norm("96385074"), "0000096385074");
        assert_eq!(norm("04252614"), "0042100005264");
        assert_eq!(norm("042100005264"), "0042100005264");
    }

    #[test]
    fn upc_e_expansion_patterns() {
        // One per pattern of the last digit.
        assert_eq!(upc_e_to_upc_a("01234505").unwrap(), "012000003455");
        assert_eq!(upc_e_to_upc_a("01234531").unwrap(), "012300000451");
        assert_eq!(upc_e_to_upc_a("01234548").unwrap(), "012340000058");
        assert_eq!(upc_e_to_upc_a("01234558").unwrap(), "012345000058");
        assert_eq!(upc_e_to_upc_a("04252614").unwrap(), "042100005264");
        assert_eq!(upc_e_to_upc_a("21234558"), None);
        // Published pairs: these are valid UPC-E codes of those UPC-A codes.
        assert_eq!(norm("01234565"), "0012345000065");
        assert_eq!(norm("012345000065"), "0012345000065");
    }

    #[test]
    fn refusals() {
        assert_eq!(Barcode::parse("  "), Err(BarcodeError::Empty));
        assert_eq!(Barcode::parse("03600029145x"), Err(BarcodeError::NotDigits));
        assert_eq!(
            Barcode::parse("０３６０００２９１４５２"),
            Err(BarcodeError::NotDigits)
        );
        assert_eq!(Barcode::parse("12345"), Err(BarcodeError::Length(5)));
        assert_eq!(
            Barcode::parse("036000291453"),
            Err(BarcodeError::CheckDigit("UPC-A"))
        );
        assert_eq!(
            Barcode::parse("4006381333932"),
            Err(BarcodeError::CheckDigit("EAN-13"))
        );
        assert_eq!(
            Barcode::parse("96385075"),
            Err(BarcodeError::CheckDigit("EAN-8"))
        );
        assert_eq!(
            Barcode::parse("04252615"),
            Err(BarcodeError::CheckDigit("EAN-8 or UPC-E"))
        );
        assert!(Barcode::parse("036000291453")
            .unwrap_err()
            .to_string()
            .contains("check digit"));
    }

    #[test]
    fn eight_digits_starting_with_0_or_1() {
        // Valid both ways (EAN-8 check of 0123456 is 5, and so is UPC-A 01234500006's): UPC-E.
        assert!(check_digit_ok("01234565"));
        assert_eq!(norm("01234565"), "0012345000065");
        // Valid as EAN-8 only (UPC-E would expand to 076543000029, check digit 5): EAN-8.
        assert!(!check_digit_ok(&upc_e_to_upc_a("07654329").unwrap()));
        assert_eq!(norm("07654329"), "0000007654329");
    }
}
