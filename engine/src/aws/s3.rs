//! S3 on AWS: the [`S3`] trait through the official SDK.

use super::{sandbox_error, sdk_tags};
use crate::sandbox::{
    AclGrant, BucketAcl, BucketLogging, ErrorKind, Grantee, ObjectOwnership, PublicAccessBlock,
    Result, S3, SandboxError, Tags,
};
use async_trait::async_trait;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, PublicAccessBlockConfiguration, Tag,
    Tagging,
};

/// S3 of one account and region, with S3 Control for the account's own settings.
#[derive(Debug, Clone)]
pub struct AwsS3 {
    client: aws_sdk_s3::Client,
    control: aws_sdk_s3control::Client,
    region: String,
    account: Option<String>,
}

/// S3 Control names the account in the host (`ACCOUNT.s3-control.REGION.amazonaws.com`);
/// behind a custom endpoint (an emulator) that host does not resolve, so requests go to
/// the endpoint as given, which serves S3 Control under its `/v20180820/` paths.
#[derive(Debug)]
struct FixedEndpoint(String);

impl aws_sdk_s3control::config::endpoint::ResolveEndpoint for FixedEndpoint {
    fn resolve_endpoint<'a>(
        &'a self,
        _params: &'a aws_sdk_s3control::config::endpoint::Params,
    ) -> aws_sdk_s3control::config::endpoint::EndpointFuture<'a> {
        aws_sdk_s3control::config::endpoint::EndpointFuture::ready(Ok(
            aws_smithy_types::endpoint::Endpoint::builder()
                .url(self.0.clone())
                .build(),
        ))
    }
}

impl AwsS3 {
    /// S3 through `config`; `path_style` addressing for emulators and custom endpoints.
    pub fn new(config: &aws_config::SdkConfig, path_style: bool) -> Self {
        let conf = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(path_style)
            .build();
        let mut control = aws_sdk_s3control::config::Builder::from(config);
        if let (true, Some(url)) = (path_style, config.endpoint_url()) {
            control = control.endpoint_resolver(FixedEndpoint(url.to_owned()));
        }
        AwsS3 {
            client: aws_sdk_s3::Client::from_conf(conf),
            control: aws_sdk_s3control::Client::from_conf(control.build()),
            region: config
                .region()
                .map(ToString::to_string)
                .unwrap_or_else(|| "us-east-1".to_owned()),
            account: None,
        }
    }

    /// The same, for account `account`: what S3 Control's account-level calls name.
    pub fn for_account(mut self, account: &str) -> Self {
        self.account = Some(account.to_owned());
        self
    }

    fn account(&self, operation: &str) -> Result<&str> {
        self.account.as_deref().ok_or_else(|| {
            SandboxError::new(
                ErrorKind::Other,
                operation,
                "the account id is not known, so S3 Control cannot be called",
            )
        })
    }
}

/// A grant as S3 lists it, in the project's types; `None` for kinds gameday does not
/// write (grants to an e-mail address).
fn grant_of(g: &aws_sdk_s3::types::Grant) -> Option<AclGrant> {
    use aws_sdk_s3::types::Type;
    let who = g.grantee()?;
    let grantee = match who.r#type() {
        Type::CanonicalUser => Grantee::CanonicalUser(who.id()?.to_owned()),
        Type::Group => Grantee::Group(who.uri()?.to_owned()),
        _ => return None,
    };
    Some(AclGrant {
        grantee,
        permission: g.permission()?.as_str().to_owned(),
    })
}

/// An ACL as PutBucketAcl takes it.
fn policy_of(acl: &BucketAcl) -> Result<aws_sdk_s3::types::AccessControlPolicy> {
    use aws_sdk_s3::types::{AccessControlPolicy, Grant, Owner, Permission, Type};
    const OP: &str = "s3:PutBucketAcl";
    let mut grants = Vec::new();
    for g in &acl.grants {
        let grantee = match &g.grantee {
            Grantee::CanonicalUser(id) => aws_sdk_s3::types::Grantee::builder()
                .r#type(Type::CanonicalUser)
                .id(id),
            Grantee::Group(uri) => aws_sdk_s3::types::Grantee::builder()
                .r#type(Type::Group)
                .uri(uri),
        }
        .build()
        .map_err(|e| SandboxError::new(ErrorKind::InvalidInput, OP, e.to_string()))?;
        grants.push(
            Grant::builder()
                .grantee(grantee)
                .permission(Permission::from(g.permission.as_str()))
                .build(),
        );
    }
    Ok(AccessControlPolicy::builder()
        .owner(Owner::builder().id(&acl.owner_id).build())
        .set_grants(Some(grants))
        .build())
}

