//! Content negotiation: whether an `Accept` header allows the API's JSON, and the charset every
//! textual response names (ASVS 4.0.3 13.1.5 / 14.4.1).

/// True when `accept` admits `application/json` or `application/problem+json` (a missing or
/// empty header admits anything). Media ranges with `q=0` are refusals.
pub fn accepts_json(accept: &str) -> bool {
    if accept.trim().is_empty() {
        return true;
    }
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let refused = parts.any(|p| {
            p.split_once('=').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("q")
                    && v.trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
            })
        });
        !refused
            && matches!(
                media.as_str(),
                "*/*" | "application/*" | "application/json" | "application/problem+json"
            )
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
