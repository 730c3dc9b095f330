//! Content negotiation: whether an `Accept` header allows what a route produces, and the charset
//! every textual response names (ASVS 4.0.3 13.1.5 / 14.4.1).
//!
//! Every API route produces JSON (errors: problem+json) except the few listed in
//! [`NON_JSON_ROUTES`], the one place a route declares other media types (instead of JSON, or
//! besides it: the handler then picks with [`prefers`]). The request
//! middleware runs before routing, so it matches the path against these patterns
//! ([`acceptable`]) and answers 406 when the `Accept` header rules out what the route produces.
//! Error responses stay problem+json on every route (RFC 9110 §15.5.7 lets an error ignore
//! `Accept`).

use std::sync::LazyLock;

use actix_web::dev::ResourceDef;

/// API routes that produce something other than JSON: (route pattern, the media types it
/// produces). A route here must also document those media types in its `#[utoipa::path]`.
pub const NON_JSON_ROUTES: &[(&str, &[&str])] = &[
    (
        "/api/v1/cases/{case_id}/rent-commitments/{commitment_id}/letter",
        &["application/pdf"],
    ),
    ("/api/v1/access-reviews/{review_id}/export", &["text/csv"]),
    (
        "/api/v1/persons/access-extract",
        &["application/json", "text/csv"],
    ),
    (
        "/api/v1/stats/enforcement",
        &["application/json", "text/csv"],
    ),
    (
        "/api/v1/stats/prevention",
        &["application/json", "text/csv"],
    ),
];

static NON_JSON: LazyLock<Vec<(ResourceDef, &'static [&'static str])>> = LazyLock::new(|| {
    NON_JSON_ROUTES
        .iter()
        .map(|(pattern, media)| (ResourceDef::new(*pattern), *media))
        .collect()
});

/// The media types the API route at `path` produces (None: JSON).
pub fn produces(path: &str) -> Option<&'static [&'static str]> {
    NON_JSON
        .iter()
        .find(|(def, _)| def.is_match(path))
        .map(|(_, media)| *media)
}

/// Whether `accept` admits what the API route at `path` produces.
pub fn acceptable(path: &str, accept: &str) -> bool {
    match produces(path) {
        Some(media) => accepts(accept, media),
        None => accepts_json(accept),
    }
}

/// True when `accept` admits `application/json` or `application/problem+json` (a missing or
/// empty header admits anything). Media ranges with `q=0` are refusals.
pub fn accepts_json(accept: &str) -> bool {
    accepts(accept, &["application/json", "application/problem+json"])
}

/// True when `accept` admits one of `offered` (lower-case `type/subtype`), directly or by a
/// `type/*` or `*/*` range; a missing or empty header admits anything; `q=0` refuses.
pub fn accepts(accept: &str, offered: &[&str]) -> bool {
    if accept.trim().is_empty() {
        return true;
    }
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        !zero_weight(parts)
            && offered.iter().any(|o| {
                media == "*/*"
                    || media == *o
                    || media
                        .strip_suffix("/*")
                        .is_some_and(|t| o.split('/').next() == Some(t))
            })
    })
}

/// Whether `accept` names `media` itself (not by a wildcard) with a weight above zero: a route
/// that produces JSON and `media` answers `media` only to a client that asks for it.
pub fn prefers(accept: &str, media: &str) -> bool {
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let named = parts
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case(media));
        named && !zero_weight(parts)
    })
}

/// Whether a media range's parameters give it `q=0` (a refusal).
fn zero_weight<'a>(mut params: impl Iterator<Item = &'a str>) -> bool {
    params.any(|p| {
        p.split_once('=').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("q") && v.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
        })
    })
}

/// The content type with `; charset=utf-8` added, for textual types that name no charset.
pub fn with_charset(content_type: &str) -> Option<String> {
    let lower = content_type.to_ascii_lowercase();
    let media = lower.split(';').next().unwrap_or("").trim();
    let textual = media.starts_with("text/")
        || media.ends_with("json")
        || media.ends_with("+json")
        || media == "application/javascript";
    (textual && !lower.contains("charset=")).then(|| format!("{content_type}; charset=utf-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_acceptable_unless_the_header_rules_it_out() {
        for ok in [
            "",
            "*/*",
            "application/json",
            "application/problem+json",
            "application/*",
            "text/html, application/json;q=0.5",
            "APPLICATION/JSON",
            "text/html;q=0.9, */*;q=0.1",
        ] {
            assert!(accepts_json(ok), "{ok}");
        }
        for refused in [
            "text/html",
            "application/xml",
            "image/png, text/plain",
            "application/json;q=0",
            "application/json; q=0.0, text/html",
            "nonsense",
        ] {
            assert!(!accepts_json(refused), "{refused}");
        }
    }

    #[test]
    fn the_letter_route_takes_pdf_and_every_other_route_json_only() {
        let letter = "/api/v1/cases/c1/rent-commitments/r1/letter";
        assert_eq!(produces(letter), Some(&["application/pdf"][..]));
        for ok in [
            "application/pdf",
            "*/*",
            "application/*",
            "",
            "text/html, application/pdf",
        ] {
            assert!(acceptable(letter, ok), "{ok}");
        }
        for refused in ["application/json", "text/html", "application/pdf;q=0"] {
            assert!(!acceptable(letter, refused), "{refused}");
        }
        let json = "/api/v1/cases/c1/rent-commitments";
        assert_eq!(produces(json), None);
        assert!(!acceptable(json, "application/pdf"));
        assert!(acceptable(json, "application/json"));
        // A longer or shorter path is not the letter.
        assert_eq!(
            produces("/api/v1/cases/c1/rent-commitments/r1/letter/x"),
            None
        );
        assert_eq!(produces("/api/v1/cases/c1/rent-commitments/r1"), None);
    }

    #[test]
    fn the_access_extract_answers_json_or_csv_and_the_review_export_csv_only() {
        let extract = "/api/v1/persons/access-extract";
        for ok in ["application/json", "text/csv", "", "*/*", "text/csv;q=0.5"] {
            assert!(acceptable(extract, ok), "{ok}");
        }
        assert!(!acceptable(extract, "application/pdf"));
        assert!(prefers("text/csv", "text/csv"));
        assert!(prefers("application/json;q=0.5, TEXT/CSV", "text/csv"));
        assert!(!prefers("*/*", "text/csv"));
        assert!(!prefers("text/*", "text/csv"));
        assert!(!prefers("text/csv;q=0", "text/csv"));
        let export = "/api/v1/access-reviews/r1/export";
        assert!(acceptable(export, "text/csv"));
        assert!(!acceptable(export, "application/json"));
        assert!(!acceptable("/api/v1/access-reviews/r1", "text/csv"));
    }

    #[test]
    fn textual_types_get_a_charset_once() {
        assert_eq!(
            with_charset("application/json").as_deref(),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            with_charset("application/problem+json").as_deref(),
            Some("application/problem+json; charset=utf-8")
        );
        assert_eq!(
            with_charset("text/plain; version=0.0.4").as_deref(),
            Some("text/plain; version=0.0.4; charset=utf-8")
        );
        assert_eq!(with_charset("text/html; charset=utf-8"), None);
        assert_eq!(with_charset("image/png"), None);
    }
}
