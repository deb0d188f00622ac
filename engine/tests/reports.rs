//! Reports from committed journals: a run that passed, one that missed its containment
//! (with a hint, an acknowledgement and a note holding markup), and one the process
//! died in (its last line torn). Every format is compared with its reviewed snapshot
//! (`cargo insta review` after an intended change) and checked for what it must say.

#![allow(clippy::unwrap_used, clippy::panic)]

use gameday_engine::journal::{self, Contents};
use gameday_engine::report::{self, Format, Report};
use std::path::PathBuf;

const JOURNALS: [&str; 3] = ["passed", "missed", "interrupted"];

fn read(name: &str) -> Contents {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/journals")
        .join(name);
    journal::read(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn report_of(name: &str) -> Report {
    Report::from_journals(&[read(name)])
}

fn all() -> Report {
    let journals: Vec<Contents> = JOURNALS.iter().map(|n| read(n)).collect();
    Report::from_journals(&journals)
}

#[test]
fn markdown_matches_its_snapshots() {
    for name in JOURNALS {
        insta::assert_snapshot!(
            format!("{name}.md"),
            report_of(name).render(Format::Markdown)
        );
    }
    insta::assert_snapshot!("combined.md", all().render(Format::Markdown));
}

#[test]
fn html_matches_its_snapshots() {
    for name in JOURNALS {
        insta::assert_snapshot!(format!("{name}.html"), report_of(name).render(Format::Html));
    }
    insta::assert_snapshot!("combined.html", all().render(Format::Html));
}

#[test]
fn json_matches_its_snapshots() {
    for name in JOURNALS {
        insta::assert_snapshot!(format!("{name}.json"), report_of(name).render(Format::Json));
    }
}

#[test]
fn junit_matches_its_snapshots() {
    for name in JOURNALS {
        insta::assert_snapshot!(
            format!("{name}.junit.xml"),
            report_of(name).render(Format::Junit)
        );
    }
    insta::assert_snapshot!("combined.junit.xml", all().render(Format::Junit));
}

/// Counts per suite: (tests, failures, errors).
fn junit_counts(xml: &str) -> Vec<(String, u64, u64, u64)> {
    let suites = junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes()))
        .unwrap_or_else(|e| panic!("not JUnit XML: {e}\n{xml}"));
    suites
        .suites
        .iter()
        .map(|s| (s.name.clone(), s.tests, s.failures, s.errors))
        .collect()
}

