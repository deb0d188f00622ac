//! Tests of the coverage: the ATT&CK data, and the matrix with and without runs.

use super::*;
use crate::sandbox::TargetInfo;
use crate::score::{DetectionResult, Score};
use crate::trend::TEXT_WIDTH;
use chrono::TimeZone;

fn attack() -> &'static Attack {
    match Attack::builtin() {
        Ok(a) => a,
        Err(e) => panic!("{e}"),
    }
}

fn scenario(id: &str, mitre: &[&str]) -> LibraryScenario {
    LibraryScenario {
        id: id.to_owned(),
        title: format!("{id} title"),
        mitre: mitre.iter().map(|m| (*m).to_owned()).collect(),
    }
}

fn run(id: &str, scenario: &str, minute: u32, met: bool, outcome: Outcome) -> Summary {
    Summary {
        run_id: id.to_owned(),
        scenario: scenario.to_owned(),
        title: String::new(),
        target: TargetInfo {
            name: "sim".to_owned(),
            kind: crate::sandbox::TargetKind::Sim,
            account_id: "111122223333".to_owned(),
            region: "us-east-1".to_owned(),
        },
        seed: 1,
        clock: "virtual".to_owned(),
        autopilot: true,
        outcome,
        reason: String::new(),
        started_at: Utc
            .with_ymd_and_hms(2025, 5, 1, 9, minute, 0)
            .single()
            .unwrap_or_default(),
        ended_at: DateTime::<Utc>::default(),
        score: Score {
            total: 0.0,
            max: 100.0,
            grade: 'F',
            detection: 0.0,
            containment: 0.0,
            runbook: 0.0,
        },
        detections: vec![DetectionResult {
            id: "d".to_owned(),
            source: "guardduty".to_owned(),
            name: "x".to_owned(),
            met,
            within_seconds: 900.0,
            t0: None,
            detected_at: None,
            observed_at: None,
            ttd_seconds: met.then_some(60.0),
            evidence: None,
            sample: false,
            missed_reason: None,
            after: None,
            hop_seconds: None,
            points: 0.0,
            max_points: 40.0,
            explanation: String::new(),
        }],
        containments: Vec::new(),
        runbook: Vec::new(),
        penalties: Vec::new(),
        cleanup: None,
        torn_journal: false,
    }
}

#[test]
fn the_builtin_data_parses_and_knows_every_library_technique() {
    let a = attack();
    assert_eq!(a.version, "19");
    assert_eq!(a.tactics.len(), 13);
    assert_eq!(a.tactics[0].name, "Initial Access");
    assert_eq!(a.tactics[12].name, "Impact");
    let keys: Vec<&str> = a.tactics.iter().map(|t| t.key.as_str()).collect();
    assert!(!keys.contains(&"defense-evasion"), "v19 split it: {keys:?}");
    let di = a.tactics.iter().find(|t| t.key == "defense-impairment");
    assert_eq!(di.map(|t| t.id.as_str()), Some("TA0112"));
    for id in [
        "T1078.004",
        "T1087.004",
        "T1580",
        "T1619",
        "T1518.001",
        "T1685.002",
        "T1098.001",
        "T1136.003",
        "T1098.003",
        "T1556",
        "T1530",
        "T1537",
        "T1686.001",
    ] {
        assert!(a.find(id).is_some(), "{id} is missing from attack.yaml");
    }
    // Every scenario of the library, read from disk.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut seen = 0;
    for f in crate::library::yaml_files(&dir) {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let Ok(s) = crate::library::parse_scenario(&f, &text) else {
            continue;
        };
        for m in &s.value.mitre {
            seen += 1;
            assert!(
                a.find(m).is_some(),
                "{}: {m} is not a technique of attack.yaml (an old id moves with a warning)",
                f.display()
            );
        }
    }
    assert!(seen >= 13, "read {seen} technique ids from the library");
}

