//! The `kvar` binary: parse the command line, load settings, run the subcommand.

use clap::Parser;

fn main() {
    kvar::memory::tune();
    let cli = kvar::cli::Cli::parse();
    let code = kvar::commands::run(cli.command);
    std::process::exit(code);
}
