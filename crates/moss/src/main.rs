//! The `moss` binary.

use clap::Parser;
use moss::cli::Cli;

fn main() {
    let cli = Cli::parse();
    let as_json = cli.json;
    if let Err(e) = moss::commands::run(cli) {
        match (&e.envelope, as_json) {
            (Some(envelope), true) => println!("{}", serde_json::to_string_pretty(envelope).unwrap_or_default()),
            _ => eprintln!("error: {}", e.message),
        }
        std::process::exit(e.code);
    }
}
