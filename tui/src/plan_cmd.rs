//! `gameday plan`: what a run would do, in order, before it does anything.

use crate::assembly::load;
use crate::cli::TargetArgs;
use crate::exit::Exit;
use crate::place::Place;
use gameday_engine::clock::ClockMode;
use gameday_engine::library::{self, Plan};
use gameday_engine::{checks, steps};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// `gameday plan`.
pub(crate) fn plan(
    arg: &str,
    library: &Path,
    params: Vec<(String, String)>,
    target: &TargetArgs,
) -> Exit {
    let place = match Place::resolve(target, ClockMode::Real { speed: 1.0 }) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let checked = match load(arg, library) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let overrides: BTreeMap<String, String> = params.into_iter().collect();
    // A stand-in run id that every naming rule takes, shown as RUNID.
    const STAND_IN: &str = "runid000";
    let plan = match library::resolve_named(
        &checked.scenario.value,
        checked.runbook.as_ref().map(|r| &r.value),
        STAND_IN,
        place.prefix(),
        &overrides,
    ) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {}", e.replace(STAND_IN, "RUNID"));
            return Exit::BadInput;
        }
    };
    print!("{}", plan_text(&plan, &place).replace(STAND_IN, "RUNID"));
    Exit::Ok
}

/// The plan in words: what the run tags, checks, calls, watches and reverts, in order.
fn plan_text(plan: &Plan, place: &Place) -> String {
    let mut o = String::new();
    heading(&mut o, plan, place);
    checks_before(&mut o, plan, place);
    let reverts = calls(&mut o, plan, place);
    watch(&mut o, plan, place);
    runbook(&mut o, plan);
    let _ = writeln!(o, "\ncleanup, last change first:");
    for r in reverts.iter().rev() {
        let _ = writeln!(o, "     {r}");
    }
    if let Place::Aws { .. } = place {
        let _ = writeln!(
            o,
            "     then what still carries the run's tag, found with {}",
            gameday_engine::permissions::SWEEP_CALLS.join(" + ")
        );
    }
    o
}

/// What the plan is of, where, and how its resources are tagged.
fn heading(o: &mut String, plan: &Plan, place: &Place) {
    let sc = &plan.scenario;
    let (name, extra_tags) = match place {
        Place::Sim => ("sim".to_owned(), BTreeMap::new()),
        Place::Aws { target, region } => {
            (format!("{} ({region})", target.name), target.tags.clone())
        }
        Place::Shared(s) => (s.name(), BTreeMap::new()),
    };
    let _ = writeln!(
        o,
        "Plan of `{}` on target `{name}` (RUNID stands for the run id; ${{steps…}} are known when the step before has run)",
        sc.id
    );
    let mut tags = format!(
        "gameday:run=RUNID, gameday:scenario={}, gameday:started=START",
        sc.id
    );
    for (k, v) in &extra_tags {
        let _ = write!(tags, ", {k}={v}");
    }
    let _ = writeln!(o, "Every resource is tagged {tags}\n");
}

/// The checks before any change: the account and its stop alarms (on AWS), and that
/// nothing the run creates exists already.
fn checks_before(o: &mut String, plan: &Plan, place: &Place) {
    if let Place::Aws { target, .. } = place {
        let _ = writeln!(o, "preflight, before any change:");
        let _ = writeln!(
            o,
            "       sts:GetCallerIdentity: the account must be one of {}",
            target.allowlist()
        );
        if !target.stop_alarms.is_empty() {
            let _ = writeln!(
                o,
                "       cloudwatch:DescribeAlarms {{\"AlarmNames\":{}}}: none may be in ALARM (and again every {} during the run)",
                serde_json::to_string(&target.stop_alarms).unwrap_or_default(),
                target.poll.cloudwatch
            );
        }
        let _ = writeln!(o);
    }
    let creations = gameday_engine::preflight::creations(plan);
    if !creations.is_empty() {
        let _ = writeln!(
            o,
            "existence checks, before any change (a run creates its own resources and never adopts one):"
        );
        for (step, _, _, r) in &creations {
            let _ = writeln!(
                o,
                "       {} {}: must not exist (step {step})",
                gameday_engine::preflight::existence_call(r.kind),
                r.id
            );
        }
        let _ = writeln!(o);
    }
}