/// HeadBucket answers with status codes and no body: 404 is a bucket nobody has, 403 one
/// that exists and is not this account's to see.
fn head_error<E>(
    operation: &str,
    bucket: &str,
    e: aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> SandboxError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match e.raw_response().map(|r| r.status().as_u16()) {
        Some(404) => SandboxError::new(
            ErrorKind::NotFound,
            operation,
            format!("NoSuchBucket: bucket {bucket} does not exist"),
        ),
        Some(403) => SandboxError::new(
            ErrorKind::AccessDenied,
            operation,
            format!("AccessDenied: bucket {bucket} exists and is not this account's"),
        ),
        _ => sandbox_error(operation, e),
    }
}

/// `Ok(None)` when AWS's code says the bucket has no such configuration (`absent`); any
/// other error, a missing bucket included, is an error.
fn absent<T, E>(
    operation: &str,
    absent: &str,
    e: aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
) -> Result<Option<T>>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if e.code() == Some(absent) {
        Ok(None)
    } else {
        Err(sandbox_error(operation, e))
    }
}

#[async_trait]
impl S3 for AwsS3 {
    async fn create_bucket(&self, bucket: &str, tags: &Tags) -> Result<()> {
        const OP: &str = "s3:CreateBucket";
        // In us-east-1, CreateBucket on a bucket the account already owns answers 200: ask
        // first, so that a run never adopts a bucket it did not create.
        match self.client.head_bucket().bucket(bucket).send().await {
            Ok(_) => {
                return Err(SandboxError::new(
                    ErrorKind::AlreadyExists,
                    OP,
                    format!(
                        "BucketAlreadyOwnedByYou: bucket {bucket} already exists in this account"
                    ),
                ));
            }
            Err(e) => match head_error("s3:HeadBucket", bucket, e).kind {
                ErrorKind::NotFound => {}
                ErrorKind::AccessDenied => {
                    return Err(SandboxError::new(
                        ErrorKind::AlreadyExists,
                        OP,
                        format!(
                            "BucketAlreadyExists: bucket {bucket} exists and is another account's"
                        ),
                    ));
                }
                _ => {}
            },
        }
        // ACLs disabled, AWS's default for new buckets since April 2023: said explicitly, as
        // Block Public Access is below, so every endpoint behaves the same.
        let mut req = self
            .client
            .create_bucket()
            .bucket(bucket)
            .object_ownership(aws_sdk_s3::types::ObjectOwnership::BucketOwnerEnforced);
        // us-east-1 is the one region that takes no location constraint.
        if self.region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(self.region.as_str()))
                    .build(),
            );
        }
        req.send().await.map_err(|e| sandbox_error(OP, e))?;
        // New buckets block public access, as AWS does by default since 2023; said
        // explicitly so every endpoint (and an older account setting) behaves the same.
        self.put_public_access_block(
            bucket,
            &PublicAccessBlock {
                block_public_acls: true,
                ignore_public_acls: true,
                block_public_policy: true,
                restrict_public_buckets: true,
            },
        )
        .await?;
        if !tags.is_empty() {
            const TAG: &str = "s3:PutBucketTagging";
            let set = sdk_tags(TAG, tags, |k, v| Tag::builder().key(k).value(v).build())?;
            let tagging = Tagging::builder()
                .set_tag_set(Some(set))
                .build()
                .map_err(|e| SandboxError::new(ErrorKind::InvalidInput, TAG, e.to_string()))?;
            self.client
                .put_bucket_tagging()
                .bucket(bucket)
                .tagging(tagging)
                .send()
                .await
                .map_err(|e| sandbox_error(TAG, e))?;
        }
        Ok(())
    }

    async fn delete_bucket(&self, bucket: &str) -> Result<()> {
        self.client
            .delete_bucket()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| sandbox_error("s3:DeleteBucket", e))?;
        Ok(())
    }

    async fn bucket_tags(&self, bucket: &str) -> Result<Tags> {
        if let Err(e) = self.client.head_bucket().bucket(bucket).send().await {
            return Err(head_error("s3:HeadBucket", bucket, e));
        }
        match self.client.get_bucket_tagging().bucket(bucket).send().await {
            Ok(out) => Ok(out
                .tag_set()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned()))
                .collect()),
            Err(e) => {
                absent("s3:GetBucketTagging", "NoSuchTagSet", e).map(Option::unwrap_or_default)
            }
        }
    }

    async fn put_object(&self, bucket: &str, key: &str, body: &str) -> Result<()> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("text/plain")
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .map_err(|e| sandbox_error("s3:PutObject", e))?;
        Ok(())
    }

    async fn list_objects(&self, bucket: &str, prefix: &str) -> Result<Vec<String>> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sandbox_error("s3:ListObjectsV2", e))?;
            keys.extend(
                page.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
        }
        Ok(keys)
    }

    async fn delete_object(&self, bucket: &str, key: &str) -> Result<()> {
        self.client
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| sandbox_error("s3:DeleteObject", e))?;
        Ok(())
    }

    async fn get_bucket_policy(&self, bucket: &str) -> Result<Option<String>> {
        match self.client.get_bucket_policy().bucket(bucket).send().await {
            Ok(out) => Ok(out.policy().map(str::to_owned)),
            Err(e) => absent("s3:GetBucketPolicy", "NoSuchBucketPolicy", e),
        }
    }

    async fn put_bucket_policy(&self, bucket: &str, policy: &str) -> Result<()> {
        self.client
            .put_bucket_policy()
            .bucket(bucket)
            .policy(policy)
            .send()
            .await
            .map_err(|e| sandbox_error("s3:PutBucketPolicy", e))?;
        Ok(())
    }

    async fn delete_bucket_policy(&self, bucket: &str) -> Result<()> {
        self.client
            .delete_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| sandbox_error("s3:DeleteBucketPolicy", e))?;
        Ok(())
    }

    async fn get_public_access_block(&self, bucket: &str) -> Result<Option<PublicAccessBlock>> {
        match self
            .client
            .get_public_access_block()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .public_access_block_configuration()
                .map(|c| PublicAccessBlock {
                    block_public_acls: c.block_public_acls().unwrap_or(false),
                    ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                    block_public_policy: c.block_public_policy().unwrap_or(false),
                    restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
                })),
            Err(e) => absent(
                "s3:GetPublicAccessBlock",
                "NoSuchPublicAccessBlockConfiguration",
                e,
            ),
        }
    }

    async fn put_public_access_block(&self, bucket: &str, b: &PublicAccessBlock) -> Result<()> {
        self.client
            .put_public_access_block()
            .bucket(bucket)
            .public_access_block_configuration(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(b.block_public_acls)
                    .ignore_public_acls(b.ignore_public_acls)
                    .block_public_policy(b.block_public_policy)
                    .restrict_public_buckets(b.restrict_public_buckets)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| sandbox_error("s3:PutPublicAccessBlock", e))?;
        Ok(())
    }

    async fn delete_public_access_block(&self, bucket: &str) -> Result<()> {
        self.client
            .delete_public_access_block()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| sandbox_error("s3:DeletePublicAccessBlock", e))?;
        Ok(())
    }

    async fn bucket_ownership(&self, bucket: &str) -> Result<Option<ObjectOwnership>> {
        const OP: &str = "s3:GetBucketOwnershipControls";
        match self
            .client
            .get_bucket_ownership_controls()
            .bucket(bucket)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .ownership_controls()
                .and_then(|c| c.rules().first())
                .and_then(|r| ObjectOwnership::parse(r.object_ownership().as_str()))),
            Err(e) => absent(OP, "OwnershipControlsNotFoundError", e),
        }
    }

    async fn put_bucket_ownership(&self, bucket: &str, ownership: ObjectOwnership) -> Result<()> {
        use aws_sdk_s3::types::{OwnershipControls, OwnershipControlsRule};
        const OP: &str = "s3:PutBucketOwnershipControls";
        let bad = |e: aws_sdk_s3::error::BuildError| {
            SandboxError::new(ErrorKind::InvalidInput, OP, e.to_string())
        };
        let rule = OwnershipControlsRule::builder()
            .object_ownership(aws_sdk_s3::types::ObjectOwnership::from(ownership.as_str()))
            .build()
            .map_err(bad)?;
        let controls = OwnershipControls::builder()
            .rules(rule)
            .build()
            .map_err(bad)?;
        self.client
            .put_bucket_ownership_controls()
            .bucket(bucket)
            .ownership_controls(controls)
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(())
    }

    async fn get_bucket_acl(&self, bucket: &str) -> Result<BucketAcl> {
        let out = self
            .client
            .get_bucket_acl()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| sandbox_error("s3:GetBucketAcl", e))?;
        Ok(BucketAcl {
            owner_id: out
                .owner()
                .and_then(|o| o.id())
                .unwrap_or_default()
                .to_owned(),
            grants: out.grants().iter().filter_map(grant_of).collect(),
        })
    }

    async fn put_bucket_canned_acl(&self, bucket: &str, acl: &str) -> Result<()> {
        const OP: &str = "s3:PutBucketAcl";
        if !crate::sandbox::CANNED_ACLS.contains(&acl) {
            return Err(SandboxError::new(
                ErrorKind::InvalidInput,
                OP,
                format!("InvalidArgument: `{acl}` is not a canned ACL"),
            ));
        }
        self.client
            .put_bucket_acl()
            .bucket(bucket)
            .acl(aws_sdk_s3::types::BucketCannedAcl::from(acl))
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(())
    }

    async fn put_bucket_acl(&self, bucket: &str, acl: &BucketAcl) -> Result<()> {
        self.client
            .put_bucket_acl()
            .bucket(bucket)
            .access_control_policy(policy_of(acl)?)
            .send()
            .await
            .map_err(|e| sandbox_error("s3:PutBucketAcl", e))?;
        Ok(())
    }

    async fn bucket_logging(&self, bucket: &str) -> Result<Option<BucketLogging>> {
        let out = self
            .client
            .get_bucket_logging()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| sandbox_error("s3:GetBucketLogging", e))?;
        Ok(out.logging_enabled().map(|l| BucketLogging {
            target_bucket: l.target_bucket().to_owned(),
            target_prefix: l.target_prefix().to_owned(),
        }))
    }

    async fn put_bucket_logging(
        &self,
        bucket: &str,
        logging: Option<&BucketLogging>,
    ) -> Result<()> {
        use aws_sdk_s3::types::{BucketLoggingStatus, LoggingEnabled};
        const OP: &str = "s3:PutBucketLogging";
        let enabled = match logging {
            None => None,
            Some(l) => Some(
                LoggingEnabled::builder()
                    .target_bucket(&l.target_bucket)
                    .target_prefix(&l.target_prefix)
                    .build()
                    .map_err(|e| SandboxError::new(ErrorKind::InvalidInput, OP, e.to_string()))?,
            ),
        };
        self.client
            .put_bucket_logging()
            .bucket(bucket)
            .bucket_logging_status(
                BucketLoggingStatus::builder()
                    .set_logging_enabled(enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(())
    }

    async fn account_public_access_block(&self) -> Result<Option<PublicAccessBlock>> {
        const OP: &str = "s3:GetAccountPublicAccessBlock";
        match self
            .control
            .get_public_access_block()
            .account_id(self.account(OP)?)
            .send()
            .await
        {
            Ok(out) => Ok(out
                .public_access_block_configuration()
                .map(|c| PublicAccessBlock {
                    block_public_acls: c.block_public_acls().unwrap_or(false),
                    ignore_public_acls: c.ignore_public_acls().unwrap_or(false),
                    block_public_policy: c.block_public_policy().unwrap_or(false),
                    restrict_public_buckets: c.restrict_public_buckets().unwrap_or(false),
                })),
            Err(e) => {
                if e.code() == Some("NoSuchPublicAccessBlockConfiguration") {
                    Ok(None)
                } else {
                    Err(sandbox_error(OP, e))
                }
            }
        }
    }

    async fn put_account_public_access_block(&self, b: &PublicAccessBlock) -> Result<()> {
        const OP: &str = "s3:PutAccountPublicAccessBlock";
        self.control
            .put_public_access_block()
            .account_id(self.account(OP)?)
            .public_access_block_configuration(
                aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
                    .block_public_acls(b.block_public_acls)
                    .ignore_public_acls(b.ignore_public_acls)
                    .block_public_policy(b.block_public_policy)
                    .restrict_public_buckets(b.restrict_public_buckets)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(())
    }

    async fn delete_account_public_access_block(&self) -> Result<()> {
        const OP: &str = "s3:DeleteAccountPublicAccessBlock";
        match self
            .control
            .delete_public_access_block()
            .account_id(self.account(OP)?)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => Ok(()),
            Err(e) => Err(sandbox_error(OP, e)),
        }
    }
}
