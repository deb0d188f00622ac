//! The engine's modules, and the command line's, import each other without a cycle: each
//! top-level module (a file or a folder under `src/`) uses only modules below it, so that
//! each can be read, tested and changed from the bottom up. Read from the source text:
//! every `crate::MODULE` a module names outside its tests is an arrow to `MODULE`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

mod source;
use source::files;

/// The top-level module a file of `src` belongs to.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next().expect("a component");
    Path::new(first.as_os_str())
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The modules `text` names as `crate::MODULE` (or in `crate::{A, B::C}`), outside
/// comments and its test module.
fn named(text: &str) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    let code: String = code
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut out = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        // `$crate::` in a macro is the crate itself, not a module of it.
        let in_macro = rest[..i].ends_with('$');
        let after = &rest[i + "crate::".len()..];
        rest = after;
        if in_macro {
            continue;
        }
        if let Some(group) = after.strip_prefix('{') {
            // The group's items, split at its own commas (not those of nested groups).
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(ident(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            out.insert(ident(&item));
        } else {
            out.insert(ident(after));
        }
    }
    out.remove("");
    out.remove("self");
    out
}

/// A cycle of `graph`, if it has one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == n) {
            let mut c = path[at..].to_vec();
            c.push(n.to_owned());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_owned());
        for m in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut Vec::new(), &mut done))
}

/// The arrows between the top-level modules of the crate whose sources are in `src`.
fn graph_of(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut all = Vec::new();
    files(src, &mut all);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &all {
        let module = module_of(src, file);
        if module == "lib" || module == "main" {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("read");
        let arrows = graph.entry(module.clone()).or_default();
        for m in named(&text) {
            if m != module {
                arrows.insert(m);
            }
        }
    }
    graph
}

#[test]
fn the_engines_modules_import_each_other_without_a_cycle() {
    let graph = graph_of(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(graph.len() > 20, "the modules were read: {graph:?}");
    if let Some(c) = cycle(&graph) {
        panic!("an import cycle: {}", c.join(" -> "));
    }
}

/// The command line's modules too: dispatch above the commands, the commands above the
/// assembly of a game day, and that above what it uses.
#[test]
fn the_command_lines_modules_import_each_other_without_a_cycle() {
    let graph = graph_of(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../tui/src"));
    assert!(graph.len() > 10, "the modules were read: {graph:?}");
    if let Some(c) = cycle(&graph) {
        panic!("an import cycle: {}", c.join(" -> "));
    }
}

#[test]
fn a_cycle_is_found_where_there_is_one() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    assert_eq!(cycle(&g), None);
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(
        cycle(&g),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert_eq!(
        named(
            "use crate::sandbox::X;\nuse crate::{\n    cleanup,\n    event::{Body, Event},\n};\n\
             // crate::sim\n$crate::term::out\n#[cfg(test)]\nmod tests {\nuse crate::run;\n}"
        ),
        BTreeSet::from([
            "sandbox".to_owned(),
            "cleanup".to_owned(),
            "event".to_owned()
        ])
    );
}
