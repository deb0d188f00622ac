//! Standard output and standard error, as the command line prints to them.
//!
//! Scenario and runbook text, journals, the configuration and the cloud reach these
//! streams in titles, ids, reasons and error messages, and a terminal acts on what it is
//! given: an escape sequence in a scenario title can clear the screen or retitle the
//! window. So every byte the command line prints goes through
//! [`text::clean_output`](gameday_engine::text::clean_output) first, which keeps the
//! program's own layout (line breaks, tabs, Unicode) and removes everything else a
//! terminal would act on.
//!
//! Cleaning the stream, not each value, is what makes it impossible to forget: in this
//! crate `println!`, `print!`, `eprintln!` and `eprint!` are the macros below, which
//! shadow the standard library's, so a new call site is cleaned as it is written. What
//! would go around them is refused by clippy: the standard library's macros named by
//! path (`print_stdout`, `print_stderr`, denied in `lib.rs`) and the bare handles
//! (`std::io::stdout` and `std::io::stderr` are `disallowed-methods` in
//! `tui/clippy.toml`), with two reasoned exceptions: the console's terminal, which draws
//! cleaned text itself, and the log, whose formatter escapes every value it prints.
//!
//! A failed write to standard output (a closed pipe, as in `gameday list | head -1`) is
//! recorded below (`lost`), and decides the exit code (`finish`); one to standard error is
//! ignored. The standard library's macros would panic on either.

use gameday_engine::text;
use std::io::{self, ErrorKind, Write};
use std::sync::atomic::{AtomicU8, Ordering};

/// A stream that cleans what is written to it, a line at a time: a sequence split
/// between two writes is cleaned whole, and the characters that start one are removed
/// wherever they stand, so no write can smuggle one through.
pub(crate) struct Cleaned<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> Cleaned<W> {
    /// `inner`, cleaned.
    pub(crate) fn new(inner: W) -> Self {
        Cleaned {
            inner,
            pending: Vec::new(),
        }
    }

    fn emit(&mut self, bytes: &[u8]) -> io::Result<()> {
        let clean = text::clean_output(&String::from_utf8_lossy(bytes));
        self.inner.write_all(clean.as_bytes())
    }
}

impl<W: Write> Write for Cleaned<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        // A line break is never part of a multi-byte character: what comes before the
        // last one is whole text.
        if let Some(end) = self.pending.iter().rposition(|&b| b == b'\n') {
            let rest = self.pending.split_off(end + 1);
            let lines = std::mem::replace(&mut self.pending, rest);
            self.emit(&lines)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.emit(&rest)?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for Cleaned<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// Standard output, cleaned.
#[allow(
    clippy::disallowed_methods,
    reason = "the one place the command line opens standard output"
)]
pub(crate) fn stdout() -> Cleaned<io::Stdout> {
    Cleaned::new(io::stdout())
}

/// Standard error, cleaned.
#[allow(
    clippy::disallowed_methods,
    reason = "the one place the command line opens standard error"
)]
pub(crate) fn stderr() -> Cleaned<io::Stderr> {
    Cleaned::new(io::stderr())
}

/// Writes `args` to `stream` in one piece, then flushes it.
pub(crate) fn print(mut stream: impl Write, args: std::fmt::Arguments<'_>) -> io::Result<()> {
    let text = std::fmt::format(args);
    stream.write_all(text.as_bytes())?;
    stream.flush()
}

/// Writes `args` to cleaned standard output unless its reader has gone.
pub(crate) fn out(args: std::fmt::Arguments<'_>) {
    if !open() {
        return;
    }
    if let Err(e) = print(stdout(), args) {
        lost(&e);
    }
}

/// Writes `args` to cleaned standard error; a failure has nowhere to be said.
pub(crate) fn err(args: std::fmt::Arguments<'_>) {
    let _ = print(stderr(), args);
}

/// JSON for standard output: the characters the stream would remove are written as
/// `\u` escapes instead, so the document printed is the document meant.
pub(crate) fn json(value: &serde_json::Value) -> String {
    text::escape_json(&value.to_string())
}