#[test]
fn junit_is_read_by_a_junit_parser_with_one_case_per_expectation() {
    // passed: 1 detection + 1 containment + clean-up, all green.
    let passed = junit_counts(&report_of("passed").render(Format::Junit));
    assert_eq!(passed.len(), 1);
    assert_eq!((passed[0].1, passed[0].2, passed[0].3), (3, 0, 0));
    // missed: the containment fails; its message carries the deadline.
    let xml = report_of("missed").render(Format::Junit);
    let missed = junit_counts(&xml);
    assert_eq!((missed[0].1, missed[0].2, missed[0].3), (3, 1, 0));
    let suites = junit_parser::from_reader(std::io::Cursor::new(xml.as_bytes())).unwrap();
    let case = suites.suites[0]
        .cases
        .iter()
        .find(|c| c.original_name.starts_with("contain key-deactivated"))
        .unwrap();
    match &case.status {
        junit_parser::TestStatus::Failure(f) => {
            assert!(f.message.contains("deadline 30m"), "{}", f.message);
            assert_eq!(f.failure_type, "missed");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    // interrupted: the containment was never decided (an error) and clean-up left
    // the run's changes behind (a failure).
    let interrupted = junit_counts(&report_of("interrupted").render(Format::Junit));
    let total: (u64, u64, u64) = interrupted
        .iter()
        .fold((0, 0, 0), |a, s| (a.0 + s.1, a.1 + s.2, a.2 + s.3));
    assert_eq!(total.1, 1, "clean-up fails: {interrupted:?}");
    assert!(
        total.2 >= 1,
        "an undecided expectation is an error: {interrupted:?}"
    );
    // Combined: one suite per run.
    assert_eq!(junit_counts(&all().render(Format::Junit)).len(), 3);
}

#[test]
fn json_follows_its_published_schema() {
    let schema = report::schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for r in [
        report_of("passed"),
        report_of("missed"),
        report_of("interrupted"),
        all(),
    ] {
        let value: serde_json::Value = serde_json::from_str(&r.render(Format::Json)).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        assert_eq!(value["kind"], "gameday-report");
        assert_eq!(value["version"], report::REPORT_VERSION);
    }
    // The committed copy of the schema is the one the code publishes.
    let committed = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/report.schema.json"),
    )
    .unwrap();
    let committed: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(
        committed, schema,
        "docs/report.schema.json is stale: regenerate it with `gameday schema report`"
    );
}

#[test]
fn text_from_the_journal_cannot_become_markup() {
    let html = report_of("missed").render(Format::Html);
    assert!(!html.contains("<script"), "a note's markup must be escaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let md = report_of("missed").render(Format::Markdown);
    assert!(!md.contains("<script"));
    assert!(
        md.contains("reporting user \\| paging"),
        "pipes are escaped in tables"
    );
}

#[test]
fn html_is_self_contained() {
    for r in [report_of("passed"), all()] {
        let html = r.render(Format::Html);
        for needle in ["<script", "src=\"http", "href=\"http", "url(", "@import"] {
            assert!(!html.contains(needle), "found {needle}");
        }
        assert!(html.contains("Content-Security-Policy"));
        assert!(html.contains("<svg"));
        assert!(html.contains("role=\"img\""));
    }
}

#[test]
fn interrupted_runs_say_what_may_remain() {
    let r = report_of("interrupted");
    let run = &r.runs[0];
    assert!(run.summary.torn_journal);
    let left = &run.summary.cleanup.as_ref().unwrap().left_behind;
    assert!(!left.is_empty());
    let md = r.render(Format::Markdown);
    for item in left {
        assert!(md.contains(item.as_str()), "{item} missing from the report");
    }
    assert!(md.contains("cut short by a crash"));
}

#[test]
fn combined_reports_total_their_runs_in_start_order() {
    let r = all();
    assert_eq!(r.totals.runs, 3);
    assert_eq!(
        (r.totals.passed, r.totals.failed, r.totals.interrupted),
        (1, 1, 1)
    );
    assert!(
        r.runs
            .windows(2)
            .all(|w| w[0].summary.started_at <= w[1].summary.started_at)
    );
    let mean = r.runs.iter().map(|x| x.summary.score.total).sum::<f64>() / 3.0;
    assert!((r.totals.mean_score - mean).abs() < 0.051);
}

#[test]
fn acknowledgements_are_timed_from_when_the_detection_was_seen() {
    let r = report_of("missed");
    let ack = &r.runs[0].acknowledgements[0];
    // The fixture acknowledges 45 s after the detection was observed.
    assert_eq!(ack.tta_seconds, Some(45.0));
    assert_eq!(r.runs[0].hints.len(), 1);
    assert!(r.runs[0].hints[0].text.contains("remoteIpDetails"));
}

#[test]
fn long_journals_keep_the_html_small_but_every_failure_and_note() {
    use gameday_engine::event::{Actor, Body, Event};
    let mut c = read("missed");
    let tail = c.events.split_off(26);
    let last = c.events.last().unwrap().clone();
    for i in 0..3000u64 {
        c.events.push(Event {
            seq: 0,
            at: last.at,
            t_ms: last.t_ms,
            body: Body::NoteAdded {
                text: format!("note {i}"),
                by: Actor::Responder,
                who: None,
                answers: None,
            },
        });
    }
    c.events.extend(tail);
    let html = Report::from_journals(&[c.clone()]).render(Format::Html);
    assert!(
        html.contains("events left out here"),
        "the timeline is elided"
    );
    // Every note stays in the Notes section, and the missed containment in the timeline.
    assert!(html.contains("note 0<") && html.contains("note 1500<") && html.contains("note 2999<"));
    assert!(html.contains("✗ key-deactivated not contained"));
    let md = Report::from_journals(&[c]).render(Format::Markdown);
    assert!(!md.contains("left out"), "Markdown keeps every row");
}

/// Links, an image, markup and every kind of control character a terminal or a
/// renderer would act on, as a journal may carry them in any text.
const HOSTILE: &str = "![x](http://evil/x.png) [c](javascript:alert(1)) <img src=x> \
    *em* `code` # 1. \u{1b}[2J\u{1b}]0;pwned\u{7}\u{9b}31m\u{0}\u{8}\u{7f}\u{85}\u{202e}end";

/// The `missed` run with hostile text wherever data goes into a report: the scenario's
/// title and summary, a runbook step's title and hint, a finding's title, a responder's
/// note (on two lines), a failed step's id and error, a responder action's error and
/// inputs.
fn hostile_journal() -> Contents {
    use gameday_engine::event::{Actor, Body, Event};
    let mut c = read("missed");
    for e in &mut c.events {
        match &mut e.body {
            Body::RunStarted { plan, .. } => {
                plan.scenario.title = format!("Title {HOSTILE}");
                plan.scenario.summary = format!("{HOSTILE} summary");
                let runbook = plan.runbook.as_mut().unwrap();
                for step in runbook.phases.iter_mut().flat_map(|p| p.steps.iter_mut()) {
                    step.title = format!("Step {HOSTILE}");
                    step.hint = Some(format!("Hint {HOSTILE}"));
                }
            }
            Body::DetectionMet { title, .. } => *title = format!("Finding {HOSTILE}"),
            Body::NoteAdded { text, .. } => *text = format!("first line\n{HOSTILE}"),
            _ => {}
        }
    }
    let last = c.events.last().unwrap().clone();
    let mut with = serde_json::Map::new();
    with.insert(format!("key {HOSTILE}"), serde_json::json!(HOSTILE));
    let extra = [
        Body::StepFailed {
            step: format!("step {HOSTILE}"),
            error: format!("error {HOSTILE}"),
        },
        Body::ParticipantJoined {
            name: format!("ana {HOSTILE}"),
            role: gameday_engine::team::Role::Responder,
            via: format!("socket {HOSTILE}"),
        },
        Body::InjectSent {
            id: "legal".into(),
            text: format!("Legal asks {HOSTILE}"),
            to: Some(gameday_engine::team::Role::Commander),
            answer: true,
            who: Some(format!("fay {HOSTILE}")),
        },
        Body::NoteAdded {
            text: format!("no data left {HOSTILE}"),
            by: Actor::Responder,
            who: Some(format!("ana {HOSTILE}")),
            answers: Some("legal".into()),
        },
        Body::JoinRefused {
            from: format!("127.0.0.1:1 {HOSTILE}"),
            reason: format!("wrong token {HOSTILE}"),
        },
        Body::ResponderAction {
            by: Actor::Responder,
            who: Some(format!("ana {HOSTILE}")),
            runbook_step: "deactivate-key".into(),
            action: format!("iam.update_access_key {HOSTILE}"),
            with,
            ok: false,
            error: Some(format!("denied {HOSTILE}")),
        },
    ];
    let at = c.events.len() - 1;
    for (i, body) in extra.into_iter().enumerate() {
        let e = Event {
            seq: 0,
            body,
            ..last.clone()
        };
        c.events.insert(at + i, e);
    }
    c
}

/// Control characters in `text` other than line breaks, and bidirectional overrides.
fn controls(text: &str) -> Vec<String> {
    text.chars()
        .filter(|c| (c.is_control() && *c != '\n') || ('\u{202a}'..='\u{202e}').contains(c))
        .map(|c| format!("U+{:04X}", u32::from(c)))
        .collect()
}

/// Every string of a JSON document, keys included.
fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                out.push(k.clone());
                strings(v, out);
            }
        }
        _ => {}
    }
}

