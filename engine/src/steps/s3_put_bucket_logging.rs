//! `s3.put_bucket_logging`: turn a bucket's server access logging on.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::ownership::Owner;
use crate::sandbox::{BucketLogging, Resource, ResourceKind, SandboxError};
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct S3PutBucketLogging;

static SPEC: StepSpec = StepSpec {
    name: "s3.put_bucket_logging",
    summary: "Turn a bucket's server access logging on, into a target bucket and prefix.",
    docs: "Reads the bucket's logging configuration, then sends its access logs to \
           `target_bucket` under `target_prefix`. The target must let the logging service \
           write: a bucket policy allowing `logging.s3.amazonaws.com` s3:PutObject on the \
           prefix (the way AWS documents for buckets with ACLs disabled), or the LogDelivery \
           group's grants. S3 delivers access logs best effort, usually within a few hours. \
           Clean-up puts back the configuration it read (logging off if there was none) and, \
           when the target bucket is the run's own, deletes the log objects under the prefix \
           so that the bucket can go.",
    inputs: &[
        Field {
            name: "bucket",
            ty: FieldType::String,
            required: true,
            doc: "The bucket whose access is logged.",
        },
        Field {
            name: "target_bucket",
            ty: FieldType::String,
            required: true,
            doc: "The bucket the logs go to (same account and region).",
        },
        Field {
            name: "target_prefix",
            ty: FieldType::String,
            required: false,
            doc: "The key prefix of the log objects; default none.",
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
    calls: &["s3:GetBucketLogging", "s3:PutBucketLogging"],
    revert: "s3.put_bucket_logging with the configuration read before, or \
             s3.delete_bucket_logging if logging was off; s3.delete_objects of the log \
             prefix in a target bucket the run owns",
    creates: None,
};

/// A recorded logging configuration (null: logging off).
pub(super) fn recorded(args: &Args, name: &str) -> Result<Option<BucketLogging>, SandboxError> {
    match args.values().get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => serde_json::from_value(v.clone()).map(Some).map_err(|e| {
            args.bad(format!(
                "input `{name}` is not a logging configuration: {e}"
            ))
        }),
    }
}

/// Whether the bucket's logging is still what a change left (`left`, which a revert must
/// carry), or back to `target` already.
pub(super) async fn logging_restorable(
    cx: &StepContext<'_>,
    args: &Args,
    target: Option<BucketLogging>,
) -> Result<super::Restorable, SandboxError> {
    if args.values().get("left").is_none() {
        return Ok(super::Restorable::ChangedSince(
            "the logging configuration the run left was not recorded".to_owned(),
        ));
    }
    let left = recorded(args, "left")?;
    let now = cx.sandbox.s3().bucket_logging(args.str("bucket")?).await?;
    Ok(if now == left {
        super::Restorable::AsLeft
    } else if now == target {
        super::Restorable::AlreadyRestored
    } else {
        super::Restorable::ChangedSince(
            "the bucket's access logging is neither what the run left nor what it found".to_owned(),
        )
    })
}

/// The revert of a change from `previous` to `now` on `bucket`'s logging.
pub(super) fn logging_undo(
    bucket: &str,
    previous: Option<&BucketLogging>,
    now: Option<&BucketLogging>,
) -> Undo {
    let resource = format!("server access logging of bucket {bucket}");
    match previous {
        None => Undo::new(
            "s3.delete_bucket_logging",
            json!({ "bucket": bucket, "left": now }),
            resource,
        ),
        Some(p) => Undo::new(
            "s3.put_bucket_logging",
            json!({
                "bucket": bucket,
                "target_bucket": p.target_bucket,
                "target_prefix": p.target_prefix,
                "left": now,
            }),
            resource,
        ),
    }
}

#[async_trait]
impl StepKind for S3PutBucketLogging {
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
        let target = BucketLogging {
            target_bucket: args.str("target_bucket")?.to_owned(),
            target_prefix: args.str_or("target_prefix", "")?.to_owned(),
        };
        logging_restorable(cx, args, Some(target)).await
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let bucket = args.str("bucket")?;
        let logging = BucketLogging {
            target_bucket: args.str("target_bucket")?.to_owned(),
            target_prefix: args.str_or("target_prefix", "")?.to_owned(),
        };
        let s3 = cx.sandbox.s3();
        let previous = s3.bucket_logging(bucket).await?;
        if previous.as_ref() == Some(&logging) {
            return Ok(Applied::default());
        }
        s3.put_bucket_logging(bucket, Some(&logging)).await?;
        let mut applied = Applied::default();
        let target = Resource::new(ResourceKind::Bucket, &logging.target_bucket);
        // The logs are the run's to delete only in a bucket the run owns, and only under a
        // prefix (never a whole bucket).
        if !logging.target_prefix.is_empty()
            && crate::ownership::owner(cx.sandbox, &target, cx.run_id).await? == Owner::Run
        {
            applied = applied.undo(Undo::new(
                "s3.delete_objects",
                json!({ "bucket": logging.target_bucket, "prefix": logging.target_prefix }),
                format!(
                    "access logs of bucket {bucket} in bucket {}",
                    logging.target_bucket
                ),
            ));
        }
        Ok(applied.undo(logging_undo(bucket, previous.as_ref(), Some(&logging))))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::{BucketLogging, ErrorKind};
    use crate::steps::testing::Harness;
    use serde_json::json;

    /// A bucket to log and a bucket of the run's that takes its logs.
    async fn buckets(h: &Harness) {
        for b in ["gameday-t-data", "gameday-t-logs"] {
            h.apply("s3.create_bucket", json!({"bucket": b}))
                .await
                .expect("bucket");
        }
        let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::gameday-t-logs/*"}]});
        h.apply(
            "s3.put_bucket_policy",
            json!({"bucket": "gameday-t-logs", "policy": policy}),
        )
        .await
        .expect("logging may write");
    }

    #[tokio::test]
    async fn turns_logging_on_and_reverts_to_off_with_the_logs() {
        let h = Harness::new();
        buckets(&h).await;
        let applied = h
            .apply(
                "s3.put_bucket_logging",
                json!({"bucket": "gameday-t-data", "target_bucket": "gameday-t-logs",
                       "target_prefix": "gameday-t-access/"}),
            )
            .await
            .expect("applies");
        let s3 = h.sandbox.s3();
        assert_eq!(
            s3.bucket_logging("gameday-t-data").await.expect("get"),
            Some(BucketLogging {
                target_bucket: "gameday-t-logs".into(),
                target_prefix: "gameday-t-access/".into()
            })
        );
        let actions: Vec<&str> = applied.undo.iter().map(|u| u.action.as_str()).collect();
        assert_eq!(actions, ["s3.delete_objects", "s3.delete_bucket_logging"]);
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            s3.bucket_logging("gameday-t-data").await.expect("get"),
            None
        );
    }

    #[tokio::test]
    async fn refused_into_a_bucket_that_does_not_take_logs() {
        let h = Harness::new();
        for b in ["gameday-t-data", "gameday-t-logs"] {
            h.apply("s3.create_bucket", json!({"bucket": b}))
                .await
                .expect("bucket");
        }
        let err = h
            .apply(
                "s3.put_bucket_logging",
                json!({"bucket": "gameday-t-data", "target_bucket": "gameday-t-logs"}),
            )
            .await
            .expect_err("refused");
        assert_eq!(err.kind, ErrorKind::InvalidInput);
    }
}
