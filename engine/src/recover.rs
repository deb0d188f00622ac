//! Clean-up after a run's process died (a crash, SIGKILL, a lost machine): the changes
//! its journal records as made and not reverted are reverted, last first, then whatever
//! the run tagged without journaling it (killed between a create call and its `created`
//! event) is removed; each step is appended to the run's own journal.

use crate::aws::sweep::{self, Leftover};
use crate::clock::{Clock, ClockMode};
use crate::event::{Body, Event, Outcome, RunPhase};
use crate::journal::{Contents, Journal};
use crate::sandbox::{Sandbox, Tags};
use crate::steps::{self, StepContext, Undo};
use chrono::Utc;

/// The changes `events` record as made and not reverted since, last made first.
pub fn outstanding(events: &[Event]) -> Vec<Undo> {
    let mut made: Vec<Undo> = Vec::new();
    for e in events {
        match &e.body {
            Body::ResourceCreated { undo, .. } => made.push(undo.clone()),
            Body::Reverted {
                resource,
                action,
                ok: true,
                ..
            } => {
                if let Some(i) = made
                    .iter()
                    .rposition(|u| &u.resource == resource && &u.action == action)
                {
                    made.remove(i);
                }
            }
            _ => {}
        }
    }
    made.reverse();
    made
}

/// What a recovery did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// Reverts and removals that worked.
    pub reverted: u32,
    /// Those that failed, with why.
    pub failed: Vec<String>,
}

/// Appends events after the last one of a resumed journal.
struct Appender<'j> {
    journal: &'j mut Journal,
    seq: u64,
    start: chrono::DateTime<Utc>,
    /// Run time of the last event.
    t_ms: u64,
}

impl Appender<'_> {
    fn emit(&mut self, body: Body) -> std::io::Result<()> {
        // The wall clock's time since the start, but never before the last event: a run
        // on a sped-up or virtual clock ran ahead of the wall clock, and its clean-up
        // still comes after everything it journaled. The instant is the start plus the
        // run time, as for every other event.
        let wall = (Utc::now() - self.start).num_milliseconds().max(0) as u64;
        self.t_ms = self.t_ms.max(wall);
        let at = i64::try_from(self.t_ms)
            .ok()
            .and_then(|ms| {
                self.start
                    .checked_add_signed(chrono::Duration::milliseconds(ms))
            })
            .unwrap_or_else(Utc::now);
        let event = Event {
            seq: self.seq,
            at,
            t_ms: self.t_ms,
            body,
        };
        self.seq += 1;
        self.journal.append(&event)
    }
}

/// Cleans up the run of `contents` in `sandbox`: its outstanding changes, then
/// `leftovers` (what the run tagged that is still there once they are reverted, as the
/// caller found it). Appends the clean-up to `journal`, and a `run_ended` when the
/// journal had none; appends nothing when the run had ended and nothing is left.
pub async fn recover(
    contents: &Contents,
    journal: &mut Journal,
    sandbox: &dyn Sandbox,
    leftovers: impl AsyncFn() -> Result<Vec<Leftover>, String>,
) -> std::io::Result<Recovered> {
    let first = contents.events.first();
    let last = contents.events.last();
    let mut out = Appender {
        journal,
        seq: last.map_or(0, |e| e.seq + 1),
        start: first.map_or_else(Utc::now, |e| e.at),
        t_ms: last.map_or(0, |e| e.t_ms),
    };
    let ended = contents
        .events
        .iter()
        .any(|e| matches!(e.body, Body::RunEnded { .. }));
    let owed = outstanding(&contents.events);
    let mut done = Recovered::default();
    // With nothing journaled as owed, what the run tagged decides whether there is
    // anything to do; a run that ended clean gets nothing appended.
    let mut found = None;
    if owed.is_empty() {
        let listed = leftovers().await;
        if ended && listed.as_ref().is_ok_and(Vec::is_empty) {
            return Ok(done);
        }
        found = Some(listed);
    }
    out.emit(Body::PhaseStarted {
        phase: RunPhase::Cleanup,
    })?;
    let clock = Clock::new(ClockMode::Real { speed: 1.0 }, Utc::now());
    let tags = Tags::new();
    let cx = StepContext {
        sandbox,
        clock: &clock,
        tags: &tags,
    };
    for u in owed {
        let result = steps::revert(&cx, &u).await;
        match &result {
            Ok(()) => done.reverted += 1,
            Err(e) => done.failed.push(format!("{}: {e}", u.resource)),
        }
        out.emit(Body::Reverted {
            resource: u.resource.clone(),
            action: u.action.clone(),
            ok: result.is_ok(),
            error: result.err(),
        })?;
    }
    let found = match found {
        Some(listed) => listed,
        None => leftovers().await,
    };
    let found = match found {
        Ok(found) => found,
        Err(e) => {
            done.failed
                .push(format!("finding what the run tagged: {e}"));
            Vec::new()
        }
    };
    for l in found {
        let result = sweep::remove(sandbox, &l).await.map_err(|e| e.to_string());
        match &result {
            Ok(()) => done.reverted += 1,
            Err(e) => done.failed.push(format!("{l}: {e}")),
        }
        out.emit(Body::Reverted {
            resource: format!("{} {}", l.kind.as_str(), l.id),
            action: "gameday cleanup".to_owned(),
            ok: result.is_ok(),
            error: result.err(),
        })?;
    }
    out.emit(Body::CleanupFinished {
        reverted: done.reverted,
        failed: done.failed.len() as u32,
    })?;
    if !ended {
        out.emit(Body::RunEnded {
            outcome: Outcome::Interrupted,
            reason: "the run's process ended before the run did; cleaned up by `gameday cleanup`"
                .to_owned(),
        })?;
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(seq: u64, body: Body) -> Event {
        Event {
            seq,
            at: Utc::now(),
            t_ms: seq,
            body,
        }
    }

    fn created(seq: u64, resource: &str) -> Event {
        at(
            seq,
            Body::ResourceCreated {
                step: "s".into(),
                undo: Undo::new("iam.delete_user", json!({"user_name": resource}), resource),
            },
        )
    }

    fn reverted(seq: u64, resource: &str, ok: bool) -> Event {
        at(
            seq,
            Body::Reverted {
                resource: resource.into(),
                action: "iam.delete_user".into(),
                ok,
                error: None,
            },
        )
    }

    #[test]
    fn outstanding_changes_are_those_made_and_not_reverted_last_first() {
        let events = vec![
            created(0, "a"),
            created(1, "b"),
            created(2, "c"),
            reverted(3, "c", true),
            reverted(4, "b", false),
        ];
        let left: Vec<String> = outstanding(&events)
            .into_iter()
            .map(|u| u.resource)
            .collect();
        assert_eq!(left, ["b", "a"]);
    }
}
