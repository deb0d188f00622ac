//! Clean-up never deletes what is not the run's, whatever the journal says: random
//! accounts (users, buckets holding data, security groups; each untagged, another run's
//! or this run's) and random journal lines (creations naming any of them, or nothing,
//! reverts recorded or not), cleaned up on the simulator. Everything without this run's
//! tag is still there afterwards, and the buckets that are not the run's still hold every
//! object.

use gameday_engine::cleanup;
use gameday_engine::clock::Clock;
use gameday_engine::event::{Body, Event};
use gameday_engine::sandbox::{RUN_TAG, Tags};
use gameday_engine::sim::{DetectionModel, SimAccount};
use gameday_engine::steps::{StepContext, Undo};
use proptest::prelude::*;
use serde_json::json;
use std::sync::Arc;

const RUN: &str = "r1run001";
const PREFIX: &str = "gameday";

/// Whose a pre-existing resource is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Whose {
    Nobody,
    OtherRun,
    ThisRun,
}

fn whose() -> impl Strategy<Value = Whose> {
    prop_oneof![
        Just(Whose::Nobody),
        Just(Whose::OtherRun),
        Just(Whose::ThisRun)
    ]
}

fn tags(w: Whose) -> Tags {
    match w {
        Whose::Nobody => Tags::from([("owner".to_owned(), "data-team".to_owned())]),
        Whose::OtherRun => Tags::from([(RUN_TAG.to_owned(), "r2run002".to_owned())]),
        Whose::ThisRun => Tags::from([(RUN_TAG.to_owned(), RUN.to_owned())]),
    }
}

/// A journal line, by what it names: the index of a user, bucket or group (one past the
/// last names something that does not exist).
#[derive(Debug, Clone)]
enum Line {
    DeleteUser(usize),
    DeleteBucket(usize, bool),
    DeleteObjects(usize, &'static str),
    DeleteGroup(usize),
    DeleteKey(usize),
    DetachPolicy(usize),
    /// A `reverted` line for the line before it.
    RevertedBefore,
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        (0usize..4).prop_map(Line::DeleteUser),
        (0usize..4, any::<bool>()).prop_map(|(i, p)| Line::DeleteBucket(i, p)),
        (
            0usize..4,
            prop_oneof![Just("data/"), Just("trail/"), Just("")]
        )
            .prop_map(|(i, p)| Line::DeleteObjects(i, p)),
        (0usize..3).prop_map(Line::DeleteGroup),
        (0usize..4).prop_map(Line::DeleteKey),
        (0usize..4).prop_map(Line::DetachPolicy),
        Just(Line::RevertedBefore),
    ]
}

const POLICY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

fn user(i: usize) -> String {
    format!("user-{i}")
}

fn bucket(i: usize) -> String {
    format!("bucket-{i}")
}

struct Account {
    sim: SimAccount,
    users: Vec<Whose>,
    buckets: Vec<Whose>,
    groups: Vec<(Whose, String)>,
    keys: Vec<String>,
}

async fn account(users: &[Whose], buckets: &[Whose], groups: &[Whose]) -> Account {
    let clock = Arc::new(Clock::virtual_at(chrono::Utc::now()));
    let sim = SimAccount::new(7, Arc::new(DetectionModel::builtin()), clock);
    let mut keys = Vec::new();
    for (i, w) in users.iter().enumerate() {
        sim.iam()
            .create_user(&user(i), &tags(*w))
            .await
            .expect("user");
        sim.iam()
            .attach_user_policy(&user(i), POLICY)
            .await
            .expect("policy");
        let key = sim.iam().create_access_key(&user(i)).await.expect("key");
        keys.push(key.access_key_id.clone());
    }
    for (i, w) in buckets.iter().enumerate() {
        let s3 = sim.s3();
        s3.create_bucket(&bucket(i), &tags(*w))
            .await
            .expect("bucket");
        for key in ["data/payroll.csv", "trail/log.json", "readme"] {
            s3.put_object(&bucket(i), key, "x").await.expect("object");
        }
    }
    let mut made = Vec::new();
    for (i, w) in groups.iter().enumerate() {
        let id = sim
            .ec2()
            .create_security_group(&format!("group-{i}"), "web", &tags(*w))
            .await
            .expect("group");
        made.push((*w, id));
    }
    Account {
        sim,
        users: users.to_vec(),
        buckets: buckets.to_vec(),
        groups: made,
        keys,
    }
}

