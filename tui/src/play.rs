//! `gameday run`: game days from the command line, one after another, with their progress
//! on standard error and a summary at the end.

use crate::assembly::{Attach, GameDay, install_signal_handlers, load, new_run_id, runtime};
use crate::cli::RunArgs;
use crate::exit::Exit;
use crate::place::Place;
use crate::progress::Progress;
use crate::term::{self, print_table};
use gameday_engine::autopilot::AutopilotConfig;
use gameday_engine::clock::ClockMode;
use gameday_engine::event::Outcome;
use gameday_engine::journal;
use gameday_engine::library::{self, Checked};
use gameday_engine::poller::Pollers;
use gameday_engine::report;
use gameday_engine::run::abort_signal;
use gameday_engine::score::Summary;
use gameday_engine::sim::DetectionModel;
use gameday_engine::trend::percentile;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

struct Done {
    summary: Summary,
    run_dir: PathBuf,
}

pub(crate) fn run(args: RunArgs) -> Exit {
    let mode = match (args.virtual_time, args.speed) {
        (true, _) => ClockMode::Virtual,
        (false, Some(speed)) => ClockMode::Real { speed },
        (false, None) => ClockMode::Real { speed: 1.0 },
    };
    let place = match Place::resolve(&args.target, mode) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut loaded = Vec::new();
    for s in &args.scenarios {
        match load(s, &args.library.library) {
            Ok(c) => loaded.push(c),
            Err(code) => return code,
        }
    }
    // ATT&CK ids a scenario still names by their old number: said by `validate` too.
    if let Ok(attack) = gameday_engine::attack::Attack::builtin() {
        for c in &loaded {
            for w in library::mitre_warnings(&c.scenario, attack) {
                eprintln!("{}", w.warning());
            }
        }
    }
    if matches!(place, Place::Sim) {
        // Said before a run that is bound to miss, not only by `validate`.
        let model = DetectionModel::builtin();
        for c in &loaded {
            for w in library::sim_warnings(&c.scenario, &model) {
                eprintln!("{}", w.warning());
            }
        }
    }
    let overrides: BTreeMap<String, String> = args.params.iter().cloned().collect();
    if args.run_id.is_some() && (loaded.len() > 1 || args.repeat > 1) {
        eprintln!("error: --run-id names one run: give one scenario and no --repeat");
        return Exit::BadInput;
    }
    if args.repeat > 1 && !args.autopilot {
        eprintln!(
            "warning: --repeat {} without --autopilot: nobody responds, so every containment will be missed",
            args.repeat
        );
    }
    // Check parameters up front: bad input must fail before anything runs.
    for c in &loaded {
        if let Err(e) = library::resolve_named(
            &c.scenario.value,
            c.runbook.as_ref().map(|r| &r.value),
            args.run_id.as_deref().unwrap_or(&new_run_id(0)),
            place.prefix(),
            &overrides,
        ) {
            eprintln!("error: {e}");
            return Exit::BadInput;
        }
    }
    match runtime() {
        Ok(rt) => rt.block_on(run_all(args, &place, mode, loaded, overrides)),
        Err(code) => code,
    }
}

