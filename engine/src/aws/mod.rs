//! AWS targets: one SDK configuration for every client, and the preflight that must pass
//! before anything touches an account: who the credentials are, whether that account is
//! allowed, how far the local clock is from AWS's, and whether a stop alarm is firing.

pub mod actor;
pub mod cloudtrail;
pub mod cloudwatch;
pub mod commands;
pub mod ec2;
pub mod guardduty;
pub mod iam;
pub mod kms;
pub mod logs;
pub mod push;
pub mod runs;
pub mod s3;
pub mod sandbox;
pub mod securityhub;
pub mod sweep;
mod vpc;

/// The SDK configuration every client is built from.
pub use aws_config::SdkConfig;

use crate::config::{RetryMode, Target, mask_userinfo};
use crate::sandbox::{ErrorKind, SandboxError};
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{AppName, BehaviorVersion, Region};
use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The SDK configuration of `target` in `region`: the standard credential chain (or the
/// target's profile), the target's role assumed with the run id in its session name,
/// retries with backoff on throttling and server errors, timeouts, the endpoint override
/// (the target's, or `AWS_ENDPOINT_URL`), and an app name carrying `gameday` and the run
/// id into every user agent, so CloudTrail and findings trace back to the run.
pub async fn sdk_config(target: &Target, region: &str, run_id: Option<&str>) -> SdkConfig {
    let app = match run_id {
        Some(id) => format!("gameday-{id}"),
        None => "gameday".to_owned(),
    };
    let retry = match target.retry_mode {
        RetryMode::Standard => RetryConfig::standard(),
        RetryMode::Adaptive => RetryConfig::adaptive(),
    }
    .with_max_attempts(target.max_attempts)
    .with_initial_backoff(Duration::from_millis(200))
    .with_max_backoff(Duration::from_secs(20));
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .retry_config(retry)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(30))
                .operation_timeout(Duration::from_secs(120))
                .build(),
        );
    // An invalid app name (it cannot be, from this format) falls back to the SDK's own.
    if let Ok(name) = AppName::new(app) {
        loader = loader.app_name(name);
    }
    if let Some(p) = &target.profile {
        loader = loader.profile_name(p);
    }
    if let Some(url) = &target.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let base = loader.load().await;
    let Some(role) = &target.assume_role else {
        return base;
    };
    let session = match run_id {
        Some(id) => format!("{}-{id}", role.session_name),
        None => role.session_name.clone(),
    };
    let mut provider = aws_config::sts::AssumeRoleProvider::builder(&role.arn)
        .session_name(session)
        .configure(&base);
    if let Some(x) = &role.external_id {
        provider = provider.external_id(x);
    }
    let provider = provider.build().await;
    base.into_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .build()
}

/// [`sdk_config`] for calls made as another principal with its own access key: the
/// simulated attacker using the key a scenario created, for instance. The target's
/// region, retries, timeouts, endpoint and user agent still apply; its profile and role do
/// not.
pub async fn sdk_config_as(
    target: &Target,
    region: &str,
    run_id: Option<&str>,
    access_key_id: &str,
    secret_access_key: &str,
) -> SdkConfig {
    let mut own = target.clone();
    own.assume_role = None;
    own.profile = None;
    let credentials = aws_credential_types::Credentials::new(
        access_key_id,
        secret_access_key,
        None,
        None,
        "gameday",
    );
    sdk_config(&own, region, run_id)
        .await
        .into_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(credentials),
        )
        .build()
}

/// `tags` as one SDK's tag type, made by `tag` (its builder, which fails only without a
/// key or value); a failure is `operation`'s invalid input.
pub(crate) fn sdk_tags<T, E: std::fmt::Display>(
    operation: &str,
    tags: &crate::sandbox::Tags,
    tag: impl Fn(&str, &str) -> std::result::Result<T, E>,
) -> crate::sandbox::Result<Vec<T>> {
    tags.iter()
        .map(|(k, v)| tag(k, v))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| SandboxError::new(ErrorKind::InvalidInput, operation, e.to_string()))
}