/// The setup and attack steps' calls, numbered, after the run's own push delivery where
/// it has one; returns what clean-up will revert, in the order the steps run.
fn calls(o: &mut String, plan: &Plan, place: &Place) -> Vec<String> {
    let mut n = 0;
    let mut reverts = Vec::new();
    // On AWS the run first makes its push delivery: for the target's `push`, and for its
    // detections that are pushed (eventbridge patterns), whether or not the target pushes.
    let pushed = plan.scenario.detect.iter().any(|d| {
        gameday_engine::detectors::find(d.source.as_str())
            .is_some_and(|x| x.spec().poll == gameday_engine::detectors::Every::Pushed)
    });
    if let Place::Aws { target, .. } = place
        && (target.push || pushed)
        && let Some(kind) = steps::find("events.watch")
    {
        let spec = kind.spec();
        for call in spec.calls {
            n += 1;
            let _ = writeln!(o, "{n:>3}. {:<6} {:<16} {call}", "setup", "push-delivery");
        }
        reverts.push(revert_line(spec.revert, "push-delivery"));
    }
    for (phase, step) in plan.scenario.steps() {
        let Some(kind) = steps::find(&step.action) else {
            continue;
        };
        let spec = kind.spec();
        let args = serde_json::Value::Object(step.with.clone());
        for call in spec.calls {
            n += 1;
            let _ = writeln!(
                o,
                "{n:>3}. {:<6} {:<16} {call} {args}",
                phase.key(),
                step.id
            );
        }
        if spec.revert != "none" {
            reverts.push(revert_line(spec.revert, &step.id));
        }
    }
    reverts
}

/// A clean-up line: the revert, what it undoes, and the calls it makes.
fn revert_line(revert: &str, step: &str) -> String {
    let calls = gameday_engine::permissions::revert_calls(revert).join(" + ");
    format!("{revert} (undoes {step}): {calls}")
}

/// What the watch phase polls for each expectation, and how often.
fn watch(o: &mut String, plan: &Plan, place: &Place) {
    let sc = &plan.scenario;
    let _ = writeln!(
        o,
        "\nwatch, until each expectation is met or twice its deadline has passed:"
    );
    let poll = place.poll();
    for d in &sc.detect {
        let Some(detector) = gameday_engine::detectors::find(d.source.as_str()) else {
            continue;
        };
        let calls = format!(
            "{} every {}",
            detector.spec().calls.join(" + "),
            detector.interval(&poll)
        );
        let mut what = detector.name(d);
        if !d.matches.is_empty() {
            what = format!(
                "{what} {}",
                serde_json::to_string(&d.matches).unwrap_or_default()
            );
        }
        let _ = writeln!(
            o,
            "     detect  {:<24} {calls}: {what} within {}",
            d.id, d.within
        );
    }
    for r in &sc.respond {
        let calls = checks::find(&r.check)
            .map(|c| c.spec().calls.join(" + "))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "     contain {:<24} {calls} every {}: {} {} == {} within {}",
            r.id,
            poll.containment,
            r.check,
            serde_json::Value::Object(r.with.clone()),
            r.expect,
            r.within
        );
    }
}

/// The runbook's actions and the calls each makes.
fn runbook(o: &mut String, plan: &Plan) {
    if let Some(rb) = &plan.runbook {
        let _ = writeln!(
            o,
            "\nrunbook `{}` actions (run by a responder or --autopilot):",
            rb.id
        );
        for (_, s, _) in rb.steps() {
            if let Some(a) = &s.action {
                let calls = steps::find(a)
                    .map(|k| {
                        let spec = k.spec();
                        let reverts = gameday_engine::permissions::revert_calls(spec.revert);
                        match reverts.is_empty() {
                            true => spec.calls.join(" + "),
                            false => format!(
                                "{} (reverted at clean-up: {})",
                                spec.calls.join(" + "),
                                reverts.join(" + ")
                            ),
                        }
                    })
                    .unwrap_or_default();
                let _ = writeln!(
                    o,
                    "     {:<24} {calls} {}",
                    s.id,
                    serde_json::Value::Object(s.with.clone())
                );
            }
        }
    }
}
