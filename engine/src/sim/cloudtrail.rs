//! CloudTrail: trails, and LookupEvents over the simulator's audit log.

use super::{Call, SimAccount, error, iam::statements};
use crate::sandbox::{
    AuditEvent, CloudTrail, ErrorKind, FindingResource, Result, SandboxError, Tags,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// A trail.
#[derive(Debug, Clone)]
pub(super) struct Trail {
    pub arn: String,
    pub tags: Tags,
    pub logging: bool,
}

fn about_trail(trail: &str) -> FindingResource {
    FindingResource {
        trail_name: Some(trail.to_owned()),
        ..FindingResource::default()
    }
}

impl SimAccount {
    fn no_trail(&self, op: &str, trail: &str) -> SandboxError {
        let (region, account) = (&self.region, &self.account);
        error(
            ErrorKind::NotFound,
            op,
            "TrailNotFoundException",
            format!(
                "Unknown trail: arn:aws:cloudtrail:{region}:{account}:trail/{trail} for the user: {account}"
            ),
        )
    }
}

/// Whether a bucket policy lets CloudTrail check the bucket's ACL (s3:GetBucketAcl) and
/// write log files (s3:PutObject), as CreateTrail requires.
fn cloudtrail_may_deliver(policy: Option<&str>) -> bool {
    let Some(doc) = policy.and_then(|p| serde_json::from_str::<Value>(p).ok()) else {
        return false;
    };
    let listed = |v: Option<&Value>, want: &str| match v {
        Some(Value::String(s)) => s == want,
        Some(Value::Array(list)) => list.iter().any(|x| x.as_str() == Some(want)),
        _ => false,
    };
    let grants = |action: &str| {
        statements(&doc).any(|s| {
            s.get("Effect").and_then(Value::as_str) == Some("Allow")
                && s.get("Principal")
                    .is_some_and(|p| listed(p.get("Service"), "cloudtrail.amazonaws.com"))
                && ["*", "s3:*", action]
                    .iter()
                    .any(|a| listed(s.get("Action"), a))
        })
    };
    grants("s3:GetBucketAcl") && grants("s3:PutObject")
}

impl SimAccount {
    fn set_logging(&self, op: &str, trail: &str, on: bool) -> Result<()> {
        let mut st = self.lock();
        st.trails
            .get_mut(trail)
            .ok_or_else(|| self.no_trail(op, trail))?
            .logging = on;
        self.record(&mut st, Call::new(op, &[trail]).subject(about_trail(trail)));
        Ok(())
    }
}

#[async_trait]
impl CloudTrail for SimAccount {
    async fn create_trail(
        &self,
        trail: &str,
        bucket: &str,
        key_prefix: &str,
        tags: &Tags,
    ) -> Result<String> {
        const OP: &str = "cloudtrail:CreateTrail";
        let valid = (3..=128).contains(&trail.len())
            && trail
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
            && trail.starts_with(|c: char| c.is_ascii_alphanumeric());
        if !valid {
            return Err(error(
                ErrorKind::InvalidInput,
                OP,
                "InvalidTrailNameException",
                format!(
                    "`{trail}` is not a valid trail name: 3 to 128 letters, digits, periods, underscores and dashes"
                ),
            ));
        }
        let mut st = self.lock();
        if !st.buckets.contains_key(bucket) {
            return Err(error(
                ErrorKind::NotFound,
                OP,
                "S3BucketDoesNotExistException",
                format!("S3 bucket {bucket} does not exist."),
            ));
        }
        let policy = st.buckets[bucket].policy.as_deref();
        if !cloudtrail_may_deliver(policy) {
            return Err(error(
                ErrorKind::Conflict,
                OP,
                "InsufficientS3BucketPolicyException",
                format!("Incorrect S3 bucket policy is detected for bucket: {bucket}"),
            ));
        }
        if st.trails.contains_key(trail) {
            return Err(error(
                ErrorKind::AlreadyExists,
                OP,
                "TrailAlreadyExistsException",
                format!(
                    "Trail {trail} already exists for customer: {}",
                    self.account
                ),
            ));
        }
        let arn = format!(
            "arn:aws:cloudtrail:{}:{}:trail/{trail}",
            self.region, self.account
        );
        st.trails.insert(
            trail.to_owned(),
            Trail {
                arn: arn.clone(),
                tags: tags.clone(),
                logging: true,
            },
        );
        // CloudTrail writes a first log file under the trail's prefix; later deliveries are
        // not modelled, but clean-up must cope with what a trail leaves in its bucket.
        let prefix = if key_prefix.is_empty() {
            String::new()
        } else {
            format!("{key_prefix}/")
        };
        let day = self.clock.now().format("%Y/%m/%d");
        let key = format!(
            "{prefix}AWSLogs/{account}/CloudTrail/{region}/{day}/{account}_CloudTrail_{region}_first.json.gz",
            account = self.account,
            region = self.region,
        );
        if let Some(b) = st.buckets.get_mut(bucket) {
            b.objects.insert(key);
        }
        self.record(
            &mut st,
            Call::new(OP, &[trail, bucket]).subject(about_trail(trail)),
        );
        self.record(
            &mut st,
            Call::new("cloudtrail:StartLogging", &[trail]).subject(about_trail(trail)),
        );
        Ok(arn)
    }

    async fn trail_tags(&self, trail: &str) -> Result<Tags> {
        let st = self.lock();
        st.trails
            .get(trail)
            .map(|t| t.tags.clone())
            .ok_or_else(|| self.no_trail("cloudtrail:GetTrail", trail))
    }

    async fn delete_trail(&self, trail: &str) -> Result<()> {
        const OP: &str = "cloudtrail:DeleteTrail";
        let mut st = self.lock();
        if st.trails.remove(trail).is_none() {
            return Err(self.no_trail(OP, trail));
        }
        self.record(&mut st, Call::new(OP, &[trail]).subject(about_trail(trail)));
        Ok(())
    }

    async fn start_logging(&self, trail: &str) -> Result<()> {
        self.set_logging("cloudtrail:StartLogging", trail, true)
    }

    async fn stop_logging(&self, trail: &str) -> Result<()> {
        self.set_logging("cloudtrail:StopLogging", trail, false)
    }

    async fn is_logging(&self, trail: &str) -> Result<bool> {
        let st = self.lock();
        st.trails
            .get(trail)
            .map(|t| t.logging)
            .ok_or_else(|| self.no_trail("cloudtrail:GetTrailStatus", trail))
    }

    /// Every name when `names` is empty. Event history does not depend on trails: a
    /// stopped trail still leaves its management events here, as in CloudTrail.
    async fn lookup_events(
        &self,
        names: &[&str],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<AuditEvent>> {
        let st = self.lock();
        Ok(st
            .audit
            .iter()
            .filter(|a| from <= a.event.at && a.event.at <= to)
            .filter(|a| names.is_empty() || names.contains(&a.event.name.as_str()))
            .map(|a| a.event.clone())
            .collect())
    }
}
