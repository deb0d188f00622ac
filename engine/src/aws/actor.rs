//! Calls made as the simulated attacker on AWS: with the key a scenario created and the
//! user agent the scenario chose (a pen-test distribution's, say), so GuardDuty sees what
//! it would see from a real intruder, and nothing more than read calls are made, but for
//! one small object written where the run says (which the run deletes again).

use super::{sandbox_error, sdk_config_as};
use crate::config::Target;
use crate::sandbox::{
    Actor, CallsAs, Credentials, ErrorKind, ObjectRef, Result, SandboxError,
    object_call_without_object,
};
use async_trait::async_trait;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// The calls the attacker can make: read-only reconnaissance.
pub use crate::sandbox::ATTACKER_CALLS as CALLS;

/// Replaces the SDK's user agent with the attacker's.
#[derive(Debug, Clone)]
struct UserAgent(String);

impl Intercept for UserAgent {
    fn name(&self) -> &'static str {
        "gameday-attacker-user-agent"
    }

    // Before signing: the SDK signs x-amz-user-agent, so it must be changed first.
    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> std::result::Result<(), BoxError> {
        let headers = context.request_mut().headers_mut();
        headers.insert("user-agent", self.0.clone());
        headers.insert("x-amz-user-agent", self.0.clone());
        Ok(())
    }
}

/// The attacker of one target and region.
#[derive(Debug, Clone)]
pub struct AwsActor {
    target: Target,
    region: String,
    run_id: Option<String>,
}

impl AwsActor {
    /// The attacker in `region` of `target`, for run `run_id`.
    pub fn new(target: &Target, region: &str, run_id: Option<&str>) -> Self {
        AwsActor {
            target: target.clone(),
            region: region.to_owned(),
            run_id: run_id.map(str::to_owned),
        }
    }
}

/// Codes that say the key itself is no good (deactivated, deleted, wrong secret): the
/// attack cannot go on, unlike a call its policy refuses.
const BAD_KEY: &[&str] = &[
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "InvalidAccessKeyId",
    "AuthFailure",
];

/// Whether an error means the call was refused by a policy (as opposed to failing).
fn refused(e: &SandboxError) -> bool {
    e.kind == ErrorKind::AccessDenied && !BAD_KEY.iter().any(|c| e.message.starts_with(c))
}

/// One of the attacker's calls on `o` (an S3 data event). What a read returns is
/// dropped unread; a write puts a few bytes saying which run wrote them.
async fn object_call(
    s3: &aws_sdk_s3::Client,
    call: &str,
    o: &ObjectRef,
    ua: &UserAgent,
    run_id: Option<&str>,
) -> Result<()> {
    match call {
        "s3.list_objects" => s3
            .list_objects_v2()
            .bucket(&o.bucket)
            .max_keys(100)
            .customize()
            .interceptor(ua.clone())
            .send()
            .await
            .map(drop)
            .map_err(|e| sandbox_error("s3:ListObjects", e)),
        "s3.get_object" => s3
            .get_object()
            .bucket(&o.bucket)
            .key(&o.key)
            .customize()
            .interceptor(ua.clone())
            .send()
            .await
            .map(drop)
            .map_err(|e| sandbox_error("s3:GetObject", e)),
        "s3.get_object_acl" => s3
            .get_object_acl()
            .bucket(&o.bucket)
            .key(&o.key)
            .customize()
            .interceptor(ua.clone())
            .send()
            .await
            .map(drop)
            .map_err(|e| sandbox_error("s3:GetObjectAcl", e)),
        _ => {
            let body = format!(
                "written by gameday's simulated attacker (run {}); the run deletes it\n",
                run_id.unwrap_or("unknown")
            );
            s3.put_object()
                .bucket(&o.bucket)
                .key(&o.key)
                .body(body.into_bytes().into())
                .customize()
                .interceptor(ua.clone())
                .send()
                .await
                .map(drop)
                .map_err(|e| sandbox_error("s3:PutObject", e))
        }
    }
}

#[async_trait]
impl Actor for AwsActor {
    async fn call_as_on(
        &self,
        credentials: &Credentials,
        user_agent: &str,
        calls: &[String],
        object: Option<&ObjectRef>,
    ) -> Result<CallsAs> {
        const OP: &str = "api:CallAs";
        if let Some(bad) = calls.iter().find(|c| !CALLS.contains(&c.as_str())) {
            return Err(SandboxError::new(
                ErrorKind::InvalidInput,
                OP,
                format!(
                    "`{bad}` is not a call the attacker can make on AWS: one of {}",
                    CALLS.join(", ")
                ),
            ));
        }
        if let Some(call) = object_call_without_object(calls, object) {
            return Err(SandboxError::new(
                ErrorKind::InvalidInput,
                OP,
                format!("`{call}` needs the bucket (and key) it acts on"),
            ));
        }
        let config = sdk_config_as(
            &self.target,
            &self.region,
            self.run_id.as_deref(),
            &credentials.access_key_id,
            credentials.secret_access_key.expose(),
        )
        .await;
        let ua = UserAgent(user_agent.to_owned());
        let path_style = self.target.endpoint_url.is_some();
        let s3 = |config: &aws_config::SdkConfig| {
            aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(config)
                    .force_path_style(path_style)
                    .build(),
            )
        };
        let mut result = CallsAs::default();
        for call in calls {
            let outcome = match call.as_str() {
                "sts.get_caller_identity" => aws_sdk_sts::Client::new(&config)
                    .get_caller_identity()
                    .customize()
                    .interceptor(ua.clone())
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| sandbox_error("sts:GetCallerIdentity", e)),
                "iam.list_users" => aws_sdk_iam::Client::new(&config)
                    .list_users()
                    .customize()
                    .interceptor(ua.clone())
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| sandbox_error("iam:ListUsers", e)),
                "iam.list_roles" => aws_sdk_iam::Client::new(&config)
                    .list_roles()
                    .customize()
                    .interceptor(ua.clone())
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| sandbox_error("iam:ListRoles", e)),
                "ec2.describe_instances" => aws_sdk_ec2::Client::new(&config)
                    .describe_instances()
                    .customize()
                    .interceptor(ua.clone())
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| sandbox_error("ec2:DescribeInstances", e)),
                "s3.list_buckets" => s3(&config)
                    .list_buckets()
                    .customize()
                    .interceptor(ua.clone())
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| sandbox_error("s3:ListBuckets", e)),
                "s3.list_objects" | "s3.get_object" | "s3.get_object_acl" | "s3.put_object" => {
                    let Some(o) = object else { continue };
                    object_call(&s3(&config), call, o, &ua, self.run_id.as_deref()).await
                }
                _ => aws_sdk_guardduty::Client::new(&config)
                    .list_detectors()
                    .customize()
                    .interceptor(ua.clone())
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| sandbox_error("guardduty:ListDetectors", e)),
            };
            match outcome {
                Ok(()) => result.made += 1,
                Err(e) if refused(&e) => result.denied += 1,
                Err(e) => return Err(e),
            }
        }
        Ok(result)
    }

    async fn attacker_ip(&self) -> Result<String> {
        self.target.attacker_ip.clone().ok_or_else(|| {
            SandboxError::new(
                ErrorKind::InvalidInput,
                "api:AttackerIp",
                format!(
                    "target `{}` has no attacker_ip: set it to this machine's public address, \
                     as AWS sees it, for scenarios that put the attacker on a threat list",
                    self.target.name
                ),
            )
        })
    }
}
