//! The journal: an append-only JSON Lines record of a run, one event a line, flushed and
//! fsynced per event so a crash loses nothing that was written.
//!
//! Secrets never enter it: step outputs that are secrets are kept apart by the engine, and
//! every line is scrubbed of every secret the run has seen before it is written.
//!
//! Reading one checks that it can be a run's record (see [`check`]) before anything
//! trusts it.

pub mod check;

use crate::event::{Body, Event};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The journal's file name inside a run directory.
pub const FILE_NAME: &str = "journal.jsonl";

/// Whether the run whose journal is in `run_dir` is in progress: its process holds the
/// journal's lock (released by the kernel when the process ends, however it ends).
pub fn is_live(run_dir: &Path) -> bool {
    match File::open(run_dir.join(FILE_NAME)) {
        Ok(f) => matches!(f.try_lock_shared(), Err(std::fs::TryLockError::WouldBlock)),
        Err(_) => false,
    }
}

/// Where the lines go.
enum Sink {
    File(File),
    Memory(Vec<String>),
}

/// A journal being written.
pub struct Journal {
    sink: Sink,
    path: Option<PathBuf>,
    secrets: Vec<String>,
    /// The run's claim to be in progress, kept as long as the journal is open.
    live: Option<crate::live::LiveLock>,
}

impl Journal {
    /// Creates `run_dir/journal.jsonl` (and the folder); fails if the journal exists.
    /// The file stays locked while the journal is open, which is how [`is_live`] tells a
    /// run in progress from one whose process died.
    pub fn create(run_dir: &Path) -> std::io::Result<Journal> {
        std::fs::create_dir_all(run_dir)?;
        let path = run_dir.join(FILE_NAME);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        file.try_lock().map_err(std::io::Error::other)?;
        Ok(Journal {
            sink: Sink::File(file),
            path: Some(path),
            secrets: Vec::new(),
            live: None,
        })
    }

    /// Opens the journal of a run whose process ended, to append to it: locks it (an
    /// error if its run is still live), and drops a last line a crash cut short, so what
    /// is appended starts on a line of its own. Returns what it held.
    pub fn resume(run_dir: &Path) -> Result<(Journal, Contents), ReadError> {
        let path = run_dir.join(FILE_NAME);
        let io = |source| ReadError::Io {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&path)
            .map_err(io)?;
        file.try_lock().map_err(|e| {
            io(std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                format!("the run is still in progress ({e})"),
            ))
        })?;
        let text = std::fs::read_to_string(&path).map_err(io)?;
        let contents = parse(&path, &text)?;
        let whole = text.rfind('\n').map_or(0, |i| i + 1);
        if whole < text.len() {
            file.set_len(whole as u64).map_err(io)?;
        }
        Ok((
            Journal {
                sink: Sink::File(file),
                path: Some(path),
                secrets: Vec::new(),
                live: None,
            },
            contents,
        ))
    }

    /// A journal kept in memory (benchmarks, tests).
    pub fn memory() -> Journal {
        Journal {
            sink: Sink::Memory(Vec::new()),
            path: None,
            secrets: Vec::new(),
            live: None,
        }
    }

    /// Claims run `run_id` as in progress on this machine for as long as the journal is
    /// open (see [`crate::live`]): a copy of the run directory is then still seen as live.
    pub fn claim(&mut self, run_id: &str) -> std::io::Result<()> {
        self.live = Some(crate::live::LiveLock::acquire(run_id)?);
        Ok(())
    }

    /// The file, for a journal on disk.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Registers a secret: no line will contain it.
    pub fn add_secret(&mut self, secret: &str) {
        if !secret.is_empty() {
            self.secrets.push(secret.to_owned());
        }
    }

    /// Appends one event; on disk, flushed and fsynced before returning.
    pub fn append(&mut self, event: &Event) -> std::io::Result<()> {
        let mut line = serde_json::to_string(event).map_err(std::io::Error::other)?;
        for s in &self.secrets {
            if line.contains(s.as_str()) {
                line = line.replace(s.as_str(), crate::secrets::REDACTED);
            }
        }
        // And whatever looks like one, however it got there.
        let mut line = crate::secrets::scrub(&line);
        match &mut self.sink {
            Sink::File(f) => {
                line.push('\n');
                f.write_all(line.as_bytes())?;
                f.flush()?;
                f.sync_data()
            }
            Sink::Memory(lines) => {
                lines.push(line);
                Ok(())
            }
        }
    }

    /// The lines of an in-memory journal.
    pub fn lines(&self) -> &[String] {
        match &self.sink {
            Sink::Memory(lines) => lines,
            Sink::File(_) => &[],
        }
    }
}