#[test]
fn lookup_gives_sub_technique_names_and_inherited_tactics() {
    let a = attack();
    let t = a.find("t1078.004 ").expect("case and blanks ignored");
    assert_eq!(t.name, "Cloud Accounts");
    assert_eq!(t.full_name, "Valid Accounts: Cloud Accounts");
    assert_eq!(t.parent.as_deref(), Some("T1078"));
    assert_eq!(
        t.tactics,
        [
            "initial-access",
            "persistence",
            "privilege-escalation",
            "stealth"
        ]
    );
    let t = a.find("T1685.002").expect("known");
    assert_eq!(
        t.full_name,
        "Disable or Modify Tools: Disable or Modify Cloud Logs"
    );
    assert_eq!(t.tactics, ["defense-impairment"]);
    let t = a.find("T1686.001").expect("known");
    assert_eq!(
        t.full_name,
        "Disable or Modify System Firewall: Cloud Firewall"
    );
    assert_eq!(t.tactics, ["defense-impairment"]);
    let t = a.find("T1556").expect("known");
    assert_eq!(
        t.tactics,
        ["persistence", "defense-impairment", "credential-access"],
        "matrix order"
    );
    assert!(a.find("T9999").is_none());
    assert!(a.find("T1562.008").is_none(), "v19 replaced it");
    let ids: Vec<&str> = a
        .of_tactic("stealth")
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    let at = |id: &str| ids.iter().position(|x| *x == id);
    assert!(at("T1078") < at("T1078.004") && at("T1078.004") < at("T1535"));
    let ids: Vec<&str> = a
        .of_tactic("defense-impairment")
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    let at = |id: &str| ids.iter().position(|x| *x == id);
    assert_eq!(at("T1685.002"), at("T1685").map(|i| i + 1), "{ids:?}");
    assert!(!a.of_tactic("impact").iter().any(|t| t.id == "T1580"));
}

#[test]
fn old_ids_move_to_the_technique_that_replaced_them() {
    let a = attack();
    for (old, new) in [
        ("T1562.008", "T1685.002"),
        ("t1562.007 ", "T1686.001"),
        ("T1562.001", "T1685"),
    ] {
        assert_eq!(a.moved_to(old).map(|t| t.id.as_str()), Some(new), "{old}");
        assert_eq!(a.current_id(old), new);
    }
    assert!(
        a.moved_to("T1685.002").is_none(),
        "a current id has not moved"
    );
    assert!(a.moved_to("T9999").is_none());
    assert_eq!(a.current_id("t9999"), "T9999");
    // A scenario still naming an old id exercises the new technique, not "other".
    let lib = [
        scenario("old", &["T1562.008"]),
        scenario("new", &["T1685.002"]),
    ];
    let c = Coverage::new(a, &lib, None);
    assert!(c.other.is_empty(), "{:?}", c.other);
    let di = c
        .tactics
        .iter()
        .find(|t| t.key == "defense-impairment")
        .expect("a v19 tactic");
    let cell = di
        .techniques
        .iter()
        .find(|t| t.id == "T1685.002")
        .expect("listed");
    let users: Vec<&str> = cell.scenarios.iter().map(|m| m.scenario.as_str()).collect();
    assert_eq!(users, ["new", "old"]);
    assert_eq!(c.scenarios[1].techniques, ["T1685.002"]);
}

#[test]
fn the_data_is_checked() {
    let bad = r#"
version: "1"
domain: enterprise-attack
tactics: [{ id: TA0001, key: initial-access, name: Initial Access }]
techniques:
  - { id: T1078.004, name: Cloud Accounts }
  - { id: T1190, name: Exploit, tactics: [nowhere] }
  - { id: X1, name: Bad }
moved:
  - { from: T1190, to: T1190 }
  - { from: T0001, to: T7777 }
  - { from: T0001, to: T1190 }
  - { from: nope, to: T1190 }
"#;
    let e = Attack::from_yaml(bad).expect_err("invalid");
    assert!(e.contains("parent `T1078`"), "{e}");
    assert!(e.contains("`T1190` is a technique of this version"), "{e}");
    assert!(e.contains("`T7777` is not a listed technique"), "{e}");
    assert!(e.contains("`T0001` is listed twice"), "{e}");
    assert!(e.contains("`nope` is not a technique id"), "{e}");
    assert!(e.contains("unknown tactic `nowhere`"), "{e}");
    assert!(e.contains("`X1`"), "{e}");
}

