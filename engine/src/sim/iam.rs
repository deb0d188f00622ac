//! IAM: users, their access keys and policies, and the account password policy.

use super::{Call, SimAccount, State, error};
use crate::sandbox::{
    AccessKeyInfo, Credentials, ErrorKind, FindingResource, Iam, KeyStatus, PasswordPolicy, Result,
    SandboxError, Secret, Tags,
};
use async_trait::async_trait;
use serde_json::Value;
use std::collections::BTreeMap;

/// AWS's managed policy granting everything.
pub(super) const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";
/// AWS's managed policy granting every read call.
pub(super) const READ_ONLY_ACCESS: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";

/// A user may hold at most this many access keys.
const MAX_KEYS: usize = 2;

/// An IAM user.
#[derive(Debug, Clone)]
pub(super) struct User {
    pub arn: String,
    pub tags: Tags,
    /// In creation order, as ListAccessKeys gives them.
    pub keys: Vec<AccessKey>,
    /// Managed policy ARNs, in attachment order.
    pub attached: Vec<String>,
    pub inline: BTreeMap<String, InlinePolicy>,
}

/// An access key.
#[derive(Debug, Clone)]
pub(super) struct AccessKey {
    pub id: String,
    pub status: KeyStatus,
    pub secret: String,
}

/// An inline policy, with what the simulator's authoriser needs from it worked out once.
#[derive(Debug, Clone)]
pub(super) struct InlinePolicy {
    pub document: String,
    /// A statement denies every action.
    pub denies_all: bool,
}

/// Whether a policy document has an `Effect: Deny` statement whose `Action` is `*`.
fn denies_all(doc: &Value) -> bool {
    statements(doc).any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Deny")
            && match s.get("Action") {
                Some(Value::String(a)) => a == "*",
                Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some("*")),
                _ => false,
            }
    })
}

/// The statements of a policy document (one object or a list).
pub(super) fn statements(doc: &Value) -> impl Iterator<Item = &Value> {
    let list: &[Value] = match doc.get("Statement") {
        Some(Value::Array(list)) => list,
        Some(one @ Value::Object(_)) => std::slice::from_ref(one),
        _ => &[],
    };
    list.iter()
}

fn no_user(op: &str, user: &str) -> SandboxError {
    error(
        ErrorKind::NotFound,
        op,
        "NoSuchEntity",
        format!("The user with name {user} cannot be found."),
    )
}

/// An IAM user or role name (`what`): 1 to 64 letters, digits and `_+=,.@-`.
pub(super) fn check_name(op: &str, what: &str, name: &str) -> Result<()> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(error(
            ErrorKind::InvalidInput,
            op,
            "ValidationError",
            format!("`{name}` is not a valid {what} name: 1 to 64 letters, digits and _+=,.@-"),
        ))
    }
}

/// An inline policy's name and document as IAM takes them: a name of 1 to 128
/// characters, and JSON holding a mapping with a `Statement`.
pub(super) fn check_policy(op: &str, name: &str, document: &str) -> Result<Value> {
    if name.is_empty() || name.len() > 128 {
        return Err(error(
            ErrorKind::InvalidInput,
            op,
            "ValidationError",
            "the policy name must be 1 to 128 characters",
        ));
    }
    check_document(op, document)
}

/// A policy document as IAM takes it: JSON holding a mapping with a `Statement`.
pub(super) fn check_document(op: &str, document: &str) -> Result<Value> {
    let doc: Value = serde_json::from_str(document).map_err(|e| {
        error(
            ErrorKind::InvalidInput,
            op,
            "MalformedPolicyDocument",
            format!("the document is not JSON: {e}"),
        )
    })?;
    if !doc.is_object() || doc.get("Statement").is_none() {
        return Err(error(
            ErrorKind::InvalidInput,
            op,
            "MalformedPolicyDocument",
            "the document must be a mapping with a Statement",
        ));
    }
    Ok(doc)
}