/// A time as the SDK takes it.
pub(crate) fn to_smithy(t: DateTime<Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_millis(t.timestamp_millis())
}

/// A time the SDK gives.
pub(crate) fn from_smithy(t: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// The kind of an AWS error code, as the simulator names it.
pub(crate) fn kind_of(code: Option<&str>) -> ErrorKind {
    let code = code.unwrap_or_default();
    // EC2's codes name the resource: InvalidGroup.NotFound, InvalidPermission.Duplicate…
    if code.ends_with(".NotFound") {
        return ErrorKind::NotFound;
    }
    if code.ends_with(".Duplicate") {
        return ErrorKind::AlreadyExists;
    }
    match code {
        "NoSuchEntity"
        | "NotFound"
        | "NoSuchBucket"
        | "NoSuchKey"
        | "NoSuchBucketPolicy"
        | "NoSuchPublicAccessBlockConfiguration"
        | "TrailNotFoundException"
        | "ResourceNotFoundException"
        | "AWS.SimpleQueueService.NonExistentQueue"
        | "QueueDoesNotExist"
        | "NoSuchTagSet"
        | "NotFoundException"
        | "OwnershipControlsNotFoundError"
        | "ResourceNotFound" => ErrorKind::NotFound,
        "EntityAlreadyExists"
        | "AlreadyExists"
        | "BucketAlreadyOwnedByYou"
        | "BucketAlreadyExists"
        | "TrailAlreadyExistsException"
        | "RouteAlreadyExists"
        | "NetworkAclEntryAlreadyExists" => ErrorKind::AlreadyExists,
        "DeleteConflict"
        | "LimitExceeded"
        | "ConcurrentModification"
        | "BucketNotEmpty"
        | "DependencyViolation"
        | "Resource.AlreadyAssociated"
        | "KMSInvalidStateException"
        | "AccessControlListNotSupported"
        | "Gateway.NotAttached" => ErrorKind::Conflict,
        "AccessDenied"
        | "AccessDeniedException"
        | "UnauthorizedOperation"
        | "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "UnrecognizedClientException"
        | "InvalidAccessKeyId"
        | "AuthFailure" => ErrorKind::AccessDenied,
        "ValidationError"
        | "MalformedPolicyDocument"
        | "InvalidInput"
        | "InvalidParameterValue"
        | "InvalidArgument"
        | "InvalidTargetBucketForLogging"
        | "ValidationException"
        | "InvalidAMIID.Malformed"
        | "InvalidVpc.Range" => ErrorKind::InvalidInput,
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "TooManyRequests" => {
            ErrorKind::Throttled
        }
        _ => ErrorKind::Other,
    }
}

/// An SDK error from `operation` as a [`SandboxError`]: AWS's code decides the kind; an
/// endpoint that does not implement the call is [`ErrorKind::Unsupported`].
///
/// The message says what a person can act on — the service's error code and message, a
/// timeout, an endpoint that cannot be reached, an answer that could not be read and its
/// HTTP status — and never carries a response body: an answer the SDK could not read may
/// hold anything, a new secret access key included.
pub(crate) fn sandbox_error<E, R>(
    operation: &str,
    e: aws_smithy_runtime_api::client::result::SdkError<E, R>,
) -> SandboxError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + HasStatus,
{
    use aws_smithy_runtime_api::client::result::SdkError;
    let code = e.code().map(str::to_owned);
    // The whole explanation is read to classify the failure, never shown.
    let whole = aws_sdk_iam::error::DisplayErrorContext(&e).to_string();
    let kind = match kind_of(code.as_deref()) {
        ErrorKind::Other => match classify(operation, None, &whole) {
            AwsError::Unimplemented(_) => ErrorKind::Unsupported,
            AwsError::Throttled(_) => ErrorKind::Throttled,
            AwsError::AccessDenied(_) => ErrorKind::AccessDenied,
            _ => ErrorKind::Other,
        },
        k => k,
    };
    let message = match (&e, &code) {
        (_, Some(c)) => match e.message() {
            Some(m) => format!("{c}: {m}"),
            None => c.clone(),
        },
        _ if kind == ErrorKind::Unsupported => {
            format!("the endpoint does not implement {operation}")
        }
        (SdkError::TimeoutError(_), None) => "no answer in time".to_owned(),
        (SdkError::DispatchFailure(d), None) => {
            let why = if d.is_timeout() {
                "timed out"
            } else if d.is_io() {
                "connection failed"
            } else {
                "could not send"
            };
            format!("cannot reach the endpoint ({why})")
        }
        (SdkError::ResponseError(r), None) => format!(
            "the answer could not be read (HTTP {}); what the call made may exist",
            r.raw().status_code()
        ),
        (SdkError::ServiceError(se), None) => {
            format!("an error without a code (HTTP {})", se.raw().status_code())
        }
        (SdkError::ConstructionFailure(_), None) => "the request could not be built".to_owned(),
        (_, None) => "the call failed".to_owned(),
    };
    // The service's words may quote the endpoint, and the endpoint its credentials.
    let message = mask_userinfo(&message);
    SandboxError::new(kind, operation, crate::secrets::scrub(&message))
}

/// An HTTP response's status, for errors that have nothing else to say.
pub(crate) trait HasStatus {
    /// The status code.
    fn status_code(&self) -> u16;
}

impl HasStatus for aws_smithy_runtime_api::http::Response {
    fn status_code(&self) -> u16 {
        self.status().as_u16()
    }
}

/// What went wrong talking to AWS, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    /// No credentials anywhere in the chain.
    #[error(
        "no AWS credentials: set `profile` on the target, or AWS_PROFILE, or the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY variables"
    )]
    NoCredentials,
    /// An SSO session that needs a new login.
    #[error("the SSO session has expired: run `aws sso login{}`", .0.as_deref().map(|p| format!(" --profile {p}")).unwrap_or_default())]
    SsoExpired(Option<String>),
    /// The credentials may not make this call.
    #[error("access denied: the credentials may not call {0}")]
    AccessDenied(String),
    /// The endpoint does not implement this call (an emulator's gap).
    #[error("the endpoint does not implement {0}")]
    Unimplemented(String),
    /// Throttled on every attempt.
    #[error("{0} was throttled on every retry; lower the concurrency or use retry_mode: adaptive")]
    Throttled(String),
    /// The endpoint could not be reached.
    #[error("cannot reach the endpoint for {0}: {1}")]
    Unreachable(String, String),
    /// Anything else, with the SDK's whole explanation.
    #[error("{0}: {1}")]
    Other(String, String),
}

