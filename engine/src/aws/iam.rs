//! IAM on AWS: the [`Iam`] trait through the official SDK, with AWS's errors mapped to the
//! same kinds the simulator gives, so the steps above cannot tell them apart.

use super::{sandbox_error, sdk_tags};
use crate::sandbox::{
    AccessKeyInfo, Credentials, ErrorKind, Iam, KeyStatus, PasswordPolicy, Result, SandboxError,
    Secret, Tags,
};
use async_trait::async_trait;
use aws_sdk_iam::types::{StatusType, Tag};
use std::collections::BTreeMap;

/// IAM of one account.
#[derive(Debug, Clone)]
pub struct AwsIam {
    client: aws_sdk_iam::Client,
}

impl AwsIam {
    /// IAM through `config` (see [`super::sdk_config`]).
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        AwsIam {
            client: aws_sdk_iam::Client::new(config),
        }
    }
}

fn status(s: KeyStatus) -> StatusType {
    match s {
        KeyStatus::Active => StatusType::Active,
        KeyStatus::Inactive => StatusType::Inactive,
    }
}

/// IAM returns policy documents URL-encoded.
fn decode(document: &str) -> String {
    percent_encoding::percent_decode_str(document)
        .decode_utf8()
        .map(|d| d.into_owned())
        .unwrap_or_else(|_| document.to_owned())
}

#[async_trait]
impl Iam for AwsIam {
    async fn create_user(&self, user: &str, tags: &Tags) -> Result<String> {
        const OP: &str = "iam:CreateUser";
        let tags = sdk_tags(OP, tags, |k, v| Tag::builder().key(k).value(v).build())?;
        let out = self
            .client
            .create_user()
            .user_name(user)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(out.user().map(|u| u.arn().to_owned()).unwrap_or_default())
    }