async fn run_all(
    args: RunArgs,
    place: &Place,
    mode: ClockMode,
    loaded: Vec<Checked>,
    overrides: BTreeMap<String, String>,
) -> Exit {
    let (handle, abort) = abort_signal();
    let handle = Arc::new(handle);
    install_signal_handlers(handle.clone(), false);
    let model = Arc::new(DetectionModel::builtin());
    let pollers = Pollers::new();
    let autopilot = args.autopilot.then(|| AutopilotConfig {
        think_median: args.think_time,
        think_p95: gameday_engine::duration::Duration::from_millis(
            args.think_time.as_millis() * 10 / 3,
        ),
    });
    let verbose = !args.quiet && args.repeat == 1;
    let (runs_dir, mirror) = match crate::assembly::runs_target(&args.runs_dir).await {
        Ok(t) => t,
        Err(code) => return code,
    };
    let mut done: Vec<Done> = Vec::new();
    let mut counter = 0u64;
    'outer: for checked in &loaded {
        for i in 0..u64::from(args.repeat) {
            if abort.reason().is_some() {
                break 'outer;
            }
            counter += 1;
            let run_id = args.run_id.clone().unwrap_or_else(|| new_run_id(counter));
            let seed = args.seed.wrapping_add(i);
            let day = GameDay {
                place,
                checked,
                overrides: &overrides,
                runs_dir: &runs_dir,
                run_id: &run_id,
                seed,
                mode,
                autopilot,
                model: &model,
                pollers: &pollers,
                abort: &abort,
                epoch: None,
                mirror: mirror.as_ref(),
            };
            let mut printer = None;
            let result = day
                .run(|clock, _| {
                    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                    let realtime = !matches!(mode, ClockMode::Virtual);
                    printer = Some(tokio::spawn(async move {
                        let mut progress = Progress::default();
                        let mut stderr = crate::term::stderr();
                        let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
                        tick.tick().await;
                        loop {
                            tokio::select! {
                                e = rx.recv() => match e {
                                    Some(e) => if verbose { progress.event(&e, &mut stderr) },
                                    None => break,
                                },
                                _ = tick.tick(), if realtime && verbose => {
                                    if let Some(s) = progress.status(clock.elapsed().as_millis()) {
                                        let _ = writeln!(stderr, "{s}");
                                    }
                                }
                            }
                        }
                    }));
                    Attach {
                        events: Some(tx),
                        commands: None,
                    }
                })
                .await;
            if let Some(p) = printer {
                let _ = p.await;
            }
            match result {
                Ok((summary, run_dir)) => {
                    if args.json {
                        println!("{}", term::json(&summary_json(&summary, &run_dir)));
                    } else if !args.quiet && args.repeat > 1 {
                        eprintln!(
                            "{} seed {seed}: {} {:.1} ({})",
                            summary.scenario,
                            summary.outcome.as_str(),
                            summary.score.total,
                            summary.score.grade
                        );
                    }
                    done.push(Done { summary, run_dir });
                }
                Err(not_run) => return not_run.say(),
            }
        }
    }
    if !args.json {
        print_summary(&done);
        if args.repeat > 1 {
            print_percentiles(&done);
        }
    }
    let code = exit_code(
        done.iter().map(|d| d.summary.outcome),
        abort.reason().is_some(),
    );
    apply_fail_on(code, args.fail_on, done.iter().map(|d| &d.summary))
}

/// `--fail-on score<N`: a run that scored below N turns a passing exit code into 1.
fn apply_fail_on<'a>(
    code: Exit,
    min: Option<f64>,
    runs: impl Iterator<Item = &'a Summary>,
) -> Exit {
    let Some(min) = min else {
        return code;
    };
    let mut low = false;
    for s in runs.filter(|s| s.score.total < min) {
        eprintln!(
            "score below {min}: {} run {} scored {:.1}",
            s.scenario, s.run_id, s.score.total
        );
        low = true;
    }
    if low && code == Exit::Ok {
        Exit::Missed
    } else {
        code
    }
}

fn exit_code(outcomes: impl Iterator<Item = Outcome>, aborted: bool) -> Exit {
    // The gravest outcome wins: an abort over everything else.
    let worst = outcomes.map(Exit::of).max().unwrap_or(Exit::Ok);
    if aborted { Exit::Aborted } else { worst }
}

fn rfc3339(t: Option<chrono::DateTime<chrono::Utc>>) -> serde_json::Value {
    t.map(|t| json!(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)))
        .unwrap_or(serde_json::Value::Null)
}

/// The `--json` summary of one run.
fn summary_json(s: &Summary, run_dir: &Path) -> serde_json::Value {
    json!({
        "run_id": s.run_id,
        "scenario": s.scenario,
        "target": s.target.name,
        "target_kind": s.target.kind,
        "account_id": s.target.account_id,
        "seed": s.seed,
        "outcome": s.outcome.as_str(),
        "reason": s.reason,
        "run_dir": run_dir,
        "journal": run_dir.join(journal::FILE_NAME),
        "started_at": rfc3339(Some(s.started_at)),
        "ended_at": rfc3339(Some(s.ended_at)),
        "score": {
            "total": s.score.total,
            "max": s.score.max,
            "grade": s.score.grade.to_string(),
            "detection": s.score.detection,
            "containment": s.score.containment,
            "runbook": s.score.runbook,
        },
        "detections": s.detections.iter().map(|d| json!({
            "id": d.id,
            "source": d.source,
            "name": d.name,
            "met": d.met,
            "within_seconds": d.within_seconds,
            "t0": rfc3339(d.t0),
            "detected_at": rfc3339(d.detected_at),
            "observed_at": rfc3339(d.observed_at),
            "ttd_seconds": d.ttd_seconds,
            "sample": d.sample,
        })).collect::<Vec<_>>(),
        "containments": s.containments.iter().map(|c| json!({
            "id": c.id,
            "check": c.check,
            "met": c.met,
            "within_seconds": c.within_seconds,
            "reference_at": rfc3339(c.reference_at),
            "contained_at": rfc3339(c.contained_at),
            "ttc_seconds": c.ttc_seconds,
            "time_source": c.time_source,
        })).collect::<Vec<_>>(),
        "cleanup": s.cleanup,
    })
}

