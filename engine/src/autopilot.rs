//! The autopilot responder: works through the runbook like a person would, with
//! human-like pauses, so a headless run exercises the whole loop and proves that the
//! runbook's actions really contain the attack.

use crate::duration::Duration;
use crate::runbook::Runbook;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How the autopilot behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AutopilotConfig {
    /// Median pause before each step (reading, thinking, typing).
    pub think_median: Duration,
    /// 95th percentile of that pause.
    pub think_p95: Duration,
}

impl Default for AutopilotConfig {
    fn default() -> Self {
        AutopilotConfig {
            think_median: Duration::from_secs(45),
            think_p95: Duration::from_secs(150),
        }
    }
}

pub use crate::team::Command;

/// The state of an expectation, as the autopilot sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not decided yet.
    Pending,
    /// Met.
    Met,
    /// Missed.
    Missed,
}

/// What the autopilot may look at: what a responder sees on the console.
pub trait View {
    /// The state of a detection or containment id; `None` when the id is neither.
    fn expectation(&self, id: &str) -> Option<Status>;
    /// Whether a runbook step is done.
    fn step_done(&self, step: &str) -> bool;
    /// Whether the id is a detection (as opposed to a containment).
    fn is_detection(&self, id: &str) -> bool;
}

struct Item {
    id: String,
    has_action: bool,
    verify: Option<String>,
}

/// The autopilot.
pub struct Autopilot {
    items: Vec<Item>,
    cursor: usize,
    ready_at: Option<Duration>,
    config: AutopilotConfig,
    rng: ChaCha8Rng,
}

impl Autopilot {
    /// An autopilot for `runbook`, its pauses drawn from `seed`.
    pub fn new(runbook: &Runbook, config: AutopilotConfig, seed: u64) -> Self {
        let items = runbook
            .steps()
            .map(|(_, s, _)| Item {
                id: s.id.clone(),
                has_action: s.action.is_some(),
                verify: s.verify.clone(),
            })
            .collect();
        Autopilot {
            items,
            cursor: 0,
            ready_at: None,
            config,
            // Its own stream, so the account's draws do not depend on the responder's.
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x6175_746f_7069_6c6f),
        }
    }

    /// True when every step was handled.
    pub fn finished(&self) -> bool {
        self.cursor >= self.items.len()
    }

    /// When it next wants to act, if it is waiting on time alone.
    pub fn next_due(&self) -> Option<Duration> {
        self.ready_at
    }

    fn think(&mut self) -> Duration {
        let median = self.config.think_median.as_millis().max(1) as f64;
        let p95 = (self.config.think_p95.as_millis() as f64).max(median);
        let sigma = (p95 / median).ln() / 1.645;
        let u1: f64 = self.rng.random::<f64>().max(f64::MIN_POSITIVE);
        let u2: f64 = self.rng.random();
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        Duration::from_millis((median * (sigma * z).exp()).round() as u64)
    }

    /// What to do at run time `now`, given what the console shows.
    pub fn poll(&mut self, now: Duration, view: &dyn View) -> Vec<Command> {
        let mut out = Vec::new();
        while let Some(item) = self.items.get(self.cursor) {
            if view.step_done(&item.id) {
                self.advance();
                continue;
            }
            let verify = item
                .verify
                .as_deref()
                .map(|v| (v, view.expectation(v), view.is_detection(v)));
            match verify {
                // Nothing to do for an expectation that will never come.
                Some((_, Some(Status::Missed), _)) => {
                    self.advance();
                    continue;
                }
                // Analysis starts when the detection arrives; the engine ticks the step.
                Some((_, Some(Status::Pending), true)) if !item.has_action => return out,
                // Waiting for the engine to see containment someone else achieved.
                Some((_, Some(Status::Pending), false)) if !item.has_action => return out,
                _ => {}
            }
            let (step, has_action) = (item.id.clone(), item.has_action);
            let ready = match self.ready_at {
                Some(t) => t,
                None => {
                    let t = now.saturating_add(self.think());
                    self.ready_at = Some(t);
                    t
                }
            };
            if now < ready {
                return out;
            }
            if has_action {
                out.push(Command::RunAction { step });
            } else {
                out.push(Command::TickStep { step });
            }
            self.advance();
        }
        out
    }

    fn advance(&mut self) {
        self.cursor += 1;
        self.ready_at = None;
    }
}
