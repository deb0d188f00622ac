//! `ec2.terminate_instance`: an instance, for good.

use super::{Applied, Args, Field, FieldType, StepContext, StepKind, StepSpec, gone_is_fine};
use crate::sandbox::SandboxError;
use async_trait::async_trait;

pub struct Ec2TerminateInstance;

static SPEC: StepSpec = StepSpec {
    name: "ec2.terminate_instance",
    summary: "Terminate an instance.",
    docs: "Terminates the instance for good: its memory and instance store are lost, and a \
           root volume marked delete-on-termination (as ec2.run_instance's is) is deleted. In \
           a response, isolate the instance and snapshot its volumes before anything like \
           this. An instance that does not exist counts as terminated.",
    inputs: &[Field {
        name: "instance_id",
        ty: FieldType::String,
        required: true,
        doc: "The instance id.",
    }],
    outputs: &[],
    calls: &["ec2:TerminateInstances"],
    revert: "none",
    creates: None,
};

#[async_trait]
impl StepKind for Ec2TerminateInstance {
    fn spec(&self) -> &'static StepSpec {
        &SPEC
    }

    fn guard(&self, args: &Args) -> Result<super::Guard, SandboxError> {
        Ok(super::Guard::Deletes(args.resource(
            crate::sandbox::ResourceKind::Instance,
            "instance_id",
        )?))
    }

    async fn apply(&self, cx: &StepContext<'_>, args: &Args) -> Result<Applied, SandboxError> {
        let id = args.str("instance_id")?;
        gone_is_fine(cx.sandbox.ec2().terminate_instance(id).await)?;
        Ok(Applied::default())
    }
}

#[cfg(test)]
mod tests {
    use crate::steps::testing::Harness;
    use serde_json::json;

    #[tokio::test]
    async fn terminates_and_a_second_time_is_fine() {
        let h = Harness::new();
        let ec2 = h.sandbox.ec2();
        let sg = ec2
            .create_security_group("g", "g", &h.tags)
            .await
            .expect("sg");
        let instance = ec2
            .run_instance(
                "n",
                "resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
                "t3.micro",
                std::slice::from_ref(&sg),
                &h.tags,
            )
            .await
            .expect("run");
        let with = json!({"instance_id": instance.instance_id});
        let applied = h
            .apply("ec2.terminate_instance", with.clone())
            .await
            .expect("terminates");
        assert!(applied.undo.is_empty());
        assert!(
            ec2.set_instance_groups(&instance.instance_id, &[sg])
                .await
                .is_err(),
            "instance terminated"
        );
        h.apply("ec2.terminate_instance", with)
            .await
            .expect("again is fine");
        h.apply(
            "ec2.terminate_instance",
            json!({"instance_id": "i-0123456789abcdef0"}),
        )
        .await
        .expect("missing is fine");
    }
}
