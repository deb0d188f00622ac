//! `s3.put_account_public_access_block`: the account's Block Public Access settings.

use super::s3_put_public_access_block::block_inputs;
use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, Undo};
use crate::sandbox::{PublicAccessBlock, SandboxError};
use async_trait::async_trait;
use serde_json::{Value, json};

pub struct S3PutAccountPublicAccessBlock;

static SPEC: StepSpec = StepSpec {
    name: "s3.put_account_public_access_block",
    summary: "Set the account's S3 Block Public Access settings (all four on by default).",
    docs: "S3 Control PutPublicAccessBlock for the whole account: the settings apply to every \
           bucket of the account, in every region, on top of each bucket's own, so turning \
           them on is the account-wide containment of public buckets; turning any off affects \
           every bucket, not only the run's. Reads the settings first; clean-up puts them back \
           exactly (deletes the configuration if the account had none), and only while the \
           account still has what the run left. Changes can take a few minutes to apply \
           everywhere.",
    inputs: &[
        Field {
            name: "block_public_acls",
            ty: FieldType::Bool,
            required: false,
            doc: "Refuse requests that set public ACLs; default true.",
        },
        Field {
            name: "ignore_public_acls",
            ty: FieldType::Bool,
            required: false,
            doc: "Ignore public ACLs; default true.",
        },
        Field {
            name: "block_public_policy",
            ty: FieldType::Bool,
            required: false,
            doc: "Refuse public bucket policies; default true.",
        },
        Field {
            name: "restrict_public_buckets",
            ty: FieldType::Bool,
            required: false,
            doc: "Restrict buckets with public policies to their own account and AWS services; default true.",
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
    calls: &[
        "s3:GetAccountPublicAccessBlock",
        "s3:PutAccountPublicAccessBlock",
    ],
    revert: "s3.put_account_public_access_block with the previous settings, or \
             s3.delete_account_public_access_block if the account had none",
    creates: None,
};

/// The four settings of `args` (each on unless given).
fn block_of(args: &Args) -> Result<PublicAccessBlock, SandboxError> {
    Ok(PublicAccessBlock {
        block_public_acls: args.bool_or("block_public_acls", true)?,
        ignore_public_acls: args.bool_or("ignore_public_acls", true)?,
        block_public_policy: args.bool_or("block_public_policy", true)?,
        restrict_public_buckets: args.bool_or("restrict_public_buckets", true)?,
    })
}

/// Whether the account's settings are still what a change left (`left`; null for none), or
/// back to `target` already.
pub(super) async fn account_restorable(
    cx: &StepContext<'_>,
    args: &Args,
    target: Option<PublicAccessBlock>,
) -> Result<super::Restorable, SandboxError> {
    let Some(left) = args.values().get("left") else {
        return Ok(super::Restorable::ChangedSince(
            "the settings the run left were not recorded".to_owned(),
        ));
    };
    let left: Option<PublicAccessBlock> = serde_json::from_value(left.clone())
        .map_err(|e| args.bad(format!("input `left` is not a public access block: {e}")))?;
    let now = cx.sandbox.s3().account_public_access_block().await?;
    Ok(if now == left {
        super::Restorable::AsLeft
    } else if now == target {
        super::Restorable::AlreadyRestored
    } else {
        super::Restorable::ChangedSince(
            "the account's Block Public Access settings are neither those the run left nor \
             those it found"
                .to_owned(),
        )
    })
}

/// The revert of a change of the account's settings from `previous` to `left`.
pub(super) fn account_undo(
    previous: Option<&PublicAccessBlock>,
    left: Option<&PublicAccessBlock>,
) -> Undo {
    const RESOURCE: &str = "account s3 block public access";
    match previous {
        None => Undo::new(
            "s3.delete_account_public_access_block",
            json!({ "left": left }),
            RESOURCE,
        ),
        Some(p) => {
            let mut with = block_inputs("", p, left);
            if let Value::Object(m) = &mut with {
                m.remove("bucket");
            }
            Undo::new("s3.put_account_public_access_block", with, RESOURCE)
        }
    }
}

#[async_trait]
impl StepKind for S3PutAccountPublicAccessBlock {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, _args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Restores(None))
    }

    async fn restorable(
        &self,
        cx: &StepContext<'_>,
        args: &Args,
    ) -> Result<super::Restorable, SandboxError> {
        account_restorable(cx, args, Some(block_of(args)?)).await
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let block = block_of(args)?;
        let s3 = cx.sandbox.s3();
        let previous = s3.account_public_access_block().await?;
        if previous == Some(block) {
            return Ok(Applied::default());
        }
        s3.put_account_public_access_block(&block).await?;
        Ok(Applied::default().undo(account_undo(previous.as_ref(), Some(&block))))
    }
}

#[cfg(test)]
mod tests {
    use crate::sandbox::PublicAccessBlock;
    use crate::steps::testing::Harness;
    use serde_json::json;

    const ALL: PublicAccessBlock = PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };

    #[tokio::test]
    async fn an_account_without_settings_gets_them_and_loses_them_again() {
        let h = Harness::new();
        let s3 = h.sandbox.s3();
        let applied = h
            .apply("s3.put_account_public_access_block", json!({}))
            .await
            .expect("applies");
        assert_eq!(
            s3.account_public_access_block().await.expect("get"),
            Some(ALL)
        );
        assert_eq!(
            applied.undo[0].action,
            "s3.delete_account_public_access_block"
        );
        h.revert(&applied).await.expect("reverts");
        assert_eq!(s3.account_public_access_block().await.expect("get"), None);
    }

    #[tokio::test]
    async fn reverts_to_the_previous_settings_exactly() {
        let h = Harness::new();
        let s3 = h.sandbox.s3();
        let partial = PublicAccessBlock {
            block_public_policy: false,
            ..ALL
        };
        s3.put_account_public_access_block(&partial)
            .await
            .expect("partial");
        let applied = h
            .apply("s3.put_account_public_access_block", json!({}))
            .await
            .expect("applies");
        assert_eq!(
            s3.account_public_access_block().await.expect("get"),
            Some(ALL)
        );
        h.revert(&applied).await.expect("reverts");
        assert_eq!(
            s3.account_public_access_block().await.expect("get"),
            Some(partial)
        );
        let same = h
            .apply(
                "s3.put_account_public_access_block",
                json!({"block_public_policy": false}),
            )
            .await
            .expect("applies");
        assert!(same.undo.is_empty(), "nothing changed");
    }
}
