//! Clean-up of a run, from its events alone: the same procedure at the end of a live run
//! and in `gameday cleanup --run` after its process died.
//!
//! 1. **Revert** every change the events record as made and not reverted, last first.
//!    Each revert passes its [`Guard`](crate::steps::Guard) first: what is not the run's
//!    (by the account's own tags) is left alone and reported, whatever the journal says.
//! 2. **Sweep** what the run may have made without journaling it (its process was killed
//!    between a create call and its journal line, or the answer could not be read): every
//!    resource its steps set out to create, by name, and every EC2 resource carrying its
//!    tag. Only what carries the run's tag is removed.
//! 3. **Verify**: look again. "Nothing left behind" is said only when this finds nothing
//!    of the run's.

use crate::event::{Body, Event};
use crate::ownership::{self, Owner};
use crate::sandbox::{RUN_TAG, Resource, ResourceKind, SandboxError};
use crate::steps::{self, Guard, Reverted, StepContext, Undo};
use serde_json::Value;
use std::collections::BTreeSet;

/// What a run's events say clean-up owes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Owed {
    /// The changes made and not reverted since, last made first.
    pub reverts: Vec<Undo>,
    /// Every resource the run may have made, to sweep and to verify.
    pub candidates: Vec<Candidate>,
    /// The name stem of what the run writes into buckets (`<prefix>-<run id>`).
    pub stem: String,
}

/// A resource the run may have made.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Candidate {
    /// Known by id or name.
    Known(Resource),
    /// Known by a name the account must resolve to an id (security groups, threat lists).
    Named(ResourceKind, String),
}

/// What `events` (of run `run_id`, whose resources are named with `prefix`) say clean-up
/// owes.
pub fn owed(events: &[Event], run_id: &str, prefix: &str) -> Owed {
    let mut made: Vec<Undo> = Vec::new();
    let mut candidates = BTreeSet::new();
    for e in events {
        match &e.body {
            Body::ResourceCreated { undo, .. } => {
                if let Some(Guard::Deletes(r)) = guard_of(undo) {
                    candidates.insert(Candidate::Known(r));
                }
                made.push(undo.clone());
            }
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
            Body::StepStarted { action, with, .. } => {
                if let Some(c) = intended(action, with, run_id, prefix) {
                    candidates.insert(c);
                }
            }
            _ => {}
        }
    }
    made.reverse();
    // A bucket goes with what the run wrote into it: the prefixes its other reverts name.
    let written: Vec<(String, String)> = events
        .iter()
        .filter_map(|e| match &e.body {
            Body::ResourceCreated { undo, .. } if undo.action == "s3.delete_objects" => Some((
                str_of(&undo.with, "bucket")?.to_owned(),
                str_of(&undo.with, "prefix")?.to_owned(),
            )),
            _ => None,
        })
        .collect();
    for u in &mut made {
        if u.action == "s3.delete_bucket"
            && let Some(bucket) = str_of(&u.with, "bucket").map(str::to_owned)
        {
            let prefixes: Vec<Value> = written
                .iter()
                .filter(|(b, _)| *b == bucket)
                .map(|(_, p)| Value::String(p.clone()))
                .collect();
            u.with
                .insert("owned_prefixes".into(), Value::Array(prefixes));
        }
    }
    Owed {
        reverts: made,
        candidates: candidates.into_iter().collect(),
        stem: format!("{prefix}-{run_id}"),
    }
}

fn str_of<'a>(m: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Value::as_str)
}

fn guard_of(u: &Undo) -> Option<Guard> {
    let kind = steps::find(&u.action)?;
    kind.guard(&steps::Args::new(
        kind.spec().name,
        u.with.clone(),
        Vec::new(),
    ))
    .ok()
}

