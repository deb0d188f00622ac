//! Journal reading under random edits, as a property: real journals (the committed ones
//! and some the simulator writes in virtual time) with lines reordered, duplicated,
//! dropped or cut, numbers replaced by extremes, fields replaced, added or shifted in
//! time. Whatever the edits, reading either refuses the journal naming a line of it, or
//! accepts it; and every reader (the score, every report format, trends, coverage and
//! the console's replay, drawn) goes through the events without a panic: those of an
//! accepted journal, and those of any journal, unchecked, since a reader may get events
//! that never went through a file.

#![allow(clippy::unwrap_used, clippy::panic)]

use crate::console::model::Model;
use crate::console::{Replay, ui};
use gameday_engine::coverage::{Attack, Coverage, LibraryScenario};
use gameday_engine::event::Event;
use gameday_engine::journal::{self, Contents, ReadError};
use gameday_engine::library;
use gameday_engine::report::{Format, Report};
use gameday_engine::score::Summary;
use gameday_engine::trend::{Filter, Trend};
use proptest::prelude::*;
use proptest::sample::Index;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use crate::sim_day::repo;

/// The events of a seeded virtual-time game day of `scenario`, as journal lines.
fn simulated(scenario: &str, seed: u64, autopilot: bool) -> Vec<String> {
    crate::sim_day::game_day(
        scenario,
        seed,
        "f0220000",
        "2026-05-04T10:00:00Z",
        autopilot,
    )
    .1
}

/// A journal's lines, and whether its last one is torn (has no newline).
type Source = (Vec<String>, bool);

/// The journals edits start from: the committed ones (one with a torn last line) and
/// some the simulator writes.
fn sources() -> &'static [Source] {
    static SOURCES: OnceLock<Vec<Source>> = OnceLock::new();
    SOURCES.get_or_init(|| {
        let mut all: Vec<Source> = ["passed", "missed", "interrupted"]
            .iter()
            .map(|name| {
                let path = repo()
                    .join("engine/tests/journals")
                    .join(name)
                    .join(journal::FILE_NAME);
                let text = std::fs::read_to_string(path).unwrap();
                (
                    text.lines().map(str::to_owned).collect(),
                    !text.ends_with('\n'),
                )
            })
            .collect();
        all.push((simulated("compromised-access-key", 3, true), false));
        all.push((simulated("public-bucket", 5, true), false));
        all.push((simulated("malicious-ip-caller", 1, false), false));
        all
    })
}

/// The library's scenarios, for coverage.
fn scenarios() -> &'static [LibraryScenario] {
    static SCENARIOS: OnceLock<Vec<LibraryScenario>> = OnceLock::new();
    SCENARIOS.get_or_init(|| {
        library::yaml_files(&repo().join("scenarios"))
            .iter()
            .filter_map(|f| library::load_checked(f, &repo().join("runbooks")).ok())
            .map(|c| LibraryScenario::from(&c.scenario.value))
            .collect()
    })
}

/// Numbers no journal holds, and the edges of every type a field has.
fn extreme() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(i64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(u64::MAX)),
        Just(json!(1e308)),
        Just(json!(-1e308)),
        Just(json!(0.5)),
        Just(json!(u32::MAX)),
    ]
}

/// Anything a field could be replaced by.
fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        extreme(),
        Just(Value::Null),
        Just(json!("")),
        Just(json!(true)),
        Just(json!([])),
        Just(json!({})),
        Just(json!("1970-01-01T00:00:00Z")),
        Just(json!("+262142-12-31T23:59:59.999999999Z")),
        Just(json!("-262143-01-01T00:00:00Z")),
        Just(json!("9999-12-31T23:59:59.999Z")),
        Just(json!("18446744073709551615ms")),
        Just(json!("run_ended")),
        Just(json!("cleanup")),
        "[a-z_]{0,12}".prop_map(Value::String),
    ]
}

