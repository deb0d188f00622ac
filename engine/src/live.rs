//! Which runs are in progress, by run id rather than by folder: a copy of a run directory
//! (a synced folder, a CI artefact) carries the journal but not the process, so liveness
//! is a lock keyed by the run id in a folder of this machine's, held by the run's process
//! for as long as it lives (the kernel releases it however the process ends). A run on
//! another machine holds no lock here: its journal says which machine it ran on, and
//! clean-up from elsewhere then asks for proof of age instead (see `gameday cleanup`).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// The folder of the locks: `GAMEDAY_LIVE_DIR`, else `$XDG_RUNTIME_DIR/gameday`, else
/// `~/.cache/gameday/live`, else one in the temporary folder.
fn dir() -> PathBuf {
    if let Some(d) = std::env::var_os("GAMEDAY_LIVE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_RUNTIME_DIR") {
        return PathBuf::from(d).join("gameday");
    }
    if let Some(h) = std::env::var_os("HOME") {
        return PathBuf::from(h).join(".cache/gameday/live");
    }
    std::env::temp_dir().join("gameday-live")
}

fn path_in(dir: &Path, run_id: &str) -> PathBuf {
    // Run ids are hex; anything else is kept to a safe file name.
    let safe: String = run_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{safe}.lock"))
}

/// A run's claim to be in progress, held until dropped (or the process ends).
#[derive(Debug)]
pub struct LiveLock {
    _file: File,
}

impl LiveLock {
    /// Claims run `run_id` as in progress on this machine; fails if it already is.
    pub fn acquire(run_id: &str) -> std::io::Result<LiveLock> {
        LiveLock::acquire_in(&dir(), run_id)
    }

    /// [`LiveLock::acquire`], with the locks in `dir`.
    pub fn acquire_in(dir: &Path, run_id: &str) -> std::io::Result<LiveLock> {
        let p = path_in(dir, run_id);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&p)?;
        file.try_lock().map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::WouldBlock,
                format!("run {run_id} is already in progress on this machine ({e})"),
            )
        })?;
        Ok(LiveLock { _file: file })
    }
}

/// Whether run `run_id` is in progress on this machine.
pub fn is_live(run_id: &str) -> bool {
    is_live_in(&dir(), run_id)
}

/// [`is_live`], with the locks in `dir`.
pub fn is_live_in(dir: &Path, run_id: &str) -> bool {
    match File::open(path_in(dir, run_id)) {
        Ok(f) => matches!(f.try_lock_shared(), Err(std::fs::TryLockError::WouldBlock)),
        Err(_) => false,
    }
}

/// This machine, as a run's journal records where it ran: the host name and the machine
/// id where the system keeps one.
pub fn this_host() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    let name = read("/proc/sys/kernel/hostname")
        .or_else(|| read("/etc/hostname"))
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".to_owned());
    match read("/etc/machine-id") {
        Some(id) => format!("{name} ({})", &id[..id.len().min(12)]),
        None => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_live_while_its_lock_is_held_wherever_its_folder_is() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        assert!(!is_live_in(d, "0a1b2c3d"));
        let lock = LiveLock::acquire_in(d, "0a1b2c3d").expect("claims");
        assert!(is_live_in(d, "0a1b2c3d"));
        assert!(
            LiveLock::acquire_in(d, "0a1b2c3d").is_err(),
            "one claim at a time"
        );
        assert!(!is_live_in(d, "99999999"));
        drop(lock);
        assert!(!is_live_in(d, "0a1b2c3d"), "released with the claim");
        assert!(!this_host().is_empty());
    }
}
