//! Standard output that may go away. `gameday steps | head` closes the pipe after ten
//! lines; Rust's own `print!` panics on the next write. Every `print!` and `println!` of
//! this crate goes through [`crate::term::out`] instead, which asks [`open`] first and
//! tells [`lost`] when a write fails: once the reader
//! is gone, output is dropped quietly and the command carries on to its end (a run still
//! cleans up, `cleanup` still removes what it found), then exits as a program ended by a
//! closed pipe does, 141 (128 + SIGPIPE), unless it failed otherwise.

use std::io::{ErrorKind, Write};
use std::sync::atomic::{AtomicU8, Ordering};

/// Standard output takes what is written.
const OPEN: u8 = 0;
/// The reader closed the pipe.
const CLOSED: u8 = 1;
/// Writing failed otherwise (a full disk…), already said on standard error.
const FAILED: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(OPEN);

/// The exit code of a program whose standard output's reader went away.
pub const CLOSED_PIPE: i32 = 128 + 13;

/// Exit code when standard output cannot be written for another reason.
const CANNOT_WRITE: i32 = 3;

/// Whether standard output still takes what is written.
pub fn open() -> bool {
    STATE.load(Ordering::Relaxed) == OPEN
}

/// Records that writing to standard output failed with `e`; says so on standard error
/// unless the reader simply went away.
pub fn lost(e: &std::io::Error) {
    let state = if e.kind() == ErrorKind::BrokenPipe {
        CLOSED
    } else {
        FAILED
    };
    if STATE.swap(state, Ordering::Relaxed) == OPEN && state == FAILED {
        eprintln!("error: cannot write to standard output: {e}");
    }
}

/// The exit code of a command that would exit with `code`, once what it buffered for
/// standard output is written: [`CLOSED_PIPE`] if the reader went away, 3 if standard
/// output could not be written, unless `code` already says the command failed.
pub fn finish(code: i32) -> i32 {
    if STATE.load(Ordering::Relaxed) == OPEN
        && let Err(e) = crate::term::stdout().flush()
    {
        lost(&e);
    }
    match STATE.load(Ordering::Relaxed) {
        _ if code != 0 => code,
        CLOSED => CLOSED_PIPE,
        FAILED => CANNOT_WRITE,
        _ => code,
    }
}
