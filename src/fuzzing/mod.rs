//! Fuzz targets (security table row 34): one function per target, taking the raw input bytes
//! and panicking when a property of the parser does not hold. The coverage-guided fuzzers in
//! `tests/fuzz/` (libFuzzer) and the corpus replay in `tests/fuzz_corpus.rs` (CI) call these same
//! functions, so both run the same code. Not part of the API.

mod audit;
mod dto;
#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod replay;

pub use audit::audit;
pub use dto::dto;

use actix_web::http::header::HeaderValue;
use chrono::{Datelike, NaiveDate, TimeDelta};

use crate::auth::tokens::{MAX_TOKEN_BYTES, STAFF_AUDIENCE, TokenIssuer};
use crate::domain::personnummer::Personnummer;
use crate::http::etag::{etag_value, parse_etag};
use crate::integrations::idempotency::parse_key;
use crate::pagination::{Cursor, MAX_LIMIT, Page};

/// A fuzz target: panics when a property does not hold for the input.
pub type Target = fn(&[u8]);

/// The targets by name, for the corpus replay.
pub const TARGETS: [(&str, Target); 5] = [
    ("personnummer", personnummer),
    ("dto", dto),
    ("headers", headers),
    ("cursor", cursor),
    ("audit", audit),
];

/// The reference date when the input is too short to choose one.
fn default_today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 15).unwrap_or_default()
}

/// The personnummer parser. The first two bytes choose the reference date (a day from 1900 to
/// 2079), the rest is the text. A parsed number re-parses from each of its written forms.
pub fn personnummer(data: &[u8]) {
    let (today, text) = match data {
        [a, b, rest @ ..] => {
            let days = i64::from(u16::from_le_bytes([*a, *b]));
            let base = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default();
            (base + TimeDelta::days(days), rest)
        }
        _ => (default_today(), data),
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let _ = Personnummer::parse(text);
    let Ok(p) = Personnummer::parse_at(text, today) else {
        return;
    };
    assert!(
        p.birth_date() <= today,
        "birth date after the reference date"
    );
    assert!(p.age_at(today).is_some());
    let canonical = p.canonical();
    assert_eq!(canonical.len(), 12);
    assert!(canonical.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(Personnummer::parse_at(&canonical, today), Ok(p));
    assert_eq!(Personnummer::parse_at(&p.formatted(), today), Ok(p));
    let masked = p.masked();
    assert_eq!(masked.get(..8), canonical.get(..8));
    assert_eq!(masked.get(8..), Some("-****"));
    assert!(!format!("{p:?}").bytes().any(|b| b.is_ascii_digit()));
    // The ten-digit form: `+` from the year the person turns 100; it names a century only for
    // people under 200.
    if p.birth_year() > today.year() - 200 {
        let sep = if p.birth_year() <= today.year() - 100 {
            '+'
        } else {
            '-'
        };
        let ten = format!("{}{sep}{}", &canonical[2..8], &canonical[8..]);
        assert_eq!(Personnummer::parse_at(&ten, today), Ok(p), "ten-digit form");
    }
}

/// The header parsers. The first byte picks one: 0 `Authorization` (bytes before a NUL, if
/// any, are the query string), 1 `If-Match`, 2 `Idempotency-Key`; the rest is the header value.
pub fn headers(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 3 {
        0 => authorization(rest),
        1 => if_match(rest),
        _ => idempotency_key(rest),
    }
}

fn authorization(data: &[u8]) {
    let (query, value) = match data.iter().position(|&b| b == 0) {
        Some(i) => (String::from_utf8_lossy(&data[..i]), &data[i + 1..]),
        None => (String::from_utf8_lossy(&[]), data),
    };
    // Bytes that HTTP cannot carry in a header never reach the parser.
    let Ok(value) = HeaderValue::from_bytes(value) else {
        return;
    };
    let Ok(token) = crate::auth::principal::bearer_token(&query, Some(&value)) else {
        return;
    };
    assert!(!query.contains("access_token") && !query.contains("token="));
    assert!(!token.is_empty() && token.len() <= MAX_TOKEN_BYTES);
    assert_eq!(token.trim(), token);
    let text = value.to_str().unwrap_or_default();
    assert!(
        text.get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("bearer "))
            && text.trim_end().ends_with(&token)
    );
    // Nobody signs a token without the key.
    let issuer = TokenIssuer::new(b"fuzz-key-fuzz-key-fuzz-key-fuzz-key", Default::default());
    assert!(
        issuer.verify(&token, STAFF_AUDIENCE).is_err(),
        "forged token"
    );
}

fn if_match(data: &[u8]) {
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    // As the extractor reads it.
    let text = value.to_str().unwrap_or("");
    let Some(version) = parse_etag(text) else {
        return;
    };
    let t = text.trim();
    let quoted = t.strip_prefix("W/").unwrap_or(t);
    let digits = &quoted[1..quoted.len() - 1];
    assert!(
        (1..=10).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()),
        "an ETag is a quoted number"
    );
    assert!(version >= 0);
    assert_eq!(parse_etag(&etag_value(version)), Some(version));
}

fn idempotency_key(data: &[u8]) {
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    // As the handlers read it.
    let Ok(key) = parse_key(value.to_str().ok()) else {
        return;
    };
    assert!((1..=200).contains(&key.len()));
    assert!(key.bytes().all(|b| b.is_ascii_graphic()));
    assert_eq!(value.to_str().map(str::trim).ok(), Some(key.as_str()));
}

/// The pagination cursor and the list query string (`limit`, `cursor`) as `web::Query` reads it.
pub fn cursor(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Every printable key round-trips; one with a control character is refused (never a key).
    let printable = !text.chars().any(char::is_control);
    assert_eq!(
        Cursor::decode(&Cursor::encode(text)).as_deref(),
        printable.then_some(text)
    );
    if let Some(key) = Cursor::decode(text) {
        assert_eq!(Cursor::decode(&Cursor::encode(&key)), Some(key));
    }
    if let Ok(q) = actix_web::web::Query::<Page>::from_query(text)
        && let Ok((limit, after)) = q.parse()
    {
        assert!((1..=MAX_LIMIT).contains(&limit));
        assert_eq!(after.is_some(), q.cursor.is_some());
    }
}
