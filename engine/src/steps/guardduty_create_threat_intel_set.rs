//! `guardduty.create_threat_intel_set`: a list of IPs GuardDuty treats as malicious.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
use serde_json::json;

pub struct GuarddutyCreateThreatIntelSet;

static SPEC: StepSpec = StepSpec {
    name: "guardduty.create_threat_intel_set",
    summary: "Create and activate a GuardDuty threat list (by default the attacker's IP).",
    docs: "GuardDuty reports calls from the listed IPs as \
           Recon:IAMUser/MaliciousIPCaller.Custom (list and describe calls), \
           UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom (other calls), and, for calls \
           on a bucket's objects, Discovery:S3/MaliciousIPCaller.Custom (such as ListObjects) \
           or UnauthorizedAccess:S3/MaliciousIPCaller.Custom (such as PutObject). Without \
           `ips` the list holds \
           the IP the attacker's calls (api.call_as) come from, as AWS will see it. A new list \
           takes some minutes to take effect and only calls made after that are matched: \
           wait before the attack. A detector can have at most six threat lists.",
    inputs: &[
        Field {
            name: "name",
            ty: FieldType::String,
            required: true,
            doc: "The threat list's name.",
        },
        Field {
            name: "ips",
            ty: FieldType::StringList,
            required: false,
            doc: "IPs or CIDR ranges; default the attacker's IP.",
        },
    ],
    outputs: &[OutputSpec {
        name: "threat_intel_set_id",
        doc: "The threat list's id.",
        secret: false,
    }],
    calls: &[
        "s3:CreateBucket",
        "s3:PutPublicAccessBlock",
        "s3:PutBucketTagging",
        "s3:PutObject",
        "guardduty:CreateThreatIntelSet",
    ],
    revert: "guardduty.delete_threat_intel_set",
    creates: Some(super::Creates {
        kind: crate::sandbox::ResourceKind::ThreatList,
        name: Some("name"),
    }),
};

#[async_trait]
impl StepKind for GuarddutyCreateThreatIntelSet {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let name = args.str("name")?;
        let mut ips = args.list("ips")?;
        if ips.is_empty() {
            ips = vec![cx.sandbox.actor().attacker_ip().await?];
        }
        let id = cx
            .sandbox
            .guardduty()
            .create_threat_intel_set(name, &ips, cx.tags)
            .await?;
        Ok(Applied::default()
            .output("threat_intel_set_id", id.clone())
            .undo(Undo::new(
                "guardduty.delete_threat_intel_set",
                json!({ "threat_intel_set_id": id }),
                format!("guardduty threat list {id} ({name})"),
            )))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::ErrorKind;
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn creates_a_list_and_reverts_by_deleting_it() {
        let h = Harness::new();
        let applied = h
            .apply(
                "guardduty.create_threat_intel_set",
                json!({"name": "l", "ips": ["198.51.100.7"]}),
            )
            .await
            .expect("applies");
        let id = applied.outputs["threat_intel_set_id"]
            .as_str()
            .expect("id")
            .to_owned();
        assert!(!id.is_empty());
        h.revert(&applied).await.expect("reverts");
        let err = h
            .sandbox
            .guardduty()
            .delete_threat_intel_set(&id)
            .await
            .expect_err("already deleted");
        assert_eq!(err.kind, ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn by_default_it_lists_the_attackers_ip() {
        let h = Harness::new();
        let since = h.clock.now();
        let applied = h
            .apply(
                "guardduty.create_threat_intel_set",
                json!({"name": "gameday-t-list"}),
            )
            .await
            .expect("applies");
        h.apply("iam.create_user", json!({"user_name": "victim"}))
            .await
            .expect("user");
        h.sandbox
            .iam()
            .attach_user_policy("victim", "arn:aws:iam::aws:policy/ReadOnlyAccess")
            .await
            .expect("policy");
        let key = h
            .apply("iam.create_access_key", json!({"user_name": "victim"}))
            .await
            .expect("key");
        let with = json!({
            "credentials": serde_json::Value::Object(key.outputs.clone()),
            "user_agent": "aws-cli/2.15.0",
            "calls": ["iam.list_users"],
        });
        h.apply_with_secrets("api.call_as", with, key.secrets.clone())
            .await
            .expect("calls");
        h.apply("wait", json!({"duration": "1h"}))
            .await
            .expect("waits");
        let kind = "Recon:IAMUser/MaliciousIPCaller.Custom".to_owned();
        let findings = h
            .sandbox
            .guardduty()
            .findings(&[kind], since)
            .await
            .expect("findings");
        let key_id = key.outputs["access_key_id"].as_str().expect("key id");
        assert!(
            findings
                .iter()
                .any(|f| f.resource.access_key_id.as_deref() == Some(key_id)),
            "{findings:?}"
        );
        assert_eq!(applied.undo[0].action, "guardduty.delete_threat_intel_set");
    }
}
