//! The research sample's archive package (issue 14 item 2): the clusters kept because a person
//! of theirs is in the municipality's sample, past their retention period, written as JSON lines
//! (`clusters.jsonl`, one cluster a line with its persons, households and cases) with a
//! `MANIFEST.sha256` (`sha256sum` format) for the transfer to the archive authority. Confirming
//! the package (`--confirm DIR`) verifies the manifest against the files and marks the package
//! received; the next run erases those clusters (rule `archived_sample`) unless they changed
//! since (a new case makes another cluster, which a new package must list).

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::survey::{Judged, survey};
use crate::audit::{self, Actor, AuditAction, Changes, NewEvent};
use crate::crypto::subjects::Keyring;
use crate::db::schema::{
    archive_package_clusters, archive_packages, cases, households, notes, notices, persons,
};
use crate::db::{AnyConnection, types, write_tx};
use crate::domain::retention::{Keep, Verdict};
use crate::error::ApiError;

pub const DATA_FILE: &str = "clusters.jsonl";
pub const MANIFEST: &str = "MANIFEST.sha256";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn io(e: std::io::Error) -> ApiError {
    ApiError::BadRequest(format!("archive: {e}"))
}

fn clear(
    conn: &mut AnyConnection,
    ring: &Keyring,
    (table, column): (&str, &str),
    id: &str,
    blob: &[u8],
) -> Value {
    ring.open(conn, table, column, id, blob)
        .map_or(Value::Null, Value::String)
}

/// One cluster as the archive receives it.
fn cluster_json(conn: &mut AnyConnection, ring: &Keyring, j: &Judged) -> QueryResult<Value> {
    let c = &j.cluster;
    let ps: Vec<(String, Vec<u8>, Vec<u8>, i32)> = persons::table
        .filter(persons::id.eq_any(&c.persons))
        .select((
            persons::id,
            persons::pnr_enc,
            persons::name_enc,
            persons::birth_year,
        ))
        .load(conn)?;
    let hs: Vec<(String, String, Option<Vec<u8>>)> = households::table
        .filter(households::id.eq_any(&c.households))
        .select((
            households::id,
            households::municipality_code,
            households::address_enc,
        ))
        .load(conn)?;
    let mut household_values = Vec::new();
    for (id, code, sealed) in hs {
        let at = ("households", "address", id.as_str());
        let a =
            crate::households::address::StoredAddress::open(ring, conn, at, sealed.as_deref()).ok();
        household_values.push(json!({
            "id": id, "municipality_code": code,
            "street": a.as_ref().map(|a| &a.street),
            "postal_code": a.as_ref().map(|a| &a.postal_code),
            "city": a.as_ref().map(|a| &a.city),
        }));
    }
    type CaseCols = (
        String,
        String,
        String,
        String,
        Option<String>,
        chrono::NaiveDateTime,
        Option<chrono::NaiveDateTime>,
    );
    let cs: Vec<CaseCols> = cases::table
        .filter(cases::id.eq_any(&c.cases))
        .select((
            cases::id,
            cases::household_id,
            cases::status,
            cases::legal_stage,
            cases::outcome,
            cases::created_at,
            cases::closed_at,
        ))
        .order(cases::id)
        .load(conn)?;
    let mut case_values = Vec::new();
    for (id, household_id, status, stage, outcome, created_at, closed_at) in cs {
        let ns: Vec<(String, chrono::NaiveDateTime, Vec<u8>)> = notes::table
            .filter(notes::case_id.eq(&id))
            .select((notes::id, notes::created_at, notes::body_enc))
            .order(notes::created_at)
            .load(conn)?;
        type NoticeCols = (String, Option<NaiveDate>, Option<NaiveDate>, Option<String>);
        let ks: Vec<NoticeCols> = notices::table
            .filter(notices::case_id.eq(&id))
            .select((
                notices::kind,
                notices::sent_on,
                notices::served_on,
                notices::execution_outcome,
            ))
            .order(notices::created_at)
            .load(conn)?;
        case_values.push(json!({
            "id": id, "household_id": household_id, "status": status, "legal_stage": stage,
            "outcome": outcome, "created_at": created_at, "closed_at": closed_at,
            "notes": ns.iter().map(|(nid, at, body)| json!({
                "created_at": at, "body": clear(conn, ring, ("notes", "body"), nid, body)
            })).collect::<Vec<_>>(),
            "notices": ks.iter().map(|(kind, sent, served, outcome)| json!({
                "kind": kind, "sent_on": sent, "served_on": served, "execution_outcome": outcome
            })).collect::<Vec<_>>(),
        }));
    }
    Ok(json!({
        "cluster_key": c.key(),
        "organization_id": j.organization_id,
        "last_entry": j.facts.last_entry,
        "persons": ps.iter().map(|(id, pnr, name, year)| json!({
            "id": id, "personnummer": clear(conn, ring, ("persons", "pnr"), id, pnr),
            "name": clear(conn, ring, ("persons", "name"), id, name), "birth_year": year,
        })).collect::<Vec<_>>(),
        "households": household_values,
        "cases": case_values,
    }))
}

