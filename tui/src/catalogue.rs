//! What the library holds, and what scenarios may use: `validate`, `list`, `steps` and
//! `schema`.

use crate::cli::{ListArgs, ListFormat, SchemaKind};
use crate::exit::Exit;
use crate::term::{self, print_table};
use gameday_engine::attack::Attack;
use gameday_engine::library::{self};
use gameday_engine::listing::{self, Entry, Filter};
use gameday_engine::{checks, detectors, report, steps};
use serde_json::json;
use std::path::{Path, PathBuf};

pub(crate) fn validate(paths: Vec<PathBuf>, library: &Path) -> Exit {
    let paths = if paths.is_empty() {
        vec![library.join("scenarios"), library.join("runbooks")]
    } else {
        paths
    };
    for p in &paths {
        if !p.exists() {
            eprintln!("error: {}: no such file or folder", p.display());
            return Exit::BadInput;
        }
    }
    let v = library::validate_paths(&paths, library);
    if v.scenarios + v.runbooks == 0 {
        let named: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "error: no scenario or runbook files (*.yaml) in {}: name files, a scenarios/ or \
             runbooks/ folder, or a library folder holding them",
            named.join(", ")
        );
        return Exit::BadInput;
    }
    for w in &v.warnings.0 {
        eprintln!("{}", w.warning());
    }
    if v.diagnostics.is_empty() {
        let warnings = match v.warnings.0.len() {
            0 => String::new(),
            n => format!(", with {n} warning(s)"),
        };
        println!(
            "ok: {} scenario(s) and {} runbook(s) are valid{warnings}",
            v.scenarios, v.runbooks
        );
        Exit::Ok
    } else {
        eprintln!("{}", v.diagnostics);
        eprintln!(
            "{} problem(s) in {} scenario(s) and {} runbook(s)",
            v.diagnostics.0.len(),
            v.scenarios,
            v.runbooks
        );
        Exit::BadInput
    }
}

pub(crate) fn list(args: &ListArgs) -> Exit {
    let library = args.library.library.as_path();
    let attack = match Attack::builtin() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::BadInput;
        }
    };
    let filter = match Filter::new(
        attack,
        args.tactic.as_deref(),
        args.tag.as_deref(),
        args.service.as_deref(),
        args.source.as_deref(),
    ) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::BadInput;
        }
    };
    let files = library::yaml_files(&library.join("scenarios"));
    if files.is_empty() {
        eprintln!(
            "error: no scenarios in {} (point at a library, the folder holding scenarios/ and runbooks/, with --library DIR or GAMEDAY_LIBRARY)",
            library.join("scenarios").display()
        );
        return Exit::BadInput;
    }
    let mut code = Exit::Ok;
    let mut kept = Vec::new();
    for f in &files {
        match library::load_checked(f, &library::runbooks_dir_for(f, library)) {
            Ok(c) => {
                let entry = Entry::of(&c.scenario.value, attack);
                if filter.keeps(&entry) {
                    kept.push((f.clone(), c.scenario.value, entry));
                }
            }
            Err(d) => {
                eprintln!("{d}");
                code = Exit::BadInput;
            }
        }
    }
    kept.sort_by(|a, b| a.2.id.cmp(&b.2.id));
    if args.json {
        for (f, s, e) in &kept {
            println!(
                "{}",
                term::json(&json!({
                    "id": s.id, "title": s.title, "severity": s.severity.as_str(),
                    "mitre": s.mitre, "tags": s.tags, "runbook": s.runbook, "file": f,
                    "tactics": e.tactics(), "services": e.services,
                    "sources": e.detections.iter().map(|d| &d.source).collect::<Vec<_>>(),
                }))
            );
        }
    } else if args.format == ListFormat::Markdown {
        let entries: Vec<Entry> = kept.into_iter().map(|(_, _, e)| e).collect();
        print!("{}", listing::markdown(&entries, attack));
    } else {
        let rows: Vec<[String; 4]> = kept
            .iter()
            .map(|(_, s, _)| {
                [
                    s.id.clone(),
                    s.severity.as_str().to_owned(),
                    s.mitre.join(","),
                    s.title.clone(),
                ]
            })
            .collect();
        print_table(&["ID", "SEVERITY", "ATT&CK", "TITLE"], &rows);
    }
    code
}

