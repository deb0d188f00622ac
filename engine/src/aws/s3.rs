//! S3 on AWS: the [`S3`] trait through the official SDK.

use super::{sandbox_error, sdk_tags};
use crate::sandbox::{ErrorKind, PublicAccessBlock, Result, S3, SandboxError, Tags};
use async_trait::async_trait;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::types::{
    BucketLocationConstraint, CreateBucketConfiguration, PublicAccessBlockConfiguration, Tag,
    Tagging,
};

/// S3 of one account and region.
#[derive(Debug, Clone)]
pub struct AwsS3 {
    client: aws_sdk_s3::Client,
    region: String,
}

impl AwsS3 {
    /// S3 through `config`; `path_style` addressing for emulators and custom endpoints.
    pub fn new(config: &aws_config::SdkConfig, path_style: bool) -> Self {
        let conf = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(path_style)
            .build();
        AwsS3 {
            client: aws_sdk_s3::Client::from_conf(conf),
            region: config
                .region()
                .map(ToString::to_string)
                .unwrap_or_else(|| "us-east-1".to_owned()),
        }
    }
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
        let mut req = self.client.create_bucket().bucket(bucket);
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
}