/// Write the package of the sample clusters awaiting the archive as of `as_of` into `dir`
/// (created; must be empty or new). Returns the package id and how many clusters it lists.
pub fn write(
    conn: &mut AnyConnection,
    ring: &Keyring,
    dir: &Path,
    as_of: NaiveDate,
    years: u32,
) -> Result<(String, usize), ApiError> {
    if dir.exists() && std::fs::read_dir(dir).map_err(io)?.next().is_some() {
        return Err(ApiError::BadRequest(
            "--out: the directory is not empty".into(),
        ));
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    let s = survey(conn, as_of, years)?;
    let waiting: Vec<&Judged> = s
        .clusters
        .iter()
        .filter(|j| j.verdict == Verdict::Keep(Keep::ResearchSample))
        .collect();
    let mut data = Vec::new();
    for j in &waiting {
        let line = cluster_json(conn, ring, j)?;
        data.extend_from_slice(line.to_string().as_bytes());
        data.push(b'\n');
    }
    let mut f = std::fs::File::create(dir.join(DATA_FILE)).map_err(io)?;
    f.write_all(&data).map_err(io)?;
    f.sync_all().map_err(io)?;
    let manifest = format!("{}  {DATA_FILE}\n", hex(&Sha256::digest(&data)));
    std::fs::write(dir.join(MANIFEST), &manifest).map_err(io)?;
    let manifest_hash = hex(&Sha256::digest(manifest.as_bytes()));
    let id = types::new_id();
    write_tx(conn, |tx| {
        diesel::insert_into(archive_packages::table)
            .values((
                archive_packages::id.eq(&id),
                archive_packages::created_at.eq(types::now()),
                archive_packages::manifest_sha256.eq(&manifest_hash),
                archive_packages::clusters.eq(i32::try_from(waiting.len()).unwrap_or(i32::MAX)),
            ))
            .execute(&mut **tx)?;
        for j in &waiting {
            diesel::insert_into(archive_package_clusters::table)
                .values((
                    archive_package_clusters::package_id.eq(&id),
                    archive_package_clusters::cluster_key.eq(j.cluster.key()),
                ))
                .execute(&mut **tx)?;
        }
        Ok::<_, ApiError>(())
    })?;
    Ok((id, waiting.len()))
}

/// Verify `dir`'s manifest against its files and mark its package confirmed. Returns the
/// package id and its cluster count.
pub fn confirm(conn: &mut AnyConnection, dir: &Path) -> Result<(String, usize), ApiError> {
    let manifest = std::fs::read_to_string(dir.join(MANIFEST)).map_err(io)?;
    for line in manifest.lines().filter(|l| !l.trim().is_empty()) {
        let (want, name) = line
            .split_once("  ")
            .ok_or_else(|| ApiError::BadRequest("--confirm: malformed manifest line".into()))?;
        if name.contains('/') || name.contains("..") {
            return Err(ApiError::BadRequest(
                "--confirm: the manifest names a file outside the package".into(),
            ));
        }
        let bytes = std::fs::read(dir.join(name)).map_err(io)?;
        if hex(&Sha256::digest(&bytes)) != want {
            return Err(ApiError::BadRequest(format!(
                "--confirm: {name} does not match the manifest"
            )));
        }
    }
    let manifest_hash = hex(&Sha256::digest(manifest.as_bytes()));
    write_tx(conn, |tx| {
        let found: Option<(String, i32, Option<chrono::NaiveDateTime>)> = archive_packages::table
            .filter(archive_packages::manifest_sha256.eq(&manifest_hash))
            .select((
                archive_packages::id,
                archive_packages::clusters,
                archive_packages::confirmed_at,
            ))
            .first(&mut **tx)
            .optional()?;
        let (id, clusters, confirmed) = found.ok_or_else(|| {
            ApiError::BadRequest("--confirm: no package with this manifest was written".into())
        })?;
        if confirmed.is_none() {
            diesel::update(archive_packages::table.find(&id))
                .set(archive_packages::confirmed_at.eq(Some(types::now())))
                .execute(&mut **tx)?;
            audit::record(
                tx,
                NewEvent {
                    actor: &Actor::system(),
                    action: AuditAction::RetentionArchiveConfirmed,
                    entity_type: "archive_package",
                    entity_id: Some(&id),
                    case_id: None,
                    changes: Changes::new()
                        .created("manifest_sha256", manifest_hash.as_str())
                        .created("clusters", clusters),
                },
            )?;
        }
        Ok((id, usize::try_from(clusters).unwrap_or(0)))
    })
}
