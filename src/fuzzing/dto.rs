//! The request bodies: the first input byte picks the DTO, the rest is the body, read as the
//! handler reads it (`web::Json`: `serde_json::from_slice` into the type; the integration
//! handlers: into a `Value`, then `from_value`) and then validated as the handler validates it
//! before touching the database. A DTO without such a step is only deserialized.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::access_reviews::dto::{CreateAccessReviewRequest, VerdictRequest};
use crate::auth::service::{LoginRequest, RefreshRequest};
use crate::cases::dto::{
    ClosureDecisionRequest, CreateCaseRequest, TransitionRequest, UpdateCaseRequest,
};
use crate::cases::interventions::CreateInterventionRequest;
use crate::cases::notes::CreateNoteRequest;
use crate::consents::dto::{CreateConsentRequest, WithdrawConsentRequest};
use crate::domain::states::NoticeSource;
use crate::households::dto::{
    CreateHouseholdRequest, CreateTenancyRequest, MemberInput, UpdateMemberRequest,
    UpdateTenancyRequest,
};
use crate::http::extract::data_error;
use crate::integrations::clients::dto::{CreateClientRequest, TokenRequest};
use crate::integrations::handlers as integrations;
use crate::integrations::idempotency::request_hash;
use crate::notices::dto::CreateNoticeRequest;
use crate::organizations::dto::{
    CreateOrganizationRequest, CreateUnitRequest, UpdateOrganizationRequest,
};
use crate::persons::extract::AccessExtractRequest;
use crate::persons::profile::UpdatePersonRequest;
use crate::persons::service::PersonSearchRequest;
use crate::rent_commitments::dto::{
    DraftRentCommitmentRequest, RentCommitmentDecisionRequest, RentCommitmentDeliveryRequest,
};
use crate::retention::holds::{PlaceLegalHoldRequest, ReleaseLegalHoldRequest};
use crate::users::dto::{CreateUserRequest, UpdateUserRequest};

/// Deserialize `body` as `web::Json::<T>` does, then run `validate` on the value.
fn json<T: DeserializeOwned>(body: &[u8], validate: impl FnOnce(T)) {
    match serde_json::from_slice::<T>(body) {
        Ok(t) => validate(t),
        Err(e) if e.is_data() => no_echo::<T>(body, &data_error(&e)),
        Err(_) => {}
    }
}

/// A body without a validation step of its own: deserialized only.
fn only<T: DeserializeOwned>(body: &[u8]) {
    json(body, |_: T| {});
}

/// A body read into a `Value` (`read_json`), as the integration handlers do.
fn value(body: &[u8], handle: impl FnOnce(Value)) {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        let _ = request_hash(&v);
        handle(v);
    }
}

/// The problem detail of a refused body never repeats a string value of the body (it may
/// carry personal data, and problem details reach logs and browsers). A value counts as
/// repeated when the detail holds its text and, with that value replaced by other letters of
/// the same length, the detail holds those letters: the value shows through. Text of the
/// message's own ("unknown field", "expected one of", a field's name) does not follow the value,
/// and a replacement that makes another refusal (an enum value no longer known) shows nothing.
fn no_echo<T: DeserializeOwned>(body: &[u8], detail: &str) {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let (mut keys, mut strings) = (Vec::new(), Vec::new());
    collect(&v, &mut keys, &mut strings);
    // serde names fields in backticks (the unknown one, and those expected): names, not values.
    let said = without_quoted_names(detail);
    for s in strings {
        // A value inside a key may come back with the key's name (an unknown field is named).
        if s.chars().count() < 4 || !said.contains(s) || keys.iter().any(|k| k.contains(s)) {
            continue;
        }
        let Some(stand_in) = stand_in(s, detail, &keys) else {
            continue;
        };
        let shows_through = refusal::<T>(&replaced(&v, s, &stand_in))
            .is_some_and(|d| without_quoted_names(&d).contains(&stand_in));
        assert!(!shows_through, "problem detail echoes a value: {detail}");
    }
}

/// One letter repeated as many times as `s` has characters: a text that is not `s` and that
/// neither the detail nor any key holds already (a key the client sent, named back in the
/// detail, may be full of the first choice: the fuzzer learns it).
fn stand_in(s: &str, detail: &str, keys: &[&str]) -> Option<String> {
    let n = s.chars().count();
    ['Q', 'Z', 'X', 'J', 'V', 'W', 'K', 'Y']
        .iter()
        .map(|c| c.to_string().repeat(n))
        .find(|t| {
            t != s && !detail.contains(t.as_str()) && !keys.iter().any(|k| k.contains(t.as_str()))
        })
}

/// The refusal's detail for `v` read as a `T`, if `T` refuses it.
fn refusal<T: DeserializeOwned>(v: &Value) -> Option<String> {
    let bytes = serde_json::to_vec(v).ok()?;
    match serde_json::from_slice::<T>(&bytes) {
        Err(e) if e.is_data() => Some(data_error(&e)),
        _ => None,
    }
}

