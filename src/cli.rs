//! The command line: `serve`, `migrate`, `admin create-user`, `audit verify`, `openapi`.

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
    /// Print the OpenAPI document.
    Openapi,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a staff user. The password is read from standard input with --password-stdin,
    /// otherwise a random one is generated and printed once.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// admin, supervisor, caseworker, auditor, analyst or landlord
        #[arg(long)]
        role: String,
        /// Organization id (default: the platform organization)
        #[arg(long)]
        organization: Option<String>,
        /// Unit id (required for supervisors and caseworkers)
        #[arg(long)]
        unit: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Seal pending events, then verify the whole chain: prints `ok n=…` or the first broken
    /// sequence number (exit status 1).
    Verify,
}
