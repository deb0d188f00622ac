//! What the scale tests and benchmarks share: a library of many copies, a library of one
//! quick scenario, and a child's peak memory.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Copies the library into `dir`, each scenario but those in `skip` `copies` times under
/// new ids; returns the ids.
pub fn library(dir: &Path, copies: usize, skip: &[&str]) -> Vec<String> {
    let root = crate::repo();
    let runbooks = dir.join("runbooks");
    std::fs::create_dir_all(&runbooks).expect("runbooks");
    for e in std::fs::read_dir(root.join("runbooks")).expect("runbooks") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, runbooks.join(p.file_name().expect("name"))).expect("copy");
    }
    let scenarios = dir.join("scenarios");
    std::fs::create_dir_all(&scenarios).expect("scenarios");
    let mut ids = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(root.join("scenarios"))
        .expect("scenarios")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    for p in files {
        let text = std::fs::read_to_string(&p).expect("scenario");
        let id = p.file_stem().expect("stem").to_string_lossy().into_owned();
        if skip.contains(&id.as_str()) {
            continue;
        }
        for n in 1..=copies {
            let copy = format!("{id}-{n}");
            let body = text.replacen(&format!("id: {id}\n"), &format!("id: {copy}\n"), 1);
            assert_ne!(body, text, "{id} starts with its id");
            std::fs::write(scenarios.join(format!("{copy}.yaml")), body).expect("write");
            ids.push(copy);
        }
    }
    ids
}

/// The peak resident memory of process `pid` until it ends, in MiB.
pub fn watch_rss(child: &mut std::process::Child) -> (std::process::ExitStatus, f64) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak: f64 = 0.0;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status_file)
            && let Some(kib) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<f64>().ok())
        {
            peak = peak.max(kib / 1024.0);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            return (status, peak);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A library of one quick scenario: compromised-access-key with deadlines of seconds, so
/// a game day without detections ends in a few seconds.
pub fn quick_library(dir: &Path) -> PathBuf {
    let lib = dir.join("library");
    std::fs::create_dir_all(lib.join("scenarios")).expect("dir");
    std::fs::create_dir_all(lib.join("runbooks")).expect("dir");
    let repo = crate::repo();
    let scenario = std::fs::read_to_string(repo.join("scenarios/compromised-access-key.yaml"))
        .expect("scenario")
        .replace("within: 15m", "within: 2s")
        .replace("within: 30m", "within: 2s");
    std::fs::write(lib.join("scenarios/compromised-access-key.yaml"), scenario).expect("write");
    std::fs::copy(
        repo.join("runbooks/compromised-iam-credentials.yaml"),
        lib.join("runbooks/compromised-iam-credentials.yaml"),
    )
    .expect("runbook");
    lib
}