    async fn user_tags(&self, user: &str) -> Result<Tags> {
        const OP: &str = "iam:ListUserTags";
        let mut pages = self
            .client
            .list_user_tags()
            .user_name(user)
            .into_paginator()
            .send();
        let mut tags = Tags::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sandbox_error(OP, e))?;
            tags.extend(
                page.tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned())),
            );
        }
        Ok(tags)
    }

    async fn delete_user(&self, user: &str) -> Result<()> {
        const OP: &str = "iam:DeleteUser";
        self.client
            .delete_user()
            .user_name(user)
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(())
    }

    async fn create_access_key(&self, user: &str) -> Result<Credentials> {
        const OP: &str = "iam:CreateAccessKey";
        let out = self
            .client
            .create_access_key()
            .user_name(user)
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        let key = out
            .access_key()
            .ok_or_else(|| SandboxError::new(ErrorKind::Other, OP, "no key in the answer"))?;
        Ok(Credentials {
            access_key_id: key.access_key_id().to_owned(),
            secret_access_key: Secret::new(key.secret_access_key()),
        })
    }

    async fn list_access_keys(&self, user: &str) -> Result<Vec<AccessKeyInfo>> {
        const OP: &str = "iam:ListAccessKeys";
        let out = self
            .client
            .list_access_keys()
            .user_name(user)
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(out
            .access_key_metadata()
            .iter()
            .map(|k| AccessKeyInfo {
                access_key_id: k.access_key_id().unwrap_or_default().to_owned(),
                status: match k.status() {
                    Some(StatusType::Inactive) => KeyStatus::Inactive,
                    _ => KeyStatus::Active,
                },
            })
            .collect())
    }

    async fn update_access_key(&self, user: &str, key: &str, s: KeyStatus) -> Result<()> {
        const OP: &str = "iam:UpdateAccessKey";
        self.client
            .update_access_key()
            .user_name(user)
            .access_key_id(key)
            .status(status(s))
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(())
    }

    async fn delete_access_key(&self, user: &str, key: &str) -> Result<()> {
        const OP: &str = "iam:DeleteAccessKey";
        self.client
            .delete_access_key()
            .user_name(user)
            .access_key_id(key)
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(())
    }

    async fn attach_user_policy(&self, user: &str, policy_arn: &str) -> Result<()> {
        const OP: &str = "iam:AttachUserPolicy";
        self.client
            .attach_user_policy()
            .user_name(user)
            .policy_arn(policy_arn)
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(())
    }

    async fn detach_user_policy(&self, user: &str, policy_arn: &str) -> Result<()> {
        const OP: &str = "iam:DetachUserPolicy";
        self.client
            .detach_user_policy()
            .user_name(user)
            .policy_arn(policy_arn)
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(())
    }

    async fn list_attached_user_policies(&self, user: &str) -> Result<Vec<String>> {
        const OP: &str = "iam:ListAttachedUserPolicies";
        let out = self
            .client
            .list_attached_user_policies()
            .user_name(user)
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(out
            .attached_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect())
    }

    async fn put_user_policy(&self, user: &str, name: &str, document: &str) -> Result<()> {
        const OP: &str = "iam:PutUserPolicy";
        self.client
            .put_user_policy()
            .user_name(user)
            .policy_name(name)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(())
    }

    async fn delete_user_policy(&self, user: &str, name: &str) -> Result<()> {
        const OP: &str = "iam:DeleteUserPolicy";
        self.client
            .delete_user_policy()
            .user_name(user)
            .policy_name(name)
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(())
    }

    async fn user_policies(&self, user: &str) -> Result<BTreeMap<String, String>> {
        const LIST: &str = "iam:ListUserPolicies";
        const GET: &str = "iam:GetUserPolicy";
        let names = self
            .client
            .list_user_policies()
            .user_name(user)
            .send()
            .await
            .map_err(|e| sandbox_error(LIST, e))?;
        let mut out = BTreeMap::new();
        for name in names.policy_names() {
            let p = self
                .client
                .get_user_policy()
                .user_name(user)
                .policy_name(name)
                .send()
                .await
                .map_err(|e| sandbox_error(GET, e))?;
            out.insert(name.clone(), decode(p.policy_document()));
        }
        Ok(out)
    }

    async fn get_account_password_policy(&self) -> Result<Option<PasswordPolicy>> {
        const OP: &str = "iam:GetAccountPasswordPolicy";
        match self.client.get_account_password_policy().send().await {
            Ok(out) => Ok(out.password_policy().map(|p| PasswordPolicy {
                minimum_password_length: p.minimum_password_length().unwrap_or(0).max(0) as u32,
                require_symbols: p.require_symbols(),
                require_numbers: p.require_numbers(),
                require_uppercase_characters: p.require_uppercase_characters(),
                require_lowercase_characters: p.require_lowercase_characters(),
                // Passwords that never expire: AWS leaves the field out, some endpoints
                // answer 0. Either way there is no maximum age.
                max_password_age: p.max_password_age().filter(|a| *a > 0).map(|a| a as u32),
            })),
            Err(e) => {
                let e = sandbox_error(OP, e);
                if e.kind == ErrorKind::NotFound {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    async fn update_account_password_policy(&self, p: &PasswordPolicy) -> Result<()> {
        const OP: &str = "iam:UpdateAccountPasswordPolicy";
        self.client
            .update_account_password_policy()
            .minimum_password_length(p.minimum_password_length as i32)
            .require_symbols(p.require_symbols)
            .require_numbers(p.require_numbers)
            .require_uppercase_characters(p.require_uppercase_characters)
            .require_lowercase_characters(p.require_lowercase_characters)
            .set_max_password_age(p.max_password_age.map(|a| a as i32))
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(())
    }

    async fn delete_account_password_policy(&self) -> Result<()> {
        const OP: &str = "iam:DeleteAccountPasswordPolicy";
        self.client
            .delete_account_password_policy()
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(())
    }

    async fn create_role(&self, role: &str, trust_policy: &str, tags: &Tags) -> Result<String> {
        const OP: &str = "iam:CreateRole";
        let tags = sdk_tags(OP, tags, |k, v| Tag::builder().key(k).value(v).build())?;
        let out = self
            .client
            .create_role()
            .role_name(role)
            .assume_role_policy_document(trust_policy)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(out.role().map(|r| r.arn().to_owned()).unwrap_or_default())
    }

    async fn role_tags(&self, role: &str) -> Result<Tags> {
        const OP: &str = "iam:ListRoleTags";
        let mut pages = self
            .client
            .list_role_tags()
            .role_name(role)
            .into_paginator()
            .send();
        let mut tags = Tags::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sandbox_error(OP, e))?;
            tags.extend(
                page.tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned())),
            );
        }
        Ok(tags)
    }

    async fn delete_role(&self, role: &str) -> Result<()> {
        const OP: &str = "iam:DeleteRole";
        self.client
            .delete_role()
            .role_name(role)
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(())
    }

    async fn role_trust_policy(&self, role: &str) -> Result<String> {
        const OP: &str = "iam:GetRole";
        let out = self
            .client
            .get_role()
            .role_name(role)
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        out.role()
            .and_then(|r| r.assume_role_policy_document())
            .map(decode)
            .ok_or_else(|| SandboxError::new(ErrorKind::Other, OP, "no trust policy in the answer"))
    }

    async fn update_assume_role_policy(&self, role: &str, document: &str) -> Result<()> {
        const OP: &str = "iam:UpdateAssumeRolePolicy";
        self.client
            .update_assume_role_policy()
            .role_name(role)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(())
    }

    async fn put_role_policy(&self, role: &str, name: &str, document: &str) -> Result<()> {
        const OP: &str = "iam:PutRolePolicy";
        self.client
            .put_role_policy()
            .role_name(role)
            .policy_name(name)
            .policy_document(document)
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(())
    }

    async fn delete_role_policy(&self, role: &str, name: &str) -> Result<()> {
        const OP: &str = "iam:DeleteRolePolicy";
        self.client
            .delete_role_policy()
            .role_name(role)
            .policy_name(name)
            .send()
            .await
            .map_err(|e| sandbox_error(OP, e))?;
        Ok(())
    }

    async fn role_policies(&self, role: &str) -> Result<BTreeMap<String, String>> {
        const LIST: &str = "iam:ListRolePolicies";
        const GET: &str = "iam:GetRolePolicy";
        let mut pages = self
            .client
            .list_role_policies()
            .role_name(role)
            .into_paginator()
            .send();
        let mut names = Vec::new();
        while let Some(page) = pages.next().await {
            names.extend(
                page.map_err(|e| sandbox_error(LIST, e))?
                    .policy_names()
                    .to_vec(),
            );
        }
        let mut out = BTreeMap::new();
        for name in names {
            let p = self
                .client
                .get_role_policy()
                .role_name(role)
                .policy_name(&name)
                .send()
                .await
                .map_err(|e| sandbox_error(GET, e))?;
            out.insert(name, decode(p.policy_document()));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::kind_of;
    use super::*;

    #[test]
    fn aws_codes_map_to_the_simulators_kinds() {
        assert_eq!(kind_of(Some("NoSuchEntity")), ErrorKind::NotFound);
        assert_eq!(
            kind_of(Some("EntityAlreadyExists")),
            ErrorKind::AlreadyExists
        );
        assert_eq!(kind_of(Some("DeleteConflict")), ErrorKind::Conflict);
        assert_eq!(kind_of(Some("LimitExceeded")), ErrorKind::Conflict);
        assert_eq!(
            kind_of(Some("MalformedPolicyDocument")),
            ErrorKind::InvalidInput
        );
        assert_eq!(kind_of(Some("Throttling")), ErrorKind::Throttled);
        assert_eq!(kind_of(None), ErrorKind::Other);
        assert_eq!(
            decode("%7B%22Version%22%3A%222012-10-17%22%7D"),
            r#"{"Version":"2012-10-17"}"#
        );
    }
}
