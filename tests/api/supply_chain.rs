//! Supply chain (security table row 35), offline, in the spirit of cargo-deny:
//! - version floors: the locked versions of crates with known advisories are at or above the
//!   fixed releases (CVE-2026-25537 for jsonwebtoken; diesel 2.3.10; h2 0.4.16 when present);
//! - sources: every locked package comes from crates.io (no git, no other registry, no path
//!   dependency but the crate itself);
//! - licenses: every package built for Linux (dependencies and dev-dependencies, from
//!   `cargo metadata --offline`) is under an allow-listed license expression.
//!
//! What this does not do: match against the RustSec advisory database (no network here to
//! fetch it); the floors above are the advisories we track by hand.

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

/// Every `source = ` of Cargo.lock is crates.io; the only package without one is kvar itself.
#[test]
fn every_locked_package_comes_from_crates_io() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
        .expect("Cargo.lock");
    let mut packages = 0;
    let mut without_source = Vec::new();
    for block in lock.split("[[package]]").skip(1) {
        packages += 1;
        let field = |k: &str| {
            block
                .lines()
                .find_map(|l| l.trim().strip_prefix(&format!("{k} = \"")))
                .and_then(|v| v.strip_suffix('"'))
        };
        match field("source") {
            Some(src) => assert_eq!(
                src,
                "registry+https://github.com/rust-lang/crates.io-index",
                "{:?} comes from elsewhere",
                field("name")
            ),
            None => without_source.push(field("name").unwrap_or("?").to_owned()),
        }
    }
    assert!(packages > 100, "parsed only {packages} packages");
    assert_eq!(without_source, ["kvar"]);
}

/// Licenses we accept: permissive, compatible with kvar's Apache-2.0.
const ALLOWED: &[&str] = &[
    "MIT",
    "MIT-0",
    "Apache-2.0",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Zlib",
    "Unicode-3.0",
    "CC0-1.0",
    "Unlicense",
    "BSL-1.0",
    "PostgreSQL",
];
const ALLOWED_EXCEPTIONS: &[&str] = &["LLVM-exception"];

/// Whether an SPDX expression (AND, OR, WITH, parentheses; the legacy `/` is OR) is satisfiable
/// with the allowed licenses. None: the expression does not parse.
fn allowed(expr: &str) -> Option<bool> {
    let spaced = expr
        .replace('/', " OR ")
        .replace('(', " ( ")
        .replace(')', " ) ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut pos = 0;
    let ok = or_expr(&tokens, &mut pos)?;
    (pos == tokens.len()).then_some(ok)
}

fn or_expr(t: &[&str], pos: &mut usize) -> Option<bool> {
    let mut ok = and_expr(t, pos)?;
    while t.get(*pos) == Some(&"OR") {
        *pos += 1;
        ok |= and_expr(t, pos)?;
    }
    Some(ok)
}

fn and_expr(t: &[&str], pos: &mut usize) -> Option<bool> {
    let mut ok = license(t, pos)?;
    while t.get(*pos) == Some(&"AND") {
        *pos += 1;
        ok &= license(t, pos)?;
    }
    Some(ok)
}

fn license(t: &[&str], pos: &mut usize) -> Option<bool> {
    let tok = *t.get(*pos)?;
    *pos += 1;
    if tok == "(" {
        let ok = or_expr(t, pos)?;
        (t.get(*pos) == Some(&")")).then(|| *pos += 1)?;
        return Some(ok);
    }
    if matches!(tok, ")" | "AND" | "OR" | "WITH") {
        return None;
    }
    let mut ok = ALLOWED.contains(&tok);
    if t.get(*pos) == Some(&"WITH") {
        let exception = *t.get(*pos + 1)?;
        *pos += 2;
        ok &= ALLOWED_EXCEPTIONS.contains(&exception);
    }
    Some(ok)
}

#[test]
fn the_license_evaluator_reads_spdx_expressions() {
    for (expr, want) in [
        ("MIT", Some(true)),
        ("MIT OR GPL-3.0", Some(true)),
        ("MIT AND GPL-3.0", Some(false)),
        ("GPL-3.0-only", Some(false)),
        ("(MIT OR Apache-2.0) AND Unicode-3.0", Some(true)),
        ("(MIT OR GPL-2.0) AND AGPL-3.0", Some(false)),
        ("Apache-2.0 WITH LLVM-exception OR GPL-2.0", Some(true)),
        ("GPL-2.0 WITH Classpath-exception-2.0", Some(false)),
        ("MIT/Apache-2.0", Some(true)),
        ("MIT OR", None),
        ("(MIT", None),
        ("", None),
    ] {
        assert_eq!(allowed(expr), want, "{expr}");
    }
}

/// Every package built for Linux carries a license, and it is allowed.
#[test]
fn every_dependency_is_under_an_allowed_license() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--offline",
            "--format-version",
            "1",
            "--filter-platform",
            "x86_64-unknown-linux-gnu",
            "--manifest-path",
            concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
        ])
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata json");
    let packages = meta["packages"].as_array().expect("packages");
    assert!(packages.len() > 100, "only {} packages", packages.len());
    let refused: Vec<String> = packages
        .iter()
        .filter_map(|p| {
            let name = format!("{} {}", p["name"].as_str()?, p["version"].as_str()?);
            match p["license"].as_str().map(allowed) {
                Some(Some(true)) => None,
                Some(_) => Some(format!("{name}: {}", p["license"])),
                None => Some(format!("{name}: no license field")),
            }
        })
        .collect();
    assert_eq!(
        refused,
        Vec::<String>::new(),
        "licenses outside the allow-list"
    );
}
