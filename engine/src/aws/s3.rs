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

    /// PutObject of a small text.
    pub async fn put_object(&self, bucket: &str, key: &str, body: String) -> Result<()> {
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("text/plain")
            .body(body.into_bytes().into())
            .send()
            .await
            .map_err(|e| sandbox_error("s3:PutObject", e))?;
        Ok(())
    }
}

/// `Ok(None)` when AWS's code says the bucket has no such configuration (`absent`); any
/// other error, a missing bucket included, is an error.
fn absent<T, E>(operation: &str, absent: &str, e: E) -> Result<Option<T>>
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
        const LIST: &str = "s3:ListObjectsV2";
        const DEL: &str = "s3:DeleteObject";
        loop {
            let page = self
                .client
                .list_objects_v2()
                .bucket(bucket)
                .send()
                .await
                .map_err(|e| sandbox_error(LIST, e))?;
            let keys: Vec<String> = page
                .contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned))
                .collect();
            if keys.is_empty() {
                break;
            }
            for key in keys {
                self.client
                    .delete_object()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .map_err(|e| sandbox_error(DEL, e))?;
            }
        }
        self.client
            .delete_bucket()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| sandbox_error("s3:DeleteBucket", e))?;
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