/// The resource a step set out to create, from its intent (`step_started`).
fn intended(
    action: &str,
    with: &serde_json::Map<String, Value>,
    run_id: &str,
    prefix: &str,
) -> Option<Candidate> {
    let creates = steps::find(action)?.spec().creates?;
    match (creates.kind, creates.name) {
        (ResourceKind::PushDelivery, _) => Some(Candidate::Known(Resource::new(
            ResourceKind::PushDelivery,
            format!("{prefix}-{run_id}-events"),
        ))),
        (kind @ (ResourceKind::SecurityGroup | ResourceKind::ThreatList), Some(input)) => {
            Some(Candidate::Named(kind, str_of(with, input)?.to_owned()))
        }
        (
            kind @ (ResourceKind::User
            | ResourceKind::Role
            | ResourceKind::Bucket
            | ResourceKind::Trail),
            Some(input),
        ) => Some(Candidate::Known(Resource::new(kind, str_of(with, input)?))),
        // Instances, snapshots and keys have provider ids: the tag listings find them.
        _ => None,
    }
}

/// How a clean-up went.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Reverts and removals done (or with nothing left to do).
    pub reverted: u32,
    /// What failed, with why.
    pub failed: Vec<String>,
    /// What was refused because it is not the run's, with why.
    pub not_ours: Vec<String>,
    /// What the final look found of the run's still in the account; `None` when it could
    /// not look.
    pub remaining: Option<Vec<String>>,
}

impl Tally {
    /// Whether clean-up is complete: nothing failed or refused, and nothing remains.
    pub fn complete(&self) -> bool {
        self.failed.is_empty()
            && self.not_ours.is_empty()
            && self.remaining.as_ref().is_some_and(Vec::is_empty)
    }
}

/// Runs clean-up as `owed` says, in the account of `cx`, journaling each step with `emit`
/// (which may fail only as the journal does). Ends with `cleanup_finished`.
pub async fn clean_up<E>(
    cx: &StepContext<'_>,
    owed: &Owed,
    mut emit: impl FnMut(Body) -> Result<(), E>,
) -> Result<Tally, E> {
    let mut tally = Tally::default();
    // Failures of deletions the sweep may still make good: the resource, the revert's
    // name for it, and why it failed.
    let mut failed_deletes: Vec<(Resource, String, String)> = Vec::new();
    for u in &owed.reverts {
        let result = steps::revert(cx, u).await;
        let (ok, not_ours, error) = match &result {
            Reverted::Done | Reverted::AlreadyDone(_) => (true, false, None),
            Reverted::NotOurs(why) => (false, true, Some(why.clone())),
            Reverted::Failed(why) => (false, false, Some(why.clone())),
        };
        match &result {
            Reverted::Done | Reverted::AlreadyDone(_) => tally.reverted += 1,
            Reverted::NotOurs(why) => tally.not_ours.push(format!("{}: {why}", u.resource)),
            Reverted::Failed(why) => match guard_of(u) {
                Some(Guard::Deletes(r)) => {
                    failed_deletes.push((r, u.resource.clone(), format!("{}: {why}", u.resource)))
                }
                _ => tally.failed.push(format!("{}: {why}", u.resource)),
            },
        }
        emit(Body::Reverted {
            resource: u.resource.clone(),
            action: u.action.clone(),
            ok,
            error,
            not_ours,
        })?;
    }
    // The sweep: what carries the run's tag and is still there.
    match runs_own(cx, owed).await {
        Ok(found) => {
            for r in found {
                let result = ownership::remove(cx.sandbox, &r, &owned_prefixes(owed, &r)).await;
                // A revert that failed on it earlier is answered under the same name.
                let name = failed_deletes
                    .iter()
                    .find(|(f, ..)| *f == r)
                    .map_or_else(|| r.to_string(), |(_, name, _)| name.clone());
                failed_deletes.retain(|(f, ..)| *f != r);
                match &result {
                    Ok(()) => tally.reverted += 1,
                    Err(e) => tally.failed.push(format!("{name}: {e}")),
                }
                emit(Body::Reverted {
                    resource: name,
                    action: SWEEP.to_owned(),
                    ok: result.is_ok(),
                    error: result.err().map(|e| e.to_string()),
                    not_ours: false,
                })?;
            }
        }
        Err(e) => tally
            .failed
            .push(format!("finding what the run tagged: {e}")),
    }
    tally
        .failed
        .extend(failed_deletes.into_iter().map(|(.., why)| why));
    // The last look.
    tally.remaining = runs_own(cx, owed)
        .await
        .ok()
        .map(|found| found.iter().map(ToString::to_string).collect());
    emit(Body::CleanupFinished {
        reverted: tally.reverted,
        failed: tally.failed.len() as u32,
        not_ours: tally.not_ours.len() as u32,
        remaining: tally.remaining.clone(),
    })?;
    Ok(tally)
}