/// [`json`], pretty-printed.
pub(crate) fn json_pretty(value: &serde_json::Value) -> String {
    text::escape_json(&serde_json::to_string_pretty(value).unwrap_or_default())
}

// Standard output that may go away. `gameday steps | head` closes the pipe after ten
// lines; Rust's own `print!` panics on the next write. Every `print!` and `println!` of
// this crate goes through `out` instead, which asks `open` first and tells `lost` when a
// write fails: once the reader is gone, output is dropped quietly and the command carries
// on to its end (a run still cleans up, `cleanup` still removes what it found), then
// exits as a program ended by a closed pipe does, 141 (128 + SIGPIPE), unless it failed
// otherwise.

/// Standard output takes what is written.
const OPEN: u8 = 0;
/// The reader closed the pipe.
const CLOSED: u8 = 1;
/// Writing failed otherwise (a full disk…), already said on standard error.
const FAILED: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(OPEN);

/// The exit code of a program whose standard output's reader went away.
pub(crate) const CLOSED_PIPE: i32 = 128 + 13;

/// Whether standard output still takes what is written.
pub(crate) fn open() -> bool {
    STATE.load(Ordering::Relaxed) == OPEN
}

/// Records that writing to standard output failed with `e`; says so on standard error
/// unless the reader simply went away.
pub(crate) fn lost(e: &std::io::Error) {
    let state = if e.kind() == ErrorKind::BrokenPipe {
        CLOSED
    } else {
        FAILED
    };
    if STATE.swap(state, Ordering::Relaxed) == OPEN && state == FAILED {
        err(format_args!(
            "error: cannot write to standard output: {e}\n"
        ));
    }
}

/// The exit code of a command that would exit with `code`, once what it buffered for
/// standard output is written: [`CLOSED_PIPE`] if the reader went away, 3 (aborted) if
/// standard output could not be written, unless `code` already says the command failed.
pub(crate) fn finish(code: i32) -> i32 {
    if STATE.load(Ordering::Relaxed) == OPEN
        && let Err(e) = stdout().flush()
    {
        lost(&e);
    }
    match STATE.load(Ordering::Relaxed) {
        _ if code != 0 => code,
        CLOSED => CLOSED_PIPE,
        // Standard output could not be written for another reason: a person must look.
        FAILED => crate::exit::Exit::Aborted.code(),
        _ => code,
    }
}

/// `println!` on cleaned standard output (see the module's documentation).
macro_rules! println {
    () => {
        $crate::term::out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::term::out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` on cleaned standard output.
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::term::out(format_args!($($arg)*))
    };
}

/// `eprintln!` on cleaned standard error.
macro_rules! eprintln {
    () => {
        $crate::term::err(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::term::err(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprint!` on cleaned standard error.
#[allow(unused_macros, reason = "there for the next call site that needs it")]
macro_rules! eprint {
    ($($arg:tt)*) => {
        $crate::term::err(format_args!($($arg)*))
    };
}

/// Prints `rows` under `header` as a table of left-aligned columns, each as wide as its
/// widest cell.
pub(crate) fn print_table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        println!("{}", s.trim_end());
    };
    line(header.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_reaches_the_stream_cleaned_whatever_the_pieces() {
        let mut out = Vec::new();
        {
            let mut w = Cleaned::new(&mut out);
            // A sequence split between writes, an OSC title, a bell, an 8-bit CSI.
            let _ = w.write_all(b"run: \x1b");
            let _ = w.write_all(b"[2Jtitle \x1b]0;pwned\x07ok\n\tnext ");
            let _ = w.write_all("\u{9b}31mred\r\n".as_bytes());
            let _ = w.write_all(b"no newline \x07");
        }
        let out = String::from_utf8(out).unwrap_or_default();
        assert_eq!(out, "run: title ok\n\tnext red\nno newline ");
    }

    #[test]
    fn json_printed_is_the_same_document() {
        let v = serde_json::json!({"title": "a\u{9b}\", \"b\u{202e}"});
        let printed = json(&v);
        assert_eq!(text::clean_output(&printed), printed);
        let back: serde_json::Value = serde_json::from_str(&printed).unwrap_or_default();
        assert_eq!(back, v);
    }
}