fn print_summary(done: &[Done]) {
    let mut rows = Vec::new();
    for d in done {
        let s = &d.summary;
        let det: Vec<String> = s
            .detections
            .iter()
            .map(|x| {
                format!(
                    "{} {}{}",
                    x.id,
                    x.ttd_text(),
                    if x.met { "" } else { " MISSED" }
                )
            })
            .collect();
        let con: Vec<String> = s
            .containments
            .iter()
            .map(|x| {
                format!(
                    "{} {}{}",
                    x.id,
                    report::human(x.ttc_seconds),
                    if x.met { "" } else { " MISSED" }
                )
            })
            .collect();
        rows.push([
            s.run_id.clone(),
            s.scenario.clone(),
            s.outcome.as_str().to_owned(),
            format!("{:.1}/{:.0} {}", s.score.total, s.score.max, s.score.grade),
            det.join("; "),
            con.join("; "),
        ]);
    }
    println!();
    print_table(
        &[
            "RUN",
            "SCENARIO",
            "OUTCOME",
            "SCORE",
            "TIME TO DETECT",
            "TIME TO CONTAIN",
        ],
        &rows,
    );
    if let [one] = done {
        println!(
            "\njournal: {}",
            one.run_dir.join(journal::FILE_NAME).display()
        );
        println!(
            "report:  {} (and report.md, report.json, junit.xml beside it)",
            one.run_dir.join("report.html").display()
        );
    }
}

fn print_percentiles(done: &[Done]) {
    // (scenario, expectation, kind) → (runs, met, times in seconds)
    type Key = (String, String, &'static str);
    let mut stats: BTreeMap<Key, (u32, u32, Vec<f64>)> = BTreeMap::new();
    for d in done {
        let s = &d.summary;
        for x in &s.detections {
            let e = stats
                .entry((s.scenario.clone(), x.id.clone(), "detect"))
                .or_default();
            e.0 += 1;
            e.1 += u32::from(x.met);
            e.2.extend(x.ttd_seconds);
        }
        for x in &s.containments {
            let e = stats
                .entry((s.scenario.clone(), x.id.clone(), "contain"))
                .or_default();
            e.0 += 1;
            e.1 += u32::from(x.met);
            e.2.extend(x.ttc_seconds);
        }
    }
    let mut rows = Vec::new();
    for ((scenario, id, kind), (n, met, mut times)) in stats {
        times.sort_by(f64::total_cmp);
        rows.push([
            scenario,
            format!("{kind} {id}"),
            met_of(met, n),
            report::human(percentile(&times, 50.0)),
            report::human(percentile(&times, 95.0)),
        ]);
    }
    println!();
    print_table(&["SCENARIO", "EXPECTATION", "MET", "P50", "P95"], &rows);
}

/// How many of `n` runs met an expectation: `996/1000 (99%)`.
fn met_of(met: u32, n: u32) -> String {
    format!(
        "{met}/{n} ({})",
        gameday_engine::share::percent(f64::from(met) / f64::from(n))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::unwrap_used)]
    fn fail_on_turns_only_a_passing_exit_code_into_1() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../engine/tests/journals/passed");
        let mut s = Summary::from_events(&journal::read(&dir).unwrap().events);
        s.score.total = 60.0;
        assert_eq!(
            apply_fail_on(Exit::Ok, Some(70.0), [&s].into_iter()),
            Exit::Missed
        );
        assert_eq!(
            apply_fail_on(Exit::Ok, Some(60.0), [&s].into_iter()),
            Exit::Ok
        );
        assert_eq!(
            apply_fail_on(Exit::Aborted, Some(70.0), [&s].into_iter()),
            Exit::Aborted
        );
        assert_eq!(apply_fail_on(Exit::Ok, None, [&s].into_iter()), Exit::Ok);
    }

    #[test]
    fn repeat_pass_rates_never_round_a_shortfall_to_all() {
        assert_eq!(met_of(996, 1000), "996/1000 (99%)");
        assert_eq!(met_of(1, 1000), "1/1000 (1%)");
        assert_eq!(met_of(20, 20), "20/20 (100%)");
        assert_eq!(met_of(13, 20), "13/20 (65%)");
    }

    #[test]
    fn the_worst_outcome_decides_the_exit_code() {
        use Outcome::*;
        assert_eq!(exit_code([Passed, Passed].into_iter(), false), Exit::Ok);
        assert_eq!(exit_code([Passed, Failed].into_iter(), false), Exit::Missed);
        assert_eq!(
            exit_code([Failed, Aborted, Passed].into_iter(), false),
            Exit::Aborted
        );
        assert_eq!(exit_code([Passed].into_iter(), true), Exit::Aborted);
    }
}
