//! S3: buckets, their policies and their Block Public Access settings.

use super::{Call, SimAccount, error, iam::statements, model};
use crate::sandbox::{
    ErrorKind, FindingResource, PublicAccessBlock, Result, S3, SandboxError, Tags,
};
use async_trait::async_trait;
use serde_json::Value;

/// A bucket.
#[derive(Debug, Clone)]
pub(super) struct Bucket {
    pub tags: Tags,
    pub policy: Option<String>,
    pub public_access_block: Option<PublicAccessBlock>,
    /// Object keys.
    pub objects: std::collections::BTreeSet<String>,
}

/// What new buckets get: S3 turns Block Public Access on for every new bucket (since April
/// 2023).
const ALL_BLOCKED: PublicAccessBlock = PublicAccessBlock {
    block_public_acls: true,
    ignore_public_acls: true,
    block_public_policy: true,
    restrict_public_buckets: true,
};

fn about_bucket(bucket: &str) -> FindingResource {
    FindingResource {
        bucket: Some(bucket.to_owned()),
        ..FindingResource::default()
    }
}

fn no_bucket(op: &str, bucket: &str) -> SandboxError {
    error(
        ErrorKind::NotFound,
        op,
        "NoSuchBucket",
        format!("The specified bucket {bucket} does not exist"),
    )
}

/// Bucket naming rules: 3 to 63 lowercase letters, digits, dots and hyphens, starting and
/// ending with a letter or digit.
fn check_bucket_name(op: &str, bucket: &str) -> Result<()> {
    let b = bucket.as_bytes();
    let ok = (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
        && b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
        && !bucket.contains("..");
    if ok {
        Ok(())
    } else {
        Err(error(
            ErrorKind::InvalidInput,
            op,
            "InvalidBucketName",
            format!(
                "`{bucket}` is not a valid bucket name: 3 to 63 lowercase letters, digits, dots and hyphens"
            ),
        ))
    }
}

/// Whether a bucket policy lets anyone in: an Allow statement with Principal `*` or
/// `{"AWS": "*"}` (conditions are not evaluated).
pub(super) fn is_public(doc: &Value) -> bool {
    let star = |v: &Value| match v {
        Value::String(s) => s == "*",
        Value::Array(list) => list.iter().any(|p| p.as_str() == Some("*")),
        _ => false,
    };
    statements(doc).any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && s.get("Principal")
                .is_some_and(|p| star(p) || p.get("AWS").is_some_and(star))
    })
}

