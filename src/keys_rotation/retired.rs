//! Retired key versions (`retired_keys`): recorded by `kvar keys retire-field-key`, enforced
//! wherever kvar loads its keys against the database.

use diesel::prelude::*;

use crate::crypto::Keys;
use crate::db::AnyConnection;
use crate::db::schema::retired_keys;

/// The kind of key in `retired_keys.kind`.
pub const FIELD: &str = "field";
pub const BLIND_INDEX: &str = "blind_index";

/// The retired versions of a kind of key.
pub fn versions(conn: &mut AnyConnection, kind: &str) -> QueryResult<Vec<u8>> {
    let v: Vec<i32> = retired_keys::table
        .filter(retired_keys::kind.eq(kind))
        .select(retired_keys::version)
        .order(retired_keys::version)
        .load(conn)?;
    Ok(v.into_iter().filter_map(|v| u8::try_from(v).ok()).collect())
}

/// What the configuration may keep of its keys given the retired versions: an error naming the
/// variable when the current version is retired, otherwise the retired older versions to drop.
pub fn check(
    current_var: &'static str,
    current: u8,
    old: &[(u8, Vec<u8>)],
    retired: &[u8],
) -> Result<Vec<u8>, String> {
    if retired.contains(&current) {
        return Err(format!(
            "{current_var}: version {current} was retired; configure a newer key"
        ));
    }
    Ok(old
        .iter()
        .map(|(v, _)| *v)
        .filter(|v| retired.contains(v))
        .collect())
}

/// Refuse a retired current key; drop retired older keys from `keys` with a warning (the
/// configuration should no longer hold them).
pub fn enforce(conn: &mut AnyConnection, keys: &mut Keys) -> Result<(), String> {
    let retired = versions(conn, FIELD).map_err(|e| e.to_string())?;
    for v in check(
        "KVAR_FIELD_KEY_VERSION",
        keys.field_version,
        &keys.field_old,
        &retired,
    )? {
        tracing::warn!(
            version = v,
            "KVAR_FIELD_KEYS_OLD holds a retired field-key version: it is not used; remove it"
        );
        keys.field_old.retain(|(o, _)| *o != v);
    }
    let retired = versions(conn, BLIND_INDEX).map_err(|e| e.to_string())?;
    for v in check(
        "KVAR_BLIND_INDEX_KEY_VERSION",
        keys.blind_index_version,
        &keys.blind_index_old,
        &retired,
    )? {
        tracing::warn!(
            version = v,
            "KVAR_BLIND_INDEX_KEYS_OLD holds a retired blind-index version: it is not used; remove it"
        );
        keys.blind_index_old.retain(|(o, _)| *o != v);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retired_current_key_is_refused_and_retired_old_keys_are_dropped() {
        let old = vec![(1u8, vec![0u8; 32]), (2u8, vec![0u8; 32])];
        assert_eq!(check("V", 3, &old, &[]), Ok(vec![]));
        assert_eq!(check("V", 3, &old, &[1]), Ok(vec![1]));
        let e = check("V", 3, &old, &[1, 3]).expect_err("refused");
        assert!(e.starts_with("V: version 3 was retired"), "{e}");
    }
}
