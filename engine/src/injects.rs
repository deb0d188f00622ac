//! When a scenario's injects are sent: each `at` after the start of the watch, or after
//! the detection or containment it waits for was first seen met. The facilitator's live
//! injects get ids of their own.

use crate::autopilot::Status;
use crate::duration::Duration;
use crate::scenario::Inject;

/// The injects of one run not sent yet.
pub struct Injects<'p> {
    waiting: Vec<Waiting<'p>>,
    live: u32,
}

struct Waiting<'p> {
    spec: &'p Inject,
    /// Run time it is due; none while its `after` is not met.
    due: Option<Duration>,
}

impl<'p> Injects<'p> {
    /// `injects`, with the watch starting at run time `start`.
    pub fn new(injects: &'p [Inject], start: Duration) -> Injects<'p> {
        Injects {
            waiting: injects
                .iter()
                .map(|spec| Waiting {
                    spec,
                    due: spec.after.is_none().then(|| start.saturating_add(spec.at)),
                })
                .collect(),
            live: 0,
        }
    }

    /// None of a scenario's injects (a run outside the watch).
    pub fn none() -> Injects<'static> {
        Injects {
            waiting: Vec::new(),
            live: 0,
        }
    }

    /// The injects due at run time `now`, in the scenario's order, taken off the list;
    /// `status` says how each expectation stands (an inject waiting for one met at `now`
    /// is due `at` later).
    pub fn due(
        &mut self,
        now: Duration,
        status: impl Fn(&str) -> Option<Status>,
    ) -> Vec<&'p Inject> {
        for w in &mut self.waiting {
            if w.due.is_none()
                && let Some(after) = &w.spec.after
                && status(after) == Some(Status::Met)
            {
                w.due = Some(now.saturating_add(w.spec.at));
            }
        }
        let (due, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|w| w.due.is_some_and(|d| d <= now));
        self.waiting = rest;
        due.into_iter().map(|w| w.spec).collect()
    }

    /// When the next inject is due, if one is scheduled.
    pub fn next(&self) -> Option<Duration> {
        self.waiting.iter().filter_map(|w| w.due).min()
    }

    /// The id of the next inject typed live: `live-1`, `live-2`…
    pub fn live_id(&mut self) -> String {
        self.live += 1;
        format!("live-{}", self.live)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inject(id: &str, at_s: u64, after: Option<&str>) -> Inject {
        Inject {
            id: id.into(),
            message: format!("{id}?"),
            at: Duration::from_secs(at_s),
            after: after.map(str::to_owned),
            to: None,
            answer: false,
        }
    }

    #[test]
    fn injects_fall_due_after_the_start_or_after_what_they_wait_for() {
        let list = [
            inject("legal", 60, None),
            inject("press", 30, Some("finding")),
            inject("never", 0, Some("contained")),
        ];
        let mut q = Injects::new(&list, Duration::from_secs(10));
        let pending = |_: &str| Some(Status::Pending);
        assert!(q.due(Duration::from_secs(69), pending).is_empty());
        assert_eq!(q.next(), Some(Duration::from_secs(70)));
        let ids = |v: Vec<&Inject>| v.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(q.due(Duration::from_secs(70), pending)), ["legal"]);
        assert_eq!(q.next(), None, "the others wait for their expectations");
        let met = |id: &str| {
            Some(if id == "finding" {
                Status::Met
            } else {
                Status::Missed
            })
        };
        assert!(q.due(Duration::from_secs(100), met).is_empty());
        assert_eq!(q.next(), Some(Duration::from_secs(130)));
        assert_eq!(ids(q.due(Duration::from_secs(130), met)), ["press"]);
        assert_eq!(
            q.next(),
            None,
            "an inject after a missed expectation is never sent"
        );
        assert_eq!(
            (q.live_id(), q.live_id()),
            ("live-1".into(), "live-2".into())
        );
    }
}