/// One random edit of a journal's lines.
#[derive(Debug, Clone)]
enum Edit {
    Swap(Index, Index),
    Duplicate(Index, Index),
    Drop(Index),
    /// Cuts a line at a fraction of its length.
    Cut(Index, f64),
    /// The last line loses its newline: a torn tail.
    Tear,
    /// Every `seq` rewritten to count the lines from 0, as an edit hiding a reorder would.
    Renumber,
    /// A number somewhere in a line becomes an extreme.
    Number(Index, Index, Value),
    /// A field somewhere in a line takes another value.
    Replace(Index, Index, Value),
    /// A field is added to a line's event.
    Add(Index, Index, String, Value),
    /// A timestamp somewhere in a line moves by this many milliseconds.
    Shift(Index, Index, i64),
    /// A field readers compute with takes another value, in one of the lines that have
    /// it, or (when true) in that line and every later one.
    Set(Index, &'static str, Value, bool),
}

/// The numbers readers compute with, and the instants.
const COUNTS: [&str; 4] = ["t_ms", "seq", "ttd_ms", "ttc_ms"];
const INSTANTS: [&str; 8] = [
    "at",
    "t0",
    "detected_at",
    "observed_at",
    "reference_at",
    "contained_at",
    "first_seen_true",
    "last_seen_false",
];

/// A count or an instant, with a value at the edge of what it can hold.
fn set() -> impl Strategy<Value = Edit> {
    let count = (
        prop::sample::select(&COUNTS[..]),
        prop_oneof![3 => Just(json!(i64::MAX)), 2 => Just(json!(u64::MAX)), 4 => extreme()],
    );
    let instant = (
        prop::sample::select(&INSTANTS[..]),
        prop_oneof![
            Just(json!("1970-01-01T00:00:00Z")),
            Just(json!("+262142-12-31T23:59:59.999999999Z")),
            Just(json!("-262143-01-01T00:00:00Z")),
            Just(json!("9999-12-31T23:59:59.999Z")),
        ],
    );
    (
        any::<Index>(),
        prop_oneof![2 => count, 1 => instant],
        any::<bool>(),
    )
        .prop_map(|(a, (k, v), from)| Edit::Set(a, k, v, from))
}

fn edit() -> impl Strategy<Value = Edit> {
    let ix = any::<Index>;
    let keys = prop_oneof![
        Just("seq".to_owned()),
        Just("t_ms".to_owned()),
        Just("at".to_owned()),
        Just("event".to_owned()),
        Just("ttd_ms".to_owned()),
        Just("ttc_ms".to_owned()),
        Just("outcome".to_owned()),
        Just("phase".to_owned()),
        "[a-z_]{1,10}",
    ];
    let shift = prop_oneof![
        Just(1i64),
        Just(-1),
        Just(-5),
        Just(999),
        Just(1_001),
        Just(-86_400_000),
        Just(86_400_000 * 366 * 11),
        Just(i64::MAX / 4),
        any::<i32>().prop_map(i64::from),
    ];
    prop_oneof![
        2 => (ix(), ix()).prop_map(|(a, b)| Edit::Swap(a, b)),
        1 => (ix(), ix()).prop_map(|(a, b)| Edit::Duplicate(a, b)),
        1 => ix().prop_map(Edit::Drop),
        1 => (ix(), 0.0..1.0).prop_map(|(a, f)| Edit::Cut(a, f)),
        1 => Just(Edit::Tear),
        2 => Just(Edit::Renumber),
        1 => (ix(), ix(), extreme()).prop_map(|(a, b, v)| Edit::Number(a, b, v)),
        1 => (ix(), ix(), any_value()).prop_map(|(a, b, v)| Edit::Replace(a, b, v)),
        1 => (ix(), ix(), keys, any_value()).prop_map(|(a, b, k, v)| Edit::Add(a, b, k, v)),
        1 => (ix(), ix(), shift).prop_map(|(a, b, ms)| Edit::Shift(a, b, ms)),
        4 => set(),
    ]
}

/// Every place in a JSON value, as a path of keys and positions.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    At(usize),
}

