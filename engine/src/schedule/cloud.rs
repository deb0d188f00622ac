//! A plan's schedule as a sharded execution in the cloud: a Kubernetes CronJob of an
//! Indexed Job, or a CloudFormation template of an EventBridge Scheduler schedule that
//! submits an AWS Batch array job on Fargate. Each pod or child runs its shard with
//! `schedule run PLAN --shard-from-env VAR`; the runs directory is on S3, since they
//! share no disk.
//!
//! Memory: a pod or child asks for [`BASE_MIB`] plus [`PER_GAME_DAY_MIB`] for each game
//! day it runs at once (the plan's `concurrency`). Measured with `/usr/bin/time -v` on a
//! debug build: `schedule run` of a plan of the 29 library scenarios on a simulated
//! account in virtual time peaked at 53.0 MiB resident at concurrency 1 and 53.2 MiB at
//! concurrency 8, and one `gameday run` at 45.8 MiB: the process itself dominates and a
//! simulated game day adds well under 1 MiB. A game day on AWS holds SDK clients and
//! connection pools the simulator does not, so the 16 MiB per game day is an allowance
//! for those, not a measurement; the limit is twice the request.

use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The resident memory of the process before any game day, with headroom (MiB).
pub const BASE_MIB: u32 = 64;

/// The allowance per game day running at once (MiB).
pub const PER_GAME_DAY_MIB: u32 = 16;

/// What a cloud export needs beside the schedule.
#[derive(Debug, Clone, Default)]
pub struct Cloud {
    /// How many pods or children: the plan's `shards`.
    pub shards: u32,
    /// Game days at once in each: the plan's `concurrency`.
    pub concurrency: u32,
    /// The plan's runs directory; must be `s3://bucket/prefix`.
    pub runs_dir: String,
    /// Kubernetes: the IAM role the service account is annotated with (IRSA).
    pub role_arn: Option<String>,
    /// The container image.
    pub image: String,
    /// AWS Batch: the IAM actions the job role allows on every resource (the game days').
    pub actions: BTreeSet<String>,
    /// AWS Batch: the roles the plan's targets assume (`assume_role`), which the job role
    /// may assume; the game days' actions belong on those roles too.
    pub assume_roles: BTreeSet<String>,
}

/// The bucket and prefix of an `s3://bucket/prefix` runs directory; any other is refused,
/// naming the format.
pub fn s3_runs_dir(runs_dir: &str, format: &str) -> Result<(String, String), String> {
    let refuse = || {
        format!(
            "{format}: runs_dir `{runs_dir}` is not on S3; pods and Batch jobs share no disk, \
             so set the plan's runs_dir to s3://BUCKET/PREFIX"
        )
    };
    let rest = runs_dir.strip_prefix("s3://").ok_or_else(refuse)?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let ok_bucket = (3..=63).contains(&bucket.len())
        && bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if !ok_bucket {
        return Err(format!(
            "{format}: runs_dir `{runs_dir}`: `{bucket}` is not an S3 bucket name"
        ));
    }
    Ok((bucket.to_owned(), prefix.trim_end_matches('/').to_owned()))
}

/// Memory to ask for, in MiB.
pub fn memory_mib(concurrency: u32) -> u32 {
    BASE_MIB + PER_GAME_DAY_MIB * concurrency.max(1)
}

/// The YAML of `value`, after `comments` (each a `# ` line).
pub fn yaml(comments: &[String], docs: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    for c in comments {
        out.push_str(&format!("# {c}\n"));
    }
    for (i, doc) in docs.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let text = serde_saphyr::to_string(doc).map_err(|e| e.to_string())?;
        out.push_str(&text);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

/// What the Kubernetes export is made of beside `Cloud`.
pub struct Job<'a> {
    /// The DNS-1123 name of the CronJob and its service account.
    pub name: &'a str,
    /// The plan.
    pub plan: &'a str,
    /// The CronJob's schedule (five fields).
    pub schedule: &'a str,
    /// The plan's time zone.
    pub tz: &'a str,
    /// The container's arguments.
    pub args: &'a [&'a str],
}