/// The action journaled for a resource the sweep removed.
pub const SWEEP: &str = "sweep (carries the run's tag)";

/// Key prefixes of what the run wrote into bucket `r`: what its trails delivered, and
/// anything keyed under the run's name stem.
fn owned_prefixes(owed: &Owed, r: &Resource) -> Vec<String> {
    if r.kind != ResourceKind::Bucket {
        return Vec::new();
    }
    let mut prefixes = vec![owed.stem.clone()];
    for u in &owed.reverts {
        if u.action == "s3.delete_objects"
            && str_of(&u.with, "bucket") == Some(r.id.as_str())
            && let Some(p) = str_of(&u.with, "prefix")
        {
            prefixes.push(p.to_owned());
        }
    }
    prefixes
}

/// The candidates that exist and carry the run's tag, with every EC2 resource carrying
/// it, in the order removal must go.
async fn runs_own(cx: &StepContext<'_>, owed: &Owed) -> Result<Vec<Resource>, SandboxError> {
    let mut found = BTreeSet::new();
    for c in &owed.candidates {
        let r = match c {
            Candidate::Known(r) => r.clone(),
            Candidate::Named(kind, name) => {
                match ownership::existing(cx.sandbox, *kind, name).await? {
                    Some(r) => r,
                    None => continue,
                }
            }
        };
        if ownership::owner(cx.sandbox, &r, cx.run_id).await? == Owner::Run
            && !ownership::retired(cx.sandbox, &r).await?
        {
            found.insert(r);
        }
    }
    found.extend(cx.sandbox.ec2().tagged(RUN_TAG, cx.run_id).await?);
    found.extend(cx.sandbox.kms().tagged(RUN_TAG, cx.run_id).await?);
    let mut found: Vec<Resource> = found.into_iter().collect();
    found.sort_by_key(|r| (r.kind, r.id.clone()));
    Ok(found)
}

/// What a clean-up would do, without doing any of it (`--dry-run`): read-only calls only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Preview {
    /// Each revert owed, with what it would come to: `None` to be reverted.
    pub reverts: Vec<(Undo, Option<Reverted>)>,
    /// What the sweep would remove.
    pub sweep: Vec<Resource>,
    /// What could not be looked at.
    pub errors: Vec<String>,
}

/// Looks at what clean-up as `owed` says would do in the account of `cx`, changing nothing.
pub async fn preview(cx: &StepContext<'_>, owed: &Owed) -> Preview {
    let mut p = Preview::default();
    for u in &owed.reverts {
        match steps::verdict(cx, u).await {
            Ok(v) => p.reverts.push((u.clone(), v)),
            Err(e) => p.errors.push(format!("{}: {e}", u.resource)),
        }
    }
    // What the reverts would delete is theirs, not the sweep's.
    let deleted: Vec<Resource> = p
        .reverts
        .iter()
        .filter(|(_, v)| v.is_none())
        .filter_map(|(u, _)| match guard_of(u) {
            Some(Guard::Deletes(r)) => Some(r),
            _ => None,
        })
        .collect();
    match runs_own(cx, owed).await {
        Ok(found) => p.sweep = found.into_iter().filter(|r| !deleted.contains(r)).collect(),
        Err(e) => p.errors.push(format!("finding what the run tagged: {e}")),
    }
    p
}
