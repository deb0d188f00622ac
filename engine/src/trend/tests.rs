//! Tests of the trend: its statistics, its filter, and what each format shows.

use super::text::text_table;
use super::*;
use crate::sandbox::TargetInfo;
use crate::score::{ContainmentResult, DetectionResult, Score};
use chrono::TimeZone;

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, day, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

fn detection(id: &str, ttd: Option<f64>, within: f64) -> DetectionResult {
    DetectionResult {
        id: id.to_owned(),
        source: "guardduty".to_owned(),
        name: "PenTest:IAMUser/KaliLinux".to_owned(),
        met: ttd.is_some_and(|t| t <= within),
        within_seconds: within,
        t0: None,
        detected_at: None,
        observed_at: None,
        ttd_seconds: ttd,
        evidence: None,
        sample: false,
        missed_reason: ttd.is_none().then(|| "not detected".to_owned()),
        after: None,
        hop_seconds: None,
        points: 0.0,
        max_points: 40.0,
        explanation: String::new(),
    }
}

fn containment(id: &str, ttc: Option<f64>, within: f64) -> ContainmentResult {
    ContainmentResult {
        id: id.to_owned(),
        check: "iam.access_key_status".to_owned(),
        met: ttc.is_some_and(|t| t <= within),
        within_seconds: within,
        reference_at: None,
        contained_at: None,
        ttc_seconds: ttc,
        time_source: None,
        last_seen_false: None,
        first_seen_true: None,
        missed_reason: ttc.is_none().then(|| "not contained".to_owned()),
        points: 0.0,
        max_points: 40.0,
        explanation: String::new(),
    }
}

fn run(
    id: &str,
    scenario: &str,
    day: u32,
    ttd: Option<f64>,
    ttc: Option<f64>,
    score: f64,
) -> Summary {
    let d = detection("finding", ttd, 900.0);
    let c = containment("key-off", ttc, 1800.0);
    let outcome = if d.met && c.met {
        Outcome::Passed
    } else {
        Outcome::Failed
    };
    Summary {
        run_id: id.to_owned(),
        scenario: scenario.to_owned(),
        title: format!("{scenario} title"),
        target: TargetInfo {
            name: "sim".to_owned(),
            kind: crate::sandbox::TargetKind::Sim,
            account_id: "111122223333".to_owned(),
            region: "us-east-1".to_owned(),
        },
        seed: u64::from(day),
        clock: "virtual".to_owned(),
        autopilot: true,
        outcome,
        reason: String::new(),
        started_at: at(day),
        ended_at: at(day),
        score: Score {
            total: score,
            max: 100.0,
            grade: 'A',
            detection: 0.0,
            containment: 0.0,
            runbook: 0.0,
        },
        detections: vec![d],
        containments: vec![c],
        runbook: Vec::new(),
        penalties: Vec::new(),
        cleanup: None,
        torn_journal: false,
    }
}

#[test]
fn nearest_rank_percentiles() {
    let v: Vec<f64> = (1..=100).map(f64::from).collect();
    assert_eq!(percentile(&v, 50.0), Some(50.0));
    assert_eq!(percentile(&v, 95.0), Some(95.0));
    assert_eq!(percentile(&[3.0], 95.0), Some(3.0));
    assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 50.0), Some(2.0));
    assert_eq!(percentile(&[], 50.0), None);
    assert_eq!(percentile_of([9.0, 1.0, 5.0], 50.0), Some(5.0));
}

#[test]
fn halves_compare_the_medians_of_the_first_and_last_half() {
    // Five runs: the middle one is in neither half.
    let h = halves(&[
        Some(100.0),
        Some(300.0),
        Some(999.0),
        Some(50.0),
        Some(70.0),
    ])
    .expect("two halves");
    assert_eq!(h.runs_per_half, 2);
    assert_eq!(h.earlier_median, 100.0);
    assert_eq!(h.later_median, 50.0);
    assert_eq!(h.change, -50.0);
    // A miss has no value and is left out of its half's median.
    let h = halves(&[None, Some(200.0), Some(80.0), None]).expect("two halves");
    assert_eq!(
        (h.earlier_median, h.later_median, h.change),
        (200.0, 80.0, -120.0)
    );
    assert_eq!(halves(&[Some(1.0)]), None, "one run has no halves");
    assert_eq!(halves(&[None, None, Some(3.0), Some(4.0)]), None);
}

