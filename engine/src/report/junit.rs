//! JUnit XML: one test suite per run, one test case per expectation, so any CI system
//! shows a game day like a test run. A missed or late expectation is a failure; one the
//! run ended before deciding is an error; clean-up that left something behind is a
//! failing case of its own.

use super::{Report, RunReport, Verdict, human};
use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};
use std::time::Duration;

fn duration(seconds: Option<f64>) -> Duration {
    // Beyond what a `Duration` holds (or not a number): the longest, not a panic.
    Duration::try_from_secs_f64(seconds.unwrap_or(0.0).max(0.0)).unwrap_or(Duration::MAX)
}

fn failure(kind: NonSuccessKind, ty: &str, message: String) -> TestCaseStatus {
    let mut s = TestCaseStatus::non_success(kind);
    s.set_type(ty);
    s.set_message(message);
    s
}

/// The test case status of an expectation: `done` is what reaching it is called
/// ("detected", "contained"), `took` its time, `run_reason` why the run ended.
fn status(
    v: Verdict<'_>,
    done: &str,
    took: Option<f64>,
    deadline: &str,
    run_reason: &str,
) -> TestCaseStatus {
    match v {
        Verdict::Met => TestCaseStatus::success(),
        Verdict::Late => failure(
            NonSuccessKind::Failure,
            "late",
            format!(
                "{done} after {}, past its deadline of {deadline}",
                human(took)
            ),
        ),
        Verdict::Missed(reason) => failure(
            NonSuccessKind::Failure,
            "missed",
            format!("not {done} (deadline {deadline}): {reason}"),
        ),
        Verdict::Undecided => failure(
            NonSuccessKind::Error,
            "undecided",
            format!("the run ended before this was decided: {run_reason}"),
        ),
    }
}

fn suite(r: &RunReport) -> TestSuite {
    let s = &r.summary;
    let class = format!("gameday.{}", s.scenario);
    let mut suite = TestSuite::new(format!("{} ({})", s.scenario, s.run_id));
    suite.set_timestamp(s.started_at.fixed_offset());
    suite.set_time(duration(Some(r.duration_seconds)));
    suite.add_properties([
        Property::new("run_id", s.run_id.as_str()),
        Property::new("target", s.target.name.as_str()),
        Property::new("account_id", s.target.account_id.as_str()),
        Property::new("region", s.target.region.as_str()),
        Property::new("outcome", s.outcome.as_str()),
        Property::new("score", format!("{:.1}", s.score.total)),
        Property::new("grade", s.score.grade.to_string()),
    ]);
    for d in &s.detections {
        let deadline = human(Some(d.within_seconds));
        let status = status(d.verdict(), "detected", d.ttd_seconds, &deadline, &s.reason);
        let drill = if d.sample { " (drill)" } else { "" };
        let mut case = TestCase::new(
            format!("detect {}: {} {}{drill}", d.id, d.source, d.name),
            status,
        );
        case.set_classname(class.as_str());
        case.set_time(duration(d.ttd_seconds));
        let note = if d.sample {
            format!("; {}", crate::words::DRILL_NOTE)
        } else {
            String::new()
        };
        case.set_system_out(format!(
            "T0 {}; detected at {}; observed at {}; TTD {}; deadline {deadline}; {}{note}",
            super::time(d.t0),
            super::time(d.detected_at),
            super::time(d.observed_at),
            d.ttd_text(),
            d.explanation
        ));
        suite.add_test_case(case);
    }
    for c in &s.containments {
        let deadline = human(Some(c.within_seconds));
        let status = status(
            c.verdict(),
            "contained",
            c.ttc_seconds,
            &deadline,
            &s.reason,
        );
        let mut case = TestCase::new(format!("contain {}: {}", c.id, c.check), status);
        case.set_classname(class.as_str());
        case.set_time(duration(c.ttc_seconds));
        case.set_system_out(format!(
            "timed from {}; contained at {}; TTC {}; deadline {deadline}; {}",
            super::time(c.reference_at),
            super::time(c.contained_at),
            human(c.ttc_seconds),
            c.explanation
        ));
        suite.add_test_case(case);
    }
    if let Some(cl) = &s.cleanup {
        let status = if cl.left_behind.is_empty() && cl.not_ours.is_empty() {
            TestCaseStatus::success()
        } else if cl.left_behind.is_empty() {
            let mut st = failure(
                NonSuccessKind::Failure,
                "not-ours",
                format!(
                    "{} revert(s) refused: what they name is not the run's",
                    cl.not_ours.len()
                ),
            );
            st.set_description(cl.not_ours.join("\n"));
            st
        } else {
            let mut st = failure(
                NonSuccessKind::Failure,
                "left-behind",
                format!(
                    "{} change(s) may remain in the account",
                    cl.left_behind.len()
                ),
            );
            st.set_description(cl.left_behind.join("\n"));
            st
        };
        let mut case = TestCase::new("clean-up", status);
        case.set_classname(class.as_str());
        suite.add_test_case(case);
    }
    suite
}

/// Renders the report as JUnit XML.
pub fn render(r: &Report) -> String {
    let mut report = quick_junit::Report::new("gameday");
    report.add_test_suites(r.runs.iter().map(suite));
    report.to_string().unwrap_or_default()
}
