//! No function outside the tests is longer than a reader can hold in mind: 120 lines,
//! from its `fn` line to its closing brace, in the engine and in the command line. Read
//! from the source text as `rustfmt` lays it out (a body closes with `}` at the indentation
//! its `fn` line opened at); test modules and files compiled only for tests are skipped.
//!
//! `cargo test -p gameday-engine --test function_length -- --nocapture` also prints the
//! longest functions.

use std::path::{Path, PathBuf};

const LIMIT: usize = 120;

mod source;
use source::files;

/// A function: where it is and how many lines it spans.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Function {
    lines: usize,
    file: String,
    line: usize,
    name: String,
}

/// The name of the function a line opens, if it opens one.
fn fn_name(line: &str) -> Option<&str> {
    let mut rest = line.trim_start();
    for word in [
        "pub(crate) ",
        "pub(super) ",
        "pub ",
        "const ",
        "async ",
        "unsafe ",
    ] {
        rest = rest.strip_prefix(word).unwrap_or(rest);
    }
    let rest = rest.strip_prefix("fn ")?;
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))?;
    Some(&rest[..end])
}

/// The functions of one file's text, outside its test module.
fn functions(file: &str, text: &str) -> Vec<Function> {
    let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = fn_name(line) else { continue };
        if line.trim_start().starts_with("//") {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let close = format!("{}}}", " ".repeat(indent));
        // A declaration without a body (a trait's) ends in `;` before any `{` line.
        let mut end = None;
        for (j, l) in lines.iter().enumerate().skip(i) {
            if l.trim_end().ends_with(';') && !lines[i..j].iter().any(|l| l.ends_with('{')) {
                break;
            }
            if *l == close || (j == i && l.trim_end().ends_with('}')) {
                end = Some(j);
                break;
            }
        }
        if let Some(end) = end {
            out.push(Function {
                lines: end - i + 1,
                file: file.to_owned(),
                line: i + 1,
                name: name.to_owned(),
            });
        }
    }
    out
}

/// Modules compiled only for tests: `#[cfg(test)] mod NAME;` anywhere in `src`.
fn test_only(sources: &[(PathBuf, String)]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for (path, text) in sources {
        let lines: Vec<&str> = text.lines().collect();
        for w in lines.windows(2) {
            if w[0].trim() != "#[cfg(test)]" {
                continue;
            }
            let decl = w[1].trim();
            let decl = decl.strip_prefix("pub(crate) ").unwrap_or(decl);
            let Some(name) = decl.strip_prefix("mod ").and_then(|d| d.strip_suffix(';')) else {
                continue;
            };
            let dir = path.parent().expect("a folder");
            // `mod x;` in `a/mod.rs` or `lib.rs` is `a/x.rs`; in `a.rs` it is `a/x.rs`.
            let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            let base = if ["mod", "lib", "main"].contains(&stem) {
                dir.to_path_buf()
            } else {
                dir.join(stem)
            };
            out.push(base.join(format!("{name}.rs")));
            out.push(base.join(name).join("mod.rs"));
        }
    }
    out
}

fn all_functions() -> Vec<Function> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut all = Vec::new();
    for crate_dir in ["engine", "tui"] {
        let mut paths = Vec::new();
        files(&root.join(crate_dir).join("src"), &mut paths);
        let sources: Vec<(PathBuf, String)> = paths
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).expect("source text");
                (p, text)
            })
            .collect();
        let skip = test_only(&sources);
        for (path, text) in &sources {
            if skip.contains(path) {
                continue;
            }
            let shown = path.strip_prefix(&root).unwrap_or(path);
            all.extend(functions(&shown.display().to_string(), text));
        }
    }
    all.sort_by(|a, b| b.cmp(a));
    all
}

#[test]
fn no_function_outside_the_tests_is_longer_than_120_lines() {
    let all = all_functions();
    assert!(all.len() > 500, "found only {} functions", all.len());
    println!("the longest functions:");
    for f in all.iter().take(10) {
        println!("{:>5} lines  {}:{} {}", f.lines, f.file, f.line, f.name);
    }
    let long: Vec<String> = all
        .iter()
        .filter(|f| f.lines > LIMIT)
        .map(|f| format!("{}:{} {} ({} lines)", f.file, f.line, f.name, f.lines))
        .collect();
    assert!(
        long.is_empty(),
        "functions longer than {LIMIT} lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn a_long_function_is_measured_from_its_fn_line_to_its_closing_brace() {
    let body: String = (0..130)
        .map(|i| format!("        let x{i} = {i};\n"))
        .collect();
    let text = format!(
        "trait T {{\n    fn declared(&self,\n        x: u8,\n    ) -> u8;\n}}\n\
         impl S {{\n    pub(crate) async fn long(&self) {{\n{body}    }}\n\n    fn short() {{}}\n}}\n\
         #[cfg(test)]\nmod tests {{\n    fn in_tests() {{\n{body}    }}\n}}\n"
    );
    let found = functions("x.rs", &text);
    let names: Vec<(&str, usize)> = found.iter().map(|f| (f.name.as_str(), f.lines)).collect();
    assert_eq!(names, [("long", 132), ("short", 1)]);
}