#[test]
fn since_takes_a_date_at_utc_midnight_or_rfc3339() {
    assert_eq!(
        parse_since("2025-03-02").map(|t| t.to_rfc3339()),
        Ok("2025-03-02T00:00:00+00:00".to_owned())
    );
    assert_eq!(
        parse_since("2025-03-02T10:30:00+02:00").map(|t| t.to_rfc3339()),
        Ok("2025-03-02T08:30:00+00:00".to_owned())
    );
    let err = parse_since("yesterday").expect_err("not a date");
    assert!(
        err.contains("`yesterday`") && err.contains("YYYY-MM-DD"),
        "{err}"
    );
    assert!(parse_since("2025-02-30").is_err());
}

#[test]
fn the_since_filter_keeps_runs_started_at_or_after_it() {
    let runs = vec![
        run("a", "s", 1, Some(100.0), Some(60.0), 100.0),
        run("b", "s", 2, Some(200.0), Some(60.0), 100.0),
        run("c", "s", 3, Some(300.0), Some(60.0), 100.0),
    ];
    let f = Filter {
        scenario: None,
        since: Some(parse_since("2025-03-02").expect("date")),
    };
    let t = Trend::new(&runs, &f);
    assert_eq!((t.runs_read, t.runs), (3, 2));
    let ids: Vec<&str> = t.scenarios[0]
        .runs
        .iter()
        .map(|r| r.run_id.as_str())
        .collect();
    assert_eq!(ids, ["b", "c"]);
    let later = Filter {
        scenario: None,
        since: Some(parse_since("2999-01-01").expect("date")),
    };
    let t = Trend::new(&runs, &later);
    assert_eq!((t.runs, t.scenarios.len()), (0, 0));
    assert!(t.to_text().contains("No runs to show."));
    assert!(t.to_html().contains("No runs to show."));
}

#[test]
fn pass_rates_never_round_a_shortfall_to_all_or_a_few_to_none() {
    // 996 of 1000 runs pass, and 1 of 1000 misses its detection (of the other
    // scenario's runs, all but one fail).
    let mut runs = Vec::new();
    for i in 0..1000u32 {
        let ok = i >= 4;
        let (ttd, ttc) = if ok {
            (Some(60.0), Some(60.0))
        } else {
            (None, None)
        };
        runs.push(run(&format!("a{i}"), "almost", 1, ttd, ttc, 90.0));
        let ok = i == 0;
        let (ttd, ttc) = if ok {
            (Some(60.0), Some(60.0))
        } else {
            (None, None)
        };
        runs.push(run(&format!("b{i}"), "barely", 1, ttd, ttc, 10.0));
    }
    // And 2499 of 2500: a rate of 0.9996, which three decimals would make 1.
    for i in 0..2500u32 {
        let ttd = (i > 0).then_some(60.0);
        runs.push(run(&format!("c{i}"), "closer", 1, ttd, Some(60.0), 90.0));
    }
    let t = Trend::new(&runs, &Filter::default());
    let text = t.to_text();
    let html = t.to_html();
    for shown in [&text, &html] {
        assert!(shown.contains("996 passed (99%)"), "{shown}");
        assert!(shown.contains("1 passed (1%)"), "{shown}");
        assert!(shown.contains("2499 passed (99%)"), "{shown}");
    }
    assert!(html.contains("996 / 1000 (99%)"), "{html}");
    assert!(html.contains("2499 / 2500 (99%)"), "{html}");
    let closer = &t.scenarios[2];
    assert_eq!(closer.id, "closer");
    assert_eq!(closer.pass_rate, 0.999);
    assert_eq!(closer.expectations[0].pass_rate, 0.999);
    assert_eq!(t.scenarios[1].pass_rate, 0.001);
}

