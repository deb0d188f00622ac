//! How a command ends, and the process exit code that says so (the README's table).

/// How a command ended, from the least grave to the gravest: a command that ran several
/// game days ends as the gravest of them did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Exit {
    /// What was asked was done; every expectation was met (0).
    Ok,
    /// An expectation was missed or met late, or a score fell under `--fail-on` (1).
    Missed,
    /// Bad input: a scenario, runbook, flag, parameter or file; nothing was started (2).
    BadInput,
    /// Aborted (Ctrl-C, SIGTERM, a failed step, a stop alarm) or clean-up incomplete: a
    /// person should look (3).
    Aborted,
}

impl Exit {
    /// How a game day that ended with `outcome` ends its command.
    pub(crate) fn of(outcome: gameday_engine::event::Outcome) -> Exit {
        match outcome.exit_code() {
            0 => Exit::Ok,
            1 => Exit::Missed,
            2 => Exit::BadInput,
            _ => Exit::Aborted,
        }
    }

    /// The process exit code.
    pub(crate) fn code(self) -> i32 {
        match self {
            Exit::Ok => 0,
            Exit::Missed => 1,
            Exit::BadInput => 2,
            Exit::Aborted => 3,
        }
    }
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::Exit;

    #[test]
    fn the_gravest_wins_and_the_codes_are_the_documented_ones() {
        let all = [Exit::Ok, Exit::Missed, Exit::BadInput, Exit::Aborted];
        assert_eq!(all.map(Exit::code), [0, 1, 2, 3]);
        assert_eq!(all.into_iter().max(), Some(Exit::Aborted));
        assert_eq!(Exit::Missed.max(Exit::Ok), Exit::Missed);
    }
}