/// Classifies an SDK error from `operation` (such as `sts:GetCallerIdentity`), given its
/// whole explanation (the SDK's `DisplayErrorContext`).
pub fn classify(operation: &str, profile: Option<&str>, text: &str) -> AwsError {
    // The SDK's words may quote the endpoint, and the endpoint its credentials.
    let text = mask_userinfo(text).into_owned();
    let lower = text.to_lowercase();
    let op = operation.to_owned();
    if lower.contains("sso") && (lower.contains("expired") || lower.contains("token")) {
        AwsError::SsoExpired(profile.map(str::to_owned))
    } else if lower.contains("no credentials")
        || lower.contains("while loading credentials")
        || lower.contains("credentialsnotloaded")
        || lower.contains("credentials provider was not enabled")
        || lower.contains("no providers in chain")
    {
        AwsError::NoCredentials
    } else if lower.contains("accessdenied")
        || lower.contains("access denied")
        || lower.contains("not authorized")
    {
        AwsError::AccessDenied(op)
    } else if lower.contains("unexpected token '<'")
        || lower.contains("<!doctype html")
        || lower.contains("no root element")
        || lower.contains("404")
        || lower.contains("not implemented")
        || lower.contains("unknownoperation")
    {
        AwsError::Unimplemented(op)
    } else if lower.contains("throttl")
        || lower.contains("rate exceeded")
        || lower.contains("toomanyrequests")
    {
        AwsError::Throttled(op)
    } else if lower.contains("dispatch failure")
        || lower.contains("connection refused")
        || lower.contains("dns error")
    {
        AwsError::Unreachable(op, text)
    } else {
        AwsError::Other(op, text)
    }
}

