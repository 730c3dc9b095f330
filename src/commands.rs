//! What each subcommand does. Returns the process exit status.

use std::io::BufRead;

use crate::audit::AuditAction;
use crate::audit::sealer;
use crate::auth::{Role, password};
use crate::cli::{
    AccessReviewCommand, AdminCommand, AuditCommand, Command, CreateUser, KeysCommand,
};
use crate::config::Settings;
use crate::crypto::Keys;
use crate::db::{self, AnyConnection, write_tx};
use crate::error::ApiError;

/// `kvar audit verify | checkpoint | checkpoints`.
fn audit(
    conn: &mut AnyConnection,
    settings: &Settings,
    keys: &Keys,
    command: AuditCommand,
) -> Result<bool, String> {
    let cfg = crate::audit::checkpoint::Config::new(settings, keys)?;
    match command {
        AuditCommand::Verify { checkpoints } => {
            let mut extra = Vec::new();
            for file in &checkpoints {
                if !file.exists() {
                    return Err(format!("--checkpoints: {} does not exist", file.display()));
                }
                extra.extend(crate::audit::checkpoint::read_sink(file)?);
            }
            let report = crate::audit::verify::seal_and_verify(conn, &keys.audit, &cfg, extra)
                .map_err(|e| e.to_string())?;
            println!("{report}");
            Ok(report.ok)
        }
        AuditCommand::Checkpoint => {
            match sealer::seal_and_checkpoint(conn, &keys.audit, &cfg).map_err(|e| e.to_string())? {
                Some(cp) => println!("{}", serde_json::to_string(&cp).map_err(|e| e.to_string())?),
                None => println!("no new checkpoint: the chain has not moved since the last one"),
            }
            Ok(true)
        }
        AuditCommand::Checkpoints => {
            println!(
                "{}",
                serde_json::json!({"public_key": cfg.signer.public_key_base64(), "key_id": cfg.signer.key_id()})
            );
            for cp in
                crate::audit::checkpoint::list(conn, 0, i64::MAX).map_err(|e| e.to_string())?
            {
                println!("{}", serde_json::to_string(&cp).map_err(|e| e.to_string())?);
            }
            Ok(true)
        }
    }
}

/// The month `YYYY-MM` as its first and last day; None when malformed.
fn parse_month(s: &str) -> Option<(chrono::NaiveDate, chrono::NaiveDate)> {
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    crate::domain::access_review::month(y.parse().ok()?, m.parse().ok()?)
}

/// `kvar access-review generate [--month YYYY-MM]`.
fn access_review(
    conn: &mut AnyConnection,
    settings: &Settings,
    command: AccessReviewCommand,
) -> Result<bool, String> {
    let AccessReviewCommand::Generate { month } = command;
    let today = crate::domain::sweden::today();
    let period = match month {
        Some(m) => parse_month(&m).ok_or("--month must be YYYY-MM")?,
        None => crate::domain::access_review::previous_month(today).ok_or("no previous month")?,
    };
    if period.1 >= today {
        return Err("--month: the month has not ended yet".into());
    }
    let thresholds = crate::access_reviews::thresholds(settings);
    let outcomes = crate::access_reviews::generate::monthly(conn, period, thresholds)
        .map_err(|e| e.to_string())?;
    for o in &outcomes {
        match &o.built {
            Some((id, n)) => println!("unit {}: review {id} with {n} entries", o.unit_id),
            None => println!("unit {}: already reviewed for {}", o.unit_id, period.0),
        }
    }
    println!(
        "access reviews {} to {}: {} built, {} existed",
        period.0,
        period.1,
        outcomes.iter().filter(|o| o.built.is_some()).count(),
        outcomes.iter().filter(|o| o.built.is_none()).count()
    );
    Ok(true)
}

/// `kvar keys …`: the keys as configured, less what was retired.
fn keys(conn: &mut AnyConnection, keys: &Keys, command: KeysCommand) -> Result<bool, String> {
    use crate::crypto::field::BlindIndex;
    use crate::crypto::subjects::Keyring;
    use crate::keys_rotation::{blind, field};
    let mut keys = keys.clone();
    crate::keys_rotation::retired::enforce(conn, &mut keys)?;
    match command {
        KeysCommand::RotateFieldKey { batch_size } => {
            let ring = Keyring::from_keys(&keys);
            let r = field::rotate(conn, &ring, batch_size).map_err(|e| e.to_string())?;
            println!("{r}");
            Ok(r.left == 0)
        }
        KeysCommand::RetireFieldKey { version } => {
            match field::retire(conn, keys.field_version, version).map_err(|e| e.to_string())? {
                Ok(field::Retired::Now) => {
                    println!("field key version {version} retired");
                    Ok(true)
                }
                Ok(field::Retired::Already) => {
                    println!("field key version {version} was already retired");
                    Ok(true)
                }
                Err(why) => Err(format!("cannot retire field key version {version}: {why}")),
            }
        }
        KeysCommand::RotateBlindIndex { batch_size } => {
            let ring = Keyring::from_keys(&keys);
            let index = BlindIndex::from_keys(&keys)?;
            let r = blind::rotate(conn, &ring, &index, batch_size).map_err(|e| e.to_string())?;
            println!("{r}");
            Ok(r.left == r.erased)
        }
    }
}

