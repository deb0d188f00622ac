//! `s3.put_bucket_acl`: a bucket's ACL, canned or as recorded.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{BucketAcl, CANNED_ACLS, ResourceKind, SandboxError};
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct S3PutBucketAcl;

static SPEC: StepSpec = StepSpec {
    name: "s3.put_bucket_acl",
    summary: "Set a bucket's ACL: a canned ACL (public-read, authenticated-read…) or a recorded one.",
    docs: "Reads the bucket's ACL, then replaces it. `authenticated-read` grants READ to every \
           authenticated AWS principal in any account (the AuthenticatedUsers group), \
           `public-read` to anyone on the internet (AllUsers). A new bucket has ACLs disabled \
           (Object Ownership BucketOwnerEnforced) and S3 then refuses any ACL but `private`: \
           create the bucket with `object_ownership: BucketOwnerPreferred`. S3 also refuses a \
           public ACL while Block Public Access BlockPublicAcls is on for the bucket or the \
           account. Clean-up puts back the ACL it read, grant for grant, except a public one \
           while the bucket's Block Public Access refuses public ACLs: clean-up never \
           re-opens a bucket that a responder closed.",
    inputs: &[
        Field {
            name: "bucket",
            ty: FieldType::String,
            required: true,
            doc: "The bucket name.",
        },
        Field {
            name: "acl",
            ty: FieldType::String,
            required: false,
            doc: "A canned ACL: private, public-read, public-read-write, authenticated-read or \
                  log-delivery-write. One of `acl` and `access_control_policy`.",
        },
        Field {
            name: "access_control_policy",
            ty: FieldType::Document,
            required: false,
            doc: "A whole ACL as recorded (owner_id and grants), as clean-up puts one back.",
        },
        Field {
            name: "left",
            ty: FieldType::Document,
            required: false,
            doc: "In a revert: what the change it undoes left. On what the run does not own, \
                  the revert runs only while this still holds.",
        },
    ],
    outputs: &[],
    calls: &["s3:GetBucketAcl", "s3:PutBucketAcl"],
    revert: "s3.put_bucket_acl with the ACL read before",
    creates: None,
};

/// A recorded ACL input.
fn recorded(args: &Args, name: &str) -> Result<Option<BucketAcl>, SandboxError> {
    match args.values().get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => serde_json::from_str(&args.document(name)?)
            .map(Some)
            .map_err(|e| args.bad(format!("input `{name}` is not a recorded ACL: {e}"))),
    }
}

/// What the step is asked to put: a canned ACL's name, or a whole ACL.
enum Wanted {
    Canned(String),
    Whole(BucketAcl),
}

fn wanted(args: &Args) -> Result<Wanted, SandboxError> {
    match (
        args.values().get("acl"),
        recorded(args, "access_control_policy")?,
    ) {
        (Some(Value::String(acl)), None) if CANNED_ACLS.contains(&acl.as_str()) => {
            Ok(Wanted::Canned(acl.clone()))
        }
        (Some(Value::String(acl)), None) => Err(args.bad(format!(
            "input `acl`: `{acl}` is not one of {}",
            CANNED_ACLS.join(", ")
        ))),
        (None | Some(Value::Null), Some(whole)) => Ok(Wanted::Whole(whole)),
        _ => Err(args.bad(
            "give exactly one of `acl` (a canned ACL) and `access_control_policy`".to_owned(),
        )),
    }
}