#[test]
fn hostile_text_in_a_journal_becomes_no_link_image_markup_or_control_character_in_any_format() {
    use pulldown_cmark::{Event, Options, Parser, Tag};
    let hostile = hostile_journal();
    for (what, r) in [
        (
            "one run",
            Report::from_journals(std::slice::from_ref(&hostile)),
        ),
        (
            "combined",
            Report::from_journals(&[hostile.clone(), read("passed")]),
        ),
    ] {
        for format in Format::ALL {
            let out = r.render(format);
            let found = controls(&out);
            assert!(found.is_empty(), "{what}, {format:?}: {found:?}");
        }
        // Markdown, read as a renderer reads it: no image, no link, no HTML, and the
        // note's text shown as it was typed.
        let md = r.render(Format::Markdown);
        let mut shown = String::new();
        for event in Parser::new_ext(&md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH) {
            match event {
                Event::Start(Tag::Image { dest_url, .. }) => {
                    panic!("{what}: an image from {dest_url} in\n{md}")
                }
                Event::Start(Tag::Link { dest_url, .. }) => {
                    panic!("{what}: a link to {dest_url} in\n{md}")
                }
                Event::Html(h) | Event::InlineHtml(h) => panic!("{what}: HTML {h} in\n{md}"),
                Event::Start(Tag::Emphasis | Tag::Strikethrough) => {
                    panic!("{what}: emphasis from data in\n{md}")
                }
                Event::Text(t) | Event::Code(t) => shown.push_str(&t),
                _ => {}
            }
        }
        let visible =
            "![x](http://evil/x.png) [c](javascript:alert(1)) <img src=x> *em* `code` # 1. end";
        for prefix in [
            "first line ",
            "Title ",
            "Finding ",
            "Hint ",
            "error ",
            "denied ",
        ] {
            assert!(
                shown.contains(&format!("{prefix}{visible}")),
                "{what}: {prefix}… is not shown as written in\n{shown}"
            );
        }
        assert!(shown.contains(&format!("{visible} summary")), "{shown}");
        // HTML: text, not markup.
        let html = r.render(Format::Html);
        assert!(!html.contains("<img"), "{what}");
        assert!(
            html.contains("![x](http://evil/x.png) [c](javascript:alert(1)) &lt;img src=x&gt;")
        );
        // JSON: every string, key or value, free of control characters but line breaks,
        // and the note keeps its two lines.
        let json: serde_json::Value = serde_json::from_str(&r.render(Format::Json)).unwrap();
        let mut all = Vec::new();
        strings(&json, &mut all);
        for s in &all {
            assert!(controls(s).is_empty(), "{what}: JSON string {s:?}");
        }
        assert!(
            all.iter().any(|s| s.starts_with("first line\n![x]")),
            "{what}"
        );
        // JUnit: still read by a JUnit parser.
        junit_counts(&r.render(Format::Junit));
    }
    // Trends and coverage are built from the same journals.
    let summary = gameday_engine::score::Summary::of_journal(&hostile).unwrap();
    let trend = gameday_engine::trend::Trend::new(
        std::slice::from_ref(&summary),
        &gameday_engine::trend::Filter::default(),
    );
    let attack = gameday_engine::coverage::Attack::builtin().unwrap();
    let Some(gameday_engine::event::Body::RunStarted { plan, .. }) =
        hostile.events.first().map(|e| &e.body)
    else {
        panic!("a run's journal")
    };
    let library = [gameday_engine::coverage::LibraryScenario::from(
        &plan.scenario,
    )];
    let coverage = gameday_engine::coverage::Coverage::new(attack, &library, Some(&[summary]));
    for (what, out) in [
        ("trend text", trend.to_text()),
        ("trend html", trend.to_html()),
        ("trend json", trend.to_json()),
        ("coverage text", coverage.to_text()),
        ("coverage html", coverage.to_html()),
        ("coverage json", coverage.to_json()),
    ] {
        let found = controls(&out);
        assert!(found.is_empty(), "{what}: {found:?}");
        if what.ends_with("html") {
            assert!(!out.contains("<img"), "{what}");
        }
        if what.starts_with("trend") {
            assert!(out.contains("Title ![x]"), "{what} shows the title:\n{out}");
        }
    }
}
