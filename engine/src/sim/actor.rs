//! Calls made with someone's access key, authorised by a deliberately tiny policy model.

use super::iam::{ADMINISTRATOR_ACCESS, READ_ONLY_ACCESS, User};
use super::{ATTACKER_IP, Call, Caller, SimAccount, State, error, model};
use crate::sandbox::{
    ATTACKER_OBJECT_CALLS, Actor, CallsAs, Credentials, ErrorKind, FindingResource, ObjectRef,
    Result, SandboxError,
};

/// The AWS managed policy granting every S3 action.
const S3_FULL_ACCESS: &str = "arn:aws:iam::aws:policy/AmazonS3FullAccess";
use async_trait::async_trait;

/// `iam.list_users` → `iam:ListUsers`, and whether it is a read call.
fn event_name(call: &str) -> Option<(String, bool)> {
    let (service, op) = call.split_once('.')?;
    let well_formed = |s: &str, extra: char| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == extra)
    };
    if !well_formed(service, '-') || !well_formed(op, '_') || op.starts_with('_') {
        return None;
    }
    let mut name = String::with_capacity(call.len());
    name.push_str(service);
    name.push(':');
    for word in op.split('_').filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.extend(chars);
        }
    }
    let read = ["list_", "describe_", "get_"]
        .iter()
        .any(|p| op.starts_with(p));
    Some((name, read))
}

/// The simulator's authoriser: an inline Deny of `*` denies everything; AdministratorAccess
/// allows everything; ReadOnlyAccess allows list, describe and get calls; AmazonS3FullAccess
/// allows every S3 call; nothing else allows anything. GetCallerIdentity needs no
/// permission, as in AWS.
fn allowed(user: &User, event: &str, read: bool) -> bool {
    if event == "sts:GetCallerIdentity" {
        return true;
    }
    if user.inline.values().any(|p| p.denies_all) {
        return false;
    }
    let has = |arn: &str| user.attached.iter().any(|a| a == arn);
    has(ADMINISTRATOR_ACCESS)
        || (read && has(READ_ONLY_ACCESS))
        || (event.starts_with("s3:") && has(S3_FULL_ACCESS))
}

#[async_trait]
impl Actor for SimAccount {
    /// Each call is audited (denied ones too) with the caller's key, user, user agent and
    /// source IP; calls carry no arguments and change nothing in the account.
    async fn call_as_on(
        &self,
        credentials: &Credentials,
        user_agent: &str,
        calls: &[String],
        object: Option<&ObjectRef>,
    ) -> Result<CallsAs> {
        const OP: &str = "api:CallAs";
        if let Some(call) = crate::sandbox::object_call_without_object(calls, object) {
            return Err(error(
                ErrorKind::InvalidInput,
                OP,
                "MissingParameter",
                format!("`{call}` needs the bucket (and key) it acts on"),
            ));
        }
        let mut events = Vec::with_capacity(calls.len());
        for call in calls {
            match event_name(call) {
                Some(e) => events.push(e),
                None => {
                    return Err(error(
                        ErrorKind::InvalidInput,
                        OP,
                        "InvalidAction",
                        format!(
                            "`{call}` is not a call: write service.operation, such as iam.list_users"
                        ),
                    ));
                }
            }
        }
        let op = events.first().map_or(OP, |(name, _)| name.as_str());
        let key_id = credentials.access_key_id.as_str();
        let mut st = self.lock();
        let (user_name, user) = authenticate(&st, credentials, op)?;
        let user_name = user_name.to_owned();
        let verdicts: Vec<bool> = events
            .iter()
            .map(|(name, read)| allowed(user, name, *read))
            .collect();
        let listed = if st.threat_listed(ATTACKER_IP) {
            model::THREAT_LISTED_IP
        } else {
            0
        };
        let caller = Caller {
            user_agent: user_agent.to_owned(),
            user_agent_lower: user_agent.to_lowercase(),
            access_key_id: key_id.to_owned(),
            user_name: user_name.clone(),
            source_ip: ATTACKER_IP.to_owned(),
        };
        let subject = FindingResource {
            access_key_id: Some(key_id.to_owned()),
            user_name: Some(user_name.clone()),
            ..FindingResource::default()
        };
        let now = self.clock.now();
        let mut result = CallsAs::default();
        for ((call_name, (name, _)), ok) in calls.iter().zip(&events).zip(verdicts) {
            let denied = if ok { 0 } else { model::DENIED };
            let on_object = object.filter(|_| ATTACKER_OBJECT_CALLS.contains(&call_name.as_str()));
            if let Some(o) = on_object {
                object_call(&mut st, name, o, ok)?;
            }
            if ok {
                result.made += 1;
            } else {
                result.denied += 1;
            }
            let op = name.split_once(':').map_or("", |(_, op)| op);
            let lists = if op.starts_with("List") || op.starts_with("Describe") {
                model::LISTS_OR_DESCRIBES
            } else {
                0
            };
            let call = match on_object {
                Some(o) => Call::new(name, &[key_id, &user_name, &o.bucket])
                    .subject(FindingResource {
                        bucket: Some(o.bucket.clone()),
                        ..subject.clone()
                    })
                    .flags(model::S3_DATA_EVENT),
                None => Call::new(name, &[key_id, &user_name]).subject(subject.clone()),
            };
            st.record(
                &self.model,
                now,
                call.flags(listed | denied | lists),
                Some(caller.clone()),
            );
        }
        Ok(result)
    }

