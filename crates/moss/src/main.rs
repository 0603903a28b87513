//! The `moss` binary.

use clap::Parser;
use moss::cli::Cli;
use moss::commands::CliError;
use moss::output;

/// mimalloc instead of glibc's malloc: the server allocates and frees small buffers on many
/// threads (HTTP workers and the database threads), where it is faster and keeps resident memory
/// lower (glibc keeps a growing arena per thread). Measured in docs/benchmarks.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = Cli::parse();
    let as_json = cli.json;
    if let Err(e) = moss::commands::run(cli) {
        report(&e, as_json);
        std::process::exit(e.code);
    }
}

/// With `--json`, the error's envelope on stdout when it has one; otherwise, or when stdout
/// cannot take it, the message on stderr.
fn report(e: &CliError, as_json: bool) {
    if let (Some(envelope), true) = (&e.envelope, as_json) {
        let text = format!("{}\n", serde_json::to_string_pretty(envelope).unwrap_or_default());
        if output::to_stdout(&text).is_ok() {
            return;
        }
    }
    output::to_stderr(&format!("error: {}\n", e.message));
}
