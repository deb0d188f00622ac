//! Live progress on stderr while a run waits: what happened, and what is still pending
//! with its deadline.

use gameday_engine::event::{Body, Event};
use gameday_engine::words::{Lane, Narrator, actor, run_time, to_the_second};
use std::collections::BTreeMap;
use std::io::Write;

/// Follows a run's events and prints lines a person can follow.
#[derive(Default)]
pub struct Progress {
    /// Pending detection id → (deadline as run time, in ms).
    pending: BTreeMap<String, Option<u64>>,
    within: BTreeMap<String, u64>,
    triggers: BTreeMap<String, Vec<String>>,
    narrator: Narrator,
}

/// Whether a line about `body` helps someone following a run: everything but a step's
/// intent, each change it makes, each revert that worked and the simulator's bookkeeping.
fn worth_a_line(body: &Body) -> bool {
    !matches!(
        body,
        Body::StepStarted { .. }
            | Body::ResourceCreated { .. }
            | Body::Reverted { ok: true, .. }
            | Body::SimTruth { .. }
    )
}

impl Progress {
    /// Prints what `event` means, if anything: the narrator's words, at the run time.
    pub fn event(&mut self, e: &Event, out: &mut impl Write) {
        self.track(e);
        let entry = self.narrator.narrate(e);
        if let Body::RunStarted { run_id, plan, .. } = &e.body {
            let sc = &plan.scenario;
            let _ = writeln!(out, "run {run_id}: {} ({})", sc.id, sc.title);
        }
        if worth_a_line(&e.body) {
            let indent = if entry.lane == Lane::Run { "" } else { "  " };
            let mark = if entry.ok { "" } else { "✗ " };
            let who = entry
                .by
                .map(|a| format!("{}: ", actor(a)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "[{}] {indent}{mark}{who}{}",
                run_time(e.t_ms),
                entry.text
            );
        }
    }

    /// Follows what is still pending, and each deadline once its trigger ran.
    fn track(&mut self, e: &Event) {
        match &e.body {
            Body::RunStarted { plan, .. } => {
                let sc = &plan.scenario;
                for d in &sc.detect {
                    self.pending.insert(d.id.clone(), None);
                    self.within.insert(d.id.clone(), d.within.as_millis());
                    if let Some(t) = sc.trigger_of(d) {
                        self.triggers
                            .entry(t.to_owned())
                            .or_default()
                            .push(d.id.clone());
                    }
                }
                for r in &sc.respond {
                    self.pending.insert(r.id.clone(), None);
                }
            }
            Body::StepCompleted { step, .. } => {
                for d in self.triggers.remove(step).unwrap_or_default() {
                    let w = self.within.get(&d).copied().unwrap_or(0);
                    self.pending.insert(d, Some(e.t_ms + w));
                }
            }
            Body::DetectionMet { id, .. }
            | Body::DetectionMissed { id, .. }
            | Body::ContainmentMet { id, .. }
            | Body::ContainmentMissed { id, .. } => {
                self.pending.remove(id);
            }
            _ => {}
        }
    }

    /// A status line: elapsed run time and what is pending, with deadlines.
    pub fn status(&self, elapsed_ms: u64) -> Option<String> {
        if self.pending.is_empty() {
            return None;
        }
        let items: Vec<String> = self
            .pending
            .iter()
            .map(|(id, deadline)| match deadline {
                Some(d) if *d > elapsed_ms => {
                    format!("{id} (deadline in {})", to_the_second(d - elapsed_ms))
                }
                Some(_) => format!("{id} (past deadline)"),
                None => id.clone(),
            })
            .collect();
        Some(format!(
            "[{}] waiting for: {}",
            run_time(elapsed_ms),
            items.join(", ")
        ))
    }
}