#[async_trait]
impl S3 for SimAccount {
    async fn create_bucket(&self, bucket: &str, tags: &Tags) -> Result<()> {
        const OP: &str = "s3:CreateBucket";
        check_bucket_name(OP, bucket)?;
        let mut st = self.lock();
        if st.buckets.contains_key(bucket) {
            return Err(error(
                ErrorKind::AlreadyExists,
                OP,
                "BucketAlreadyOwnedByYou",
                format!(
                    "Your previous request to create the named bucket {bucket} succeeded and you already own it."
                ),
            ));
        }
        st.buckets.insert(
            bucket.to_owned(),
            Bucket {
                tags: tags.clone(),
                policy: None,
                public_access_block: Some(ALL_BLOCKED),
                objects: Default::default(),
            },
        );
        self.record(
            &mut st,
            Call::new(OP, &[bucket]).subject(about_bucket(bucket)),
        );
        Ok(())
    }

    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        const OP: &str = "s3:DeleteBucket";
        let mut st = self.lock();
        let b = st
            .buckets
            .get(bucket)
            .ok_or_else(|| no_bucket(OP, bucket))?;
        if !b.objects.is_empty() {
            return Err(error(
                ErrorKind::Conflict,
                OP,
                "BucketNotEmpty",
                "The bucket you tried to delete is not empty",
            ));
        }
        st.buckets.remove(bucket);
        self.record(
            &mut st,
            Call::new(OP, &[bucket]).subject(about_bucket(bucket)),
        );
        Ok(())
    }

    async fn bucket_tags(&self, bucket: &str) -> Result<Tags> {
        let st = self.lock();
        st.buckets
            .get(bucket)
            .map(|b| b.tags.clone())
            .ok_or_else(|| no_bucket("s3:HeadBucket", bucket))
    }

    async fn put_object(&self, bucket: &str, key: &str, _body: &str) -> Result<()> {
        const OP: &str = "s3:PutObject";
        let mut st = self.lock();
        st.buckets
            .get_mut(bucket)
            .ok_or_else(|| no_bucket(OP, bucket))?
            .objects
            .insert(key.to_owned());
        Ok(())
    }

    async fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<String>> {
        let st = self.lock();
        let b = st
            .buckets
            .get(bucket)
            .ok_or_else(|| no_bucket("s3:ListObjectsV2", bucket))?;
        Ok(b.objects
            .iter()
            .filter(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }

    async fn delete_object(&self, bucket: &str, key: &str) -> Result<()> {
        const OP: &str = "s3:DeleteObject";
        let mut st = self.lock();
        // Deleting an absent key succeeds, as in S3.
        st.buckets
            .get_mut(bucket)
            .ok_or_else(|| no_bucket(OP, bucket))?
            .objects
            .remove(key);
        Ok(())
    }

    async fn get_bucket_policy(&self, bucket: &str) -> Result<Option<String>> {
        let st = self.lock();
        st.buckets
            .get(bucket)
            .map(|b| b.policy.clone())
            .ok_or_else(|| no_bucket("s3:GetBucketPolicy", bucket))
    }

    async fn put_bucket_policy(&self, bucket: &str, policy: &str) -> Result<()> {
        const OP: &str = "s3:PutBucketPolicy";
        let doc: Value = serde_json::from_str(policy).map_err(|e| {
            error(
                ErrorKind::InvalidInput,
                OP,
                "MalformedPolicy",
                format!("the policy is not JSON: {e}"),
            )
        })?;
        if !doc.is_object() || doc.get("Statement").is_none() {
            return Err(error(
                ErrorKind::InvalidInput,
                OP,
                "MalformedPolicy",
                "the policy must be a mapping with a Statement",
            ));
        }
        let public = is_public(&doc);
        let mut st = self.lock();
        let b = st
            .buckets
            .get_mut(bucket)
            .ok_or_else(|| no_bucket(OP, bucket))?;
        if public && b.public_access_block.is_some_and(|p| p.block_public_policy) {
            return Err(error(
                ErrorKind::AccessDenied,
                OP,
                "AccessDenied",
                "public policies are prevented by the BlockPublicPolicy setting in S3 Block Public Access",
            ));
        }
        b.policy = Some(policy.to_owned());
        let flags = if public { model::PUBLIC_POLICY } else { 0 };
        self.record(
            &mut st,
            Call::new(OP, &[bucket])
                .subject(about_bucket(bucket))
                .flags(flags),
        );
        Ok(())
    }

    async fn delete_bucket_policy(&self, bucket: &str) -> Result<()> {
        const OP: &str = "s3:DeleteBucketPolicy";
        let mut st = self.lock();
        // Deleting an absent policy succeeds, as in S3.
        st.buckets
            .get_mut(bucket)
            .ok_or_else(|| no_bucket(OP, bucket))?
            .policy = None;
        self.record(
            &mut st,
            Call::new(OP, &[bucket]).subject(about_bucket(bucket)),
        );
        Ok(())
    }

    async fn get_public_access_block(&self, bucket: &str) -> Result<Option<PublicAccessBlock>> {
        let st = self.lock();
        st.buckets
            .get(bucket)
            .map(|b| b.public_access_block)
            .ok_or_else(|| no_bucket("s3:GetPublicAccessBlock", bucket))
    }

    async fn put_public_access_block(&self, bucket: &str, block: &PublicAccessBlock) -> Result<()> {
        const OP: &str = "s3:PutPublicAccessBlock";
        let mut st = self.lock();
        st.buckets
            .get_mut(bucket)
            .ok_or_else(|| no_bucket(OP, bucket))?
            .public_access_block = Some(*block);
        let all = block.block_public_acls
            && block.ignore_public_acls
            && block.block_public_policy
            && block.restrict_public_buckets;
        let flags = if all {
            0
        } else {
            model::BLOCK_PUBLIC_ACCESS_DISABLED
        };
        self.record(
            &mut st,
            Call::new(OP, &[bucket])
                .subject(about_bucket(bucket))
                .flags(flags),
        );
        Ok(())
    }

    async fn delete_public_access_block(&self, bucket: &str) -> Result<()> {
        const OP: &str = "s3:DeletePublicAccessBlock";
        let mut st = self.lock();
        st.buckets
            .get_mut(bucket)
            .ok_or_else(|| no_bucket(OP, bucket))?
            .public_access_block = None;
        let call = Call::new(OP, &[bucket])
            .subject(about_bucket(bucket))
            .flags(model::BLOCK_PUBLIC_ACCESS_DISABLED);
        self.record(&mut st, call);
        Ok(())
    }
}
