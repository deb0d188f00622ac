//! What is a run's own: the line clean-up never crosses.
//!
//! A run owns exactly the resources that carry its tag, `gameday:run=<run id>`; every
//! resource a run creates is tagged at creation (or in the call right after, where the API
//! cannot tag at creation). Anything else in the account — untagged, or tagged by another
//! run — is not the run's, whatever a journal says: a revert, a crash recovery or a sweep
//! looks at the account's own tags before it deletes or changes anything, and leaves the
//! rest alone. The guards of each revert are in [`crate::steps::Guard`]; this module answers
//! the questions they ask of the account, and removes what a sweep found.

use crate::sandbox::{
    Ec2, ErrorKind, Iam, RUN_TAG, Resource, ResourceKind, Result, Sandbox, SandboxError, Tags,
    gone_is_fine,
};

/// Whose a resource is, by its tags in the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// It carries the run's tag.
    Run,
    /// It does not exist (any more).
    Gone,
    /// It exists and is not the run's: why, in words.
    Other(String),
}

/// The tags of `r` in the account; `None` when it does not exist. A bucket that exists
/// and is another account's has no tags gameday can see: an empty set.
pub async fn tags_of(sandbox: &dyn Sandbox, r: &Resource) -> Result<Option<Tags>> {
    let id = r.id.as_str();
    let found = match r.kind {
        ResourceKind::User => sandbox.iam().user_tags(id).await,
        ResourceKind::Role => sandbox.iam().role_tags(id).await,
        ResourceKind::Bucket => match sandbox.s3().bucket_tags(id).await {
            Err(e) if e.kind == ErrorKind::AccessDenied => Ok(Tags::new()),
            other => other,
        },
        ResourceKind::Instance
        | ResourceKind::SecurityGroup
        | ResourceKind::Snapshot
        | ResourceKind::InternetGateway
        | ResourceKind::Vpc
        | ResourceKind::RouteTable
        | ResourceKind::NetworkAcl => sandbox.ec2().tags_of(id).await,
        ResourceKind::Trail => sandbox.cloudtrail().trail_tags(id).await,
        ResourceKind::Key => sandbox.kms().key_tags(id).await,
        ResourceKind::ThreatList => sandbox.guardduty().threat_intel_set_tags(id).await,
        ResourceKind::PushDelivery => match sandbox.push() {
            Some(p) => p.tags(id).await,
            None => Err(SandboxError::new(
                ErrorKind::NotFound,
                "events:DescribeRule",
                "this account has no push deliveries",
            )),
        },
    };
    match found {
        Ok(tags) => Ok(Some(tags)),
        Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether `tags` say the resource is run `run_id`'s.
pub fn is_runs(tags: &Tags, run_id: &str) -> bool {
    tags.get(RUN_TAG).is_some_and(|r| r == run_id)
}

/// Whose `r` is, for run `run_id`.
pub async fn owner(sandbox: &dyn Sandbox, r: &Resource, run_id: &str) -> Result<Owner> {
    Ok(match tags_of(sandbox, r).await? {
        None => Owner::Gone,
        Some(tags) if is_runs(&tags, run_id) => Owner::Run,
        Some(tags) => Owner::Other(match tags.get(RUN_TAG) {
            Some(other) => format!("{r} belongs to run {other}, not to run {run_id}"),
            None => format!("{r} does not carry the tag {RUN_TAG}={run_id}: it is not the run's"),
        }),
    })
}

/// The resource of `kind` called `name` if one exists already: what a step that creates
/// it must not adopt. Instances and snapshots have no names to collide on (`None`).
pub async fn existing(
    sandbox: &dyn Sandbox,
    kind: ResourceKind,
    name: &str,
) -> Result<Option<Resource>> {
    let named = |id: Option<String>| id.map(|id| Resource::new(kind, id));
    match kind {
        ResourceKind::SecurityGroup => Ok(named(sandbox.ec2().security_group_named(name).await?)),
        ResourceKind::ThreatList => Ok(named(
            sandbox.guardduty().threat_intel_set_named(name).await?,
        )),
        ResourceKind::Instance
        | ResourceKind::Snapshot
        | ResourceKind::InternetGateway
        | ResourceKind::Vpc
        | ResourceKind::RouteTable
        | ResourceKind::NetworkAcl
        | ResourceKind::Key => Ok(None),
        ResourceKind::User
        | ResourceKind::Role
        | ResourceKind::Bucket
        | ResourceKind::Trail
        | ResourceKind::PushDelivery => {
            let r = Resource::new(kind, name);
            Ok(tags_of(sandbox, &r).await?.map(|_| r))
        }
    }
}

/// Removes `r`, which the caller found to be the run's, the way its kind must go: a user
/// with its keys and policies; a role with its inline policies; a bucket with the objects
/// under `owned_prefixes` (what the run wrote into it), and not at all while it holds
/// anything else. Gone already is done.
pub async fn remove(sandbox: &dyn Sandbox, r: &Resource, owned_prefixes: &[String]) -> Result<()> {
    let id = r.id.as_str();
    gone_is_fine(match r.kind {
        ResourceKind::PushDelivery => match sandbox.push() {
            Some(p) => p.close(id).await,
            None => Err(SandboxError::new(
                ErrorKind::Unsupported,
                "events:DeleteRule",
                "this sandbox cannot remove push deliveries",
            )),
        },
        ResourceKind::ThreatList => sandbox.guardduty().delete_threat_intel_set(id).await,
        ResourceKind::Trail => sandbox.cloudtrail().delete_trail(id).await,
        ResourceKind::Instance => sandbox.ec2().terminate_instance(id).await,
        ResourceKind::Snapshot => sandbox.ec2().delete_snapshot(id).await,
        ResourceKind::SecurityGroup => sandbox.ec2().delete_security_group(id).await,
        ResourceKind::Bucket => delete_bucket(sandbox, id, owned_prefixes).await,
        ResourceKind::User => delete_user(sandbox.iam(), id).await,
        ResourceKind::Role => delete_role(sandbox.iam(), id).await,
        ResourceKind::InternetGateway => delete_internet_gateway(sandbox.ec2(), id).await,
        ResourceKind::Vpc => delete_vpc(sandbox.ec2(), id).await,
        // They go with their VPC.
        ResourceKind::RouteTable | ResourceKind::NetworkAcl => Ok(()),
        ResourceKind::Key => retire_key(sandbox.kms(), id).await,
    })
}

/// Detaches the gateway from every VPC it is attached to, then deletes it.
pub async fn delete_internet_gateway(ec2: &dyn Ec2, gateway_id: &str) -> Result<()> {
    for vpc in ec2.internet_gateway_vpcs(gateway_id).await? {
        gone_is_fine(ec2.detach_internet_gateway(gateway_id, &vpc).await)?;
    }
    ec2.delete_internet_gateway(gateway_id).await
}

/// Detaches every internet gateway from the VPC, deletes those that carry the VPC's own
/// run tag (the others are not the run's: detached, left), then deletes the VPC.
pub async fn delete_vpc(ec2: &dyn Ec2, vpc_id: &str) -> Result<()> {
    let run = ec2.tags_of(vpc_id).await?.get(RUN_TAG).cloned();
    for gateway in ec2.vpc_internet_gateways(vpc_id).await? {
        gone_is_fine(ec2.detach_internet_gateway(&gateway, vpc_id).await)?;
        let tags = match ec2.tags_of(&gateway).await {
            Ok(tags) => tags,
            Err(e) if e.kind == ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        if run.is_some() && tags.get(RUN_TAG) == run.as_ref() {
            gone_is_fine(ec2.delete_internet_gateway(&gateway).await)?;
        }
    }
    ec2.delete_vpc(vpc_id).await
}

/// Deletes the objects under `owned_prefixes`, then the bucket: refused, naming what is
/// left, while the bucket holds anything else.
pub async fn delete_bucket(
    sandbox: &dyn Sandbox,
    bucket: &str,
    owned_prefixes: &[String],
) -> Result<()> {
    let s3 = sandbox.s3();
    for prefix in owned_prefixes.iter().filter(|p| !p.is_empty()) {
        for key in s3.list_objects(bucket, prefix).await? {
            gone_is_fine(s3.delete_object(bucket, &key).await)?;
        }
    }
    let others = s3.list_objects(bucket, "").await?;
    if let Some(first) = others.first() {
        return Err(SandboxError::new(
            ErrorKind::Conflict,
            "s3:DeleteBucket",
            format!(
                "bucket {bucket} holds {} object(s) the run did not write (such as `{first}`); \
                 the bucket and its objects are left alone",
                others.len()
            ),
        ));
    }
    s3.delete_bucket(bucket).await
}

/// Deletes what IAM requires gone first, then the user.
pub async fn delete_user(iam: &dyn Iam, user: &str) -> Result<()> {
    for key in iam.list_access_keys(user).await? {
        gone_is_fine(iam.delete_access_key(user, &key.access_key_id).await)?;
    }
    for name in iam.user_policies(user).await?.keys() {
        gone_is_fine(iam.delete_user_policy(user, name).await)?;
    }
    for arn in iam.list_attached_user_policies(user).await? {
        gone_is_fine(iam.detach_user_policy(user, &arn).await)?;
    }
    iam.delete_user(user).await
}

/// Whether `r` is as good as removed though it still answers: a KMS key pending deletion
/// (KMS deletes it when its waiting period ends).
pub async fn retired(sandbox: &dyn Sandbox, r: &Resource) -> Result<bool> {
    Ok(match r.kind {
        ResourceKind::Key => match sandbox.kms().key_state(&r.id).await {
            Ok(state) => state == crate::sandbox::KeyState::PendingDeletion,
            Err(e) if e.kind == ErrorKind::NotFound => true,
            Err(e) => return Err(e),
        },
        _ => false,
    })
}

/// Schedules the key's deletion after the shortest wait KMS allows (seven days): KMS
/// cannot delete a key at once. A key pending deletion already is done.
pub async fn retire_key(kms: &dyn crate::sandbox::Kms, key_id: &str) -> Result<()> {
    if kms.key_state(key_id).await? == crate::sandbox::KeyState::PendingDeletion {
        return Ok(());
    }
    kms.schedule_key_deletion(key_id, *crate::sandbox::KEY_DELETION_DAYS.start())
        .await
}

/// Deletes the role's inline policies, then the role.
pub async fn delete_role(iam: &dyn Iam, role: &str) -> Result<()> {
    for name in iam.role_policies(role).await?.keys() {
        gone_is_fine(iam.delete_role_policy(role, name).await)?;
    }
    iam.delete_role(role).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::sim::{DetectionModel, SimAccount};
    use std::sync::Arc;

    fn sim() -> SimAccount {
        let clock = Arc::new(Clock::virtual_at(chrono::Utc::now()));
        SimAccount::new(1, Arc::new(DetectionModel::builtin()), clock)
    }

    fn tags(run: &str) -> Tags {
        Tags::from([(RUN_TAG.to_owned(), run.to_owned())])
    }

    #[tokio::test]
    async fn a_resource_is_the_runs_only_by_its_own_tag() {
        let s = sim();
        s.iam()
            .create_user("mine", &tags("r1"))
            .await
            .expect("user");
        s.iam()
            .create_user("theirs", &tags("r2"))
            .await
            .expect("user");
        s.iam()
            .create_user("nobodys", &Tags::new())
            .await
            .expect("user");
        let user = |n: &str| Resource::new(ResourceKind::User, n);
        assert_eq!(owner(&s, &user("mine"), "r1").await, Ok(Owner::Run));
        assert_eq!(owner(&s, &user("gone"), "r1").await, Ok(Owner::Gone));
        let Ok(Owner::Other(why)) = owner(&s, &user("theirs"), "r1").await else {
            panic!("another run's user is not the run's")
        };
        assert!(why.contains("run r2"), "{why}");
        let Ok(Owner::Other(why)) = owner(&s, &user("nobodys"), "r1").await else {
            panic!("an untagged user is not the run's")
        };
        assert!(
            why.contains("does not carry the tag gameday:run=r1"),
            "{why}"
        );
    }

    #[tokio::test]
    async fn existing_finds_named_resources_of_every_kind() {
        let s = sim();
        s.s3()
            .create_bucket("bucket-1", &Tags::new())
            .await
            .expect("bucket");
        let g = s
            .ec2()
            .create_security_group("g1", "d", &Tags::new())
            .await
            .expect("group");
        let found = |k, n: &'static str| {
            let s = &s;
            async move { existing(s, k, n).await.expect("asks") }
        };
        assert_eq!(
            found(ResourceKind::Bucket, "bucket-1").await,
            Some(Resource::new(ResourceKind::Bucket, "bucket-1"))
        );
        assert_eq!(found(ResourceKind::Bucket, "bucket-2").await, None);
        assert_eq!(
            found(ResourceKind::SecurityGroup, "g1").await,
            Some(Resource::new(ResourceKind::SecurityGroup, g))
        );
        assert_eq!(found(ResourceKind::User, "u").await, None);
        assert_eq!(found(ResourceKind::Trail, "t").await, None);
        assert_eq!(found(ResourceKind::ThreatList, "l").await, None);
    }

    #[tokio::test]
    async fn a_bucket_goes_only_with_what_the_run_wrote_into_it() {
        let s = sim();
        s.s3()
            .create_bucket("bucket-r1", &tags("r1"))
            .await
            .expect("bucket");
        s.s3()
            .put_object("bucket-r1", "gameday-r1-trail/AWSLogs/x.json.gz", "{}")
            .await
            .expect("ours");
        s.s3()
            .put_object("bucket-r1", "payroll.csv", "someone's data")
            .await
            .expect("theirs");
        let owned = ["gameday-r1-".to_owned()];
        let err = delete_bucket(&s, "bucket-r1", &owned)
            .await
            .expect_err("refused");
        assert_eq!(err.kind, ErrorKind::Conflict);
        assert!(err.message.contains("payroll.csv"), "{}", err.message);
        assert_eq!(
            s.s3().list_objects("bucket-r1", "").await.expect("lists"),
            ["payroll.csv"],
            "only the run's object went"
        );
        s.s3()
            .delete_object("bucket-r1", "payroll.csv")
            .await
            .expect("gone");
        delete_bucket(&s, "bucket-r1", &owned)
            .await
            .expect("empty: deleted");
        assert_eq!(
            tags_of(&s, &Resource::new(ResourceKind::Bucket, "bucket-r1")).await,
            Ok(None)
        );
    }
}
