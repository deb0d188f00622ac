//! Every scenario of the library, run against the simulator in virtual time.

use gameday_engine::autopilot::AutopilotConfig;
use gameday_engine::clock::Clock;
use gameday_engine::event::{Body, Event, Outcome};
use gameday_engine::journal::Journal;
use gameday_engine::library::{self, Plan};
use gameday_engine::run::{Run, RunConfig};
use gameday_engine::score::Summary;
use gameday_engine::sim::{DetectionModel, SimAccount};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn plans() -> Vec<Plan> {
    let files = library::yaml_files(&root().join("scenarios"));
    assert!(
        files.len() >= 8,
        "the library has {} scenarios",
        files.len()
    );
    files
        .iter()
        .map(|f| {
            let c = library::load_checked(f, &root().join("runbooks"))
                .unwrap_or_else(|d| panic!("{d}"));
            library::resolve(
                &c.scenario.value,
                c.runbook.as_ref().map(|r| &r.value),
                "t0001",
                &Default::default(),
            )
            .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

async fn run(plan: &Plan, seed: u64) -> (Vec<Event>, Vec<String>) {
    let (events, lines, _, _) = run_on(plan, seed).await;
    (events, lines)
}

/// [`run`], returning the simulated account and its clock too.
async fn run_on(plan: &Plan, seed: u64) -> (Vec<Event>, Vec<String>, SimAccount, Arc<Clock>) {
    let clock = Arc::new(Clock::virtual_at(chrono::Utc::now()));
    let sim = SimAccount::new(seed, Arc::new(DetectionModel::builtin()), clock.clone());
    let mut journal = Journal::memory();
    let config = RunConfig {
        seed,
        autopilot: Some(AutopilotConfig::default()),
        ..RunConfig::default()
    };
    let finished = Run::new(plan, &sim, &clock, &mut journal, config)
        .execute()
        .await
        .expect("journal");
    assert!(
        sim.tagged_resources("t0001").is_empty(),
        "{}: left behind {:?}",
        plan.scenario.id,
        sim.tagged_resources("t0001")
    );
    let lines = journal.lines().to_vec();
    (finished.events, lines, sim, clock)
}

#[tokio::test]
async fn measured_detection_times_equal_the_simulators_ground_truth() {
    for plan in plans() {
        let (events, _) = run(&plan, 1).await;
        let summary = Summary::from_events(&events);
        assert_eq!(
            summary.outcome,
            Outcome::Passed,
            "{}: {}",
            plan.scenario.id,
            summary.reason
        );
        let truth = events
            .iter()
            .find_map(|e| match &e.body {
                Body::SimTruth { detections } => Some(detections.clone()),
                _ => None,
            })
            .expect("the simulator journals its ground truth");
        let mut checked = 0;
        for e in &events {
            if let Body::DetectionMet {
                id,
                name,
                t0,
                detected_at,
                ttd_ms,
                sample,
                ..
            } = &e.body
            {
                // A drill's sample finding is no detection: see the test of the drill.
                if *sample {
                    checked += 1;
                    continue;
                }
                // A later hop of an alert path is the model's latency after the hop
                // before it, which was checked against the ground truth itself.
                let spec = plan.scenario.detect.iter().find(|d| &d.id == id);
                if let Some(before) = spec.and_then(|d| d.after.as_ref()) {
                    let before_at = events.iter().find_map(|x| match &x.body {
                        Body::DetectionMet {
                            id, detected_at, ..
                        } if id == before => Some(*detected_at),
                        _ => None,
                    });
                    assert!(
                        before_at.is_some_and(|b| b <= *detected_at),
                        "{}: {id} at {detected_at}, before {before} ({before_at:?})",
                        plan.scenario.id
                    );
                    assert_eq!(*ttd_ms, (*detected_at - *t0).num_milliseconds());
                    checked += 1;
                    continue;
                }
                // Where the team's routing delivers a detection (EventBridge, a log group
                // it writes), its time is the event's, cut to the second as EventBridge
                // stamps it: within the second before a detection of the ground truth.
                let routed =
                    spec.is_some_and(|d| matches!(d.source.as_str(), "logs" | "eventbridge"));
                if routed {
                    assert!(
                        truth.iter().any(|t| t.detected_at >= *t0
                            && (0..1000)
                                .contains(&(t.detected_at - *detected_at).num_milliseconds())),
                        "{}: {id} at {detected_at} is no detection of the ground truth",
                        plan.scenario.id
                    );
                    assert_eq!(*ttd_ms, (*detected_at - *t0).num_milliseconds());
                    checked += 1;
                    continue;
                }
                let expected = truth
                    .iter()
                    .filter(|t| &t.name == name && t.detected_at >= *t0)
                    .map(|t| t.detected_at)
                    .min()
                    .unwrap_or_else(|| panic!("{}: no ground truth for {name}", plan.scenario.id));
                assert_eq!(*detected_at, expected, "{}: {name}", plan.scenario.id);
                assert_eq!(
                    *ttd_ms,
                    (expected - *t0).num_milliseconds(),
                    "{}: {name}",
                    plan.scenario.id
                );
                assert!(e.at >= *detected_at, "observed before it happened");
                checked += 1;
            }
        }
        assert_eq!(checked, plan.scenario.detect.len(), "{}", plan.scenario.id);
    }
}

#[tokio::test]
async fn a_drill_is_met_by_its_sample_finding_timed_by_its_created_at() {
    let plan = plans()
        .into_iter()
        .find(|p| p.scenario.id == "compromised-access-key-drill")
        .expect("the library's drill");
    let (events, _, sim, clock) = run_on(&plan, 7).await;
    let summary = Summary::from_events(&events);
    assert_eq!(summary.outcome, Outcome::Passed, "{}", summary.reason);
    let findings = sim
        .guardduty()
        .findings(&["PenTest:IAMUser/KaliLinux".to_owned()], clock.start_utc())
        .await
        .expect("findings");
    let samples: Vec<_> = findings.iter().filter(|f| f.sample).collect();
    assert_eq!(samples.len(), 1, "{findings:?}");
    let met: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.body {
            Body::DetectionMet {
                t0,
                detected_at,
                ttd_ms,
                evidence,
                sample,
                ..
            } => Some((*t0, *detected_at, *ttd_ms, evidence.clone(), *sample)),
            _ => None,
        })
        .collect();
    assert_eq!(met.len(), 1, "{met:?}");
    let (t0, detected_at, ttd_ms, evidence, sample) = met[0].clone();
    assert!(sample, "the journal marks the detection a drill");
    assert_eq!(
        evidence, samples[0].id,
        "the sample finding, not a real one"
    );
    assert_eq!(detected_at, samples[0].created_at);
    assert_eq!(ttd_ms, (samples[0].created_at - t0).num_milliseconds());
    // T0 is when the reconnaissance returned, before the sample was asked for.
    let recon_done = events
        .iter()
        .find_map(|e| match &e.body {
            Body::StepCompleted { step, .. } if step == "recon" => Some(e.at),
            _ => None,
        })
        .expect("recon ran");
    assert_eq!(t0, recon_done);
    assert!(summary.detections[0].sample);
    assert!(
        summary.detections[0]
            .explanation
            .contains("sample finding (drill)"),
        "{}",
        summary.detections[0].explanation
    );
}

#[tokio::test]
async fn the_same_seed_gives_the_same_results() {
    for plan in plans() {
        let times = |events: &[Event]| -> Vec<(String, i64)> {
            events
                .iter()
                .filter_map(|e| match &e.body {
                    Body::DetectionMet { id, ttd_ms, .. } => Some((id.clone(), *ttd_ms)),
                    Body::ContainmentMet { id, ttc_ms, .. } => Some((id.clone(), *ttc_ms)),
                    _ => None,
                })
                .collect()
        };
        let (a, _) = run(&plan, 42).await;
        let (b, _) = run(&plan, 42).await;
        assert_eq!(times(&a), times(&b), "{}", plan.scenario.id);
        let (sa, sb) = (Summary::from_events(&a), Summary::from_events(&b));
        assert_eq!(sa.score.total, sb.score.total);
        assert_eq!(sa.score.grade, sb.score.grade);
    }
}

#[tokio::test]
async fn a_runbook_that_does_not_contain_the_attack_fails_the_run() {
    let mut plan = plans()
        .into_iter()
        .find(|p| p.scenario.id == "compromised-access-key")
        .expect("scenario");
    // Take the containing actions away: the autopilot can only tick the rest by hand.
    for phase in &mut plan.runbook.as_mut().expect("runbook").phases {
        for step in &mut phase.steps {
            step.action = None;
            step.with.clear();
        }
    }
    let (events, _) = run(&plan, 1).await;
    let summary = Summary::from_events(&events);
    assert_eq!(summary.outcome, Outcome::Failed);
    assert!(summary.containments.iter().all(|c| !c.met));
    assert!(summary.detections.iter().all(|d| d.met));
}

#[tokio::test]
async fn no_secret_reaches_the_journal() {
    let plan = plans()
        .into_iter()
        .find(|p| p.scenario.id == "compromised-access-key")
        .expect("scenario");
    let (events, lines) = run(&plan, 3).await;
    let text = lines.join("\n");
    assert!(
        events
            .iter()
            .any(|e| matches!(&e.body, Body::StepCompleted { step, .. } if step == "key"))
    );
    // An AWS secret access key is 40 characters of base64; none may appear anywhere.
    let leaked = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '/' || c == '+'))
        .filter(|w| w.len() == 40)
        .collect::<Vec<_>>();
    assert!(
        leaked.is_empty(),
        "secret-shaped values in the journal: {leaked:?}"
    );
    assert!(
        !text.contains("secret_access_key\":\""),
        "a secret output was journaled"
    );
}

