//! `gameday trend` and `gameday coverage`: analyses of many runs and of the library.
//! The engine computes and renders; this reads the inputs, reports every problem with its
//! path, and writes the result.

use crate::cli::AnalysisFormat;
use crate::exit::Exit;
use chrono::{DateTime, Utc};
use gameday_engine::coverage::{Attack, Coverage, LibraryScenario};
use gameday_engine::score::Summary;
use gameday_engine::trend::{Filter, Trend};
use gameday_engine::{diag, journal, library};
use std::path::{Path, PathBuf};

/// Every journal the paths stand for (see [`journal::discover`]). Every path that holds
/// no journal, and every journal that cannot be read or is not a run's, is reported with
/// its path; then the result is an error.
pub(crate) fn read_journals(paths: &[PathBuf]) -> Result<Vec<journal::Contents>, Exit> {
    let mut journals = Vec::new();
    let mut failed = false;
    for p in paths {
        if !p.exists() {
            eprintln!("error: {}: no such file or folder", p.display());
            failed = true;
            continue;
        }
        let found = match journal::discover(p) {
            Ok(found) => found,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                // The message names the path and says what was looked for.
                eprintln!("error: {e}: no runs to read");
                failed = true;
                continue;
            }
            Err(e) => {
                eprintln!("error: {}: {e}", p.display());
                failed = true;
                continue;
            }
        };
        for f in found {
            match journal::read(&f) {
                Ok(c) if c.is_run() => journals.push(c),
                Ok(_) => {
                    eprintln!(
                        "error: {}: not the journal of a run: its first event is not run_started",
                        f.display()
                    );
                    failed = true;
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    failed = true;
                }
            }
        }
    }
    if failed {
        Err(Exit::BadInput)
    } else {
        Ok(journals)
    }
}

/// The summary of every run the paths stand for (see [`read_journals`]).
fn read_runs(paths: &[PathBuf]) -> Result<Vec<Summary>, Exit> {
    Ok(read_journals(paths)?
        .into_iter()
        .filter_map(|c| Summary::of_journal(&c))
        .collect())
}

/// Writes the output to `out`, or to standard output.
fn emit(text: &str, out: Option<&Path>) -> Exit {
    let Some(path) = out else {
        print!("{text}");
        return Exit::Ok;
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        eprintln!("error: --out {}: {e}", path.display());
        return Exit::BadInput;
    }
    match gameday_engine::file::replace(path, text) {
        Ok(()) => {
            println!("{}", path.display());
            Exit::Ok
        }
        Err(e) => {
            eprintln!("error: --out {}: {e}", path.display());
            Exit::BadInput
        }
    }
}

/// `gameday trend`.
pub fn trend(
    paths: &[PathBuf],
    scenario: Option<String>,
    since: Option<DateTime<Utc>>,
    format: AnalysisFormat,
    out: Option<&Path>,
) -> Exit {
    let runs = match read_runs(paths) {
        Ok(r) => r,
        Err(code) => return code,
    };
    // A scenario with no run at all is most likely a typo.
    if let Some(id) = &scenario
        && !runs.iter().any(|s| &s.scenario == id)
    {
        let mut known: Vec<&str> = runs.iter().map(|s| s.scenario.as_str()).collect();
        known.sort_unstable();
        known.dedup();
        eprintln!(
            "error: --scenario {id}: none of the {} run(s) read is of this scenario; {}",
            runs.len(),
            diag::suggest(id, known.iter().copied())
        );
        return Exit::BadInput;
    }
    let t = Trend::new(&runs, &Filter { scenario, since });
    if t.runs == 0
        && let Some(since) = since
    {
        let latest = runs.iter().map(|s| s.started_at).max();
        eprintln!(
            "note: no run started on or after {} (the latest of the {} run(s) read started {})",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            runs.len(),
            latest.map_or("—".to_owned(), |t| t
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        );
    }
    let text = match format {
        AnalysisFormat::Text => t.to_text(),
        AnalysisFormat::Html => t.to_html(),
        AnalysisFormat::Json => t.to_json(),
    };
    emit(&text, out)
}

/// `gameday coverage`.
pub fn coverage(
    library_dir: &Path,
    runs: &[PathBuf],
    format: AnalysisFormat,
    out: Option<&Path>,
) -> Exit {
    let attack = match Attack::builtin() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::BadInput;
        }
    };
    let dir = library_dir.join("scenarios");
    let files = library::yaml_files(&dir);
    if files.is_empty() {
        eprintln!(
            "error: no scenarios in {} (give the library with --library DIR)",
            dir.display()
        );
        return Exit::BadInput;
    }
    // Like `list`: report every invalid scenario, show the valid ones, exit 2.
    let mut code = Exit::Ok;
    let mut scenarios = Vec::new();
    for f in &files {
        match library::load_checked(f, &library::runbooks_dir_for(f, library_dir)) {
            Ok(c) => scenarios.push(LibraryScenario::from(&c.scenario.value)),
            Err(d) => {
                eprintln!("{d}");
                code = Exit::BadInput;
            }
        }
    }
    let summaries = if runs.is_empty() {
        None
    } else {
        match read_runs(runs) {
            Ok(s) => Some(s),
            Err(code) => return code,
        }
    };
    let c = Coverage::new(attack, &scenarios, summaries.as_deref());
    let text = match format {
        AnalysisFormat::Text => c.to_text(),
        AnalysisFormat::Html => c.to_html(),
        AnalysisFormat::Json => c.to_json(),
    };
    match emit(&text, out) {
        Exit::Ok => code,
        failed => failed,
    }
}
