//! `api.call_as`: API calls made with a step's credentials, as the attacker.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{ATTACKER_OBJECT_CALLS, ObjectRef, SandboxError};
use async_trait::async_trait;
use serde_json::json;

pub struct ApiCallAs;

static SPEC: StepSpec = StepSpec {
    name: "api.call_as",
    summary: "Make API calls with an access key and a chosen user agent (the attacker's activity).",
    docs: "Makes each call in `calls` (read-only `service.operation` names such as \
           iam.list_users, ec2.describe_instances or s3.list_buckets, and the S3 object \
           calls s3.list_objects, s3.get_object, s3.get_object_acl and s3.put_object on \
           `bucket` and `key`; validation refuses any other) once, in order, signed with the \
           credentials of an iam.create_access_key step (`${steps.ID}`) and sent with \
           `user_agent`. GuardDuty reads the user agent (a Kali Linux one gives \
           PenTest:IAMUser/KaliLinux) and the source IP the calls come from. A call the key's \
           permissions refuse is counted as denied, not a failure: denied calls are what a \
           denied-call alarm counts. A key that is inactive, deleted or wrong fails the step, \
           and a new key can take some seconds before AWS accepts it. The object calls are \
           S3 data events, which GuardDuty reads with S3 Protection on (PenTest:S3/…, \
           Discovery:S3/… and UnauthorizedAccess:S3/… findings). s3.put_object is the one \
           write: a line of text under `key` in a bucket the run created, which the step's \
           revert deletes; the other calls record nothing to revert.",
    inputs: &[
        Field {
            name: "credentials",
            ty: FieldType::Credentials,
            required: true,
            doc: "`${steps.ID}` of an iam.create_access_key step.",
        },
        Field {
            name: "user_agent",
            ty: FieldType::String,
            required: true,
            doc: "The User-Agent header of every call.",
        },
        Field {
            name: "calls",
            ty: FieldType::Calls,
            required: true,
            doc: "The calls, as service.operation: sts.get_caller_identity, iam.list_users, \
                  iam.list_roles, ec2.describe_instances, s3.list_buckets, \
                  guardduty.list_detectors, s3.list_objects, s3.get_object, \
                  s3.get_object_acl or s3.put_object.",
        },
        Field {
            name: "bucket",
            ty: FieldType::String,
            required: false,
            doc: "The bucket the S3 object calls act on: one the run created.",
        },
        Field {
            name: "key",
            ty: FieldType::String,
            required: false,
            doc: "The object key of s3.get_object, s3.get_object_acl and s3.put_object \
                  (s3.list_objects lists the bucket).",
        },
    ],
    outputs: &[
        OutputSpec {
            name: "calls_made",
            doc: "How many calls succeeded.",
            secret: false,
        },
        OutputSpec {
            name: "calls_denied",
            doc: "How many were refused with AccessDenied.",
            secret: false,
        },
    ],
    calls: &["each of `calls`, signed with `credentials`"],
    revert: "s3.delete_objects (after s3.put_object)",
    creates: None,
};

#[async_trait]
impl StepKind for ApiCallAs {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let credentials = args.credentials("credentials")?;
        let user_agent = args.str("user_agent")?;
        let calls = args.list("calls")?;
        if calls.is_empty() {
            return Err(args.bad("input `calls` must name at least one call".to_owned()));
        }
        let object = object(args, &calls)?;
        let done = cx
            .sandbox
            .actor()
            .call_as_on(&credentials, user_agent, &calls, object.as_ref())
            .await?;
        let mut applied = Applied::default()
            .output("calls_made", done.made)
            .output("calls_denied", done.denied);
        if let Some(o) = object.filter(|_| calls.iter().any(|c| c == "s3.put_object")) {
            applied = applied.undo(Undo::new(
                "s3.delete_objects",
                json!({ "bucket": o.bucket, "prefix": o.key }),
                format!(
                    "object {} the attacker wrote into bucket {}",
                    o.key, o.bucket
                ),
            ));
        }
        Ok(applied)
    }
}

