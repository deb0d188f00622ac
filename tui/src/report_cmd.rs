//! `gameday report`: the reports of one or more runs, from their journals alone.

use crate::analysis::read_journals;
use crate::assembly::write_report;
use crate::cli::ReportFormat;
use crate::exit::Exit;
use gameday_engine::report;
use std::path::{Path, PathBuf};

/// `gameday report`.
pub(crate) fn run(paths: &[PathBuf], formats: &[ReportFormat], out: Option<&Path>) -> Exit {
    let mut formats: Vec<report::Format> = formats.iter().map(|f| f.engine()).collect();
    formats.dedup();
    if out.is_none() && formats.len() > 1 {
        eprintln!("error: --format names several formats: give --out DIR to write them");
        return Exit::BadInput;
    }
    let journals = match read_journals(paths) {
        Ok(j) => j,
        Err(code) => return code,
    };
    let rep = report::Report::from_journals(&journals);
    let Some(dir) = out else {
        print!("{}", rep.render(formats[0]));
        return Exit::Ok;
    };
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("error: --out {}: {e}", dir.display());
        return Exit::BadInput;
    }
    for (path, written) in write_report(&rep, dir, &formats) {
        if let Err(e) = written {
            eprintln!("error: {}: {e}", path.display());
            return Exit::BadInput;
        }
        println!("{}", path.display());
    }
    Exit::Ok
}