/// A journal as read back.
#[derive(Debug, Clone)]
pub struct Contents {
    /// Every complete event.
    pub events: Vec<Event>,
    /// True when the last line was cut short (a crash mid-write) and was skipped.
    pub torn_tail: bool,
}

impl Contents {
    /// The journal as reports read it: every event [`cleaned`](Event::cleaned).
    pub fn cleaned(&self) -> Contents {
        Contents {
            events: self.events.iter().map(Event::cleaned).collect(),
            torn_tail: self.torn_tail,
        }
    }

    /// Whether this is a run's journal: it starts with `run_started`, which embeds the
    /// plan every reader needs.
    pub fn is_run(&self) -> bool {
        matches!(
            self.events.first().map(|e| &e.body),
            Some(Body::RunStarted { .. })
        )
    }
}

/// Why a journal could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line that is not the last is not an event.
    #[error("{path}:{line}: not a journal event: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// Why.
        message: String,
    },
    /// The events cannot be a run's record: out of order, times that cannot be, or
    /// events where none can come (see [`check`]).
    #[error("{path}:{line}: {message}")]
    Inconsistent {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What cannot be.
        message: String,
    },
    /// No events at all.
    #[error("{0}: the journal is empty")]
    Empty(PathBuf),
}

/// Reads a journal file, or the journal inside a run directory. A torn last line is
/// tolerated and reported; anything else malformed, and events that cannot be a run's
/// record ([`check`]), are errors naming the line.
pub fn read(path: &Path) -> Result<Contents, ReadError> {
    let file = if path.is_dir() {
        path.join(FILE_NAME)
    } else {
        path.to_owned()
    };
    let text = std::fs::read_to_string(&file).map_err(|source| ReadError::Io {
        path: file.clone(),
        source,
    })?;
    parse(&file, &text)
}

/// The journals a path stands for: a journal file; a run directory (its journal); or a
/// folder of run directories (the journal of each, in name order, which is start order
/// for the run ids gameday makes).
pub fn discover(path: &Path) -> std::io::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    let own = path.join(FILE_NAME);
    if own.is_file() {
        return Ok(vec![own]);
    }
    let mut found = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let journal = entry?.path().join(FILE_NAME);
        if journal.is_file() {
            found.push(journal);
        }
    }
    found.sort();
    if found.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "{}: no {FILE_NAME} in it or in any folder directly inside it",
                path.display()
            ),
        ));
    }
    Ok(found)
}

