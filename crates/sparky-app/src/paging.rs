//! One way to page through every list: a bounded `limit` and an opaque `cursor` that the
//! previous page handed out. A cursor holds the sort key of the last item shown (keyset
//! paging: stable while rows are added, an index seek instead of skipping rows), or, for
//! ranked results that have no stable key (search), the position reached.

use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use crate::error::{AppError, AppResult};

/// Where the next page starts; opaque to clients (base64url of a small JSON value).
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor(Value);

const ENGINE: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Longest cursor accepted (a key of a timestamp and an id is about 100 characters).
pub const MAX_CURSOR_LEN: usize = 512;

impl Cursor {
    /// After the item whose sort key is `key`.
    pub fn after<K: Serialize>(key: &K) -> Cursor {
        Cursor(serde_json::json!({ "k": key }))
    }

    /// At position `offset` of a ranked list.
    pub fn at(offset: i64) -> Cursor {
        Cursor(serde_json::json!({ "o": offset }))
    }

    /// At position `offset` of a ranked list, with what the list was ranked from (`with`:
    /// a search's candidate count and mode), so every page ranks the same list.
    pub fn at_with(offset: i64, with: serde_json::Value) -> Cursor {
        Cursor(serde_json::json!({ "o": offset, "w": with }))
    }

    /// What [`Cursor::at_with`] carried, when it is of the expected shape.
    pub fn with<T: DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_value(self.0.get("w")?.clone()).ok()
    }

    pub fn encode(&self) -> String {
        ENGINE.encode(self.0.to_string())
    }

    pub fn decode(text: &str) -> AppResult<Cursor> {
        let bad = || AppError::invalid("cursor", "is not a cursor from a previous page");
        if text.len() > MAX_CURSOR_LEN {
            return Err(bad());
        }
        let bytes = ENGINE.decode(text.trim()).map_err(|_| bad())?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        if value.get("k").is_some() || value.get("o").is_some_and(Value::is_i64) {
            Ok(Cursor(value))
        } else {
            Err(bad())
        }
    }

    /// The sort key of a keyset cursor.
    pub fn key<K: DeserializeOwned>(&self) -> AppResult<K> {
        self.0
            .get("k")
            .cloned()
            .and_then(|k| serde_json::from_value(k).ok())
            .ok_or_else(|| AppError::invalid("cursor", "is not a cursor from this list"))
    }

    /// The position of a ranked-list cursor.
    pub fn offset(&self) -> AppResult<i64> {
        self.0
            .get("o")
            .and_then(Value::as_i64)
            .filter(|o| *o >= 0)
            .ok_or_else(|| AppError::invalid("cursor", "is not a cursor from this list"))
    }
}

/// A validated page request.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: i64,
    pub cursor: Option<Cursor>,
}

/// The bounds of one list's `limit`.
#[derive(Debug, Clone, Copy)]
pub struct LimitBounds {
    pub default: i64,
    pub max: i64,
}

impl LimitBounds {
    pub const fn new(default: i64, max: i64) -> LimitBounds {
        LimitBounds { default, max }
    }
}

impl PageRequest {
    pub fn parse(
        limit: Option<i64>,
        cursor: Option<&str>,
        bounds: LimitBounds,
    ) -> AppResult<PageRequest> {
        let limit = limit.unwrap_or(bounds.default);
        if !(1..=bounds.max).contains(&limit) {
            return Err(AppError::invalid(
                "limit",
                format!("must be between 1 and {}", bounds.max),
            ));
        }
        let cursor = cursor
            .filter(|c| !c.trim().is_empty())
            .map(Cursor::decode)
            .transpose()?;
        Ok(PageRequest { limit, cursor })
    }

    /// The sort key to continue after, if any.
    pub fn after<K: DeserializeOwned>(&self) -> AppResult<Option<K>> {
        self.cursor.as_ref().map(Cursor::key).transpose()
    }

    /// The ranked-list position to continue at (0 for the first page).
    pub fn offset(&self) -> AppResult<i64> {
        Ok(self
            .cursor
            .as_ref()
            .map(Cursor::offset)
            .transpose()?
            .unwrap_or(0))
    }

    /// Rows to fetch: one more than the page, to know whether another page follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// Cuts `rows` (fetched with [`PageRequest::fetch`]) to the page and makes the cursor for
    /// the next one from the last item's key.
    pub fn finish_keyset<T, K: Serialize>(
        &self,
        mut rows: Vec<T>,
        key: impl Fn(&T) -> K,
    ) -> Page<T> {
        let more = rows.len() as i64 > self.limit;
        rows.truncate(self.limit as usize);
        let next_cursor = if more {
            rows.last().map(|last| Cursor::after(&key(last)).encode())
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor::after(&("2026-01-01T00:00:00Z", "abc"));
        let back = Cursor::decode(&c.encode()).unwrap();
        let (a, b): (String, String) = back.key().unwrap();
        assert_eq!((a.as_str(), b.as_str()), ("2026-01-01T00:00:00Z", "abc"));
        assert_eq!(
            Cursor::decode(&Cursor::at(40).encode())
                .unwrap()
                .offset()
                .unwrap(),
            40
        );
        assert!(Cursor::decode("nonsense!").is_err());
        assert!(Cursor::decode(&ENGINE.encode("{\"x\":1}")).is_err());
        assert!(Cursor::at(3).key::<(String, String)>().is_err());
        assert!(PageRequest::parse(Some(0), None, LimitBounds::new(20, 100)).is_err());
        assert!(PageRequest::parse(Some(101), None, LimitBounds::new(20, 100)).is_err());
        let p = PageRequest::parse(None, Some(""), LimitBounds::new(20, 100)).unwrap();
        assert_eq!((p.limit, p.cursor.is_none()), (20, true));
    }

    #[test]
    fn keyset_pages_know_when_more_follow() {
        let p = PageRequest::parse(Some(2), None, LimitBounds::new(20, 100)).unwrap();
        let page = p.finish_keyset(vec![1, 2, 3], |n| *n);
        assert_eq!(page.items, vec![1, 2]);
        let next = Cursor::decode(page.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(next.key::<i32>().unwrap(), 2);
        let last = p.finish_keyset(vec![1, 2], |n| *n);
        assert!(last.next_cursor.is_none());
    }
}