/// `v` with every string value equal to `s` replaced by `by`.
fn replaced(v: &Value, s: &str, by: &str) -> Value {
    match v {
        Value::String(x) if x == s => Value::String(by.to_owned()),
        Value::Array(a) => Value::Array(a.iter().map(|x| replaced(x, s, by)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), replaced(x, s, by)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `detail` without its backticked identifiers (`` `county_code` ``): what is left is the text
/// that could repeat a value.
fn without_quoted_names(detail: &str) -> String {
    detail
        .split('`')
        .enumerate()
        .filter(|(i, part)| {
            let name = part.starts_with(|c: char| c.is_ascii_lowercase())
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            i % 2 == 0 || !name
        })
        .map(|(_, part)| part)
        .collect::<Vec<_>>()
        .join(" ")
}

fn collect<'a>(v: &'a Value, keys: &mut Vec<&'a str>, strings: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => strings.push(s),
        Value::Array(a) => a.iter().for_each(|x| collect(x, keys, strings)),
        Value::Object(m) => m.iter().for_each(|(k, x)| {
            keys.push(k);
            collect(x, keys, strings);
        }),
        _ => {}
    }
}

fn today() -> chrono::NaiveDate {
    super::default_today()
}

/// The DTO target.
pub fn dto(data: &[u8]) {
    let Some((&which, b)) = data.split_first() else {
        return;
    };
    match which % 37 {
        0 => only::<CreateCaseRequest>(b),
        1 => only::<UpdateCaseRequest>(b),
        2 => json(b, |r: TransitionRequest| {
            let _ = crate::cases::transitions::validate(&r);
        }),
        3 => only::<ClosureDecisionRequest>(b),
        4 => only::<CreateNoteRequest>(b),
        5 => json(b, |r: CreateInterventionRequest| {
            let _ = crate::cases::interventions::validate(&r);
        }),
        6 => json(b, |r: CreateUserRequest| {
            let _ =
                crate::users::service::validate_new_user(&r.username, &r.display_name, &r.password);
        }),
        7 => only::<UpdateUserRequest>(b),
        8 => only::<LoginRequest>(b),
        9 => only::<RefreshRequest>(b),
        10 => json(b, |r: PlaceLegalHoldRequest| {
            let _ = r.validate(today());
        }),
        11 => only::<ReleaseLegalHoldRequest>(b),
        12 => only::<CreateClientRequest>(b),
        13 => only::<TokenRequest>(b),
        14 => value(b, |v| {
            let _ = integrations::parse_event(v);
        }),
        15 => value(b, |v| {
            let _ = integrations::parse_notice(v);
        }),
        16 => value(b, |v| {
            let _ = integrations::parse_arrears(v);
        }),
        17 => value(b, |v| {
            if let Ok(events) = integrations::batch_events(&v) {
                for ev in events {
                    let _ = integrations::batch_item(ev);
                }
            }
        }),
        18 => only::<PersonSearchRequest>(b),
        19 => only::<AccessExtractRequest>(b),
        20 => json(b, |r: UpdatePersonRequest| {
            let _ = r.validate();
        }),
        21 => json(b, |r: CreateConsentRequest| {
            let _ = r.validate(today());
        }),
        22 => only::<WithdrawConsentRequest>(b),
        23 => json(b, |r: CreateAccessReviewRequest| {
            let _ = r.validate(today());
        }),
        24 => json(b, |r: VerdictRequest| {
            let _ = r.validate();
        }),
        25 => json(b, |r: CreateHouseholdRequest| {
            let _ = r.validate();
        }),
        26 => json(b, |r: MemberInput| {
            let _ = r.validate();
        }),
        27 => json(b, |r: CreateTenancyRequest| {
            let _ = r.validate();
        }),
        28 => only::<UpdateMemberRequest>(b),
        29 => only::<UpdateTenancyRequest>(b),
        30 => json(b, |r: CreateOrganizationRequest| {
            let _ = crate::organizations::service::validate(&r);
        }),
        31 => only::<UpdateOrganizationRequest>(b),
        32 => only::<CreateUnitRequest>(b),
        33 => json(b, |r: CreateNoticeRequest| {
            let _ = r.validate(NoticeSource::SocialServices, today());
        }),
        34 => json(b, |r: DraftRentCommitmentRequest| {
            let _ = r.validate();
        }),
        35 => json(b, |r: RentCommitmentDecisionRequest| {
            let _ = r.validate();
        }),
        _ => only::<RentCommitmentDeliveryRequest>(b),
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Deserializer};

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Named {
        kind: String,
    }

    /// A type whose refusal repeats the value, as a careless `deserialize_with` would.
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Careless {
        #[serde(deserialize_with = "careless")]
        kind: String,
    }

    fn careless<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        let s = String::deserialize(d)?;
        Err(serde::de::Error::custom(format!("no such kind: {s}")))
    }

    #[test]
    fn the_messages_own_words_in_a_value_are_no_echo() {
        // "field" and "expected" are serde's words; the unknown key is named, not a value.
        json(
            br#"{"kind": "field", "dispwsd": "expected"}"#,
            |_: Named| {},
        );
        json(
            br#"{"kind": "known", "unknown": "unknown field"}"#,
            |_: Named| {},
        );
    }

    #[test]
    #[should_panic(expected = "echoes a value")]
    fn a_repeated_value_is_caught() {
        json(br#"{"kind": "19121212-1212"}"#, |_: Careless| {});
    }
}