/// Parses journal text (see [`read`]).
pub fn parse(file: &Path, text: &str) -> Result<Contents, ReadError> {
    let mut events = Vec::new();
    let mut line_of = Vec::new();
    let mut torn_tail = false;
    let lines: Vec<&str> = text.split('\n').collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Event>(line) {
            Ok(e) => {
                events.push(e);
                line_of.push(i + 1);
            }
            // The last line without its newline is a write the crash cut short.
            Err(_) if i == lines.len() - 1 => torn_tail = true,
            Err(e) => {
                return Err(ReadError::Corrupt {
                    path: file.to_owned(),
                    line: i + 1,
                    message: e.to_string(),
                });
            }
        }
    }
    if events.is_empty() {
        return Err(ReadError::Empty(file.to_owned()));
    }
    if let Err(p) = check::check(&events) {
        return Err(ReadError::Inconsistent {
            path: file.to_owned(),
            line: line_of.get(p.index).copied().unwrap_or(1),
            message: p.message,
        });
    }
    Ok(Contents { events, torn_tail })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Body, RunPhase};

    /// The `run_started` of a committed journal: every journal begins with one.
    fn started() -> Event {
        let first = include_str!("../tests/journals/passed/journal.jsonl")
            .lines()
            .next()
            .expect("a first line");
        serde_json::from_str(first).expect("run_started")
    }

    /// Event `seq` of that run, `seq` ms into it.
    fn event(seq: u64, body: Body) -> Event {
        Event {
            seq,
            at: started().at + chrono::Duration::milliseconds(seq as i64),
            t_ms: seq,
            body,
        }
    }

    fn phase(seq: u64, phase: RunPhase) -> Event {
        event(seq, Body::PhaseStarted { phase })
    }

    #[test]
    fn a_resumed_journal_drops_a_torn_line_and_appends_after_the_rest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let run = dir.path().join("r1");
        let mut journal = Journal::create(&run).expect("create");
        journal.append(&started()).expect("append");
        journal.append(&phase(1, RunPhase::Setup)).expect("append");
        assert!(Journal::resume(&run).is_err(), "live: not resumable");
        drop(journal);
        let path = run.join(FILE_NAME);
        let mut f = OpenOptions::new().append(true).open(&path).expect("open");
        f.write_all(b"{\"seq\":2,\"at\"").expect("tear");
        drop(f);
        let (mut resumed, contents) = Journal::resume(&run).expect("resume");
        assert!(contents.torn_tail);
        assert_eq!(contents.events.len(), 2);
        resumed
            .append(&phase(2, RunPhase::Cleanup))
            .expect("append");
        let back = read(&run).expect("read");
        assert!(!back.torn_tail);
        assert_eq!(back.events.len(), 3);
    }

    #[test]
    fn a_run_is_live_while_its_journal_is_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let run = dir.path().join("r1");
        assert!(!is_live(&run), "no journal yet");
        let journal = Journal::create(&run).expect("create");
        assert!(is_live(&run));
        drop(journal);
        assert!(!is_live(&run), "closed: the lock is gone");
    }

    #[test]
    fn writes_lines_that_read_back_and_scrubs_secrets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut j = Journal::create(dir.path()).expect("create");
        j.add_secret("wJalrXUtnFEMI/K7MDENG");
        j.append(&started()).expect("append");
        j.append(&event(
            1,
            Body::NoteAdded {
                text: "key wJalrXUtnFEMI/K7MDENG".into(),
                by: crate::event::Actor::Responder,
                who: None,
                answers: None,
            },
        ))
        .expect("append");
        let text = std::fs::read_to_string(dir.path().join(FILE_NAME)).expect("read");
        assert!(!text.contains("wJalrXUtnFEMI"));
        let c = read(dir.path()).expect("parses");
        assert_eq!(c.events.len(), 2);
        assert!(!c.torn_tail);
        assert!(
            Journal::create(dir.path()).is_err(),
            "a journal is never overwritten"
        );
    }

    fn text(events: &[Event]) -> String {
        events
            .iter()
            .map(|e| serde_json::to_string(e).expect("json") + "\n")
            .collect()
    }

    #[test]
    fn tolerates_a_torn_last_line_only() {
        let good = text(&[started(), phase(1, RunPhase::Watch)]);
        let last = serde_json::to_string(&phase(2, RunPhase::Cleanup)).expect("json");
        let torn = format!("{good}{}", &last[..last.len() / 2]);
        let c = parse(Path::new("j"), &torn).expect("torn tail tolerated");
        assert_eq!(c.events.len(), 2);
        assert!(c.torn_tail);
        let corrupt = format!("{}\n{good}", &last[..10]);
        assert!(matches!(
            parse(Path::new("j"), &corrupt),
            Err(ReadError::Corrupt { line: 1, .. })
        ));
        assert!(matches!(
            parse(Path::new("j"), ""),
            Err(ReadError::Empty(_))
        ));
    }

    #[test]
    fn events_that_cannot_be_are_refused_naming_their_line() {
        // Blank lines count: the line is the file's, as an editor shows it.
        let journal = format!(
            "{}\n{}",
            text(&[started(), phase(1, RunPhase::Setup)]),
            text(&[phase(3, RunPhase::Attack)])
        );
        let e = parse(Path::new("runs/r1/journal.jsonl"), &journal).expect_err("a gap");
        assert!(
            matches!(e, ReadError::Inconsistent { line: 4, .. }),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "runs/r1/journal.jsonl:4: phase_started: seq is 3, where 2 comes next: \
             events are missing before it"
        );
        let e = parse(Path::new("j"), &text(&[phase(0, RunPhase::Setup)])).expect_err("no start");
        assert!(
            matches!(e, ReadError::Inconsistent { line: 1, .. }),
            "{e:?}"
        );
    }
}