/// A ServiceAccount for IRSA and a CronJob whose job is an Indexed Job of `shards` pods.
pub fn kubernetes(job: &Job, cloud: &Cloud) -> Result<Vec<Value>, String> {
    s3_runs_dir(&cloud.runs_dir, "kubernetes")?;
    let role = cloud.role_arn.as_deref().ok_or(
        "kubernetes: --role-arn ARN is required: the pods take their AWS credentials from a \
         service account annotated with that role (IRSA), never from a secret",
    )?;
    check_role_arn(role)?;
    let memory = memory_mib(cloud.concurrency);
    let account = json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": job.name,
            "annotations": {"eks.amazonaws.com/role-arn": role},
        },
    });
    let cron = json!({
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": job.name, "annotations": {"gameday/plan": job.plan}},
        "spec": {
            "schedule": job.schedule,
            "timeZone": job.tz,
            "concurrencyPolicy": "Forbid",
            "successfulJobsHistoryLimit": 3,
            "jobTemplate": {"spec": {
                "completionMode": "Indexed",
                "completions": cloud.shards,
                "parallelism": cloud.shards,
                "backoffLimit": 0,
                "template": {"spec": {
                    "serviceAccountName": job.name,
                    "restartPolicy": "Never",
                    "containers": [{
                        "name": "gameday",
                        "image": cloud.image,
                        "args": job.args,
                        "resources": {
                            "requests": {"cpu": "250m", "memory": format!("{memory}Mi")},
                            "limits": {"memory": format!("{}Mi", 2 * memory)},
                        },
                    }],
                }},
            }},
        },
    });
    Ok(vec![account, cron])
}

fn check_role_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = matches!(
        parts[..],
        ["arn", partition, "iam", "", account, resource]
            if partition.starts_with("aws")
                && account.len() == 12
                && account.chars().all(|c| c.is_ascii_digit())
                && resource.starts_with("role/")
                && resource.len() > 5
    );
    if ok {
        Ok(())
    } else {
        Err(format!(
            "--role-arn: `{arn}` is not an IAM role ARN such as \
             arn:aws:iam::123456789012:role/gameday"
        ))
    }
}

/// An EventBridge Scheduler expression from five cron fields (numbers, weekdays 0-6 with
/// Sunday 0): `cron(minutes hours day-of-month month day-of-week year)`, where one of
/// the day fields must be `?` and weekdays are named.
pub fn scheduler_expression(fields: &[String; 5]) -> Result<String, String> {
    let [minute, hour, dom, month, dow] = fields;
    let expand = |f: &str, min: u32, max: u32| -> String {
        if !f.contains('/') {
            return f.to_owned();
        }
        // EventBridge documents steps as `a/n` only: a stepped range is written out.
        let mut values = BTreeSet::new();
        for item in f.split(',') {
            let (base, step) = item.split_once('/').unwrap_or((item, "1"));
            let step: usize = step.parse().unwrap_or(1).max(1);
            let (a, b) = match base.split_once('-') {
                Some((a, b)) => (a.parse().unwrap_or(min), b.parse().unwrap_or(max)),
                None if base == "*" => (min, max),
                None => (base.parse().unwrap_or(min), base.parse().unwrap_or(min)),
            };
            values.extend((a..=b).step_by(step));
        }
        values
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    let day_names = |f: &str| -> String {
        f.split(',')
            .map(|item| {
                item.split('-')
                    .map(|n| {
                        n.parse::<usize>()
                            .ok()
                            .and_then(|i| DAYS.get(i))
                            .map_or(n.to_owned(), |d| (*d).to_owned())
                    })
                    .collect::<Vec<_>>()
                    .join("-")
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let (dom, dow) = match (dom.as_str(), dow.as_str()) {
        ("*", "*") => ("*".to_owned(), "?".to_owned()),
        (d, "*") => (expand(d, 1, 31), "?".to_owned()),
        ("*", w) => ("?".to_owned(), day_names(w)),
        _ => {
            return Err(format!(
                "cron: day-of-month `{dom}` and day-of-week `{dow}` both restricted: EventBridge \
                 Scheduler takes one of them, not both (cron fires when either matches)"
            ));
        }
    };
    Ok(format!(
        "cron({} {} {dom} {} {dow} *)",
        expand(minute, 0, 59),
        expand(hour, 0, 23),
        expand(month, 1, 12)
    ))
}

/// What the AWS Batch template is made of beside `Cloud`.
pub struct Batch<'a> {
    /// The plan, and the names of what the template creates.
    pub plan: &'a str,
    /// A name for AWS resources: letters, digits, `-` and `_`.
    pub name: &'a str,
    /// The plan's schedule, described.
    pub describe: &'a str,
    /// `cron(...)`.
    pub expression: &'a str,
    /// The plan's time zone.
    pub tz: &'a str,
    /// The container's command.
    pub command: &'a [&'a str],
}

fn assume(service: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
        }],
    })
}

