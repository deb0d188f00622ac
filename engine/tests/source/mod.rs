//! Reading the crates' source text, for the tests that check its shape.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, into `out`.
pub fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src").flatten() {
        let p = entry.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}
