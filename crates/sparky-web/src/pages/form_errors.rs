//! What was wrong with a form, per field, for re-rendering it next to the inputs (the
//! application layer's 422 fields and 409 messages; a number that is not a number).

use std::collections::BTreeMap;

use sparky_app::AppError;

use super::PageError;

/// Field name → problem. `form` holds a problem of the whole form.
#[derive(Debug, Default, Clone)]
pub struct FormErrors(BTreeMap<String, String>);

impl FormErrors {
    pub fn new() -> FormErrors {
        FormErrors::default()
    }

    pub fn add(&mut self, field: &str, problem: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_insert_with(|| problem.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// Every (field, problem), by field name.
    pub fn iter_pairs(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.0.iter().map(|(k, v)| (k.clone(), v.clone()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Problems of fields the form does not show (so none is lost).
    pub fn others(&self, shown: &[&str]) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| !shown.contains(&k.as_str()))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The problems an operation reported about its input; any other failure stays an error
    /// page. `rename` maps the operation's field names to the form's.
    pub fn from_app(e: AppError, rename: &[(&str, &str)]) -> Result<FormErrors, PageError> {
        let mut out = FormErrors::new();
        match e {
            AppError::Invalid(fields) => {
                for (k, v) in fields.0 {
                    let name = rename
                        .iter()
                        .find(|(from, _)| *from == k)
                        .map(|(_, to)| to.to_string())
                        .unwrap_or(k);
                    out.add(&name, v);
                }
            }
            AppError::Conflict(m) => out.add("form", m),
            other => return Err(other.into()),
        }
        Ok(out)
    }
}

pub use super::forms::decimal;

/// A whole number as typed; None when empty, Err when not one.
pub fn whole(text: &str) -> Result<Option<i32>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_and_app_errors() {
        assert_eq!(decimal(" 72,5 "), Ok(Some("72.5".parse().unwrap())));
        assert_eq!(decimal(""), Ok(None));
        assert!(decimal("abc").is_err());
        assert_eq!(whole("12"), Ok(Some(12)));
        assert!(whole("1.5").is_err());
        let e =
            FormErrors::from_app(AppError::invalid("value", "too big"), &[("value", "w")]).unwrap();
        assert_eq!(e.get("w"), Some("too big"));
        assert!(FormErrors::from_app(AppError::NotFound("x"), &[]).is_err());
        let c = FormErrors::from_app(AppError::conflict("exists"), &[]).unwrap();
        assert_eq!(c.others(&[]), vec!["exists".to_string()]);
    }
}