/// Run a subcommand: 0 ok, 1 failed, 2 bad configuration.
pub fn run(command: Command) -> i32 {
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kvar: configuration error: {e}");
            return 2;
        }
    };
    crate::telemetry::init(settings.log_format);
    if let Command::Openapi = command {
        print!("{}", crate::openapi::spec_json());
        return 0;
    }
    let keys = match Keys::load(&settings) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("kvar: configuration error: {e}");
            return 2;
        }
    };
    let result = match command {
        Command::Serve => serve(settings, keys),
        Command::Migrate => with_conn(&settings, &keys, |conn| {
            let applied = crate::persons::split::migrate(conn, &keys)?;
            println!(
                "migrations applied: {}",
                if applied.is_empty() {
                    "none pending".into()
                } else {
                    applied.join(", ")
                }
            );
            Ok(true)
        }),
        Command::Admin { command } => with_conn(&settings, &keys, |conn| admin(conn, command)),
        Command::Audit { command } => with_conn(&settings, &keys, |conn| {
            audit(conn, &settings, &keys, command)
        }),
        Command::AccessReview { command } => with_conn(&settings, &keys, |conn| {
            access_review(conn, &settings, command)
        }),
        Command::Keys { command } => {
            with_conn(&settings, &keys, |conn| self::keys(conn, &keys, command))
        }
        Command::Retention { command } => with_conn(&settings, &keys, |conn| {
            crate::retention::cli::run(conn, &settings, &keys, command)
        }),
        Command::Demo { households, seed } => {
            crate::demo::run(settings, keys, crate::demo::Options { households, seed })
        }
        Command::Seed {
            households,
            unit,
            threads,
        } => crate::seed::run(
            settings,
            keys,
            crate::seed::Options {
                households,
                unit,
                threads,
            },
        ),
        Command::Openapi => Ok(true),
    };
    match result {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("kvar: {e}");
            1
        }
    }
}

fn serve(settings: Settings, keys: Keys) -> Result<bool, String> {
    actix_web::rt::System::new()
        .block_on(crate::app::serve(settings, keys))
        .map(|()| true)
}

fn with_conn(
    settings: &Settings,
    keys: &Keys,
    f: impl FnOnce(&mut AnyConnection) -> Result<bool, String>,
) -> Result<bool, String> {
    let pool = db::build_pool(&settings.database_url, 1, settings.db_timeout)?;
    let mut conn = pool
        .get()
        .map_err(|e| format!("DATABASE_URL: cannot connect: {e}"))?;
    if settings.migrate_on_start {
        crate::persons::split::migrate(&mut conn, keys)?;
    }
    f(&mut conn)
}

fn admin(conn: &mut AnyConnection, command: AdminCommand) -> Result<bool, String> {
    let CreateUser {
        username,
        display_name,
        role,
        organization,
        unit,
        password_stdin,
    } = match command {
        AdminCommand::GrantAppRole { role } => {
            db::privileges::grant(conn, &role)?;
            println!("granted the application privileges to {role}");
            return Ok(true);
        }
        AdminCommand::CreateUser(args) => args,
    };
    let role = Role::parse(&role)
        .ok_or("--role must be admin, supervisor, caseworker, auditor, analyst or landlord")?;
    let (pw, generated) = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        (crate::crypto::random::token(), true)
    };
    let username = crate::users::service::validate_new_user(&username, &display_name, &pw)
        .map_err(|e| match e {
            ApiError::Validation(errors) => errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        })?;
    let hash = password::hash(&pw).map_err(|e| e.to_string())?;
    let user = write_tx(conn, |tx| {
        let org_id = match organization {
            Some(id) => id,
            None => {
                crate::organizations::repo::find_by_kind(
                    tx,
                    crate::domain::states::OrganizationKind::Platform,
                )?
                .ok_or_else(|| {
                    ApiError::BadRequest(
                        "no platform organization; run `kvar serve` once or pass --organization"
                            .into(),
                    )
                })?
                .id
            }
        };
        crate::users::service::check_placement(tx, None, role, &org_id, unit.as_deref())?;
        let user = crate::users::service::insert_user(
            tx,
            &username,
            &display_name,
            &hash,
            role,
            &org_id,
            unit.as_deref(),
        )?;
        crate::audit::record(
            tx,
            crate::audit::NewEvent {
                actor: &crate::audit::Actor::system(),
                action: AuditAction::UserCreate,
                entity_type: "user",
                entity_id: Some(&user.id),
                case_id: None,
                changes: crate::users::service::created_changes(&user),
            },
        )?;
        Ok::<_, ApiError>(user)
    })
    .map_err(|e| match e {
        ApiError::Conflict { detail, .. } => detail,
        ApiError::Validation(errors) => errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    })?;
    println!(
        "created user {} ({}) id={}",
        user.username, user.role, user.id
    );
    if generated {
        println!("password (shown once): {pw}");
    }
    Ok(true)
}