fn places(v: &Value, path: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, Value)>) {
    out.push((path.clone(), v.clone()));
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                path.push(Step::Key(k.clone()));
                places(x, path, out);
                path.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                path.push(Step::At(i));
                places(x, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn at_path<'v>(v: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    let mut cur = v;
    for s in path {
        cur = match s {
            Step::Key(k) => cur.get_mut(k.as_str())?,
            Step::At(i) => cur.get_mut(*i)?,
        };
    }
    Some(cur)
}

/// Changes the `which`th place of line `line` that `pick` accepts into `to(old)`.
fn change(
    lines: &mut [String],
    line: Index,
    which: Index,
    pick: impl Fn(&[Step], &Value) -> bool,
    to: impl Fn(&Value) -> Option<Value>,
) {
    if lines.is_empty() {
        return;
    }
    let i = line.index(lines.len());
    let Ok(mut v) = serde_json::from_str::<Value>(&lines[i]) else {
        return;
    };
    let mut all = Vec::new();
    places(&v, &mut Vec::new(), &mut all);
    let chosen: Vec<&(Vec<Step>, Value)> = all.iter().filter(|(p, x)| pick(p, x)).collect();
    if chosen.is_empty() {
        return;
    }
    let (path, old) = chosen[which.index(chosen.len())];
    if let (Some(new), Some(slot)) = (to(old), at_path(&mut v, path)) {
        *slot = new;
        lines[i] = v.to_string();
    }
}

/// A journal's lines with the edits made, as the text of its file.
fn edited((source, torn): &Source, edits: &[Edit]) -> String {
    let mut lines = source.clone();
    let mut torn = *torn;
    for e in edits {
        let n = lines.len();
        match e {
            Edit::Swap(a, b) if n > 0 => lines.swap(a.index(n), b.index(n)),
            Edit::Duplicate(a, b) if n > 0 => {
                let copy = lines[a.index(n)].clone();
                lines.insert(b.index(n + 1), copy);
            }
            Edit::Drop(a) if n > 1 => {
                lines.remove(a.index(n));
            }
            Edit::Cut(a, f) if n > 0 => {
                let l = &mut lines[a.index(n)];
                let mut cut = (l.len() as f64 * f) as usize;
                while !l.is_char_boundary(cut) {
                    cut -= 1;
                }
                l.truncate(cut);
            }
            Edit::Tear => torn = true,
            Edit::Renumber => {
                for (seq, l) in lines.iter_mut().enumerate() {
                    if let Ok(mut x) = serde_json::from_str::<Value>(l)
                        && let Some(slot) = x.get_mut("seq")
                    {
                        *slot = json!(seq);
                        *l = x.to_string();
                    }
                }
            }
            Edit::Number(a, b, v) => change(
                &mut lines,
                *a,
                *b,
                |_, x| x.is_number(),
                |_| Some(v.clone()),
            ),
            Edit::Replace(a, b, v) => change(
                &mut lines,
                *a,
                *b,
                |p, _| !p.is_empty(),
                |_| Some(v.clone()),
            ),
            Edit::Add(a, b, k, v) => change(
                &mut lines,
                *a,
                *b,
                |p, x| p.is_empty() && x.is_object(),
                |x| {
                    let mut x = x.clone();
                    x.as_object_mut()?.insert(k.clone(), v.clone());
                    Some(x)
                },
            ),
            Edit::Shift(a, b, ms) => change(
                &mut lines,
                *a,
                *b,
                |_, x| x.as_str().is_some_and(|s| time_of(s).is_some()),
                |x| {
                    let t = time_of(x.as_str()?)?;
                    let moved = t.checked_add_signed(chrono::TimeDelta::try_milliseconds(*ms)?)?;
                    serde_json::to_value(moved).ok()
                },
            ),
            Edit::Set(a, key, v, from) => {
                let having: Vec<usize> = (0..n)
                    .filter(|&i| lines[i].contains(&format!("\"{key}\":")))
                    .collect();
                if having.is_empty() {
                    continue;
                }
                let first = a.index(having.len());
                let last = if *from { having.len() } else { first + 1 };
                for &i in &having[first..last] {
                    if let Ok(mut x) = serde_json::from_str::<Value>(&lines[i])
                        && let Some(slot) = x.get_mut(*key)
                    {
                        *slot = v.clone();
                        lines[i] = x.to_string();
                    }
                }
            }
            _ => {}
        }
    }
    let mut text = lines.join("\n");
    if !torn {
        text.push('\n');
    }
    text
}

fn time_of(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// Every reader, through `events`: the score, every report format, trends, coverage, and
/// the console's replay forwards, backwards and playing, drawn at two sizes.
fn read_everything(events: &[Event], torn_tail: bool) {
    let contents = Contents {
        events: events.to_vec(),
        torn_tail,
    };
    let summary = Summary::try_from_events(events);
    let report = Report::from_journals(std::slice::from_ref(&contents));
    for f in Format::ALL {
        report.render(f);
    }
    let summaries: Vec<Summary> = summary.into_iter().collect();
    let trend = Trend::new(&summaries, &Filter::default());
    trend.to_text();
    trend.to_html();
    trend.to_json();
    if let Ok(attack) = Attack::builtin() {
        let c = Coverage::new(attack, scenarios(), Some(&summaries));
        c.to_text();
        c.to_html();
        c.to_json();
    }
    let mut replay = Replay::new(events, 4096.0, true);
    let draw = |r: &Replay<'_>, w, h| {
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| ui::draw(f, &r.model, &r.ui)).unwrap();
    };
    draw(&replay, 80, 24);
    replay.advance(Duration::from_secs(3600));
    replay.seek(events.len());
    draw(&replay, 120, 40);
    replay.seek(events.len() / 2);
    draw(&replay, 80, 24);
    Model::from_events(events);
}