impl State {
    fn user_mut(&mut self, op: &str, user: &str) -> Result<&mut User> {
        self.users.get_mut(user).ok_or_else(|| no_user(op, user))
    }

    fn user(&self, op: &str, user: &str) -> Result<&User> {
        self.users.get(user).ok_or_else(|| no_user(op, user))
    }
}

fn about_user(user: &str) -> FindingResource {
    FindingResource {
        user_name: Some(user.to_owned()),
        ..FindingResource::default()
    }
}

fn about_key(user: &str, key: &str) -> FindingResource {
    FindingResource {
        user_name: Some(user.to_owned()),
        access_key_id: Some(key.to_owned()),
        ..FindingResource::default()
    }
}

#[async_trait]
impl Iam for SimAccount {
    async fn create_user(&self, user: &str, tags: &Tags) -> Result<String> {
        const OP: &str = "iam:CreateUser";
        check_name(OP, "user", user)?;
        let mut st = self.lock();
        // IAM user names are unique regardless of case.
        if st.users.keys().any(|u| u.eq_ignore_ascii_case(user)) {
            return Err(error(
                ErrorKind::AlreadyExists,
                OP,
                "EntityAlreadyExists",
                format!("User with name {user} already exists."),
            ));
        }
        let arn = format!("arn:aws:iam::{}:user/{user}", self.account);
        st.users.insert(
            user.to_owned(),
            User {
                arn: arn.clone(),
                tags: tags.clone(),
                keys: Vec::new(),
                attached: Vec::new(),
                inline: BTreeMap::new(),
            },
        );
        self.record(&mut st, Call::new(OP, &[user]).subject(about_user(user)));
        Ok(arn)
    }

    async fn user_tags(&self, user: &str) -> Result<Tags> {
        let st = self.lock();
        Ok(st.user("iam:ListUserTags", user)?.tags.clone())
    }

    async fn delete_user(&self, user: &str) -> Result<()> {
        const OP: &str = "iam:DeleteUser";
        let mut st = self.lock();
        let u = st.user(OP, user)?;
        let still = [
            (!u.keys.is_empty(), "access keys"),
            (!u.attached.is_empty(), "attached policies"),
            (!u.inline.is_empty(), "inline policies"),
        ];
        if let Some((_, what)) = still.iter().find(|(has, _)| *has) {
            return Err(error(
                ErrorKind::Conflict,
                OP,
                "DeleteConflict",
                format!("Cannot delete entity, must delete {what} first."),
            ));
        }
        st.users.remove(user);
        self.record(&mut st, Call::new(OP, &[user]).subject(about_user(user)));
        Ok(())
    }

    async fn create_access_key(&self, user: &str) -> Result<Credentials> {
        const OP: &str = "iam:CreateAccessKey";
        const KEY_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        const SECRET_CHARS: &[u8] =
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut st = self.lock();
        if st.user(OP, user)?.keys.len() >= MAX_KEYS {
            return Err(error(
                ErrorKind::Conflict,
                OP,
                "LimitExceeded",
                format!("Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS}"),
            ));
        }
        let id = loop {
            let id = format!("AKIA{}", st.chars(KEY_CHARS, 16));
            if !st.key_owner.contains_key(&id) {
                break id;
            }
        };
        let secret = st.chars(SECRET_CHARS, 40);
        st.key_owner.insert(id.clone(), user.to_owned());
        st.user_mut(OP, user)?.keys.push(AccessKey {
            id: id.clone(),
            status: KeyStatus::Active,
            secret: secret.clone(),
        });
        self.record(
            &mut st,
            Call::new(OP, &[user, &id]).subject(about_key(user, &id)),
        );
        Ok(Credentials {
            access_key_id: id,
            secret_access_key: Secret::new(secret),
        })
    }

