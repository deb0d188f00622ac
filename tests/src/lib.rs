//! Helpers for the end-to-end tests: the `gameday` binary, built fresh, run as a user
//! would from the repository root.

pub mod aws_run;
pub mod browser;
pub mod contract;
pub mod moto;
pub mod proxy;
pub mod scale;
pub mod tmux;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repository root (the workspace).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_owned)
        .unwrap_or_default()
}

/// The `gameday` binary, built once per test process so it is never stale, in the
/// profile the test or benchmark itself was built in.
#[allow(clippy::panic)]
pub fn binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        // Test executables live in target/<profile>/deps; the binary one folder up.
        let exe = std::env::current_exe().unwrap_or_else(|e| panic!("current_exe: {e}"));
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .unwrap_or_else(|| panic!("unexpected test layout: {}", exe.display()));
        let release = dir.file_name().is_some_and(|n| n == "release");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut build = Command::new(cargo);
        build.args(["build", "--quiet", "-p", "gameday", "--bin", "gameday"]);
        // Cargo gives a test process its own package's variables; build scripts that
        // rerun when one changes (ring watches CARGO_MANIFEST_DIR and CARGO_PKG_*) would
        // otherwise see them differ from the test build's and rebuild the TLS stack and
        // every SDK crate on top of it, here and again in the next `cargo test`.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name == "OUT_DIR"
                || name.starts_with("CARGO_PKG_")
                || name.starts_with("CARGO_BIN_EXE_")
                || matches!(
                    &*name,
                    "CARGO_MANIFEST_DIR"
                        | "CARGO_MANIFEST_PATH"
                        | "CARGO_CRATE_NAME"
                        | "CARGO_PRIMARY_PACKAGE"
                        | "CARGO_TARGET_TMPDIR"
                        | "CARGO_RUSTC_CURRENT_DIR"
                )
            {
                build.env_remove(&*name);
            }
        }
        if release {
            build.arg("--release");
        }
        let status = build
            .current_dir(repo())
            .status()
            .unwrap_or_else(|e| panic!("cannot run cargo build: {e}"));
        assert!(status.success(), "cargo build of the gameday binary failed");
        let bin = dir.join("gameday");
        assert!(bin.is_file(), "no binary at {}", bin.display());
        bin
    })
}

/// A `gameday` command run from the repository root.
pub fn gameday() -> Command {
    let mut c = Command::new(binary());
    c.current_dir(repo());
    c.env_remove("GAMEDAY_LIBRARY");
    c
}

/// Runs `gameday ARGS` and returns its output.
#[allow(clippy::panic)]
pub fn run(args: &[&str]) -> Output {
    gameday()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run gameday: {e}"))
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The scenario files of the library, sorted.
pub fn library_scenarios() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join("scenarios"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

/// The events of the journal in `run_dir`, each as JSON.
#[allow(clippy::panic)]
pub fn journal(run_dir: &Path) -> Vec<serde_json::Value> {
    let path = run_dir.join("journal.jsonl");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}
