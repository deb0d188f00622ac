//! Clean-up after a run's process died (a crash, SIGKILL, a lost machine): the clean-up a
//! live run does ([`crate::cleanup`]), from its journal, appended to that journal.

use crate::cleanup::{self, Tally};
use crate::clock::{Clock, ClockMode};
use crate::event::{Body, Event, Outcome, RunPhase};
use crate::journal::{Contents, Journal};
use crate::sandbox::{Sandbox, Tags};
use crate::steps::StepContext;
use chrono::Utc;

/// The run id and name prefix of a run's journal.
pub fn identity(contents: &Contents) -> Option<(&str, &str)> {
    match contents.events.first().map(|e| &e.body) {
        Some(Body::RunStarted { run_id, plan, .. }) => {
            Some((run_id.as_str(), plan.prefix.as_str()))
        }
        _ => None,
    }
}

/// What clean-up the journal `contents` still owes.
pub fn owed(contents: &Contents) -> cleanup::Owed {
    let (run_id, prefix) = identity(contents).unwrap_or_default();
    cleanup::owed(&contents.events, run_id, prefix)
}

/// What clean-up from a journal acts with: the real clock, and no tags (it creates
/// nothing).
struct Means {
    clock: Clock,
    tags: Tags,
}

impl Means {
    fn new() -> Self {
        Means {
            clock: Clock::new(ClockMode::Real { speed: 1.0 }, Utc::now()),
            tags: Tags::new(),
        }
    }

    /// The steps' context for the run of `contents` in `sandbox`.
    fn cx<'a>(&'a self, contents: &'a Contents, sandbox: &'a dyn Sandbox) -> StepContext<'a> {
        let (run_id, prefix) = identity(contents).unwrap_or_default();
        StepContext {
            sandbox,
            clock: &self.clock,
            tags: &self.tags,
            run_id,
            prefix,
            abort: None,
        }
    }
}

/// What cleaning up the run of `contents` in `sandbox` would do, from reading calls
/// only: for `gameday cleanup --run --dry-run`.
pub async fn preview(contents: &Contents, sandbox: &dyn Sandbox) -> cleanup::Preview {
    let means = Means::new();
    cleanup::preview(&means.cx(contents, sandbox), &owed(contents)).await
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

/// Cleans up the run of `contents` in `sandbox`, appending the clean-up to `journal`, and
/// a `run_ended` when the journal had none. A run that ended with nothing owed and
/// nothing of its own left in the account gets nothing appended (`None`).
pub async fn recover(
    contents: &Contents,
    journal: &mut Journal,
    sandbox: &dyn Sandbox,
) -> std::io::Result<Option<Tally>> {
    let owed = owed(contents);
    let means = Means::new();
    let cx = means.cx(contents, sandbox);
    let ended = contents
        .events
        .iter()
        .any(|e| matches!(e.body, Body::RunEnded { .. }));
    if ended && owed.reverts.is_empty() {
        let look = cleanup::preview(&cx, &owed).await;
        if look.errors.is_empty() && look.sweep.is_empty() {
            return Ok(None);
        }
    }
    let last = contents.events.last();
    let mut out = Appender {
        journal,
        seq: last.map_or(0, |e| e.seq + 1),
        start: contents.events.first().map_or_else(Utc::now, |e| e.at),
        t_ms: last.map_or(0, |e| e.t_ms),
    };
    out.emit(Body::PhaseStarted {
        phase: RunPhase::Cleanup,
    })?;
    let tally = cleanup::clean_up(&cx, &owed, |b| out.emit(b)).await?;
    if !ended {
        out.emit(Body::RunEnded {
            outcome: Outcome::Interrupted,
            reason: "the run's process ended before the run did; cleaned up by `gameday cleanup`"
                .to_owned(),
        })?;
    }
    Ok(Some(tally))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::Undo;
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
                not_ours: false,
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
        let left: Vec<String> = cleanup::owed(&events, "r", "gameday")
            .reverts
            .into_iter()
            .map(|u| u.resource)
            .collect();
        assert_eq!(left, ["b", "a"]);
    }
}
