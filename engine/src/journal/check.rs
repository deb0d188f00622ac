//! Whether a journal's events can be a run's record. Every reader trusts what it reads
//! (the score, the reports, trends, the console's replay, clean-up after a crash), so a
//! journal is checked as it is read: one rule a function, each naming the first event
//! it refuses, composed by [`check`], which reports the earliest of them.
//!
//! The rules know only the event kinds they judge; any other kind passes them, so a new
//! event needs no change here unless it carries times.

use crate::event::{Body, Event, RunPhase};
use chrono::{DateTime, TimeDelta, Utc};

/// How far an event's UTC instant may be from the run's start plus its run time. The
/// engine writes them exactly (`at` is the start plus `t_ms`), clean-up after a crash
/// truncates the wall clock to the millisecond, and a journal rewritten at a coarser
/// precision moves them by less than a second. Reports give times to the second, so an
/// edit the tolerance lets through changes nothing a reader shows.
pub const CLOCK_TOLERANCE_MS: i64 = 1_000;

/// How far a recorded time to detect or contain may be from the instants it is computed
/// from: each instant rounded to the millisecond moves the span by less than one.
pub const SPAN_TOLERANCE_MS: i64 = 1;

/// The longest a journal can span from its run's start, clean-up included: ten years. A
/// run lasts minutes to hours, a facilitator can keep an exercise open for days, and
/// `gameday cleanup --run` may come long after a crash; ten years leaves room for all of
/// them, and keeps every time far from where arithmetic on it could overflow.
pub const LONGEST_RUN_MS: u64 = 10 * 366 * 86_400_000;

/// The plausible starts of a run, in seconds since the epoch: from 2000-01-01 to
/// 2200-01-01 (UTC). Anything else is a corrupted or invented date.
const STARTS: std::ops::Range<i64> = 946_684_800..7_258_118_400;

/// Why an event cannot be: its index among the journal's events, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The event, from 0.
    pub index: usize,
    /// What is wrong, in words.
    pub message: String,
}

impl Problem {
    fn at(index: usize, message: impl Into<String>) -> Problem {
        Problem {
            index,
            message: message.into(),
        }
    }
}

/// The events, and the run's start they are timed from.
struct Run<'a> {
    events: &'a [Event],
    start: DateTime<Utc>,
}