/// Whether `e` names a line of `text` (or says, without one, that it holds no event).
fn names_a_line(e: &ReadError, path: &Path, text: &str) -> bool {
    let lines = text.split('\n').count();
    match e {
        ReadError::Corrupt { line, .. } | ReadError::Inconsistent { line, .. } => {
            (1..=lines).contains(line)
                && e.to_string()
                    .starts_with(&format!("{}:{line}: ", path.display()))
        }
        ReadError::Empty(_) => text
            .split('\n')
            .all(|l| serde_json::from_str::<Event>(l).is_err()),
        ReadError::Io { .. } => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 160,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_edit_is_refused_naming_a_line_or_read_by_every_reader_without_a_panic(
        source in any::<Index>(),
        edits in prop::collection::vec(edit(), 1..5),
    ) {
        let all = sources();
        let text = edited(&all[source.index(all.len())], &edits);
        let path = Path::new("runs/r1/journal.jsonl");
        match journal::parse(path, &text) {
            Ok(c) => read_everything(&c.events, c.torn_tail),
            Err(e) => prop_assert!(names_a_line(&e, path, &text), "{e}"),
        }
        // Readers also get events that never went through a file: unchecked, every
        // line that is an event.
        let raw: Vec<Event> = text
            .split('\n')
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        read_everything(&raw, false);
    }
}

#[test]
fn the_sources_are_read_whole() {
    for source in sources() {
        let lines = &source.0;
        let text = edited(source, &[]);
        let c = journal::parse(Path::new("j"), &text).unwrap_or_else(|e| panic!("{e}"));
        assert!(c.events.len() + 1 >= lines.len());
        read_everything(&c.events, c.torn_tail);
    }
}