/// The server's `Date` and the local time the response arrived.
type Stamp = (DateTime<Utc>, DateTime<Utc>);

/// Reads the HTTP `Date` header of responses, to measure the clock skew against AWS.
#[derive(Debug, Default, Clone)]
struct DateProbe {
    seen: Arc<Mutex<Option<Stamp>>>,
}

impl Intercept for DateProbe {
    fn name(&self) -> &'static str {
        "gameday-date-probe"
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let received = Utc::now();
        if let Some(date) = context.response().headers().get("date")
            && let Ok(server) = DateTime::parse_from_rfc2822(date)
            && let Ok(mut seen) = self.seen.lock()
        {
            *seen = Some((server.with_timezone(&Utc), received));
        }
        Ok(())
    }
}

/// How far AWS's clock (`server`, its `Date` header) is from ours, for a call sent at
/// `sent` and answered at `received`; `None` when the clocks may agree, which is all the
/// header can tell when the call was slow or the skew under its second.
fn skew(
    server: DateTime<Utc>,
    sent: DateTime<Utc>,
    received: DateTime<Utc>,
) -> Option<chrono::Duration> {
    // The server stamped its Date somewhere between sending and receiving, and cut it to
    // the second: the skew lies between these two bounds, and is taken as their middle
    // only when it cannot be zero.
    let lo = server - received;
    let hi = server + chrono::Duration::seconds(1) - sent;
    let zero = chrono::Duration::zero();
    (lo > zero || hi < zero).then(|| lo + (hi - lo) / 2)
}

/// Who the credentials are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The account id.
    pub account: String,
    /// The caller's ARN.
    pub arn: String,
}

/// What preflight found.
#[derive(Debug, Clone)]
pub struct Preflight {
    /// Who the credentials are.
    pub identity: Identity,
    /// How far AWS's clock is ahead of the local one (negative: behind), when the
    /// endpoint sent a `Date` and it differs by a second or more (the header's resolution).
    pub skew: Option<chrono::Duration>,
    /// Each stop alarm and its state.
    pub stop_alarms: Vec<(String, String)>,
}

