//! Writing to stdout and stderr without ever panicking.
//!
//! `println!` and `eprintln!` panic when the write fails, and a write fails whenever the reader
//! of a pipe has gone away (`moss openapi | head -1`, a log shipper that exited). For a command
//! that would turn a closed pipe into a crash (exit 101); for the server, into requests answered
//! with an empty reply and a SIGTERM that no longer stops it. So every write goes through here:
//! stdout writes return their error to the caller, stderr writes are dropped when they fail, as
//! there is nowhere left to report them.

use std::io::{self, Write};

/// Writes `text` to stdout and flushes it; the error (e.g. a closed pipe) is the caller's to
/// handle.
pub fn to_stdout(text: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Writes `text` to stderr; a failure is ignored.
pub fn to_stderr(text: &str) {
    write_stderr(text.as_bytes());
}

fn write_stderr(bytes: &[u8]) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(bytes).and_then(|()| err.flush());
}

/// The log's writer: stderr, where a failed write is dropped and reported as written, so that
/// the log layer never sees an error (it would report it with `eprintln!`, which panics).
#[derive(Debug, Clone, Copy, Default)]
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // The log layer writes each event in one call, so this drops whole lines.
        write_stderr(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