    async fn attacker_ip(&self) -> Result<String> {
        Ok(ATTACKER_IP.to_owned())
    }
}

/// The user whose active key `credentials` are, as AWS checks a signature: an unknown,
/// inactive or deleted key is an invalid token, a wrong secret a bad signature.
fn authenticate<'a>(
    st: &'a State,
    credentials: &Credentials,
    op: &str,
) -> std::result::Result<(&'a str, &'a User), SandboxError> {
    let key_id = credentials.access_key_id.as_str();
    let invalid = || {
        error(
            ErrorKind::AccessDenied,
            op,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    };
    let user_name = st.key_owner.get(key_id).ok_or_else(invalid)?;
    let user = st.users.get(user_name).ok_or_else(invalid)?;
    let key = user
        .keys
        .iter()
        .find(|k| k.id == key_id)
        .ok_or_else(invalid)?;
    if key.status != crate::sandbox::KeyStatus::Active {
        return Err(invalid());
    }
    if key.secret != credentials.secret_access_key.expose() {
        return Err(error(
            ErrorKind::AccessDenied,
            op,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        ));
    }
    Ok((user_name.as_str(), user))
}

/// A call on `o`'s bucket: the bucket must exist, and the object too for a read of it; an
/// allowed put writes it. As in S3, a missing bucket or key fails whatever the policy.
fn object_call(
    st: &mut State,
    event: &str,
    o: &ObjectRef,
    allowed: bool,
) -> std::result::Result<(), SandboxError> {
    let bucket = st.buckets.get_mut(&o.bucket).ok_or_else(|| {
        error(
            ErrorKind::NotFound,
            event,
            "NoSuchBucket",
            format!("The specified bucket does not exist: {}", o.bucket),
        )
    })?;
    match event {
        "s3:PutObject" if allowed => {
            bucket.objects.insert(o.key.clone());
        }
        "s3:GetObject" | "s3:GetObjectAcl" if !bucket.objects.contains(&o.key) => {
            return Err(error(
                ErrorKind::NotFound,
                event,
                "NoSuchKey",
                format!("The specified key does not exist: {}", o.key),
            ));
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::event_name;

    #[test]
    fn call_names_become_cloudtrail_event_names() {
        assert_eq!(
            event_name("iam.list_users"),
            Some(("iam:ListUsers".to_owned(), true))
        );
        assert_eq!(
            event_name("ec2.describe_instances"),
            Some(("ec2:DescribeInstances".to_owned(), true))
        );
        assert_eq!(
            event_name("iam.attach_user_policy"),
            Some(("iam:AttachUserPolicy".to_owned(), false))
        );
        assert_eq!(
            event_name("sts.get_caller_identity"),
            Some(("sts:GetCallerIdentity".to_owned(), true))
        );
        for bad in [
            "iam",
            "iam.",
            ".list_users",
            "IAM.ListUsers",
            "iam.list users",
            "iam._x",
        ] {
            assert_eq!(event_name(bad), None, "{bad}");
        }
    }
}