#[test]
fn unknown_techniques_go_to_other_and_gaps_stay() {
    let lib = [
        scenario("a", &["T1078.004", "T9999.001"]),
        scenario("b", &["t1078.004"]),
    ];
    let c = Coverage::new(attack(), &lib, None);
    assert!(!c.with_runs);
    assert_eq!(c.other.len(), 1);
    assert_eq!(c.other[0].id, "T9999.001");
    assert_eq!(c.other[0].scenarios[0].scenario, "a");
    let ia = &c.tactics[0];
    let cell = ia
        .techniques
        .iter()
        .find(|t| t.id == "T1078.004")
        .expect("in Initial Access");
    assert_eq!(cell.status, CellStatus::Exercised);
    let users: Vec<&str> = cell.scenarios.iter().map(|m| m.scenario.as_str()).collect();
    assert_eq!(users, ["a", "b"]);
    assert!(cell.scenarios.iter().all(|m| m.result.is_none()));
    let gap = ia
        .techniques
        .iter()
        .find(|t| t.id == "T1190")
        .expect("listed");
    assert_eq!(gap.status, CellStatus::Gap);
    assert_eq!(c.totals.exercised, 1);
    assert_eq!(c.totals.other, 1);
    assert_eq!(c.totals.techniques, attack().techniques.len());
    let text = c.to_text();
    assert!(text.contains("T9999.001"), "{text}");
    for l in text.lines() {
        assert!(l.chars().count() <= TEXT_WIDTH, "too wide: {l}");
    }
}

#[test]
fn the_latest_run_of_each_scenario_wins() {
    let lib = [
        scenario("a", &["T1580"]),
        scenario("b", &["T1580", "T1530"]),
        scenario("c", &["T1537"]),
        scenario("d", &["T1619"]),
    ];
    let runs = vec![
        // a: missed first, detected later: detected.
        run("a2", "a", 5, true, Outcome::Passed),
        run("a1", "a", 1, false, Outcome::Failed),
        // b: detected first, missed later: missed.
        run("b1", "b", 1, true, Outcome::Passed),
        run("b2", "b", 6, false, Outcome::Failed),
        // c: its only run was interrupted before detecting.
        run("c1", "c", 2, false, Outcome::Interrupted),
        // a run of a scenario outside the library
        run("z1", "z", 2, true, Outcome::Passed),
    ];
    let c = Coverage::new(attack(), &lib, Some(&runs));
    let result = |id: &str| {
        c.scenarios
            .iter()
            .find(|s| s.id == id)
            .and_then(|s| s.result)
    };
    assert_eq!(result("a"), Some(RunResult::Detected));
    assert_eq!(result("b"), Some(RunResult::Missed));
    assert_eq!(result("c"), Some(RunResult::Interrupted));
    assert_eq!(result("d"), Some(RunResult::NotRun));
    let latest = c.scenarios[0].latest_run.as_ref().expect("a ran");
    assert_eq!(latest.run_id, "a2");
    let status = |id: &str| {
        c.tactics
            .iter()
            .flat_map(|t| &t.techniques)
            .find(|t| t.id == id)
            .map(|t| t.status)
    };
    // T1580: a detected it, b missed it: missed wins.
    assert_eq!(status("T1580"), Some(CellStatus::Missed));
    assert_eq!(status("T1530"), Some(CellStatus::Missed));
    assert_eq!(status("T1537"), Some(CellStatus::Interrupted));
    assert_eq!(status("T1619"), Some(CellStatus::Exercised));
    assert_eq!(c.runs_of_other_scenarios, 1);
    assert_eq!((c.totals.detected, c.totals.missed), (0, 2));

    let page = c.to_html();
    assert!(page.contains("class=\"matrix\""));
    assert!(page.contains("cell-missed") && !page.contains("<script"));
    let json: serde_json::Value = serde_json::from_str(&c.to_json()).expect("json");
    assert_eq!(json["scenarios"][0]["result"], "detected");
    assert_eq!(json["scenarios"][3]["result"], "not_run");
    let text = c.to_text();
    assert!(text.contains("a ✓, b ✗"), "{text}");
}
