//! Access tokens (JWT, HS256 pinned) and the claims they carry.

use std::time::Duration;

use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
};
use serde::{Deserialize, Serialize};

pub const ISSUER: &str = "kvar";
/// Audience of staff tokens; integration tokens get their own audience.
pub const STAFF_AUDIENCE: &str = "kvar-staff";
/// Audience of integration-client tokens (refused on the staff API and vice versa).
pub const INTEGRATION_AUDIENCE: &str = "kvar-integration";
/// Header `typ` of access tokens (RFC 9068).
pub const ACCESS_TYP: &str = "at+jwt";
/// The largest Authorization header considered (a larger one is refused unparsed).
pub const MAX_TOKEN_BYTES: usize = 4096;
/// Clock skew allowed on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECS: u64 = 5;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub jti: String,
    /// The user's token_version when issued.
    pub tv: i32,
}

/// Signs and checks access tokens with one key and one algorithm.
#[derive(Clone)]
pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
}

impl TokenIssuer {
    pub fn new(key: &[u8], ttl: Duration) -> Self {
        TokenIssuer {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            ttl,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Issue an access token for a user.
    pub fn issue(
        &self,
        user_id: &str,
        token_version: i32,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        self.issue_for(STAFF_AUDIENCE, user_id, token_version)
    }

    /// Issue an access token for `sub` in `audience`.
    pub fn issue_for(
        &self,
        audience: &str,
        sub: &str,
        token_version: i32,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: ISSUER.into(),
            aud: audience.into(),
            sub: sub.into(),
            exp: now + self.ttl.as_secs() as i64,
            nbf: now,
            iat: now,
            jti: uuid::Uuid::now_v7().to_string(),
            tv: token_version,
        };
        encode(&issued_header(), &claims, &self.encoding)
    }

    /// Check a staff token: signature, algorithm, header, iss, aud, exp, nbf, sub. Any failure is
    /// `None`.
    pub fn check(&self, token: &str) -> Option<Claims> {
        self.check_for(token, STAFF_AUDIENCE)
    }

    /// Check a token of `audience`.
    pub fn check_for(&self, token: &str, audience: &str) -> Option<Claims> {
        self.verify(token, audience).ok()
    }

    /// Check a token of `audience`; a refusal says why in a fixed word (for the log: never the
    /// token, nor a claim's value).
    pub fn verify(&self, token: &str, audience: &str) -> Result<Claims, &'static str> {
        use jsonwebtoken::errors::ErrorKind;
        if token.len() > MAX_TOKEN_BYTES {
            return Err("too_long");
        }
        let header = decode_header(token).map_err(|_| "malformed_header")?;
        if header.alg != Algorithm::HS256 {
            return Err("algorithm");
        }
        if header.typ.as_deref() != Some(ACCESS_TYP) {
            return Err("typ");
        }
        // Exactly the header we issue: no `kid` (one key, no keyring), and never a key or a key
        // location from the token itself (`jwk`, `jku`, `x5u`, `x5c`, ...), nor `crit` or extras.
        if header != issued_header() {
            return Err("header_fields");
        }
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[audience]);
        v.set_required_spec_claims(&["exp", "nbf", "sub", "iss", "aud"]);
        v.validate_exp = true;
        v.validate_nbf = true;
        v.leeway = LEEWAY_SECS;
        decode::<Claims>(token, &self.decoding, &v)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => "signature",
                ErrorKind::ExpiredSignature => "expired",
                ErrorKind::ImmatureSignature => "not_yet_valid",
                ErrorKind::InvalidIssuer => "issuer",
                ErrorKind::InvalidAudience => "audience",
                ErrorKind::MissingRequiredClaim(_) => "missing_claim",
                ErrorKind::InvalidClaimFormat(_) | ErrorKind::Json(_) => "claims",
                _ => "malformed",
            })
    }
}

