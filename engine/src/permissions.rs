//! What a game day needs to be allowed: the API calls `gameday plan` lists for a resolved
//! scenario, and the IAM actions that allow them, for a least-privilege role (the job
//! role of `schedule export --format aws-batch`).
//!
//! A call is named `service:Operation`, as the SDK and CloudTrail name it. The IAM action
//! that allows it has the same name except for these (see the Service Authorization
//! Reference, "Actions defined by Amazon S3"):
//!
//! | call | IAM action |
//! | --- | --- |
//! | `s3:ListObjectsV2`, `s3:HeadBucket` | `s3:ListBucket` |
//! | `s3:ListBuckets` | `s3:ListAllMyBuckets` |
//! | `s3:HeadObject` | `s3:GetObject` |
//! | `s3:DeleteObjects` | `s3:DeleteObject` (for each key) |
//! | `s3:GetPublicAccessBlock` | `s3:GetBucketPublicAccessBlock` |
//! | `s3:PutPublicAccessBlock`, `s3:DeletePublicAccessBlock` | `s3:PutBucketPublicAccessBlock` |
//! | `s3:DeleteAccountPublicAccessBlock` (S3 Control) | `s3:PutAccountPublicAccessBlock` |
//!
//! `sts:GetCallerIdentity` needs no permission (it is always allowed) but is listed, as
//! `plan` lists it. A call written with a note (`ec2:DescribeSecurityGroups (group-name)`)
//! is the call before the note; `none (…)` and calls made with other credentials (the
//! simulated attacker's, `api.call_as`) are not the role's.

use crate::library::Plan;
use crate::{checks, detectors, preflight, steps};
use std::collections::BTreeSet;

/// The calls `gameday cleanup` makes to find what still carries a run's tag (the sweep),
/// besides the reverts of the run's own steps: those of `aws/sweep.rs`.
pub const SWEEP_CALLS: &[&str] = &[
    "cloudtrail:DescribeTrails",
    "cloudtrail:ListTags",
    "ec2:DescribeInstances",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSnapshots",
    "ec2:DescribeVpcs",
    "events:ListRules",
    "guardduty:GetThreatIntelSet",
    "guardduty:ListDetectors",
    "guardduty:ListThreatIntelSets",
    "iam:ListRoleTags",
    "iam:ListRoles",
    "iam:ListUserTags",
    "iam:ListUsers",
    "s3:ListBuckets",
    "sqs:ListQueues",
];

/// The S3 actions a runs directory on S3 needs: list its prefix, read and write (and
/// replace) its objects, and the conditional writes that decide who writes the combined
/// report (which S3 authorises as `s3:PutObject`).
pub const RUNS_DIR_ACTIONS: &[&str] = &["s3:GetObject", "s3:ListBucket", "s3:PutObject"];

/// What a game day on AWS does beside its scenario's steps: the target's settings that
/// add calls.
#[derive(Debug, Clone, Copy, Default)]
pub struct OnAws {
    /// The target pushes detections (an EventBridge rule and SQS queue per run).
    pub push: bool,
    /// The target has stop alarms (checked before and during the run).
    pub stop_alarms: bool,
}

pub use crate::sandbox::operation;

/// The sandbox methods of clean-up's reverts whose calls are not just the method's name
/// in `service:Operation` form: what each calls, in order (a user's keys and policies go
/// before the user, a bucket's objects before the bucket).
const REVERTS: &[(&str, &[&str])] = &[
    (
        "ec2.authorize_ingress",
        &["ec2:AuthorizeSecurityGroupIngress"],
    ),
    ("ec2.revoke_ingress", &["ec2:RevokeSecurityGroupIngress"]),
    ("ec2.set_instance_groups", &["ec2:ModifyInstanceAttribute"]),
    ("ec2.share_snapshot", &["ec2:ModifySnapshotAttribute"]),
    ("ec2.terminate_instance", &["ec2:TerminateInstances"]),
    (
        "events.unwatch",
        &[
            "events:RemoveTargets",
            "events:DeleteRule",
            "sqs:DeleteQueue",
        ],
    ),
    (
        "iam.delete_user",
        &[
            "iam:ListAccessKeys",
            "iam:DeleteAccessKey",
            "iam:ListUserPolicies",
            "iam:DeleteUserPolicy",
            "iam:ListAttachedUserPolicies",
            "iam:DetachUserPolicy",
            "iam:DeleteUser",
        ],
    ),
    (
        "iam.delete_role",
        &[
            "iam:ListRolePolicies",
            "iam:DeleteRolePolicy",
            "iam:DeleteRole",
        ],
    ),
    (
        "iam.restore_password_policy",
        &[
            "iam:UpdateAccountPasswordPolicy",
            "iam:DeleteAccountPasswordPolicy",
        ],
    ),
    (
        "s3.delete_bucket",
        &["s3:ListObjectsV2", "s3:DeleteObjects", "s3:DeleteBucket"],
    ),
    (
        "s3.delete_objects",
        &["s3:ListObjectsV2", "s3:DeleteObjects"],
    ),
    (
        "s3.restore_bucket_policy",
        &["s3:PutBucketPolicy", "s3:DeleteBucketPolicy"],
    ),
];