type Rule = fn(&Run<'_>) -> Result<(), Problem>;

/// Every rule but the first (see [`start_of`]), each independent of the others.
const RULES: [Rule; 9] = [
    run_started_once,
    sequence_counts_from_zero,
    run_time_never_goes_back,
    run_times_are_plausible,
    utc_follows_run_time,
    instants_lie_within_the_run,
    detections_add_up,
    containments_add_up,
    nothing_but_clean_up_after_the_end,
];

/// Checks a journal's events: the earliest event any rule refuses, with the rule's words
/// prefixed by the event's name.
pub fn check(events: &[Event]) -> Result<(), Problem> {
    let start = start_of(events)?;
    let run = Run { events, start };
    let first = RULES
        .iter()
        .filter_map(|rule| rule(&run).err())
        .min_by_key(|p| p.index);
    match first {
        None => Ok(()),
        Some(p) => Err(Problem {
            message: format!("{}: {}", name(events.get(p.index)), p.message),
            index: p.index,
        }),
    }
}

/// The journal's name of an event's kind, from its own serialisation, so that kinds
/// this module does not know are named too.
fn name(e: Option<&Event>) -> String {
    e.and_then(|e| serde_json::to_value(&e.body).ok())
        .and_then(|v| v.get("event").and_then(|n| n.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "event".to_owned())
}

/// The run's start: the first event is `run_started`, at a plausible date, and its UTC
/// instant less its run time is when the run began.
fn start_of(events: &[Event]) -> Result<DateTime<Utc>, Problem> {
    let refuse = |m: String| Problem::at(0, format!("{}: {m}", name(events.first())));
    let Some(first) = events.first() else {
        return Err(Problem::at(0, "no events"));
    };
    if !matches!(first.body, Body::RunStarted { .. }) {
        return Err(refuse(
            "a run's journal starts with run_started, which embeds what every reader needs"
                .to_owned(),
        ));
    }
    let start = run_time(first.t_ms)
        .and_then(|t| first.at.checked_sub_signed(t))
        .filter(|s| STARTS.contains(&s.timestamp()))
        .ok_or_else(|| {
            refuse(format!(
                "the run would start at {} less t_ms {}, not between 2000 and 2200",
                first.at, first.t_ms
            ))
        })?;
    Ok(start)
}

/// A run time as a span, if it is one a run can have.
fn run_time(t_ms: u64) -> Option<TimeDelta> {
    if t_ms > LONGEST_RUN_MS {
        return None;
    }
    i64::try_from(t_ms).ok().map(TimeDelta::milliseconds)
}

/// `run_started` once: a journal holds one run.
fn run_started_once(run: &Run<'_>) -> Result<(), Problem> {
    match run
        .events
        .iter()
        .skip(1)
        .position(|e| matches!(e.body, Body::RunStarted { .. }))
    {
        Some(i) => Err(Problem::at(
            i + 1,
            "a second run_started: a journal holds one run",
        )),
        None => Ok(()),
    }
}

/// `seq` counts the events from 0, without gaps or repeats, across a clean-up that
/// resumed the journal after a crash.
fn sequence_counts_from_zero(run: &Run<'_>) -> Result<(), Problem> {
    for (i, e) in run.events.iter().enumerate() {
        let expected = i as u64;
        if e.seq != expected {
            let why = if e.seq < expected {
                "an event number repeats or goes back"
            } else {
                "events are missing before it"
            };
            return Err(Problem::at(
                i,
                format!("seq is {}, where {expected} comes next: {why}", e.seq),
            ));
        }
    }
    Ok(())
}

/// Run time never goes back.
fn run_time_never_goes_back(run: &Run<'_>) -> Result<(), Problem> {
    for (i, pair) in run.events.windows(2).enumerate() {
        if pair[1].t_ms < pair[0].t_ms {
            return Err(Problem::at(
                i + 1,
                format!(
                    "run time goes back: t_ms {} after {} on the line before",
                    pair[1].t_ms, pair[0].t_ms
                ),
            ));
        }
    }
    Ok(())
}

/// Every run time is one a run can have.
fn run_times_are_plausible(run: &Run<'_>) -> Result<(), Problem> {
    match run.events.iter().position(|e| run_time(e.t_ms).is_none()) {
        Some(i) => Err(Problem::at(
            i,
            format!(
                "t_ms {} is more than ten years of run time: no run lasts that long",
                run.events[i].t_ms
            ),
        )),
        None => Ok(()),
    }
}

/// Every event's UTC instant is the run's start plus its run time, within
/// [`CLOCK_TOLERANCE_MS`]. (A run time beyond any run is another rule's.)
fn utc_follows_run_time(run: &Run<'_>) -> Result<(), Problem> {
    for (i, e) in run.events.iter().enumerate() {
        let Some(expected) = run_time(e.t_ms).and_then(|t| run.start.checked_add_signed(t)) else {
            continue;
        };
        let off = (e.at - expected).num_milliseconds();
        if off.abs() > CLOCK_TOLERANCE_MS {
            return Err(Problem::at(
                i,
                format!(
                    "at {} is {off} ms from the run's start plus t_ms ({expected})",
                    e.at
                ),
            ));
        }
    }
    Ok(())
}

/// The instants an event records besides its own, by field name.
fn instants(body: &Body) -> Vec<(&'static str, DateTime<Utc>)> {
    match body {
        Body::DetectionMet {
            t0,
            detected_at,
            observed_at,
            ..
        } => vec![
            ("t0", *t0),
            ("detected_at", *detected_at),
            ("observed_at", *observed_at),
        ],
        Body::DetectionMissed { t0: Some(t0), .. } => vec![("t0", *t0)],
        Body::ContainmentMet {
            reference_at,
            contained_at,
            last_seen_false,
            first_seen_true,
            ..
        } => {
            let mut v = vec![
                ("reference_at", *reference_at),
                ("contained_at", *contained_at),
                ("first_seen_true", *first_seen_true),
            ];
            v.extend(last_seen_false.map(|t| ("last_seen_false", t)));
            v
        }
        _ => Vec::new(),
    }
}

/// The instants an event records lie within the run: not before its start (detections
/// are only looked for from then on) and not past the longest run.
fn instants_lie_within_the_run(run: &Run<'_>) -> Result<(), Problem> {
    let slack = TimeDelta::milliseconds(CLOCK_TOLERANCE_MS);
    let earliest = run.start - slack;
    let latest = run_time(LONGEST_RUN_MS)
        .and_then(|t| run.start.checked_add_signed(t + slack))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    for (i, e) in run.events.iter().enumerate() {
        for (field, t) in instants(&e.body) {
            if t < earliest || t > latest {
                return Err(Problem::at(
                    i,
                    format!(
                        "{field} {t} is outside the run, which started at {}",
                        run.start
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// `later - earlier` in milliseconds, as the engine computes a time to detect or contain.
fn span_ms(earlier: DateTime<Utc>, later: DateTime<Utc>) -> i64 {
    (later - earlier).num_milliseconds()
}

/// A detection comes at or after its T0, which the engine took before it journaled the
/// detection, and its time to detect is the span between them.
fn detections_add_up(run: &Run<'_>) -> Result<(), Problem> {
    let slack = TimeDelta::milliseconds(CLOCK_TOLERANCE_MS);
    for (i, e) in run.events.iter().enumerate() {
        let Body::DetectionMet {
            t0,
            detected_at,
            observed_at,
            ttd_ms,
            ..
        } = &e.body
        else {
            continue;
        };
        let refuse = |m: String| Err(Problem::at(i, m));
        if detected_at < t0 {
            return refuse(format!(
                "detected_at {detected_at} is before its T0 {t0}: a detection cannot precede its trigger"
            ));
        }
        if *ttd_ms < 0 {
            return refuse(format!("ttd_ms {ttd_ms} is negative"));
        }
        let span = span_ms(*t0, *detected_at);
        if ttd_ms.abs_diff(span) > SPAN_TOLERANCE_MS.unsigned_abs() {
            return refuse(format!(
                "ttd_ms {ttd_ms} is not detected_at - t0 ({span} ms)"
            ));
        }
        for (field, t) in [("t0", t0), ("observed_at", observed_at)] {
            if e.at.checked_add_signed(slack).is_some_and(|late| *t > late) {
                return refuse(format!(
                    "{field} {t} is after the event that records it ({})",
                    e.at
                ));
            }
        }
    }
    for (i, e) in run.events.iter().enumerate() {
        if let Body::DetectionMissed { t0: Some(t0), .. } = &e.body
            && e.at
                .checked_add_signed(slack)
                .is_some_and(|late| *t0 > late)
        {
            return Err(Problem::at(
                i,
                format!("t0 {t0} is after the event that records it ({})", e.at),
            ));
        }
    }
    Ok(())
}

/// A containment's time to contain is the span from the detection it is timed from to
/// when the condition first held, or zero where it held before that detection; its polls
/// come in order, before the event that records them.
fn containments_add_up(run: &Run<'_>) -> Result<(), Problem> {
    let slack = TimeDelta::milliseconds(CLOCK_TOLERANCE_MS);
    for (i, e) in run.events.iter().enumerate() {
        let Body::ContainmentMet {
            reference_at,
            contained_at,
            last_seen_false,
            first_seen_true,
            ttc_ms,
            ..
        } = &e.body
        else {
            continue;
        };
        let refuse = |m: String| Err(Problem::at(i, m));
        if *ttc_ms < 0 {
            return refuse(format!("ttc_ms {ttc_ms} is negative"));
        }
        let span = span_ms(*reference_at, *contained_at).max(0);
        if ttc_ms.abs_diff(span) > SPAN_TOLERANCE_MS.unsigned_abs() {
            return refuse(format!(
                "ttc_ms {ttc_ms} is not contained_at - reference_at ({span} ms)"
            ));
        }
        if let Some(before) = last_seen_false
            && before > first_seen_true
        {
            return refuse(format!(
                "last_seen_false {before} is after first_seen_true {first_seen_true}"
            ));
        }
        if e.at
            .checked_add_signed(slack)
            .is_some_and(|late| *first_seen_true > late)
        {
            return refuse(format!(
                "first_seen_true {first_seen_true} is after the event that records it ({})",
                e.at
            ));
        }
    }
    Ok(())
}

/// Events only a run in progress writes: none of them can follow its `run_ended`. Every
/// other kind can, because clean-up after a crash appends to an ended run's journal
/// (see [`crate::recover`]): a clean-up phase, its reverts and its end.
fn written_by_the_run(body: &Body) -> bool {
    match body {
        Body::PhaseStarted { phase } => *phase != RunPhase::Cleanup,
        b => matches!(
            b,
            Body::RunStarted { .. }
                | Body::RunEnded { .. }
                | Body::StepStarted { .. }
                | Body::ResourceCreated { .. }
                | Body::StepCompleted { .. }
                | Body::StepFailed { .. }
                | Body::DetectionMet { .. }
                | Body::DetectionMissed { .. }
                | Body::ContainmentMet { .. }
                | Body::ContainmentMissed { .. }
                | Body::ResponderAction { .. }
                | Body::RunbookStepDone { .. }
                | Body::HintTaken { .. }
                | Body::MustNotBroken { .. }
                | Body::DetectionAcknowledged { .. }
                | Body::NoteAdded { .. }
                | Body::SimTruth { .. }
        ),
    }
}

/// After `run_ended`, only what clean-up appends: no second end, nothing of the run's.
fn nothing_but_clean_up_after_the_end(run: &Run<'_>) -> Result<(), Problem> {
    let Some(end) = run
        .events
        .iter()
        .position(|e| matches!(e.body, Body::RunEnded { .. }))
    else {
        return Ok(());
    };
    match run.events[end + 1..]
        .iter()
        .position(|e| written_by_the_run(&e.body))
    {
        Some(i) => Err(Problem::at(
            end + 1 + i,
            "after run_ended only clean-up appends to a journal (its phase, reverts and end)",
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Actor;

    /// The committed journal of a run that passed: every rule holds.
    fn passed() -> Vec<Event> {
        include_str!("../../tests/journals/passed/journal.jsonl")
            .lines()
            .map(|l| serde_json::from_str(l).expect("an event"))
            .collect()
    }

    fn index_of(events: &[Event], pick: impl Fn(&Body) -> bool) -> usize {
        events.iter().position(|e| pick(&e.body)).expect("found")
    }

    fn refused(events: &[Event]) -> Problem {
        check(events).expect_err("refused")
    }

    fn ms(n: i64) -> TimeDelta {
        TimeDelta::milliseconds(n)
    }

    #[test]
    fn a_run_that_passed_holds_every_rule() {
        assert_eq!(check(&passed()), Ok(()));
    }

    #[test]
    fn the_first_event_is_run_started_at_a_plausible_date() {
        let mut e = passed();
        e.remove(0);
        let p = refused(&e);
        assert_eq!(p.index, 0);
        assert!(
            p.message
                .starts_with("phase_started: a run's journal starts with run_started")
        );
        let mut e = passed();
        e[0].t_ms = u64::MAX;
        assert_eq!(refused(&e).index, 0);
        let mut e = passed();
        e[0].at = DateTime::<Utc>::MIN_UTC;
        assert!(refused(&e).message.contains("not between 2000 and 2200"));
    }

    #[test]
    fn run_started_comes_once() {
        let mut e = passed();
        let again = Event {
            seq: 1,
            ..e[0].clone()
        };
        e.insert(1, again);
        for (i, x) in e.iter_mut().enumerate() {
            x.seq = i as u64;
        }
        let p = refused(&e);
        assert_eq!(p.index, 1);
        assert!(p.message.contains("a second run_started"), "{}", p.message);
    }

    #[test]
    fn the_sequence_has_no_gap_and_no_repeat() {
        let mut e = passed();
        e.remove(5);
        let p = refused(&e);
        assert_eq!(p.index, 5);
        assert!(
            p.message
                .contains("seq is 6, where 5 comes next: events are missing")
        );
        let mut e = passed();
        let dup = e[5].clone();
        e.insert(6, dup);
        let p = refused(&e);
        assert_eq!(p.index, 6);
        assert!(p.message.contains("repeats"), "{}", p.message);
    }

    #[test]
    fn run_time_never_goes_back() {
        let mut e = passed();
        let i = index_of(&e, |b| matches!(b, Body::RunbookStepDone { .. }));
        e[i].t_ms -= 1;
        e[i].at -= ms(1);
        let p = refused(&e);
        assert_eq!(p.index, i);
        assert!(p.message.contains("run time goes back"), "{}", p.message);
    }

    #[test]
    fn run_times_and_instants_are_those_of_a_run() {
        let mut e = passed();
        let last = e.len() - 1;
        e[last].t_ms = LONGEST_RUN_MS + 1;
        let p = refused(&e);
        assert_eq!(p.index, last);
        assert!(p.message.contains("ten years"), "{}", p.message);

        let mut e = passed();
        let i = index_of(&e, |b| matches!(b, Body::DetectionMet { .. }));
        let start = e[0].at;
        if let Body::DetectionMet { observed_at, .. } = &mut e[i].body {
            *observed_at = start - TimeDelta::days(1);
        }
        let p = refused(&e);
        assert_eq!(p.index, i);
        assert!(p.message.contains("observed_at") && p.message.contains("outside the run"));
    }

    #[test]
    fn utc_instants_follow_run_time_within_a_second() {
        let mut e = passed();
        let i = index_of(&e, |b| {
            matches!(b, Body::HintTaken { .. } | Body::RunbookStepDone { .. })
        });
        e[i].at += ms(CLOCK_TOLERANCE_MS);
        assert_eq!(check(&e), Ok(()), "within the tolerance");
        e[i].at += ms(1);
        let p = refused(&e);
        assert_eq!(p.index, i);
        assert!(
            p.message.contains("from the run's start plus t_ms"),
            "{}",
            p.message
        );
    }

    /// A detection's T0, detected_at and ttd_ms, to change.
    type Times<'a> = (&'a mut DateTime<Utc>, &'a mut DateTime<Utc>, &'a mut i64);

    #[test]
    fn a_detection_adds_up() {
        let base = passed();
        let i = index_of(&base, |b| matches!(b, Body::DetectionMet { .. }));
        let edit = |f: &dyn Fn(Times<'_>)| {
            let mut e = base.clone();
            if let Body::DetectionMet {
                t0,
                detected_at,
                ttd_ms,
                ..
            } = &mut e[i].body
            {
                f((t0, detected_at, ttd_ms));
            }
            check(&e)
        };
        assert_eq!(edit(&|(_, _, ttd)| *ttd += SPAN_TOLERANCE_MS), Ok(()));
        let p = edit(&|(_, _, ttd)| *ttd += 2).expect_err("off by 2 ms");
        assert!(
            p.message.contains("is not detected_at - t0"),
            "{}",
            p.message
        );
        let p = edit(&|(t0, at, ttd)| {
            *at = *t0 - ms(5);
            *ttd = -5;
        })
        .expect_err("before T0");
        assert_eq!(p.index, i);
        assert!(p.message.contains("before its T0"), "{}", p.message);
        let p = edit(&|(t0, _, _)| *t0 += TimeDelta::hours(1)).expect_err("T0 late");
        assert!(p.message.contains("before its T0"), "{}", p.message);
    }

    #[test]
    fn a_containment_adds_up_and_one_before_its_detection_took_no_time() {
        let base = passed();
        let i = index_of(&base, |b| matches!(b, Body::ContainmentMet { .. }));
        let edit = |f: &dyn Fn(&mut Body)| {
            let mut e = base.clone();
            f(&mut e[i].body);
            check(&e)
        };
        let p = edit(&|b| {
            if let Body::ContainmentMet { ttc_ms, .. } = b {
                *ttc_ms = -1;
            }
        })
        .expect_err("negative");
        assert!(p.message.contains("ttc_ms -1 is negative"), "{}", p.message);
        let p = edit(&|b| {
            if let Body::ContainmentMet { ttc_ms, .. } = b {
                *ttc_ms += 1000;
            }
        })
        .expect_err("disagrees");
        assert!(p.message.contains("is not contained_at - reference_at"));
        // Contained before the detection it is timed from: no time at all.
        assert_eq!(
            edit(&|b| {
                if let Body::ContainmentMet {
                    reference_at,
                    contained_at,
                    ttc_ms,
                    ..
                } = b
                {
                    *contained_at = *reference_at - ms(3000);
                    *ttc_ms = 0;
                }
            }),
            Ok(())
        );
        let p = edit(&|b| {
            if let Body::ContainmentMet {
                last_seen_false,
                first_seen_true,
                ..
            } = b
            {
                *last_seen_false = Some(*first_seen_true + ms(1));
            }
        })
        .expect_err("polls out of order");
        assert!(p.message.contains("last_seen_false"), "{}", p.message);
    }

    #[test]
    fn after_the_end_only_clean_up_appends() {
        let mut e = passed();
        let end = e.len() - 1;
        let at = e[end].at;
        let t_ms = e[end].t_ms;
        let next = |seq: usize, body: Body| Event {
            seq: seq as u64,
            at,
            t_ms,
            body,
        };
        // What `gameday cleanup --run` appends to an ended run's journal.
        e.push(next(
            end + 1,
            Body::PhaseStarted {
                phase: RunPhase::Cleanup,
            },
        ));
        e.push(next(
            end + 2,
            Body::Reverted {
                resource: "user x".into(),
                action: "gameday cleanup".into(),
                ok: true,
                error: None,
                not_ours: false,
            },
        ));
        e.push(next(
            end + 3,
            Body::CleanupFinished {
                reverted: 1,
                failed: 0,
                not_ours: 0,
                remaining: Some(Vec::new()),
            },
        ));
        assert_eq!(check(&e), Ok(()));
        e.push(next(
            end + 4,
            Body::NoteAdded {
                text: "late".into(),
                by: Actor::Responder,
                who: None,
                answers: None,
            },
        ));
        let p = refused(&e);
        assert_eq!(p.index, end + 4);
        assert!(
            p.message.starts_with("note_added: after run_ended"),
            "{}",
            p.message
        );
        let mut again = e[end].clone();
        again.seq = (end + 4) as u64;
        e[end + 4] = again;
        assert_eq!(refused(&e).index, end + 4, "a second run_ended");
    }
}
