//! Live progress on stderr while a run waits: what happened, and what is still pending
//! with its deadline.

use gameday_engine::duration::spoken;
use gameday_engine::event::{Body, Event};
use std::collections::BTreeMap;
use std::io::Write;

/// Follows a run's events and prints lines a person can follow.
#[derive(Default)]
pub struct Progress {
    /// Pending detection id → (deadline as run time, in ms).
    pending: BTreeMap<String, Option<u64>>,
    within: BTreeMap<String, u64>,
    triggers: BTreeMap<String, Vec<String>>,
    last_t_ms: u64,
}

fn clock(ms: u64) -> String {
    let s = ms / 1000;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

impl Progress {
    /// Prints what `event` means, if anything.
    pub fn event(&mut self, e: &Event, out: &mut impl Write) {
        self.last_t_ms = e.t_ms;
        let line = match &e.body {
            Body::RunStarted {
                run_id,
                plan,
                target,
                ..
            } => {
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
                Some(format!(
                    "run {run_id}: {} on {} ({})",
                    sc.id, target.name, sc.title
                ))
            }
            Body::PhaseStarted { phase } => Some(format!("{phase:?}").to_lowercase()),
            Body::StepCompleted { step, .. } => {
                for d in self.triggers.remove(step).unwrap_or_default() {
                    let w = self.within.get(&d).copied().unwrap_or(0);
                    self.pending.insert(d, Some(e.t_ms + w));
                }
                Some(format!("  {step} done"))
            }
            Body::StepFailed { step, error } => Some(format!("  {step} FAILED: {error}")),
            Body::DetectionMet {
                id, name, ttd_ms, ..
            } => {
                self.pending.remove(id);
                Some(format!("  detected {id} ({name}): TTD {}", spoken(*ttd_ms)))
            }
            Body::DetectionMissed { id, reason, .. } => {
                self.pending.remove(id);
                Some(format!("  MISSED detection {id}: {reason}"))
            }
            Body::ContainmentMet { id, ttc_ms, .. } => {
                self.pending.remove(id);
                Some(format!("  contained {id}: TTC {}", spoken(*ttc_ms)))
            }
            Body::ContainmentMissed { id, reason } => {
                self.pending.remove(id);
                Some(format!("  MISSED containment {id}: {reason}"))
            }
            Body::ResponderAction {
                by,
                runbook_step,
                action,
                ok,
                error,
                ..
            } => Some(format!(
                "  {by:?} ran {runbook_step} ({action}){}",
                if *ok {
                    String::new()
                } else {
                    format!(" FAILED: {}", error.clone().unwrap_or_default())
                }
            )),
            Body::RunbookStepDone { step, how, .. } => {
                Some(format!("  runbook step {step} done ({how})"))
            }
            Body::MustNotBroken { step, action, .. } => {
                Some(format!("  GUARD BROKEN: {action} before {step}"))
            }
            Body::Reverted {
                resource,
                ok: false,
                error,
                not_ours,
                ..
            } => Some(format!(
                "  {} {resource}: {}",
                if *not_ours {
                    "not the run's, left alone:"
                } else {
                    "could not revert"
                },
                error.clone().unwrap_or_default()
            )),
            Body::CleanupFinished {
                reverted,
                failed,
                not_ours,
                remaining,
            } => Some(format!(
                "  {}",
                gameday_engine::cleanup::finished_words(
                    *reverted,
                    *failed,
                    *not_ours,
                    remaining.as_deref(),
                    true
                )
            )),
            Body::RunEnded { outcome, reason } => Some(format!("{}: {reason}", outcome.as_str())),
            _ => None,
        };
        if let Some(line) = line {
            let _ = writeln!(out, "[{}] {line}", clock(e.t_ms));
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
                Some(d) if *d > elapsed_ms => format!(
                    "{id} (deadline in {})",
                    spoken(((d - elapsed_ms) / 1000 * 1000) as i64)
                ),
                Some(_) => format!("{id} (past deadline)"),
                None => id.clone(),
            })
            .collect();
        Some(format!(
            "[{}] waiting for: {}",
            clock(elapsed_ms),
            items.join(", ")
        ))
    }
}
