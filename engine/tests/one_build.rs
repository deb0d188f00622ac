//! The README's two commands share one build: every crate that `cargo run -p gameday`
//! compiles is compiled by the test suite (`cargo test --workspace`) with the same
//! features, so the second command reuses the first's artefacts instead of compiling
//! those crates (and everything above them) again. Read from `cargo tree`'s resolved
//! features; the fix for a difference is a feature in the workspace's alignment list
//! (`getrandom`, `zerocopy` in `Cargo.toml`).

use std::collections::BTreeMap;
use std::process::Command;

/// Each package `cargo tree` lists for `args`, with its resolved features.
fn features(args: &[&str]) -> BTreeMap<String, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .args(["tree", "--locked", "--offline", "--prefix", "none"])
        .args(["--format", "{p}|{f}"])
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo tree {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        // A package listed again ends in ` (*)`, after its features.
        .filter_map(|l| l.trim_end_matches(" (*)").split_once('|'))
        .map(|(p, f)| (p.to_owned(), f.to_owned()))
        .collect()
}

#[test]
fn the_binary_and_the_tests_build_shared_crates_with_the_same_features() {
    let run = features(&["-p", "gameday", "--edges", "normal,build"]);
    let test = features(&["--workspace", "--edges", "normal,build,dev"]);
    assert!(
        run.len() > 100,
        "only {} crates in the binary's build",
        run.len()
    );
    let differ: Vec<String> = run
        .iter()
        .filter_map(|(p, f)| {
            let t = test.get(p)?;
            (t != f).then(|| format!("{p}: run [{f}], test [{t}]"))
        })
        .collect();
    assert!(
        differ.is_empty(),
        "built twice, with other features for the tests:\n{}",
        differ.join("\n")
    );
}
