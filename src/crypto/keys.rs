//! The five secret keys: JWT signing, audit-chain HMAC, field encryption, blind index, audit
//! checkpoint signing (an Ed25519 seed). Each
//! comes from its environment variable (base64, at least 32 bytes); in development a missing
//! key is generated once into `<data dir>/keys/` and the log says so. Production refuses to
//! start without them (checked in config).

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::config::{ConfigError, Environment, KEY_VARS, Settings};

/// Secret keys; Debug never prints them.
#[derive(Clone)]
pub struct Keys {
    pub jwt: Vec<u8>,
    pub audit: Vec<u8>,
    pub field: Vec<u8>,
    pub blind_index: Vec<u8>,
    /// Seed of the Ed25519 key that signs audit checkpoints (first 32 bytes).
    pub checkpoint: Vec<u8>,
    /// The version of `field` (`KVAR_FIELD_KEY_VERSION`).
    pub field_version: u8,
    /// Older master field keys still readable, by version (`KVAR_FIELD_KEYS_OLD`).
    pub field_old: Vec<(u8, Vec<u8>)>,
    /// The version of `blind_index` (`KVAR_BLIND_INDEX_KEY_VERSION`).
    pub blind_index_version: u8,
    /// Older blind-index keys lookups still try, by version (`KVAR_BLIND_INDEX_KEYS_OLD`).
    pub blind_index_old: Vec<(u8, Vec<u8>)>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(<redacted>)")
    }
}

const FILE_NAMES: [&str; 5] = [
    "jwt.key",
    "audit.key",
    "field.key",
    "blind_index.key",
    "checkpoint.key",
];

impl Keys {
    pub fn load(settings: &Settings) -> Result<Keys, ConfigError> {
        let mut out: Vec<Vec<u8>> = Vec::with_capacity(KEY_VARS.len());
        for i in 0..KEY_VARS.len() {
            let var = KEY_VARS[i];
            let key = match &settings.keys.from_env[i] {
                Some(v) => decode(v).ok_or_else(|| ConfigError {
                    var,
                    message: "must be base64 of at least 32 bytes".into(),
                })?,
                None if settings.env == Environment::Development => {
                    dev_key(&settings.data_dir, FILE_NAMES[i], var)?
                }
                None => {
                    return Err(ConfigError {
                        var,
                        message: "is required when KVAR_ENV=production".into(),
                    });
                }
            };
            out.push(key);
        }
        let [jwt, audit, field, blind_index, checkpoint]: [Vec<u8>; 5] =
            out.try_into().map_err(|_| ConfigError {
                var: "KVAR_JWT_KEY",
                message: "internal".into(),
            })?;
        let ks = &settings.keys;
        Ok(Keys {
            jwt,
            audit,
            field,
            blind_index,
            checkpoint,
            field_version: ks.field_version,
            field_old: old_keys(ks.field_old.as_deref(), ks.field_version).map_err(|message| {
                ConfigError {
                    var: "KVAR_FIELD_KEYS_OLD",
                    message,
                }
            })?,
            blind_index_version: ks.blind_index_version,
            blind_index_old: old_keys(ks.blind_index_old.as_deref(), ks.blind_index_version)
                .map_err(|message| ConfigError {
                    var: "KVAR_BLIND_INDEX_KEYS_OLD",
                    message,
                })?,
        })
    }

    /// Fixed keys for tests.
    pub fn for_tests() -> Keys {
        Keys {
            jwt: vec![1; 32],
            audit: vec![2; 32],
            field: vec![3; 32],
            blind_index: vec![4; 32],
            checkpoint: vec![5; 32],
            field_version: 1,
            field_old: Vec::new(),
            blind_index_version: 1,
            blind_index_old: Vec::new(),
        }
    }
}

/// Parse a list of older keys, `VERSION:base64,VERSION:base64`: versions 1–255, none twice, none
/// the current one; each key base64 of at least 32 bytes. The message never repeats a key.
pub fn old_keys(text: Option<&str>, current: u8) -> Result<Vec<(u8, Vec<u8>)>, String> {
    let mut out: Vec<(u8, Vec<u8>)> = Vec::new();
    for (i, item) in text
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .enumerate()
    {
        let n = i + 1;
        let (v, key) = item
            .split_once(':')
            .ok_or_else(|| format!("entry {n} must be VERSION:base64"))?;
        let v: u8 = v.trim().parse().ok().filter(|v| *v >= 1).ok_or_else(|| {
            format!("entry {n}: the version must be a whole number from 1 to 255")
        })?;
        if v == current {
            return Err(format!(
                "entry {n}: version {v} is the current key's version"
            ));
        }
        if out.iter().any(|(o, _)| *o == v) {
            return Err(format!("entry {n}: version {v} is listed twice"));
        }
        let key =
            decode(key).ok_or_else(|| format!("entry {n}: must be base64 of at least 32 bytes"))?;
        out.push((v, key));
    }
    Ok(out)
}

fn decode(v: &str) -> Option<Vec<u8>> {
    let v = v.trim();
    STANDARD
        .decode(v)
        .or_else(|_| URL_SAFE_NO_PAD.decode(v))
        .ok()
        .filter(|k| k.len() >= 32)
}

/// Read `<data>/keys/<name>`, creating it with a fresh random key when missing.
fn dev_key(data_dir: &Path, name: &str, var: &'static str) -> Result<Vec<u8>, ConfigError> {
    let dir = data_dir.join("keys");
    let path = dir.join(name);
    let fail = |m: String| ConfigError { var, message: m };
    if let Ok(text) = std::fs::read_to_string(&path) {
        return decode(&text)
            .ok_or_else(|| fail(format!("{} is not a valid key file", path.display())));
    }
    std::fs::create_dir_all(&dir)
        .map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
    let key = super::random::bytes(32);
    write_private(&path, &STANDARD.encode(&key))
        .map_err(|e| fail(format!("cannot write {}: {e}", path.display())))?;
    tracing::warn!(
        file = %path.display(),
        variable = var,
        "generated a development key (set the variable in production)"
    );
    Ok(key)
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(content.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_keys_are_parsed_and_bad_lists_refused_without_echoing_them() {
        let k = STANDARD.encode([9u8; 32]);
        let got = old_keys(Some(&format!("1:{k}, 3:{k}")), 2).expect("parses");
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].0, got[1].0), (1, 3));
        assert_eq!(got[0].1, vec![9u8; 32]);
        assert!(old_keys(None, 1).expect("empty").is_empty());
        for bad in [
            k.clone(),
            format!("0:{k}"),
            format!("256:{k}"),
            format!("2:{k}"),
            format!("1:{k},1:{k}"),
            "1:c2hvcnQ=".to_owned(),
        ] {
            let e = old_keys(Some(&bad), 2).expect_err("refused");
            assert!(!e.contains(&k), "{e}");
        }
    }
}