    async fn list_access_keys(&self, user: &str) -> Result<Vec<AccessKeyInfo>> {
        let st = self.lock();
        Ok(st
            .user("iam:ListAccessKeys", user)?
            .keys
            .iter()
            .map(|k| AccessKeyInfo {
                access_key_id: k.id.clone(),
                status: k.status,
            })
            .collect())
    }

    async fn update_access_key(&self, user: &str, key: &str, status: KeyStatus) -> Result<()> {
        const OP: &str = "iam:UpdateAccessKey";
        let mut st = self.lock();
        let k = st
            .user_mut(OP, user)?
            .keys
            .iter_mut()
            .find(|k| k.id == key)
            .ok_or_else(|| no_key(OP, user, key))?;
        k.status = status;
        self.record(
            &mut st,
            Call::new(OP, &[user, key]).subject(about_key(user, key)),
        );
        Ok(())
    }

    async fn delete_access_key(&self, user: &str, key: &str) -> Result<()> {
        const OP: &str = "iam:DeleteAccessKey";
        let mut st = self.lock();
        let u = st.user_mut(OP, user)?;
        let at = u
            .keys
            .iter()
            .position(|k| k.id == key)
            .ok_or_else(|| no_key(OP, user, key))?;
        u.keys.remove(at);
        st.key_owner.remove(key);
        self.record(
            &mut st,
            Call::new(OP, &[user, key]).subject(about_key(user, key)),
        );
        Ok(())
    }

    async fn attach_user_policy(&self, user: &str, policy_arn: &str) -> Result<()> {
        const OP: &str = "iam:AttachUserPolicy";
        check_policy_arn(OP, policy_arn)?;
        let mut st = self.lock();
        let u = st.user_mut(OP, user)?;
        // Attaching an attached policy succeeds and changes nothing, as in AWS.
        if !u.attached.iter().any(|p| p == policy_arn) {
            u.attached.push(policy_arn.to_owned());
        }
        self.record(
            &mut st,
            Call::new(OP, &[user, policy_arn]).subject(about_user(user)),
        );
        Ok(())
    }

    async fn detach_user_policy(&self, user: &str, policy_arn: &str) -> Result<()> {
        const OP: &str = "iam:DetachUserPolicy";
        let mut st = self.lock();
        let u = st.user_mut(OP, user)?;
        let at = u
            .attached
            .iter()
            .position(|p| p == policy_arn)
            .ok_or_else(|| {
                error(
                    ErrorKind::NotFound,
                    OP,
                    "NoSuchEntity",
                    format!("Policy {policy_arn} was not found attached to user {user}."),
                )
            })?;
        u.attached.remove(at);
        self.record(
            &mut st,
            Call::new(OP, &[user, policy_arn]).subject(about_user(user)),
        );
        Ok(())
    }

    async fn list_attached_user_policies(&self, user: &str) -> Result<Vec<String>> {
        let st = self.lock();
        Ok(st
            .user("iam:ListAttachedUserPolicies", user)?
            .attached
            .clone())
    }

    async fn put_user_policy(&self, user: &str, name: &str, document: &str) -> Result<()> {
        const OP: &str = "iam:PutUserPolicy";
        let doc = check_policy(OP, name, document)?;
        let mut st = self.lock();
        st.user_mut(OP, user)?.inline.insert(
            name.to_owned(),
            InlinePolicy {
                document: document.to_owned(),
                denies_all: denies_all(&doc),
            },
        );
        self.record(
            &mut st,
            Call::new(OP, &[user, name]).subject(about_user(user)),
        );
        Ok(())
    }

    async fn delete_user_policy(&self, user: &str, name: &str) -> Result<()> {
        const OP: &str = "iam:DeleteUserPolicy";
        let mut st = self.lock();
        if st.user_mut(OP, user)?.inline.remove(name).is_none() {
            return Err(error(
                ErrorKind::NotFound,
                OP,
                "NoSuchEntity",
                format!("The user policy with name {name} cannot be found."),
            ));
        }
        self.record(
            &mut st,
            Call::new(OP, &[user, name]).subject(about_user(user)),
        );
        Ok(())
    }

