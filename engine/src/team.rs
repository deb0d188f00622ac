//! The people of a game day: their roles, and the orders they give the run. A console
//! hosts the game day; others join it (the front end's business). The engine only
//! journals who did what and never takes an order a role does not allow.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a responder asks the engine to do (as a console sends it to the host of a game
/// day: JSON tagged with `command`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Run the action of a runbook step.
    RunAction {
        /// The runbook step.
        step: String,
    },
    /// Mark a runbook step done by hand.
    TickStep {
        /// The runbook step.
        step: String,
    },
    /// Ask for a step's hint.
    Hint {
        /// The runbook step.
        step: String,
    },
    /// Acknowledge a detection.
    Acknowledge {
        /// The detection id.
        detection: String,
    },
    /// Write a note into the journal.
    Note {
        /// The text.
        text: String,
        /// The inject it answers, if any.
        answers: Option<String>,
    },
    /// Send an inject to the team (the facilitator).
    Inject {
        /// The message.
        text: String,
        /// The role it is addressed to; none: everyone.
        to: Option<Role>,
        /// Whether it asks for a note as its answer.
        answer: bool,
    },
    /// A participant joined the game day (journaled by the host).
    Joined {
        /// Their name.
        name: String,
        /// Their role.
        role: Role,
        /// How they joined: `host`, `socket` or the TCP peer's address.
        via: String,
    },
    /// A participant left, or their connection was lost.
    Left {
        /// Their name.
        name: String,
        /// Why.
        reason: String,
    },
    /// Someone tried to join and was refused.
    Refused {
        /// Where the attempt came from.
        from: String,
        /// Why it was refused.
        reason: String,
    },
    /// End the exercise now (clean-up follows).
    End,
}

/// What a participant may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the exercise: everything a responder does, and pause, speed, injects and
    /// the end of the exercise.
    Facilitator,
    /// Leads the response: everything a responder does.
    Commander,
    /// Responds: acknowledges, runs and ticks runbook steps, takes hints, writes notes.
    Responder,
    /// Watches; acts on nothing.
    Observer,
}

impl Role {
    /// Every role, in the order of their powers.
    pub const ALL: [Role; 4] = [
        Role::Facilitator,
        Role::Commander,
        Role::Responder,
        Role::Observer,
    ];

    /// Its name, as written in scenarios, on the command line and in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Facilitator => "facilitator",
            Role::Commander => "commander",
            Role::Responder => "responder",
            Role::Observer => "observer",
        }
    }

    /// Whether `command` is one this role may give; the reason when not.
    pub fn allows(self, command: &Command) -> Result<(), String> {
        let facilitating = matches!(command, Command::End | Command::Inject { .. });
        match self {
            Role::Observer => Err("an observer watches and cannot act".to_owned()),
            Role::Facilitator => Ok(()),
            _ if facilitating => Err(format!(
                "only the facilitator can {}",
                if matches!(command, Command::End) {
                    "end the exercise"
                } else {
                    "send an inject"
                }
            )),
            _ => Ok(()),
        }
    }

    /// Whether it may pause the game clock and change its speed.
    pub fn runs_the_clock(self) -> bool {
        self == Role::Facilitator
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("`{s}` is not a role: facilitator, commander, responder or observer")
            })
    }
}

/// Who has joined a game day, and in which role.
#[derive(Debug, Default)]
pub struct Roster {
    roles: std::collections::BTreeMap<String, Role>,
}

impl Roster {
    /// `name` joined as `role`.
    pub fn join(&mut self, name: &str, role: Role) {
        self.roles.insert(name.to_owned(), role);
    }

    /// `name` left.
    pub fn leave(&mut self, name: &str) {
        self.roles.remove(name);
    }

    /// Whether `name`, as joined, may give `command`. The host's own bookkeeping
    /// (joins, leaves, refusals) is never a participant's to give.
    pub fn allows(&self, name: &str, command: &Command) -> bool {
        let bookkeeping = matches!(
            command,
            Command::Joined { .. } | Command::Left { .. } | Command::Refused { .. }
        );
        !bookkeeping
            && self
                .roles
                .get(name)
                .is_some_and(|r| r.allows(command).is_ok())
    }
}

/// A command and the person who gave it (none: the console of a game day played alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The participant's name.
    pub who: Option<String>,
    /// What they asked.
    pub command: Command,
}

impl From<Command> for Order {
    fn from(command: Command) -> Self {
        Order { who: None, command }
    }
}

impl Order {
    /// `command`, given by `who`.
    pub fn by(who: &str, command: Command) -> Order {
        Order {
            who: Some(who.to_owned()),
            command,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_facilitator_ends_and_injects_and_observers_do_nothing() {
        let end = Command::End;
        let inject = Command::Inject {
            text: "Legal asks".into(),
            to: None,
            answer: true,
        };
        let note = Command::Note {
            text: "x".into(),
            answers: None,
        };
        assert!(Role::Facilitator.allows(&end).is_ok());
        assert!(Role::Facilitator.allows(&inject).is_ok());
        for r in [Role::Commander, Role::Responder] {
            assert!(r.allows(&note).is_ok());
            assert_eq!(
                r.allows(&end).expect_err("refused"),
                "only the facilitator can end the exercise"
            );
            assert!(r.allows(&inject).expect_err("refused").contains("inject"));
            assert!(!r.runs_the_clock());
        }
        assert!(Role::Observer.allows(&note).is_err());
        assert!(Role::Facilitator.runs_the_clock());
    }

    #[test]
    fn a_roster_takes_orders_only_from_who_joined_and_as_their_role_allows() {
        let mut roster = Roster::default();
        let note = Command::Note {
            text: "x".into(),
            answers: None,
        };
        assert!(!roster.allows("ana", &note), "not joined");
        roster.join("ana", Role::Responder);
        roster.join("obi", Role::Observer);
        assert!(roster.allows("ana", &note));
        assert!(!roster.allows("obi", &note));
        assert!(!roster.allows("ana", &Command::End));
        let joined = Command::Joined {
            name: "eve".into(),
            role: Role::Facilitator,
            via: "socket".into(),
        };
        roster.join("fay", Role::Facilitator);
        assert!(!roster.allows("fay", &joined), "bookkeeping is the host's");
        roster.leave("ana");
        assert!(!roster.allows("ana", &note));
    }

    #[test]
    fn roles_read_as_they_are_written() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert!(
            "admin"
                .parse::<Role>()
                .expect_err("refused")
                .contains("observer")
        );
    }
}
