//! Version floors (security table row 35): the locked versions of crates with known advisories
//! are at or above the fixed releases (CVE-2026-25537 for jsonwebtoken; diesel 2.3.10; h2 0.4.16
//! when present). Reads Cargo.lock; no network.

/// Every locked version of `name` (a lock file may hold several).
fn locked(lock: &str, name: &str) -> Vec<Vec<u64>> {
    let mut out = Vec::new();
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{name}\"") {
            let version = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or_else(|| panic!("{name}: no version line"));
            out.push(
                version
                    .split(['.', '-', '+'])
                    .take(3)
                    .map(|p| p.parse().expect("numeric version"))
                    .collect(),
            );
        }
    }
    out
}

#[test]
fn locked_versions_are_at_or_above_the_advisory_floors() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
        .expect("Cargo.lock");
    for (name, floor, required) in [
        ("jsonwebtoken", [10, 3, 0], true),
        ("diesel", [2, 3, 10], true),
        ("h2", [0, 4, 16], false),
    ] {
        let versions = locked(&lock, name);
        assert!(
            !required || !versions.is_empty(),
            "{name} is not in Cargo.lock"
        );
        for v in versions {
            assert!(
                v.as_slice() >= floor.as_slice(),
                "{name} {v:?} is below {floor:?}"
            );
        }
    }
    // The parser finds what it should (so an empty result cannot pass silently).
    assert_eq!(
        locked("name = \"x\"\nversion = \"1.2.3\"\n", "x"),
        [vec![1, 2, 3]]
    );
}