#[async_trait]
impl StepKind for S3PutBucketAcl {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Restores(Some(
            args.resource(ResourceKind::Bucket, "bucket")?,
        )))
    }

    async fn restorable(
        &self,
        cx: &StepContext<'_>,
        args: &Args,
    ) -> Result<super::Restorable, SandboxError> {
        let Some(left) = recorded(args, "left")? else {
            return Ok(super::Restorable::ChangedSince(
                "the ACL the run left was not recorded".to_owned(),
            ));
        };
        let now = cx
            .sandbox
            .s3()
            .get_bucket_acl(args.str("bucket")?)
            .await?
            .sorted();
        let target = recorded(args, "access_control_policy")?.map(|a| a.sorted());
        Ok(if now == left.sorted() {
            super::Restorable::AsLeft
        } else if Some(&now) == target.as_ref() {
            super::Restorable::AlreadyRestored
        } else {
            super::Restorable::ChangedSince(
                "the bucket's ACL is neither the one the run left nor the one it found".to_owned(),
            )
        })
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let bucket = args.str("bucket")?;
        let wanted = wanted(args)?;
        let s3 = cx.sandbox.s3();
        let previous = s3.get_bucket_acl(bucket).await?;
        if let Wanted::Whole(acl) = &wanted
            && args.values().contains_key("left")
            && !acl.public_groups().is_empty()
            && s3
                .get_public_access_block(bucket)
                .await?
                .is_some_and(|b| b.block_public_acls)
        {
            // A revert never makes a bucket public again against its Block Public Access:
            // this one undoes a responder's `private`, and the reverts after it put back
            // the ACL and the settings the run found.
            return Ok(Applied::default());
        }
        match &wanted {
            Wanted::Canned(acl) => s3.put_bucket_canned_acl(bucket, acl).await?,
            Wanted::Whole(acl) => s3.put_bucket_acl(bucket, acl).await?,
        }
        let now = s3.get_bucket_acl(bucket).await?;
        if now.sorted() == previous.sorted() {
            return Ok(Applied::default());
        }
        Ok(Applied::default().undo(Undo::new(
            "s3.put_bucket_acl",
            json!({ "bucket": bucket, "access_control_policy": previous, "left": now }),
            format!("acl of bucket {bucket}"),
        )))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::{AUTHENTICATED_USERS, ErrorKind, ObjectOwnership, PublicAccessBlock};
    use crate::steps::testing::Harness;
    use serde_json::json;

    /// A bucket that takes ACLs, with public ACLs allowed.
    async fn bucket(h: &Harness) {
        h.apply(
            "s3.create_bucket",
            json!({"bucket": "gameday-t-b", "object_ownership": "BucketOwnerPreferred"}),
        )
        .await
        .expect("bucket");
        h.apply(
            "s3.put_public_access_block",
            json!({"bucket": "gameday-t-b", "block_public_acls": false, "ignore_public_acls": false}),
        )
        .await
        .expect("acls allowed");
    }

    #[tokio::test]
    async fn grants_every_aws_user_and_reverts_to_the_recorded_acl() {
        let h = Harness::new();
        bucket(&h).await;
        let s3 = h.sandbox.s3();
        let before = s3.get_bucket_acl("gameday-t-b").await.expect("acl");
        let applied = h
            .apply(
                "s3.put_bucket_acl",
                json!({"bucket": "gameday-t-b", "acl": "authenticated-read"}),
            )
            .await
            .expect("applies");
        assert_eq!(
            s3.get_bucket_acl("gameday-t-b")
                .await
                .expect("acl")
                .public_groups(),
            vec![AUTHENTICATED_USERS]
        );
        assert_eq!(applied.undo[0].action, "s3.put_bucket_acl");
        h.revert(&applied).await.expect("reverts");
        assert_eq!(s3.get_bucket_acl("gameday-t-b").await.expect("acl"), before);
        let same = h
            .apply(
                "s3.put_bucket_acl",
                json!({"bucket": "gameday-t-b", "acl": "private"}),
            )
            .await
            .expect("applies");
        assert!(same.undo.is_empty(), "nothing changed");
    }

    #[tokio::test]
    async fn a_revert_does_not_reopen_what_a_responder_closed() {
        let h = Harness::new();
        bucket(&h).await;
        let attack = h
            .apply(
                "s3.put_bucket_acl",
                json!({"bucket": "gameday-t-b", "acl": "authenticated-read"}),
            )
            .await
            .expect("attack");
        let block = h
            .apply(
                "s3.put_public_access_block",
                json!({"bucket": "gameday-t-b"}),
            )
            .await
            .expect("responder blocks");
        let private = h
            .apply(
                "s3.put_bucket_acl",
                json!({"bucket": "gameday-t-b", "acl": "private"}),
            )
            .await
            .expect("responder makes it private");
        for applied in [&private, &block, &attack] {
            h.revert(applied).await.expect("reverts");
        }
        let acl = h
            .sandbox
            .s3()
            .get_bucket_acl("gameday-t-b")
            .await
            .expect("acl");
        assert!(acl.public_groups().is_empty(), "{acl:?}");
    }

    #[tokio::test]
    async fn refused_with_acls_disabled_or_public_acls_blocked() {
        let h = Harness::new();
        h.apply("s3.create_bucket", json!({"bucket": "gameday-t-b"}))
            .await
            .expect("bucket");
        let public = json!({"bucket": "gameday-t-b", "acl": "public-read"});
        let err = h
            .apply("s3.put_bucket_acl", public.clone())
            .await
            .expect_err("acls disabled");
        assert_eq!(err.kind, ErrorKind::Conflict);
        h.sandbox
            .s3()
            .put_bucket_ownership("gameday-t-b", ObjectOwnership::ObjectWriter)
            .await
            .expect("acls enabled");
        let err = h
            .apply("s3.put_bucket_acl", public.clone())
            .await
            .expect_err("BlockPublicAcls");
        assert_eq!(err.kind, ErrorKind::AccessDenied);
        h.sandbox
            .s3()
            .put_public_access_block(
                "gameday-t-b",
                &PublicAccessBlock {
                    block_public_acls: false,
                    ignore_public_acls: true,
                    block_public_policy: true,
                    restrict_public_buckets: true,
                },
            )
            .await
            .expect("unblocked");
        h.apply("s3.put_bucket_acl", public)
            .await
            .expect("now it takes");
    }

    #[tokio::test]
    async fn one_of_a_canned_acl_or_a_whole_one() {
        let h = Harness::new();
        bucket(&h).await;
        for with in [
            json!({"bucket": "gameday-t-b"}),
            json!({"bucket": "gameday-t-b", "acl": "everyone"}),
            json!({"bucket": "gameday-t-b", "acl": "private", "access_control_policy": {"owner_id": "x", "grants": []}}),
        ] {
            let err = h
                .apply("s3.put_bucket_acl", with)
                .await
                .expect_err("refused");
            assert_eq!(err.kind, ErrorKind::InvalidInput, "{err}");
        }
    }
}
