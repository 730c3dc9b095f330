//! Random tokens and secrets from the operating system's generator.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// `n` random bytes. The OS generator failing is unrecoverable for a security service.
pub fn bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    if getrandom::fill(&mut buf).is_err() {
        // Without randomness no secret can be made safely: stop rather than go on weakly.
        std::process::abort();
    }
    buf
}

/// A URL-safe random token with 256 bits of entropy.
pub fn token() -> String {
    URL_SAFE_NO_PAD.encode(bytes(32))
}

/// SHA-256 of a high-entropy token, hex: how opaque tokens are stored (a slow hash adds nothing
/// for 256-bit random values).
pub fn token_hash(token: &str) -> String {
    base16ct::lower::encode_string(&Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stored hashes (tokens, audit chain, blind index, idempotency) were written as `{:02x}` per
    /// byte before base16ct did the encoding: every byte value must still come out the same.
    #[test]
    fn hex_is_the_lowercase_two_digit_form_already_stored() {
        let all: Vec<u8> = (0..=255).collect();
        let old: String = all.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(base16ct::lower::encode_string(&all), old);
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