    async fn user_policies(&self, user: &str) -> Result<BTreeMap<String, String>> {
        let st = self.lock();
        Ok(st
            .user("iam:ListUserPolicies", user)?
            .inline
            .iter()
            .map(|(name, p)| (name.clone(), p.document.clone()))
            .collect())
    }

    async fn get_account_password_policy(&self) -> Result<Option<PasswordPolicy>> {
        Ok(self.lock().password_policy.clone())
    }

    async fn update_account_password_policy(&self, policy: &PasswordPolicy) -> Result<()> {
        const OP: &str = "iam:UpdateAccountPasswordPolicy";
        if !(6..=128).contains(&policy.minimum_password_length) {
            return Err(error(
                ErrorKind::InvalidInput,
                OP,
                "ValidationError",
                "MinimumPasswordLength must be between 6 and 128",
            ));
        }
        if policy
            .max_password_age
            .is_some_and(|d| !(1..=1095).contains(&d))
        {
            return Err(error(
                ErrorKind::InvalidInput,
                OP,
                "ValidationError",
                "MaxPasswordAge must be between 1 and 1095",
            ));
        }
        let mut st = self.lock();
        st.password_policy = Some(policy.clone());
        self.record(&mut st, Call::new(OP, &[]));
        Ok(())
    }

    async fn delete_account_password_policy(&self) -> Result<()> {
        const OP: &str = "iam:DeleteAccountPasswordPolicy";
        let mut st = self.lock();
        if st.password_policy.take().is_none() {
            return Err(error(
                ErrorKind::NotFound,
                OP,
                "NoSuchEntity",
                "The account policy with name PasswordPolicy cannot be found.",
            ));
        }
        self.record(&mut st, Call::new(OP, &[]));
        Ok(())
    }

    async fn create_role(&self, role: &str, trust_policy: &str, tags: &Tags) -> Result<String> {
        self.sim_create_role(role, trust_policy, tags)
    }

    async fn role_tags(&self, role: &str) -> Result<Tags> {
        self.sim_role_tags(role)
    }

    async fn delete_role(&self, role: &str) -> Result<()> {
        self.sim_delete_role(role)
    }

    async fn role_trust_policy(&self, role: &str) -> Result<String> {
        self.sim_role_trust_policy(role)
    }

    async fn update_assume_role_policy(&self, role: &str, document: &str) -> Result<()> {
        self.sim_update_assume_role_policy(role, document)
    }

    async fn put_role_policy(&self, role: &str, name: &str, document: &str) -> Result<()> {
        self.sim_put_role_policy(role, name, document)
    }

    async fn delete_role_policy(&self, role: &str, name: &str) -> Result<()> {
        self.sim_delete_role_policy(role, name)
    }

    async fn role_policies(&self, role: &str) -> Result<BTreeMap<String, String>> {
        self.sim_role_policies(role)
    }
}

fn no_key(op: &str, user: &str, key: &str) -> SandboxError {
    error(
        ErrorKind::NotFound,
        op,
        "NoSuchEntity",
        format!("The Access Key with id {key} cannot be found for user {user}."),
    )
}

/// Only AWS managed policies exist in the simulated account (there is no CreatePolicy).
fn check_policy_arn(op: &str, arn: &str) -> Result<()> {
    if !arn.starts_with("arn:aws:iam::") || !arn.contains(":policy/") {
        return Err(error(
            ErrorKind::InvalidInput,
            op,
            "InvalidInput",
            format!("`{arn}` is not a policy ARN"),
        ));
    }
    if !arn.starts_with("arn:aws:iam::aws:policy/") {
        return Err(error(
            ErrorKind::NotFound,
            op,
            "NoSuchEntity",
            format!("Policy {arn} does not exist or is not attachable."),
        ));
    }
    Ok(())
}