/// The journal's lines read back, checked as every reader checks them.
fn read_back(plan: &Plan, lines: &[String]) -> gameday_engine::journal::Contents {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    gameday_engine::journal::parse(Path::new("journal.jsonl"), &text)
        .unwrap_or_else(|e| panic!("{}: {e}", plan.scenario.id))
}

#[tokio::test]
async fn every_journal_the_engine_writes_passes_the_checks_readers_make() {
    for plan in plans() {
        for seed in 1..=3 {
            let (_, lines) = run(&plan, seed).await;
            read_back(&plan, &lines);
        }
    }
}

#[tokio::test]
async fn a_finding_from_before_t0_is_not_the_triggers_detection() {
    let mut plan = plans()
        .into_iter()
        .find(|p| p.scenario.id == "compromised-access-key")
        .expect("scenario");
    // T0 is now 20 minutes after the calls GuardDuty flags, well after its finding.
    let mut with = serde_json::Map::new();
    with.insert("duration".into(), "20m".into());
    plan.scenario.attack.push(gameday_engine::scenario::Step {
        id: "linger".into(),
        action: "wait".into(),
        with,
        description: None,
    });
    plan.scenario.detect[0].trigger = Some("linger".into());
    let (events, lines) = run(&plan, 1).await;
    read_back(&plan, &lines);
    assert!(
        events
            .iter()
            .all(|e| !matches!(e.body, Body::DetectionMet { ttd_ms, .. } if ttd_ms < 0)),
        "no detection before its T0"
    );
}

