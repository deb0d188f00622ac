//! S3: buckets, their policies and their Block Public Access settings.

use super::{Call, SimAccount, error, iam::statements, model};
use crate::sandbox::{
    ALL_USERS, AUTHENTICATED_USERS, AclGrant, BucketAcl, BucketLogging, ErrorKind, FindingResource,
    Grantee, LOG_DELIVERY, ObjectOwnership, PublicAccessBlock, Result, S3, SandboxError, Tags,
};
use async_trait::async_trait;
use serde_json::Value;

/// A bucket.
#[derive(Debug, Clone)]
pub(super) struct Bucket {
    pub tags: Tags,
    pub policy: Option<String>,
    pub public_access_block: Option<PublicAccessBlock>,
    pub ownership: Option<ObjectOwnership>,
    /// The ACL's grants (the owner is the account).
    pub acl: Vec<AclGrant>,
    pub logging: Option<BucketLogging>,
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

/// The simulated account's canonical user id, as S3 ACLs name it.
pub(super) const OWNER_ID: &str =
    "5e1f0a9c2b7d4e3f8a6b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f";

/// The grants of canned ACL `acl`, as S3 expands it; `None` for a name S3 does not take.
fn canned_grants(acl: &str) -> Option<Vec<AclGrant>> {
    let grant = |grantee: Grantee, permission: &str| AclGrant {
        grantee,
        permission: permission.to_owned(),
    };
    let group = |uri: &str| Grantee::Group(uri.to_owned());
    let mut grants = vec![grant(
        Grantee::CanonicalUser(OWNER_ID.to_owned()),
        "FULL_CONTROL",
    )];
    match acl {
        "private" => {}
        "public-read" => grants.push(grant(group(ALL_USERS), "READ")),
        "public-read-write" => {
            grants.push(grant(group(ALL_USERS), "READ"));
            grants.push(grant(group(ALL_USERS), "WRITE"));
        }
        "authenticated-read" => grants.push(grant(group(AUTHENTICATED_USERS), "READ")),
        "log-delivery-write" => {
            grants.push(grant(group(LOG_DELIVERY), "WRITE"));
            grants.push(grant(group(LOG_DELIVERY), "READ_ACP"));
        }
        _ => return None,
    }
    Some(grants)
}

/// Whether the grants give only the owner anything: what a bucket with ACLs disabled
/// (BucketOwnerEnforced) still takes.
fn owner_only(grants: &[AclGrant]) -> bool {
    grants
        .iter()
        .all(|g| g.grantee == Grantee::CanonicalUser(OWNER_ID.to_owned()))
}

/// The model attributes of putting `grants` on `b`: a public group granted, while the
/// bucket's Block Public Access does not make S3 ignore public ACLs.
fn acl_flags(b: &Bucket, grants: &[AclGrant]) -> u16 {
    if b.public_access_block.is_some_and(|p| p.ignore_public_acls) {
        return 0;
    }
    let acl = BucketAcl {
        owner_id: OWNER_ID.to_owned(),
        grants: grants.to_vec(),
    };
    acl.public_groups().iter().fold(0, |f, g| {
        f | if *g == ALL_USERS {
            model::PUBLIC_ACL
        } else {
            model::AUTHENTICATED_ACL
        }
    })
}

/// Whether a bucket lets S3 server access logging write into it: a bucket policy
/// allowing `logging.s3.amazonaws.com` s3:PutObject, or the LogDelivery group's WRITE and
/// READ_ACP grants.
fn takes_logs(b: &Bucket) -> bool {
    let by_policy = b
        .policy
        .as_deref()
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .is_some_and(|doc| {
            statements(&doc).any(|s| {
                let allow = s.get("Effect").and_then(Value::as_str) == Some("Allow");
                let service = s
                    .get("Principal")
                    .and_then(|p| p.get("Service"))
                    .is_some_and(|v| match v {
                        Value::String(x) => x == "logging.s3.amazonaws.com",
                        Value::Array(xs) => xs
                            .iter()
                            .any(|x| x.as_str() == Some("logging.s3.amazonaws.com")),
                        _ => false,
                    });
                let put = s.get("Action").is_some_and(|a| match a {
                    Value::String(x) => x == "s3:PutObject",
                    Value::Array(xs) => xs.iter().any(|x| x.as_str() == Some("s3:PutObject")),
                    _ => false,
                });
                allow && service && put
            })
        });
    let granted = |perm: &str| {
        b.acl.iter().any(|g| {
            g.grantee == Grantee::Group(LOG_DELIVERY.to_owned())
                && (g.permission == perm || g.permission == "FULL_CONTROL")
        })
    };
    by_policy || (granted("WRITE") && granted("READ_ACP"))
}

impl SimAccount {
    /// Puts `grants` as the ACL of `bucket`, as PutBucketAcl does.
    fn set_acl(&self, bucket: &str, grants: Vec<AclGrant>) -> Result<()> {
        const OP: &str = "s3:PutBucketAcl";
        let mut st = self.lock();
        let b = st
            .buckets
            .get_mut(bucket)
            .ok_or_else(|| no_bucket(OP, bucket))?;
        if b.ownership == Some(ObjectOwnership::BucketOwnerEnforced) && !owner_only(&grants) {
            return Err(error(
                ErrorKind::Conflict,
                OP,
                "AccessControlListNotSupported",
                "The bucket does not allow ACLs",
            ));
        }
        let public = !BucketAcl {
            owner_id: OWNER_ID.to_owned(),
            grants: grants.clone(),
        }
        .public_groups()
        .is_empty();
        if public && b.public_access_block.is_some_and(|p| p.block_public_acls) {
            return Err(error(
                ErrorKind::AccessDenied,
                OP,
                "AccessDenied",
                "public ACLs are prevented by the BlockPublicAcls setting in S3 Block Public Access",
            ));
        }
        let flags = acl_flags(b, &grants);
        b.acl = grants;
        self.record(
            &mut st,
            Call::new(OP, &[bucket])
                .subject(about_bucket(bucket))
                .flags(flags),
        );
        Ok(())
    }
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
                ownership: Some(ObjectOwnership::BucketOwnerEnforced),
                acl: canned_grants("private").unwrap_or_default(),
                logging: None,
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