/// The job role's policy: the game days' actions on every resource (their names are made
/// at run time), and the runs directory's S3 actions on its bucket and prefix only.
pub fn job_policy(cloud: &Cloud, bucket: &str, prefix: &str) -> Value {
    let objects = if prefix.is_empty() {
        format!("arn:${{AWS::Partition}}:s3:::{bucket}/*")
    } else {
        format!("arn:${{AWS::Partition}}:s3:::{bucket}/{prefix}/*")
    };
    let listed = if prefix.is_empty() {
        json!(["*"])
    } else {
        json!([prefix, format!("{prefix}/*")])
    };
    let mut statements = Vec::new();
    if !cloud.actions.is_empty() {
        statements.push(json!({
            "Sid": "GameDays",
            "Effect": "Allow",
            "Action": cloud.actions.iter().collect::<Vec<_>>(),
            "Resource": "*",
        }));
    }
    if !cloud.assume_roles.is_empty() {
        statements.push(json!({
            "Sid": "TargetRoles",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": cloud.assume_roles.iter().collect::<Vec<_>>(),
        }));
    }
    statements.push(json!({
        "Sid": "RunsDirList",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": {"Fn::Sub": format!("arn:${{AWS::Partition}}:s3:::{bucket}")},
        "Condition": {"StringLike": {"s3:prefix": listed}},
    }));
    statements.push(json!({
        "Sid": "RunsDirObjects",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": {"Fn::Sub": objects},
    }));
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// A CloudFormation template: a schedule submitting an array job of `shards` children on
/// Fargate, with its queue, compute environment, job definition and roles.
pub fn aws_batch(b: &Batch, cloud: &Cloud) -> Result<Value, String> {
    let (bucket, prefix) = s3_runs_dir(&cloud.runs_dir, "aws-batch")?;
    let memory = memory_mib(cloud.concurrency).div_ceil(1024).max(1) * 1024;
    // Fargate takes 0.5 vCPU with 1 to 4 GiB, 1 vCPU with 2 to 8 GiB.
    let vcpu = if memory <= 4096 { "0.5" } else { "1" };
    let mut submit = json!({
        "JobName": b.name,
        "JobQueue": "${JobQueue}",
        "JobDefinition": "${JobDefinition}",
    });
    if cloud.shards > 1 {
        submit["ArrayProperties"] = json!({"Size": cloud.shards});
    }
    let input = serde_json::to_string(&submit).map_err(|e| e.to_string())?;
    let job_definition = format!("{}-job", b.name);
    Ok(json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!("gameday plan {}: {}", b.plan, b.describe),
        "Parameters": {
            "Image": {"Type": "String", "Description": "The container image gameday runs from (its entrypoint is gameday, with the configuration at the path the command names)."},
            "Subnets": {"Type": "List<AWS::EC2::Subnet::Id>", "Description": "Subnets the Fargate tasks run in; they must reach the AWS APIs (a NAT gateway or VPC endpoints)."},
            "SecurityGroups": {"Type": "List<AWS::EC2::SecurityGroup::Id>", "Description": "Security groups of the tasks: outbound HTTPS only is enough."},
            "AssignPublicIp": {"Type": "String", "Default": "DISABLED", "AllowedValues": ["ENABLED", "DISABLED"], "Description": "ENABLED in a public subnet without a NAT gateway."},
        },
        "Resources": {
            "ComputeEnvironment": {"Type": "AWS::Batch::ComputeEnvironment", "Properties": {
                "Type": "MANAGED",
                "ComputeResources": {
                    "Type": "FARGATE",
                    "MaxvCpus": cloud.shards.max(1),
                    "Subnets": {"Ref": "Subnets"},
                    "SecurityGroupIds": {"Ref": "SecurityGroups"},
                },
            }},
            "JobQueue": {"Type": "AWS::Batch::JobQueue", "Properties": {
                "Priority": 1,
                "ComputeEnvironmentOrder": [{"Order": 1, "ComputeEnvironment": {"Ref": "ComputeEnvironment"}}],
            }},
            "JobDefinition": {"Type": "AWS::Batch::JobDefinition", "Properties": {
                "JobDefinitionName": job_definition,
                "Type": "container",
                "PlatformCapabilities": ["FARGATE"],
                "RetryStrategy": {"Attempts": 1},
                "ContainerProperties": {
                    "Image": {"Ref": "Image"},
                    "Command": b.command,
                    "JobRoleArn": {"Fn::GetAtt": ["JobRole", "Arn"]},
                    "ExecutionRoleArn": {"Fn::GetAtt": ["ExecutionRole", "Arn"]},
                    "ResourceRequirements": [
                        {"Type": "VCPU", "Value": vcpu},
                        {"Type": "MEMORY", "Value": memory.to_string()},
                    ],
                    "NetworkConfiguration": {"AssignPublicIp": {"Ref": "AssignPublicIp"}},
                    "LogConfiguration": {"LogDriver": "awslogs"},
                },
            }},
            "JobRole": {"Type": "AWS::IAM::Role", "Properties": {
                "Description": format!("gameday plan {}: the calls its game days make, and its runs directory", b.plan),
                "AssumeRolePolicyDocument": assume("ecs-tasks.amazonaws.com"),
                "Policies": [{"PolicyName": "gameday-plan", "PolicyDocument": job_policy(cloud, &bucket, &prefix)}],
            }},
            "ExecutionRole": {"Type": "AWS::IAM::Role", "Properties": {
                "Description": "Pulls the image and writes the logs of the gameday jobs",
                "AssumeRolePolicyDocument": assume("ecs-tasks.amazonaws.com"),
                "ManagedPolicyArns": [{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"}],
            }},
            "SchedulerRole": {"Type": "AWS::IAM::Role", "Properties": {
                "Description": "Lets the schedule submit the gameday job",
                "AssumeRolePolicyDocument": assume("scheduler.amazonaws.com"),
                "Policies": [{"PolicyName": "submit-job", "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Effect": "Allow",
                        "Action": "batch:SubmitJob",
                        "Resource": [
                            {"Ref": "JobQueue"},
                            {"Fn::Sub": format!("arn:${{AWS::Partition}}:batch:${{AWS::Region}}:${{AWS::AccountId}}:job-definition/{job_definition}*")},
                        ],
                    }],
                }}],
            }},
            "Schedule": {"Type": "AWS::Scheduler::Schedule", "Properties": {
                "Description": format!("gameday plan {}: {}", b.plan, b.describe),
                "ScheduleExpression": b.expression,
                "ScheduleExpressionTimezone": b.tz,
                "FlexibleTimeWindow": {"Mode": "OFF"},
                "State": "ENABLED",
                "Target": {
                    "Arn": {"Fn::Sub": "arn:${AWS::Partition}:scheduler:::aws-sdk:batch:submitJob"},
                    "RoleArn": {"Fn::GetAtt": ["SchedulerRole", "Arn"]},
                    "Input": {"Fn::Sub": input},
                    "RetryPolicy": {"MaximumRetryAttempts": 0},
                },
            }},
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_role_may_assume_the_targets_roles_and_reach_only_its_runs() {
        let cloud = Cloud {
            actions: ["iam:CreateUser".to_owned()].into(),
            assume_roles: ["arn:aws:iam::123456789012:role/gameday".to_owned()].into(),
            ..Cloud::default()
        };
        let policy = job_policy(&cloud, "runs", "");
        let statements = policy["Statement"].as_array().expect("statements");
        let sids: Vec<&str> = statements
            .iter()
            .filter_map(|s| s["Sid"].as_str())
            .collect();
        assert_eq!(
            sids,
            ["GameDays", "TargetRoles", "RunsDirList", "RunsDirObjects"]
        );
        assert_eq!(statements[1]["Action"], "sts:AssumeRole");
        assert_eq!(
            statements[1]["Resource"],
            json!(["arn:aws:iam::123456789012:role/gameday"])
        );
        assert_eq!(
            statements[2]["Condition"]["StringLike"]["s3:prefix"],
            json!(["*"])
        );
        assert_eq!(
            statements[3]["Resource"]["Fn::Sub"],
            "arn:${AWS::Partition}:s3:::runs/*"
        );
    }

    #[test]
    fn runs_dirs_on_s3_only() {
        assert_eq!(
            s3_runs_dir("s3://runs/a/b/", "x"),
            Ok(("runs".to_owned(), "a/b".to_owned()))
        );
        assert_eq!(
            s3_runs_dir("s3://runs", "x"),
            Ok(("runs".to_owned(), String::new()))
        );
        assert!(s3_runs_dir("/var/runs", "x").is_err());
        assert!(s3_runs_dir("s3://", "x").is_err());
        assert_eq!(memory_mib(4), 128);
        assert_eq!(memory_mib(0), 80);
    }
}