#[tokio::test]
async fn a_containment_in_place_before_its_detection_took_no_time() {
    let mut plan = plans()
        .into_iter()
        .find(|p| p.scenario.id == "compromised-access-key")
        .expect("scenario");
    // The key is active from the start: the condition holds before anything is detected.
    plan.scenario.respond[0].expect = "Active".into();
    let (events, lines) = run(&plan, 1).await;
    read_back(&plan, &lines);
    let ttc = events
        .iter()
        .find_map(|e| match &e.body {
            Body::ContainmentMet {
                ttc_ms,
                reference_at,
                contained_at,
                ..
            } => Some((*ttc_ms, contained_at < reference_at)),
            _ => None,
        })
        .expect("contained");
    assert_eq!(
        ttc,
        (0, true),
        "held before the detection: no time to contain"
    );
}

#[tokio::test]
async fn clean_up_after_a_crash_appends_in_run_time_order_behind_a_fast_clock() {
    let plan = plans()
        .into_iter()
        .find(|p| p.scenario.id == "compromised-access-key")
        .expect("scenario");
    // A virtual-time run started now: its events run minutes ahead of the wall clock.
    let (events, lines) = run(&plan, 1).await;
    // Its process died once the detection was in: the journal stops there.
    let cut = events
        .iter()
        .position(|e| matches!(e.body, Body::DetectionMet { .. }))
        .expect("detected")
        + 1;
    let dir = tempfile::tempdir().expect("tempdir");
    let text: String = lines[..cut].iter().map(|l| format!("{l}\n")).collect();
    std::fs::write(dir.path().join(gameday_engine::journal::FILE_NAME), text).expect("write");
    let (mut journal, contents) = Journal::resume(dir.path()).expect("resume");
    let clock = Arc::new(Clock::virtual_at(chrono::Utc::now()));
    let sim = SimAccount::new(1, Arc::new(DetectionModel::builtin()), clock);
    gameday_engine::recover::recover(&contents, &mut journal, &sim)
        .await
        .expect("recovers");
    drop(journal);
    let back = gameday_engine::journal::read(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert!(back.events.len() > cut, "clean-up appended");
    assert!(matches!(
        back.events.last().map(|e| &e.body),
        Some(Body::RunEnded {
            outcome: Outcome::Interrupted,
            ..
        })
    ));
    assert!(
        back.events[cut..]
            .iter()
            .all(|e| e.t_ms >= events[cut - 1].t_ms)
    );
}

/// The library asks nothing of the simulator that its model cannot give; a drill of a type
/// the model never raises is met by its sample finding, so it is no reason to warn.
#[test]
fn the_library_needs_nothing_the_simulator_lacks_and_a_drill_is_no_warning() {
    let model = DetectionModel::builtin();
    for f in library::yaml_files(&root().join("scenarios")) {
        let c =
            library::load_checked(&f, &root().join("runbooks")).unwrap_or_else(|d| panic!("{d}"));
        let warnings = library::sim_warnings(&c.scenario, &model);
        assert!(warnings.is_empty(), "{}: {warnings:?}", f.display());
    }
    let drill = root().join("scenarios/compromised-access-key-drill.yaml");
    let text = std::fs::read_to_string(&drill).unwrap_or_default().replace(
        "PenTest:IAMUser/KaliLinux",
        "Discovery:IAMUser/AnomalousBehavior",
    );
    assert!(text.contains("sample: true"));
    let sc = library::parse_scenario(&drill, &text).unwrap_or_else(|d| panic!("{d}"));
    assert!(library::check_scenario(&sc).is_empty(), "a valid drill");
    assert!(library::sim_warnings(&sc, &model).is_empty());
    let real = text.replace("sample: true", "sample: false");
    let sc = library::parse_scenario(&drill, &real).unwrap_or_else(|d| panic!("{d}"));
    let warnings = library::sim_warnings(&sc, &model);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].path, "detect[0].finding_type");
}