    async fn bucket_ownership(&self, bucket: &str) -> Result<Option<ObjectOwnership>> {
        let st = self.lock();
        st.buckets
            .get(bucket)
            .map(|b| b.ownership)
            .ok_or_else(|| no_bucket("s3:GetBucketOwnershipControls", bucket))
    }

    async fn put_bucket_ownership(&self, bucket: &str, ownership: ObjectOwnership) -> Result<()> {
        const OP: &str = "s3:PutBucketOwnershipControls";
        let mut st = self.lock();
        let b = st
            .buckets
            .get_mut(bucket)
            .ok_or_else(|| no_bucket(OP, bucket))?;
        b.ownership = Some(ownership);
        self.record(
            &mut st,
            Call::new(OP, &[bucket]).subject(about_bucket(bucket)),
        );
        Ok(())
    }

    async fn get_bucket_acl(&self, bucket: &str) -> Result<BucketAcl> {
        let st = self.lock();
        st.buckets
            .get(bucket)
            .map(|b| BucketAcl {
                owner_id: OWNER_ID.to_owned(),
                grants: b.acl.clone(),
            })
            .ok_or_else(|| no_bucket("s3:GetBucketAcl", bucket))
    }

    async fn put_bucket_canned_acl(&self, bucket: &str, acl: &str) -> Result<()> {
        let grants = canned_grants(acl).ok_or_else(|| {
            error(
                ErrorKind::InvalidInput,
                "s3:PutBucketAcl",
                "InvalidArgument",
                format!("`{acl}` is not a canned ACL"),
            )
        })?;
        self.set_acl(bucket, grants)
    }

    async fn put_bucket_acl(&self, bucket: &str, acl: &BucketAcl) -> Result<()> {
        self.set_acl(bucket, acl.grants.clone())
    }

    async fn bucket_logging(&self, bucket: &str) -> Result<Option<BucketLogging>> {
        let st = self.lock();
        st.buckets
            .get(bucket)
            .map(|b| b.logging.clone())
            .ok_or_else(|| no_bucket("s3:GetBucketLogging", bucket))
    }

    async fn put_bucket_logging(
        &self,
        bucket: &str,
        logging: Option<&BucketLogging>,
    ) -> Result<()> {
        const OP: &str = "s3:PutBucketLogging";
        let mut st = self.lock();
        if !st.buckets.contains_key(bucket) {
            return Err(no_bucket(OP, bucket));
        }
        if let Some(l) = logging {
            let bad = |why: &str| {
                error(
                    ErrorKind::InvalidInput,
                    OP,
                    "InvalidTargetBucketForLogging",
                    why,
                )
            };
            let target = st
                .buckets
                .get(&l.target_bucket)
                .ok_or_else(|| bad("The target bucket for logging does not exist"))?;
            if !takes_logs(target) {
                return Err(bad(
                    "You must either provide the necessary permissions to the logging service \
                     using a bucket policy or give the log-delivery group WRITE and READ_ACP \
                     permissions to the target bucket",
                ));
            }
        }
        if let Some(b) = st.buckets.get_mut(bucket) {
            b.logging = logging.cloned();
        }
        let flags = if logging.is_none() {
            model::LOGGING_DISABLED
        } else {
            0
        };
        self.record(
            &mut st,
            Call::new(OP, &[bucket])
                .subject(about_bucket(bucket))
                .flags(flags),
        );
        Ok(())
    }

    async fn account_public_access_block(&self) -> Result<Option<PublicAccessBlock>> {
        Ok(self.lock().account_public_access_block)
    }

    async fn put_account_public_access_block(&self, block: &PublicAccessBlock) -> Result<()> {
        const OP: &str = "s3:PutAccountPublicAccessBlock";
        let mut st = self.lock();
        st.account_public_access_block = Some(*block);
        let all = block.block_public_acls
            && block.ignore_public_acls
            && block.block_public_policy
            && block.restrict_public_buckets;
        let flags = if all {
            0
        } else {
            model::BLOCK_PUBLIC_ACCESS_DISABLED
        };
        let account = self.account.clone();
        self.record(&mut st, Call::new(OP, &[&account]).flags(flags));
        Ok(())
    }

    async fn delete_account_public_access_block(&self) -> Result<()> {
        const OP: &str = "s3:DeleteAccountPublicAccessBlock";
        let mut st = self.lock();
        st.account_public_access_block = None;
        let account = self.account.clone();
        self.record(
            &mut st,
            Call::new(OP, &[&account]).flags(model::BLOCK_PUBLIC_ACCESS_DISABLED),
        );
        Ok(())
    }
}
