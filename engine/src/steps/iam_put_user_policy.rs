//! `iam.put_user_policy`: an inline policy on a user, such as a deny-all.

use super::{Applied, Args, Field, FieldType, OutputSpec, StepContext, StepKind, StepSpec};
use crate::sandbox::SandboxError;
use async_trait::async_trait;
pub struct IamPutUserPolicy;

static SPEC: StepSpec = StepSpec {
    name: "iam.put_user_policy",
    summary: "Add or replace an inline policy on a user.",
    docs: "The usual containment of a compromised user is an inline policy with Effect Deny, \
           Action \"*\" and Resource \"*\": an explicit deny overrides every allow and is \
           evaluated at every request, so it also stops session credentials obtained before \
           the user's keys were deactivated. It locks out the user's legitimate owner too. \
           An inline policy of the same name is replaced; clean-up puts the old document \
           back.",
    inputs: &[
        Field {
            name: "user_name",
            ty: FieldType::String,
            required: true,
            doc: "The user.",
        },
        Field {
            name: "policy_name",
            ty: FieldType::String,
            required: true,
            doc: "The inline policy's name.",
        },
        Field {
            name: "policy_document",
            ty: FieldType::Document,
            required: true,
            doc: "The policy document (a mapping, or its JSON text).",
        },
    ],
    outputs: &[OutputSpec {
        name: "policy_name",
        doc: "The inline policy's name.",
        secret: false,
    }],
    calls: &[
        "iam:ListUserPolicies",
        "iam:GetUserPolicy",
        "iam:PutUserPolicy",
    ],
    revert: "iam.delete_user_policy, or iam.put_user_policy with the old document if a policy of \
             that name existed",
    creates: None,
};

#[async_trait]
impl StepKind for IamPutUserPolicy {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Inside(args.resource(
            crate::sandbox::ResourceKind::User,
            "user_name",
        )?))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let user = args.str("user_name")?;
        let name = args.str("policy_name")?;
        let document = args.document("policy_document")?;
        let iam = cx.sandbox.iam();
        let old = iam.user_policies(user).await?.remove(name);
        iam.put_user_policy(user, name, &document).await?;
        let applied = Applied::default().output("policy_name", name);
        Ok(
            match super::inline_policy_undo(
                ("iam.put_user_policy", "iam.delete_user_policy"),
                ("user_name", user),
                name,
                old,
                &document,
            ) {
                Some(undo) => applied.undo(undo),
                None => applied,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use serde_json::{Value, json};

    fn deny_all() -> Value {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
    }

    async fn policy(h: &Harness, name: &str) -> Option<Value> {
        let policies = h.sandbox.iam().user_policies("u").await.expect("policies");
        policies
            .get(name)
            .map(|doc| serde_json::from_str(doc).expect("json document"))
    }

    #[tokio::test]
    async fn puts_a_deny_all_and_reverts_by_deleting_it() {
        let h = Harness::new();
        h.sandbox
            .iam()
            .create_user("u", &h.tags)
            .await
            .expect("user");
        let with =
            json!({"user_name": "u", "policy_name": "deny-all", "policy_document": deny_all()});
        let applied = h.apply("iam.put_user_policy", with).await.expect("applies");
        assert_eq!(applied.outputs["policy_name"], "deny-all");
        assert_eq!(policy(&h, "deny-all").await, Some(deny_all()));
        assert_eq!(applied.undo[0].action, "iam.delete_user_policy");
        h.revert(&applied).await.expect("reverts");
        assert_eq!(policy(&h, "deny-all").await, None);
    }

    #[tokio::test]
    async fn replacing_a_policy_reverts_to_the_old_document() {
        let h = Harness::new();
        let old = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]});
        h.sandbox
            .iam()
            .create_user("u", &h.tags)
            .await
            .expect("user");
        h.sandbox
            .iam()
            .put_user_policy("u", "p", &old.to_string())
            .await
            .expect("old policy");
        // The document as JSON text works as well as a mapping.
        let with = json!({"user_name": "u", "policy_name": "p", "policy_document": deny_all().to_string()});
        let applied = h.apply("iam.put_user_policy", with).await.expect("applies");
        assert_eq!(policy(&h, "p").await, Some(deny_all()));
        assert_eq!(applied.undo[0].action, "iam.put_user_policy");
        h.revert(&applied).await.expect("reverts");
        assert_eq!(policy(&h, "p").await, Some(old));
    }
}
