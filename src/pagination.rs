//! Keyset pagination: `limit` (default 50, max 100) and an opaque cursor naming the last key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 100;

/// Query parameters of every list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Items per page, 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl Page {
    /// The limit and the decoded key to continue after.
    pub fn parse(&self) -> Result<(i64, Option<String>), ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::field("limit", "must be from 1 to 100"));
        }
        let after = match &self.cursor {
            None => None,
            Some(c) => Some(
                Cursor::decode(c)
                    .ok_or_else(|| ApiError::field("cursor", "is not a cursor from this API"))?,
            ),
        };
        Ok((limit, after))
    }
}

pub struct Cursor;

impl Cursor {
    pub fn encode(key: &str) -> String {
        URL_SAFE_NO_PAD.encode(format!("k1:{key}"))
    }

    /// The key of a cursor this server made; `None` for anything else. Keys are printable
    /// (ids, dates, sort keys), so one with a control character is foreign: refused here rather
    /// than sent to the database (PostgreSQL refuses a NUL in text with an error, not a 400).
    pub fn decode(cursor: &str) -> Option<String> {
        let raw = URL_SAFE_NO_PAD.decode(cursor).ok()?;
        String::from_utf8(raw)
            .ok()?
            .strip_prefix("k1:")
            .filter(|key| !key.chars().any(char::is_control))
            .map(str::to_owned)
    }

    /// Given `limit + 1` loaded rows, drop the extra one and return the cursor after the last.
    pub fn next<T>(rows: &mut Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> Option<String> {
        if rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|r| Cursor::encode(&key(r)))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_whose_key_holds_a_control_character_is_refused() {
        assert_eq!(Cursor::decode(&Cursor::encode("a\u{0}b")), None);
        assert_eq!(Cursor::decode(&Cursor::encode("a\nb")), None);
        assert_eq!(
            Cursor::decode(&Cursor::encode("2026-11-29|x")),
            Some("2026-11-29|x".into())
        );
    }

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        assert_eq!(Cursor::decode(&Cursor::encode("abc")), Some("abc".into()));
        assert_eq!(Cursor::decode("not-a-cursor"), None);
        let p = Page {
            limit: Some(101),
            cursor: None,
        };
        assert!(p.parse().is_err());
        let p = Page {
            limit: None,
            cursor: Some(Cursor::encode("x")),
        };
        assert_eq!(p.parse().ok(), Some((50, Some("x".into()))));
    }

    #[test]
    fn next_cursor_only_when_more_rows_exist() {
        let mut rows = vec![1, 2, 3];
        assert_eq!(Cursor::next(&mut rows, 3, |r| r.to_string()), None);
        let mut rows = vec![1, 2, 3, 4];
        assert_eq!(
            Cursor::next(&mut rows, 3, |r| r.to_string()),
            Some(Cursor::encode("3"))
        );
        assert_eq!(rows, vec![1, 2, 3]);
    }
}