pub(crate) fn steps_cmd(json: bool) -> Exit {
    if json {
        let kinds: Vec<_> = steps::REGISTRY.iter().map(|k| k.spec()).collect();
        let checks: Vec<_> = checks::CHECKS.iter().map(|c| c.spec()).collect();
        println!(
            "{}",
            term::json_pretty(&json!({"steps": kinds, "checks": checks}))
        );
        return Exit::Ok;
    }
    println!("STEP KINDS (scenario `action`, runbook `action`)\n");
    for k in steps::REGISTRY {
        let s = k.spec();
        println!("{}\n    {}", s.name, s.summary);
        for f in s.inputs {
            println!(
                "    in   {:<30} {}{}: {}",
                f.name,
                f.ty.describe(),
                if f.required { "" } else { ", optional" },
                f.doc
            );
        }
        for o in s.outputs {
            println!(
                "    out  {:<30} {}{}",
                o.name,
                o.doc,
                if o.secret {
                    " (secret: never journaled)"
                } else {
                    ""
                }
            );
        }
        println!("    calls  {}", s.calls.join(", "));
        println!("    revert {}\n", s.revert);
    }
    println!("CONTAINMENT CHECKS (scenario `respond[].check`)\n");
    for c in checks::CHECKS {
        let c = c.spec();
        println!("{}\n    {}", c.name, c.summary);
        for f in c.inputs {
            println!("    in   {:<30} {}: {}", f.name, f.ty.describe(), f.doc);
        }
        println!("    value  {}", c.values.describe());
        println!("    calls  {}\n", c.calls.join(", "));
    }
    Exit::Ok
}

pub(crate) fn detectors_cmd(json: bool) -> Exit {
    if json {
        let specs: Vec<_> = detectors::REGISTRY.iter().map(|d| d.spec()).collect();
        println!("{}", term::json_pretty(&json!({ "detectors": specs })));
        return Exit::Ok;
    }
    println!("DETECTION SOURCES (scenario `detect[].source`)\n");
    let wrap = |text: &str, width: usize| gameday_engine::text::wrap(text, width);
    let poll = gameday_engine::config::Poll::default();
    for d in detectors::REGISTRY {
        let s = d.spec();
        println!("{}", s.name);
        for line in wrap(&format!("{} {}", s.summary, s.docs), 84).lines() {
            println!("    {line}");
        }
        if let Some(key) = s.names_by {
            println!("    names  {key}");
        }
        for f in s.inputs {
            let what = format!(
                "{}{}: {}",
                f.ty.describe(),
                if f.required { "" } else { ", optional" },
                f.doc
            );
            for (i, line) in wrap(&what, 64).lines().enumerate() {
                let (label, name) = if i == 0 { ("with", f.name) } else { ("", "") };
                println!("    {label:<6} {name:<13} {line}");
            }
        }
        if !s.match_keys.is_empty() {
            println!("    match  {}", s.match_keys.join(", "));
        }
        println!("    time   {}", s.time);
        if s.poll == detectors::Every::Pushed {
            println!("    every  1s: pushed to the run's queue, read as it arrives");
        } else {
            println!(
                "    every  {} by default (the target's `{}`)",
                d.interval(&poll),
                s.poll.key()
            );
        }
        if s.calls.is_empty() {
            println!("    calls  none to AWS\n");
        } else {
            println!("    calls  {}\n", s.calls.join(", "));
        }
    }
    Exit::Ok
}

pub(crate) fn schema(kind: SchemaKind) -> Exit {
    let s = match kind {
        SchemaKind::Scenario => library::scenario_schema(),
        SchemaKind::Runbook => library::runbook_schema(),
        SchemaKind::Report => report::schema(),
    };
    println!("{}", term::json_pretty(&s));
    Exit::Ok
}
