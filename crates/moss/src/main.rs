//! The `moss` binary.

use clap::Parser;
use moss::cli::Cli;

/// mimalloc instead of glibc's malloc: the server allocates and frees small buffers on many
/// threads (HTTP workers and the database threads), where it is faster and keeps resident memory
/// lower (glibc keeps a growing arena per thread). Measured in docs/benchmarks.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