/// Why a game day may not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreflightError {
    /// The account is not on the target's allowlist.
    #[error(
        "account {account} ({arn}) is not on target `{target}`'s allowlist ({allowlist}); nothing was changed"
    )]
    NotAllowed {
        /// The target.
        target: String,
        /// The account the credentials belong to.
        account: String,
        /// The caller.
        arn: String,
        /// The allowlist.
        allowlist: String,
    },
    /// A stop alarm is already in ALARM.
    #[error(
        "stop alarm `{0}` is in ALARM: the account is not in a state to start a game day; nothing was changed"
    )]
    StopAlarm(String),
    /// A stop alarm does not exist.
    #[error("stop alarm `{0}` does not exist in {1}")]
    MissingStopAlarm(String, String),
    /// A call failed.
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// Checks `target` in `region` before any mutating call: the identity, the allowlist,
/// the clock skew and the stop alarms. Makes read-only calls only.
pub async fn preflight(target: &Target, region: &str) -> Result<Preflight, PreflightError> {
    let config = sdk_config(target, region, None).await;
    let probe = DateProbe::default();
    let sts = aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(&config)
            .interceptor(probe.clone())
            .build(),
    );
    let sent = Utc::now();
    let who = sts.get_caller_identity().send().await.map_err(|e| {
        classify(
            "sts:GetCallerIdentity",
            target.profile.as_deref(),
            &aws_sdk_sts::error::DisplayErrorContext(e).to_string(),
        )
    })?;
    let identity = Identity {
        account: who.account().unwrap_or_default().to_owned(),
        arn: who.arn().unwrap_or_default().to_owned(),
    };
    if !target.allows(&identity.account) {
        return Err(PreflightError::NotAllowed {
            target: target.name.clone(),
            account: identity.account,
            arn: identity.arn,
            allowlist: target.allowlist(),
        });
    }
    let skew = probe
        .seen
        .lock()
        .ok()
        .and_then(|s| *s)
        .and_then(|(server, received)| skew(server, sent, received));
    let mut stop_alarms = Vec::new();
    if !target.stop_alarms.is_empty() {
        let cw = aws_sdk_cloudwatch::Client::new(&config);
        let out = cw
            .describe_alarms()
            .set_alarm_names(Some(target.stop_alarms.clone()))
            .send()
            .await
            .map_err(|e| {
                classify(
                    "cloudwatch:DescribeAlarms",
                    target.profile.as_deref(),
                    &aws_sdk_cloudwatch::error::DisplayErrorContext(e).to_string(),
                )
            })?;
        for name in &target.stop_alarms {
            let state = out
                .metric_alarms()
                .iter()
                .find(|a| a.alarm_name() == Some(name.as_str()))
                .and_then(|a| a.state_value())
                .map(|s| s.as_str().to_owned());
            match state {
                None => {
                    return Err(PreflightError::MissingStopAlarm(
                        name.clone(),
                        region.to_owned(),
                    ));
                }
                Some(s) if s == "ALARM" => return Err(PreflightError::StopAlarm(name.clone())),
                Some(s) => stop_alarms.push((name.clone(), s)),
            }
        }
    }
    Ok(Preflight {
        identity,
        skew,
        stop_alarms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> AwsError {
        classify("sts:GetCallerIdentity", Some("sandbox"), text)
    }

    #[test]
    fn skew_counts_from_the_middle_of_the_call_and_ignores_what_the_header_cannot_tell() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().expect("time");
        let sent = t("2026-12-01T10:00:00.000Z");
        let received = t("2026-12-01T10:00:00.200Z");
        // Same clocks: the header says 10:00:00 for 10:00:00.1.
        assert_eq!(skew(t("2026-12-01T10:00:00Z"), sent, received), None);
        // AWS 5 s ahead: its header reads 10:00:05 → 5.4 s, within the header's second.
        let ahead = skew(t("2026-12-01T10:00:05Z"), sent, received).expect("measured");
        assert_eq!(ahead.num_milliseconds(), 5400);
        let behind = skew(t("2026-12-01T09:59:57Z"), sent, received).expect("measured");
        assert_eq!(behind.num_milliseconds(), -2600);
        // A call that took four seconds (a loaded machine) cannot tell two seconds apart.
        let slow = t("2026-12-01T10:00:04.000Z");
        assert_eq!(skew(t("2026-12-01T10:00:02Z"), sent, slow), None);
        assert!(skew(t("2026-12-01T10:00:09Z"), sent, slow).is_some());
    }

    #[test]
    fn sdk_errors_become_errors_people_can_act_on() {
        assert_eq!(
            kind("dispatch failure: other: no providers in chain provided credentials"),
            AwsError::NoCredentials
        );
        assert_eq!(
            kind(
                "the SSO token has expired: the SSO session associated with this profile has expired"
            ),
            AwsError::SsoExpired(Some("sandbox".into()))
        );
        assert_eq!(
            kind("service error: AccessDenied: User: arn:aws:iam::1:user/x is not authorized"),
            AwsError::AccessDenied("sts:GetCallerIdentity".into())
        );
        assert_eq!(
            kind("unhandled error: Error { message: \"unexpected token '<'\" }"),
            AwsError::Unimplemented("sts:GetCallerIdentity".into())
        );
        assert_eq!(
            kind("service error: Throttling: Rate exceeded"),
            AwsError::Throttled("sts:GetCallerIdentity".into())
        );
        assert!(matches!(
            kind("dispatch failure: io error: Connection refused (os error 111)"),
            AwsError::Unreachable(..)
        ));
        assert!(
            AwsError::SsoExpired(Some("sandbox".into()))
                .to_string()
                .contains("aws sso login --profile sandbox")
        );
    }
}