#[test]
fn per_scenario_and_expectation_statistics_in_start_order() {
    // Given out of order, with one duplicate and another scenario.
    let runs = vec![
        run("r3", "key", 3, None, None, 20.0),
        run("r1", "key", 1, Some(600.0), Some(120.0), 100.0),
        run("r2", "key", 2, Some(1000.0), Some(100.0), 80.0),
        run("r4", "key", 4, Some(300.0), Some(90.0), 100.0),
        run("r1", "key", 1, Some(600.0), Some(120.0), 100.0),
        run("x1", "bucket", 2, Some(10.0), Some(10.0), 100.0),
    ];
    let t = Trend::new(&runs, &Filter::default());
    assert_eq!(t.runs, 5);
    let ids: Vec<&str> = t.scenarios.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["bucket", "key"], "sorted by id");
    let key = &t.scenarios[1];
    let order: Vec<&str> = key.runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(order, ["r1", "r2", "r3", "r4"]);
    assert_eq!(key.passed, 2);
    assert_eq!(key.pass_rate, 0.5);
    assert_eq!(key.score.median, 80.0);
    assert_eq!(key.score.min, 20.0);
    assert_eq!(key.score.last, 100.0);

    let d = &key.expectations[0];
    assert_eq!((d.kind, d.id.as_str()), (Kind::Detection, "finding"));
    assert_eq!((d.runs, d.met), (4, 2));
    let statuses: Vec<Status> = d.points.iter().map(|p| p.status).collect();
    assert_eq!(
        statuses,
        [Status::Met, Status::Late, Status::Missed, Status::Met]
    );
    assert_eq!(d.median_seconds, Some(600.0));
    assert_eq!(d.p95_seconds, Some(1000.0));
    assert_eq!(d.last_seconds, Some(300.0));
    assert_eq!(d.deadline_seconds, 900.0);
    let h = d.halves.as_ref().expect("halves");
    assert_eq!((h.earlier_median, h.later_median), (600.0, 300.0));

    let c = &key.expectations[1];
    assert_eq!((c.kind, c.id.as_str()), (Kind::Containment, "key-off"));
    assert_eq!(c.median_seconds, Some(100.0));

    let text = t.to_text();
    assert!(text.contains("TTD finding"), "{text}");
    assert!(text.contains("10m"), "the median of finding: {text}");
    for l in text.lines() {
        assert!(l.chars().count() <= TEXT_WIDTH, "too wide: {l}");
    }
    let json: serde_json::Value = serde_json::from_str(&t.to_json()).expect("json");
    assert_eq!(json["kind"], "gameday-trend");
    assert_eq!(
        json["scenarios"][1]["expectations"][0]["points"][2]["status"],
        "missed"
    );
    let page = t.to_html();
    assert!(page.contains("<svg") && !page.contains("<script"));
    assert!(page.contains("role=\"img\""));
    assert!(page.contains("class=\"deadline\""));
    assert!(
        page.contains("<polygon class=\"mark-bad\""),
        "a miss is drawn"
    );
}

#[test]
fn sparklines_scale_from_zero_and_mark_misses() {
    let s = sparkline(&[
        (Some(0.0), Status::Met),
        (Some(50.0), Status::Met),
        (Some(100.0), Status::Late),
        (None, Status::Missed),
        (None, Status::Undecided),
    ]);
    assert_eq!(s, "▁▅█×·");
}

#[test]
fn tables_shorten_the_flexible_column_to_fit() {
    let rows = vec![vec!["x".repeat(200), "12".to_owned()]];
    let t = text_table("  ", &["NAME", "N"], &rows, 0, &[1], 40);
    for l in t.lines() {
        assert!(l.chars().count() <= 40, "{l}");
    }
    assert!(t.contains('…'));
}
