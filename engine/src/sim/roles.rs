//! IAM roles: their trust policies and inline policies, as `Iam` of the simulated account
//! serves them (the trait's methods in `iam.rs` call these).

use super::iam::{check_document, check_name, check_policy};
use super::{Call, SimAccount, State, error};
use crate::sandbox::{ErrorKind, Result, SandboxError, Tags};
use std::collections::BTreeMap;

/// An IAM role.
#[derive(Debug, Clone)]
pub(super) struct Role {
    pub arn: String,
    pub tags: Tags,
    /// The trust policy (AssumeRolePolicyDocument), as given.
    pub trust: String,
    /// Inline policies: name → document.
    pub inline: BTreeMap<String, String>,
}

fn no_role(op: &str, role: &str) -> SandboxError {
    error(
        ErrorKind::NotFound,
        op,
        "NoSuchEntity",
        format!("The role with name {role} cannot be found."),
    )
}

impl State {
    fn role_mut(&mut self, op: &str, role: &str) -> Result<&mut Role> {
        self.roles.get_mut(role).ok_or_else(|| no_role(op, role))
    }

    fn role(&self, op: &str, role: &str) -> Result<&Role> {
        self.roles.get(role).ok_or_else(|| no_role(op, role))
    }
}

impl SimAccount {
    pub(super) fn sim_create_role(&self, role: &str, trust: &str, tags: &Tags) -> Result<String> {
        const OP: &str = "iam:CreateRole";
        check_name(OP, "role", role)?;
        check_document(OP, trust)?;
        let mut st = self.lock();
        // IAM role names are unique regardless of case.
        if st.roles.keys().any(|r| r.eq_ignore_ascii_case(role)) {
            return Err(error(
                ErrorKind::AlreadyExists,
                OP,
                "EntityAlreadyExists",
                format!("Role with name {role} already exists."),
            ));
        }
        let arn = format!("arn:aws:iam::{}:role/{role}", self.account);
        st.roles.insert(
            role.to_owned(),
            Role {
                arn: arn.clone(),
                tags: tags.clone(),
                trust: trust.to_owned(),
                inline: BTreeMap::new(),
            },
        );
        self.record(&mut st, Call::new(OP, &[role]));
        Ok(arn)
    }

    pub(super) fn sim_role_tags(&self, role: &str) -> Result<Tags> {
        Ok(self.lock().role("iam:ListRoleTags", role)?.tags.clone())
    }

    pub(super) fn sim_delete_role(&self, role: &str) -> Result<()> {
        const OP: &str = "iam:DeleteRole";
        let mut st = self.lock();
        if !st.role(OP, role)?.inline.is_empty() {
            return Err(error(
                ErrorKind::Conflict,
                OP,
                "DeleteConflict",
                "Cannot delete entity, must delete policies first.",
            ));
        }
        st.roles.remove(role);
        self.record(&mut st, Call::new(OP, &[role]));
        Ok(())
    }

    pub(super) fn sim_role_trust_policy(&self, role: &str) -> Result<String> {
        Ok(self.lock().role("iam:GetRole", role)?.trust.clone())
    }

    pub(super) fn sim_update_assume_role_policy(&self, role: &str, document: &str) -> Result<()> {
        const OP: &str = "iam:UpdateAssumeRolePolicy";
        check_document(OP, document)?;
        let mut st = self.lock();
        st.role_mut(OP, role)?.trust = document.to_owned();
        self.record(&mut st, Call::new(OP, &[role]));
        Ok(())
    }

    pub(super) fn sim_put_role_policy(&self, role: &str, name: &str, document: &str) -> Result<()> {
        const OP: &str = "iam:PutRolePolicy";
        check_policy(OP, name, document)?;
        let mut st = self.lock();
        st.role_mut(OP, role)?
            .inline
            .insert(name.to_owned(), document.to_owned());
        self.record(&mut st, Call::new(OP, &[role, name]));
        Ok(())
    }

    pub(super) fn sim_delete_role_policy(&self, role: &str, name: &str) -> Result<()> {
        const OP: &str = "iam:DeleteRolePolicy";
        let mut st = self.lock();
        if st.role_mut(OP, role)?.inline.remove(name).is_none() {
            return Err(error(
                ErrorKind::NotFound,
                OP,
                "NoSuchEntity",
                format!("The role policy with name {name} cannot be found."),
            ));
        }
        self.record(&mut st, Call::new(OP, &[role, name]));
        Ok(())
    }

    pub(super) fn sim_role_policies(&self, role: &str) -> Result<BTreeMap<String, String>> {
        Ok(self
            .lock()
            .role("iam:ListRolePolicies", role)?
            .inline
            .clone())
    }
}
