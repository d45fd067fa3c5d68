//! The message catalog: every user-facing string of the web app comes from a file under
//! `locales/` (`key = text`, `{name}` placeholders), so a translation is a file, not a code
//! change. English ships; a key missing from another language falls back to English.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The languages compiled in, with their catalogs.
const CATALOGS: &[(&str, &str)] = &[("en", include_str!("../locales/en.txt"))];

fn parse(text: &'static str) -> HashMap<&'static str, &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

fn catalogs() -> &'static HashMap<&'static str, HashMap<&'static str, &'static str>> {
    static ALL: OnceLock<HashMap<&'static str, HashMap<&'static str, &'static str>>> =
        OnceLock::new();
    ALL.get_or_init(|| {
        CATALOGS
            .iter()
            .map(|(lang, text)| (*lang, parse(text)))
            .collect()
    })
}

/// The messages of one language.
#[derive(Debug, Clone, Copy)]
pub struct Messages {
    lang: &'static str,
}

impl Default for Messages {
    fn default() -> Self {
        Messages { lang: "en" }
    }
}

impl Messages {
    /// The best catalog for an `Accept-Language` header (English when none matches).
    pub fn for_accept_language(header: Option<&str>) -> Messages {
        let wanted = header.unwrap_or("").split(',').filter_map(|part| {
            let tag = part.split(';').next()?.trim();
            tag.split('-').next().map(|l| l.to_ascii_lowercase())
        });
        for lang in wanted {
            if let Some((code, _)) = CATALOGS.iter().find(|(c, _)| *c == lang) {
                return Messages { lang: code };
            }
        }
        Messages::default()
    }

    pub fn lang(&self) -> &'static str {
        self.lang
    }

    /// The text of `key`; the key itself when no catalog has it (a test checks none is missing).
    pub fn get(&self, key: &str) -> &'static str {
        let all = catalogs();
        all.get(self.lang)
            .and_then(|c| c.get(key))
            .or_else(|| all.get("en").and_then(|c| c.get(key)))
            .copied()
            .unwrap_or_else(|| {
                tracing::warn!(key, "missing message");
                "?"
            })
    }

    /// `key`'s text with `{name}` placeholders filled in.
    pub fn fill(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self.get(key).to_string();
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// [`Messages::fill`] of `key.one` when `count` is 1, `key.none` when it is 0, and the
    /// catalog has that form ("on 1 day", not "on 1 days"), else of `key`.
    pub fn fill_count(&self, key: &str, count: i64, args: &[(&str, &str)]) -> String {
        let form = match count {
            0 => format!("{key}.none"),
            1 => format!("{key}.one"),
            _ => key.to_string(),
        };
        match self.has(&form) {
            true => self.fill(&form, args),
            false => self.fill(key, args),
        }
    }

    /// Whether the catalog (or English) has `key`.
    pub fn has(&self, key: &str) -> bool {
        let all = catalogs();
        all.get(self.lang).is_some_and(|c| c.contains_key(key))
            || all.get("en").is_some_and(|c| c.contains_key(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_day_is_not_one_days() {
        let t = Messages::for_accept_language(None);
        let args = |days: &'static str| [("n", "2"), ("days", days)];
        assert_eq!(
            t.fill_count("reports.sessions_on", 1, &args("1")),
            "2 on 1 day"
        );
        assert_eq!(
            t.fill_count("reports.sessions_on", 3, &args("3")),
            "2 on 3 days"
        );
    }

    /// Every `t("…")` / `fill("…")` key used by a template or page module exists in English.
    #[test]
    fn every_key_in_use_is_in_the_catalog() {
        let m = Messages::default();
        let mut missing = Vec::new();
        let mut seen = 0;
        for dir in ["templates", "src/pages"] {
            for path in walk(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)) {
                let text = std::fs::read_to_string(&path).unwrap();
                for marker in ["shell.t(\"", "shell.fill(\"", "t.get(\"", "t.fill(\""] {
                    for part in text.split(marker).skip(1) {
                        let key = part.split('"').next().unwrap();
                        seen += 1;
                        if !m.has(key) {
                            missing.push(format!("{}: {key}", path.display()));
                        }
                    }
                }
            }
        }
        assert!(seen > 50, "only {seen} keys found: is the scan right?");
        assert!(
            missing.is_empty(),
            "missing messages:\n{}",
            missing.join("\n")
        );
    }

    fn walk(dir: std::path::PathBuf) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(walk(p));
            } else {
                out.push(p);
            }
        }
        out
    }

    #[test]
    fn fills_placeholders_and_picks_languages() {
        let m = Messages::for_accept_language(Some("de-DE,de;q=0.9,en;q=0.8"));
        assert_eq!(m.lang(), "en");
        assert_eq!(m.fill("day.streak", &[("days", "12")]), "12-day streak");
    }
}