/// The object the S3 object calls among `calls` act on: `bucket` is needed for any, and
/// `key` for all but s3.list_objects.
fn object(args: &Args, calls: &[String]) -> Result<Option<ObjectRef>, SandboxError> {
    let on_objects: Vec<&String> = calls
        .iter()
        .filter(|c| ATTACKER_OBJECT_CALLS.contains(&c.as_str()))
        .collect();
    let Some(first) = on_objects.first() else {
        return Ok(None);
    };
    let bucket = args.str_or("bucket", "")?.to_owned();
    if bucket.is_empty() {
        return Err(args.bad(format!("`{first}` needs input `bucket`")));
    }
    let key = args.str_or("key", "")?.to_owned();
    if let Some(c) = on_objects.iter().find(|c| **c != "s3.list_objects")
        && key.is_empty()
    {
        return Err(args.bad(format!("`{c}` needs input `key`")));
    }
    Ok(Some(ObjectRef { bucket, key }))
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::Applied;
    use crate::steps::testing::Harness;
    use serde_json::{Value, json};

    const KALI: &str =
        "aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2023 prompt/off";

    async fn key(h: &Harness, policy_arn: Option<&str>) -> Applied {
        h.apply("iam.create_user", json!({"user_name": "victim"}))
            .await
            .expect("user");
        if let Some(arn) = policy_arn {
            h.sandbox
                .iam()
                .attach_user_policy("victim", arn)
                .await
                .expect("policy");
        }
        h.apply("iam.create_access_key", json!({"user_name": "victim"}))
            .await
            .expect("key")
    }

    async fn call_as(
        h: &Harness,
        key: &Applied,
        calls: Value,
    ) -> Result<Applied, crate::sandbox::SandboxError> {
        let with = json!({"credentials": Value::Object(key.outputs.clone()), "user_agent": KALI, "calls": calls});
        h.apply_with_secrets("api.call_as", with, key.secrets.clone())
            .await
    }

    #[tokio::test]
    async fn calls_with_read_only_access_succeed() {
        let h = Harness::new();
        let key = key(&h, Some("arn:aws:iam::aws:policy/ReadOnlyAccess")).await;
        let applied = call_as(
            &h,
            &key,
            json!([
                "iam.list_users",
                "ec2.describe_instances",
                "s3.list_buckets"
            ]),
        )
        .await
        .expect("applies");
        assert_eq!(applied.outputs["calls_made"], 3);
        assert_eq!(applied.outputs["calls_denied"], 0);
        assert!(applied.undo.is_empty());
    }

    #[tokio::test]
    async fn an_object_write_is_reverted_and_object_calls_need_their_object() {
        let h = Harness::new();
        let key = key(&h, Some("arn:aws:iam::aws:policy/AmazonS3FullAccess")).await;
        h.apply("s3.create_bucket", json!({"bucket": "gameday-t-up"}))
            .await
            .expect("bucket");
        let base = json!({"credentials": Value::Object(key.outputs.clone()), "user_agent": KALI});
        let with = |extra: Value| {
            let mut w = base.clone();
            if let (Some(w), Some(e)) = (w.as_object_mut(), extra.as_object()) {
                w.extend(e.clone());
            }
            w
        };
        let err = h
            .apply_with_secrets(
                "api.call_as",
                with(json!({"calls": ["s3.list_objects"]})),
                key.secrets.clone(),
            )
            .await
            .expect_err("no bucket");
        assert!(err.message.contains("`bucket`"), "{err}");
        let err = h
            .apply_with_secrets(
                "api.call_as",
                with(json!({"calls": ["s3.put_object"], "bucket": "gameday-t-up"})),
                key.secrets.clone(),
            )
            .await
            .expect_err("no key");
        assert!(err.message.contains("`key`"), "{err}");
        let applied = h
            .apply_with_secrets(
                "api.call_as",
                with(json!({"calls": ["s3.list_objects", "s3.put_object"],
                            "bucket": "gameday-t-up", "key": "gameday-t/note.txt"})),
                key.secrets.clone(),
            )
            .await
            .expect("applies");
        assert_eq!(applied.outputs["calls_made"], 2);
        let s3 = h.sandbox.s3();
        assert_eq!(
            s3.list_objects("gameday-t-up", "").await.expect("list"),
            ["gameday-t/note.txt"]
        );
        assert_eq!(applied.undo[0].action, "s3.delete_objects");
        h.revert(&applied).await.expect("reverts");
        assert!(
            s3.list_objects("gameday-t-up", "")
                .await
                .expect("list")
                .is_empty()
        );
    }

    #[tokio::test]
    async fn calls_without_permissions_are_counted_as_denied() {
        let h = Harness::new();
        let key = key(&h, None).await;
        let applied = call_as(&h, &key, json!(["iam.list_users", "s3.list_buckets"]))
            .await
            .expect("applies");
        assert_eq!(applied.outputs["calls_made"], 0);
        assert_eq!(applied.outputs["calls_denied"], 2);
    }

    #[tokio::test]
    async fn the_secret_must_come_with_the_credentials() {
        let h = Harness::new();
        let key = key(&h, None).await;
        let with = json!({"credentials": Value::Object(key.outputs.clone()), "user_agent": KALI, "calls": ["iam.list_users"]});
        let err = h.apply("api.call_as", with).await.expect_err("no secret");
        assert_eq!(err.kind, ErrorKind::InvalidInput);
    }
}
