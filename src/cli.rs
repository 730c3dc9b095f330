//! The command line: `serve`, `migrate`, `admin create-user`, `audit verify`,
//! `access-review generate`, `keys rotate-field-key | retire-field-key | rotate-blind-index`,
//! `retention plan|approve|run|archive`, `openapi`, `demo`.

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "kvar",
    version,
    about = "Case management for eviction prevention"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (migrates and bootstraps the platform admin first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Administration tasks.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Audit trail tasks.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Access reviews (logguppföljning).
    AccessReview {
        #[command(subcommand)]
        command: AccessReviewCommand,
    },
    /// Key rotation: the master field key and the blind-index key.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Retention (gallring): plan, approve and run the erasure of personal data past its
    /// retention period, and the research sample's archive packages.
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Seed a demo municipality through the services: two units, a user of every role, and
    /// households with tenancies and cases in every status. Prints the demo users' password once.
    Demo {
        /// How many households (each with a tenancy and a case), 1–5000.
        #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(1..=5000))]
        households: u32,
        /// Seed of the content generator (default: from the clock). The same seed on a fresh
        /// database, on the same day, gives the same households.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Bulk-fill the database for the benchmark: households with persons, a tenancy and a case
    /// in the given unit (a quarter with notices and deadlines), 500 per transaction, through
    /// the domain code (encryption, blind index, audit events). Refused in production.
    Seed {
        /// How many households, 1–2000000.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=2_000_000))]
        households: u32,
        /// Id of the unit (of a municipality) the cases belong to.
        #[arg(long)]
        unit: String,
        /// Parallel transaction streams (1–16; more than 1 helps on PostgreSQL only).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=16))]
        threads: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a staff user. The password is read from standard input with --password-stdin,
    /// otherwise a random one is generated and printed once.
    CreateUser(CreateUser),
    /// PostgreSQL: give an existing role exactly what `kvar serve` needs (read/write on the
    /// business tables; SELECT and INSERT only on the audit trail, access log, notes and
    /// notices). Run as the tables' owner; then serve as that role with
    /// KVAR_MIGRATE_ON_START=false.
    GrantAppRole {
        #[arg(long)]
        role: String,
    },
}

#[derive(Debug, clap::Args)]
pub struct CreateUser {
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub display_name: String,
    /// admin, supervisor, caseworker, auditor, analyst or landlord
    #[arg(long)]
    pub role: String,
    /// Organization id (default: the platform organization)
    #[arg(long)]
    pub organization: Option<String>,
    /// Unit id (required for supervisors and caseworkers)
    #[arg(long)]
    pub unit: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Seal pending events, then verify the whole chain against the signed checkpoints (the
    /// database's, the sink's, and any given with --checkpoints): prints `ok n=…` or the first
    /// broken sequence number (exit status 1).
    Verify {
        /// A JSON-lines file of exported checkpoints to hold the chain to (repeatable).
        #[arg(long = "checkpoints", value_name = "FILE")]
        checkpoints: Vec<std::path::PathBuf>,
    },
    /// Seal pending events and sign a checkpoint of the chain head now (if it moved since the
    /// last one); prints it as one JSON line and appends it to the sink.
    Checkpoint,
    /// Print every signed checkpoint in the database, one JSON line each (the sink's format),
    /// after a line with the public key that verifies them.
    Checkpoints,
}

#[derive(Debug, Subcommand)]
pub enum AccessReviewCommand {
    /// Build the monthly review set of every unit of every municipality for the previous
    /// month (or --month). Idempotent: a unit's set of a month is built once. Run it from cron
    /// early each month; kvar has no scheduler of its own.
    Generate {
        /// The month to review, YYYY-MM (default: the previous month); it must have ended.
        #[arg(long, value_name = "YYYY-MM")]
        month: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Wrap every data key again under the current master field key (KVAR_FIELD_KEY of
    /// KVAR_FIELD_KEY_VERSION); the older versions must be in KVAR_FIELD_KEYS_OLD. In batches,
    /// each its own transaction: after a crash, run it again to finish. Prints the counts.
    RotateFieldKey {
        /// Data keys per transaction.
        #[arg(long, default_value_t = crate::keys_rotation::DEFAULT_BATCH,
              value_parser = clap::value_parser!(u32).range(1..=100_000))]
        batch_size: u32,
    },
    /// Record that a master field-key version is no longer used (refused while any data key is
    /// wrapped under it, or it is the current one). From then on the version is refused as
    /// KVAR_FIELD_KEY_VERSION and ignored, with a warning, in KVAR_FIELD_KEYS_OLD.
    RetireFieldKey {
        /// The version to retire (1–255).
        #[arg(value_parser = clap::value_parser!(u8).range(1..=255))]
        version: u8,
    },
    /// Recompute every person's blind index under the current blind-index key
    /// (KVAR_BLIND_INDEX_KEY of KVAR_BLIND_INDEX_KEY_VERSION); lookups keep trying the keys in
    /// KVAR_BLIND_INDEX_KEYS_OLD meanwhile. In batches: after a crash, run it again to finish.
    RotateBlindIndex {
        /// Persons per transaction.
        #[arg(long, default_value_t = crate::keys_rotation::DEFAULT_BATCH,
              value_parser = clap::value_parser!(u32).range(1..=100_000))]
        batch_size: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Store a plan of the clusters to erase (counts per municipality and rule, never names);
    /// prints its id and summary. It runs once approved (`approve`) with `run --plan ID`.
    Plan {
        /// The date to judge as of (tests and dry runs; refused in production).
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
        /// One machine-readable JSON line instead of text.
        #[arg(long)]
        json: bool,
        /// Username of the person making the plan (who may then not approve it).
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// Approve a plan for the municipality of USERNAME, an active auditor or supervisor of a
    /// municipality the plan erases in, who is not the planner.
    Approve {
        /// The plan id.
        plan: String,
        #[arg(long, value_name = "USERNAME")]
        by: String,
    },
    /// Erase: `--plan ID` runs an approved plan; without it, `--dry-run` prints what would be
    /// erased, and in development a real run plans and runs at once (production refuses).
    Run {
        #[arg(long, value_name = "ID")]
        plan: Option<String>,
        #[arg(long)]
        dry_run: bool,
        /// The date to judge as of (tests and dry runs; refused for a real run in production).
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
        /// One machine-readable JSON line instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The research sample's archive package: `--out DIR` writes the sample clusters awaiting
    /// the archive (JSON lines and MANIFEST.sha256); `--confirm DIR` verifies a delivered
    /// package's manifest and marks it received, so the next run erases its clusters.
    Archive {
        #[arg(long, value_name = "DIR")]
        out: Option<std::path::PathBuf>,
        #[arg(long, value_name = "DIR")]
        confirm: Option<std::path::PathBuf>,
        #[arg(long, value_name = "YYYY-MM-DD")]
        as_of: Option<String>,
    },
}