/// The calls a step kind's revert (as its spec words it: `cloudtrail.delete_trail, then
/// s3.delete_objects under its key prefix`) makes: every sandbox method it names.
pub fn revert_calls(revert: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in revert.split([' ', ',', '(', ')']) {
        let is_method = word.split_once('.').is_some_and(|(s, m)| {
            !s.is_empty()
                && !m.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                && m.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        });
        if !is_method {
            continue;
        }
        match REVERTS.iter().find(|(m, _)| *m == word) {
            Some((_, calls)) => out.extend(calls.iter().map(|c| (*c).to_owned())),
            // A step kind's own list of calls, where the revert names one.
            None => match steps::find(word) {
                Some(kind) => out.extend(
                    kind.spec()
                        .calls
                        .iter()
                        .map(|c| c.split(" (").next().unwrap_or(c).trim().to_owned()),
                ),
                None => out.push(operation(word)),
            },
        }
    }
    out
}

/// The calls of `plan` run on AWS with `aws`'s settings, as `gameday plan` lists them:
/// preflight, existence checks, push delivery, the setup and attack steps, the
/// detectors, the containment checks, the runbook's actions, the reverts and the sweep.
pub fn plan_calls(plan: &Plan, aws: OnAws) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    let mut add = |call: &str| {
        let name = call.split(" (").next().unwrap_or(call).trim();
        let well_formed = name.split_once(':').is_some_and(|(s, op)| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && op.starts_with(|c: char| c.is_ascii_uppercase())
                && op.chars().all(|c| c.is_ascii_alphanumeric())
        });
        if well_formed {
            out.insert(name.to_owned());
        }
    };
    add("sts:GetCallerIdentity");
    if aws.stop_alarms {
        add("cloudwatch:DescribeAlarms");
    }
    for (_, _, _, r) in preflight::creations(plan) {
        add(preflight::existence_call(r.kind));
    }
    let pushed = plan.scenario.detect.iter().any(|d| {
        detectors::find(d.source.as_str())
            .is_some_and(|x| x.spec().poll == detectors::Every::Pushed)
    });
    let mut kinds: Vec<&str> = Vec::new();
    if aws.push || pushed {
        kinds.push("events.watch");
    }
    kinds.extend(plan.scenario.steps().map(|(_, s)| s.action.as_str()));
    if let Some(rb) = &plan.runbook {
        kinds.extend(rb.steps().filter_map(|(_, s, _)| s.action.as_deref()));
    }
    for kind in kinds.into_iter().filter_map(steps::find) {
        let spec = kind.spec();
        spec.calls.iter().for_each(|c| add(c));
        revert_calls(spec.revert).iter().for_each(|c| add(c));
    }
    for d in &plan.scenario.detect {
        if let Some(x) = detectors::find(d.source.as_str()) {
            x.spec().calls.iter().for_each(|c| add(c));
        }
    }
    for r in &plan.scenario.respond {
        if let Some(c) = checks::find(&r.check) {
            c.spec().calls.iter().for_each(|c| add(c));
        }
    }
    SWEEP_CALLS.iter().for_each(|c| add(c));
    out
}

/// The IAM action that allows `call` (`service:Operation`).
pub fn iam_action(call: &str) -> String {
    let action = match call {
        "s3:ListObjectsV2" | "s3:HeadBucket" => "s3:ListBucket",
        "s3:ListBuckets" => "s3:ListAllMyBuckets",
        "s3:HeadObject" => "s3:GetObject",
        "s3:DeleteObjects" => "s3:DeleteObject",
        "s3:GetPublicAccessBlock" => "s3:GetBucketPublicAccessBlock",
        "s3:PutPublicAccessBlock" | "s3:DeletePublicAccessBlock" => "s3:PutBucketPublicAccessBlock",
        "s3:DeleteAccountPublicAccessBlock" => "s3:PutAccountPublicAccessBlock",
        other => other,
    };
    action.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_map_to_actions_of_the_same_name_but_for_s3s_exceptions() {
        assert_eq!(iam_action("iam:CreateUser"), "iam:CreateUser");
        assert_eq!(iam_action("s3:ListObjectsV2"), "s3:ListBucket");
        assert_eq!(iam_action("s3:HeadBucket"), "s3:ListBucket");
        assert_eq!(
            iam_action("s3:DeletePublicAccessBlock"),
            "s3:PutBucketPublicAccessBlock"
        );
        assert_eq!(operation("iam.delete_user"), "iam:DeleteUser");
        assert_eq!(
            operation("s3.put_public_access_block"),
            "s3:PutPublicAccessBlock"
        );
        assert_eq!(
            revert_calls("cloudtrail.delete_trail, then s3.delete_objects under its key prefix"),
            [
                "cloudtrail:DeleteTrail",
                "s3:ListObjectsV2",
                "s3:DeleteObjects"
            ]
        );
        assert_eq!(revert_calls("none"), Vec::<String>::new());
        assert_eq!(
            revert_calls("ec2.revoke_ingress (none if the rule was there already)"),
            ["ec2:RevokeSecurityGroupIngress"]
        );
    }

    #[test]
    fn every_revert_names_calls_and_no_method_is_left_unknown() {
        for kind in crate::steps::REGISTRY {
            let spec = kind.spec();
            if spec.revert != "none" {
                assert!(
                    !revert_calls(spec.revert).is_empty(),
                    "{}: {}",
                    spec.name,
                    spec.revert
                );
            }
        }
    }

    #[test]
    fn the_sweep_calls_are_those_the_sweep_makes() {
        let source = include_str!("aws/sweep.rs");
        let made: BTreeSet<&str> = source
            .split("sandbox_error(\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .collect();
        let listed: BTreeSet<&str> = SWEEP_CALLS.iter().copied().collect();
        assert_eq!(made, listed);
    }
}