/// The header of every token we issue.
fn issued_header() -> Header {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = Some(ACCESS_TYP.into());
    header
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn issuer() -> TokenIssuer {
        TokenIssuer::new(&[7u8; 32], Duration::from_secs(600))
    }

    fn forge(header: &str, claims: serde_json::Value, key: &[u8]) -> String {
        use hmac::{Hmac, Mac};
        let h = URL_SAFE_NO_PAD.encode(header);
        let c = URL_SAFE_NO_PAD.encode(claims.to_string());
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("key");
        mac.update(format!("{h}.{c}").as_bytes());
        let s = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{h}.{c}.{s}")
    }

    fn claims(now: i64) -> serde_json::Value {
        serde_json::json!({"iss": ISSUER, "aud": STAFF_AUDIENCE, "sub": "u1", "exp": now + 300,
            "nbf": now - 1, "iat": now, "jti": "j", "tv": 1})
    }

    const GOOD_HEADER: &str = r#"{"alg":"HS256","typ":"at+jwt"}"#;

    #[test]
    fn issued_tokens_check_and_live_at_most_ten_minutes() {
        let t = issuer().issue("u1", 3).expect("issue");
        let c = issuer().check(&t).expect("valid");
        assert_eq!((c.sub.as_str(), c.tv), ("u1", 3));
        assert!(c.exp - c.iat <= 600);
    }

    #[test]
    fn a_forged_token_with_the_right_key_checks() {
        // Guards the forging helper used by the attack cases below.
        let now = chrono::Utc::now().timestamp();
        assert!(
            issuer()
                .check(&forge(GOOD_HEADER, claims(now), &[7u8; 32]))
                .is_some()
        );
    }

    #[test]
    fn attack_tokens_are_refused() {
        let now = chrono::Utc::now().timestamp();
        let key = [7u8; 32];
        let mut cases: Vec<(&str, String)> = Vec::new();
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt"}"#),
            URL_SAFE_NO_PAD.encode(claims(now).to_string())
        );
        cases.push(("alg none", none));
        cases.push(("wrong key", forge(GOOD_HEADER, claims(now), &[8u8; 32])));
        cases.push((
            "HS512",
            forge(r#"{"alg":"HS512","typ":"at+jwt"}"#, claims(now), &key),
        ));
        cases.push((
            "typ JWT",
            forge(r#"{"alg":"HS256","typ":"JWT"}"#, claims(now), &key),
        ));
        cases.push(("no typ", forge(r#"{"alg":"HS256"}"#, claims(now), &key)));
        let mut c = claims(now);
        c["exp"] = serde_json::json!(now - 60);
        cases.push(("expired", forge(GOOD_HEADER, c, &key)));
        let mut c = claims(now);
        c["nbf"] = serde_json::json!(now + 120);
        cases.push(("not yet valid", forge(GOOD_HEADER, c, &key)));
        let mut c = claims(now);
        c["iss"] = serde_json::json!("evil");
        cases.push(("wrong iss", forge(GOOD_HEADER, c, &key)));
        let mut c = claims(now);
        c["aud"] = serde_json::json!("kvar-integration");
        cases.push(("wrong aud", forge(GOOD_HEADER, c, &key)));
        let mut c = claims(now);
        c["exp"] = serde_json::json!((now + 300).to_string());
        cases.push(("exp as string", forge(GOOD_HEADER, c, &key)));
        for field in ["exp", "nbf", "sub", "iss", "aud"] {
            let mut c = claims(now);
            c.as_object_mut().expect("object").remove(field);
            cases.push(("missing claim", forge(GOOD_HEADER, c, &key)));
        }
        for header in [
            r#"{"alg":"HS256","typ":"at+jwt","kid":"k1"}"#,
            r#"{"alg":"HS256","typ":"at+jwt","kid":"../../dev/null"}"#,
            r#"{"alg":"HS256","typ":"at+jwt","jku":"https://evil.example/jwks.json"}"#,
            r#"{"alg":"HS256","typ":"at+jwt","x5u":"https://evil.example/cert.pem"}"#,
            r#"{"alg":"HS256","typ":"at+jwt","crit":["exp"]}"#,
            r#"{"alg":"HS256","typ":"at+jwt","extra":1}"#,
        ] {
            // Signed with the right key: only the header field itself can refuse these.
            cases.push(("header field", forge(header, claims(now), &key)));
        }
        cases.push(("oversized", "a".repeat(MAX_TOKEN_BYTES + 1)));
        cases.push(("garbage", "not.a.token".into()));
        for (name, token) in cases {
            assert!(issuer().check(&token).is_none(), "{name} was accepted");
        }
    }
}