fn undo_of(a: &Account, l: &Line) -> Option<Undo> {
    let key = |i: usize| {
        a.keys
            .get(i)
            .cloned()
            .unwrap_or_else(|| "AKIANOSUCHKEY0000000".into())
    };
    let group = |i: usize| {
        a.groups
            .get(i)
            .map_or_else(|| "sg-0000000000000dead".to_owned(), |g| g.1.clone())
    };
    Some(match l {
        Line::DeleteUser(i) => Undo::new(
            "iam.delete_user",
            json!({"user_name": user(*i)}),
            format!("iam user {}", user(*i)),
        ),
        Line::DeleteBucket(i, owned) => Undo::new(
            "s3.delete_bucket",
            if *owned {
                json!({"bucket": bucket(*i), "owned_prefixes": ["trail/"]})
            } else {
                json!({"bucket": bucket(*i)})
            },
            format!("bucket {}", bucket(*i)),
        ),
        Line::DeleteObjects(i, prefix) => Undo::new(
            "s3.delete_objects",
            json!({"bucket": bucket(*i), "prefix": prefix}),
            format!("objects {prefix} in {}", bucket(*i)),
        ),
        Line::DeleteGroup(i) => Undo::new(
            "ec2.delete_security_group",
            json!({"group_id": group(*i)}),
            format!("security group {}", group(*i)),
        ),
        Line::DeleteKey(i) => Undo::new(
            "iam.delete_access_key",
            json!({"user_name": user(*i), "access_key_id": key(*i)}),
            format!("access key of {}", user(*i)),
        ),
        Line::DetachPolicy(i) => Undo::new(
            "iam.detach_user_policy",
            json!({"user_name": user(*i), "policy_arn": POLICY}),
            format!("policy on {}", user(*i)),
        ),
        Line::RevertedBefore => return None,
    })
}

fn events(a: &Account, lines: &[Line]) -> Vec<Event> {
    let now = chrono::Utc::now();
    let mut out: Vec<Event> = Vec::new();
    let mut last: Option<Undo> = None;
    for l in lines {
        let body = match undo_of(a, l) {
            Some(undo) => {
                last = Some(undo.clone());
                Body::ResourceCreated {
                    step: "s".into(),
                    undo,
                }
            }
            None => match last.take() {
                Some(u) => Body::Reverted {
                    resource: u.resource,
                    action: u.action,
                    ok: true,
                    error: None,
                    not_ours: false,
                },
                None => continue,
            },
        };
        let seq = out.len() as u64;
        out.push(Event {
            seq,
            at: now,
            t_ms: seq,
            body,
        });
    }
    out
}

/// What must still stand: every user, bucket and group that is not this run's, with the
/// users' keys and policies and the buckets' objects.
async fn check_untouched(a: &Account) -> Result<(), String> {
    let iam = a.sim.iam();
    for (i, w) in a.users.iter().enumerate() {
        if *w == Whose::ThisRun {
            continue;
        }
        let name = user(i);
        iam.user_tags(&name)
            .await
            .map_err(|e| format!("{name} ({w:?}) is gone: {e}"))?;
        let keys = iam
            .list_access_keys(&name)
            .await
            .map_err(|e| e.to_string())?;
        if keys.len() != 1 {
            return Err(format!("{name} ({w:?}) lost its key"));
        }
        let policies = iam
            .list_attached_user_policies(&name)
            .await
            .map_err(|e| e.to_string())?;
        if !policies.iter().any(|p| p == POLICY) {
            return Err(format!("{name} ({w:?}) lost its policy"));
        }
    }
    for (i, w) in a.buckets.iter().enumerate() {
        if *w == Whose::ThisRun {
            continue;
        }
        let name = bucket(i);
        let objects = a
            .sim
            .s3()
            .list_objects(&name, "")
            .await
            .map_err(|e| format!("{name} ({w:?}) is gone: {e}"))?;
        if objects.len() != 3 {
            return Err(format!("{name} ({w:?}) holds {objects:?}"));
        }
    }
    for (w, id) in &a.groups {
        if *w == Whose::ThisRun {
            continue;
        }
        a.sim
            .ec2()
            .tags_of(id)
            .await
            .map_err(|e| format!("{id} ({w:?}) is gone: {e}"))?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn clean_up_never_deletes_what_does_not_carry_the_runs_tag(
        users in proptest::collection::vec(whose(), 0..4),
        buckets in proptest::collection::vec(whose(), 0..4),
        groups in proptest::collection::vec(whose(), 0..3),
        lines in proptest::collection::vec(line(), 0..14),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .expect("runtime");
        let result = rt.block_on(async {
            let a = account(&users, &buckets, &groups).await;
            let events = events(&a, &lines);
            let owed = cleanup::owed(&events, RUN, PREFIX);
            let clock = Clock::virtual_at(chrono::Utc::now());
            let tags = Tags::from([(RUN_TAG.to_owned(), RUN.to_owned())]);
            let cx = StepContext {
                sandbox: &a.sim,
                clock: &clock,
                tags: &tags,
                run_id: RUN,
                prefix: PREFIX,
                abort: None,
            };
            let mut journaled = Vec::new();
            let tally = cleanup::clean_up(&cx, &owed, |b| {
                journaled.push(b);
                Ok::<(), ()>(())
            })
            .await
            .map_err(|()| "journal".to_owned())?;
            check_untouched(&a).await?;
            // Every refusal is journaled and counted: a person is asked to look.
            let refused = journaled
                .iter()
                .filter(|b| matches!(b, Body::Reverted { not_ours: true, .. }))
                .count();
            if refused != tally.not_ours.len() {
                return Err(format!("{refused} refusals journaled, {} counted", tally.not_ours.len()));
            }
            if !tally.not_ours.is_empty() && tally.complete() {
                return Err("a clean-up that refused something called itself complete".into());
            }
            Ok::<(), String>(())
        });
        prop_assert!(result.is_ok(), "{:?}", result);
    }
}
