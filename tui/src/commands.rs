//! Dispatch: each subcommand to the module that does it. A game day's assembly is
//! [`crate::assembly`]'s; `run` is [`crate::play`]'s, `console` and `replay` the
//! console's, `plan` [`crate::plan_cmd`]'s, the library's commands
//! [`crate::catalogue`]'s, `report`
//! [`crate::report_cmd`]'s, and `trend` and `coverage` [`crate::analysis`]'s.

use crate::cli::{Cli, Command};
use crate::exit::Exit;

/// Runs a command; returns the exit code.
pub fn dispatch(cli: Cli) -> Exit {
    match cli.command {
        Command::Validate { paths, library } => crate::catalogue::validate(paths, &library.library),
        Command::List(args) => crate::catalogue::list(&args),
        Command::Steps { json } => crate::catalogue::steps_cmd(json),
        Command::Detectors { json } => crate::catalogue::detectors_cmd(json),
        Command::Schema { kind } => crate::catalogue::schema(kind),
        Command::Plan {
            scenario,
            library,
            params,
            target,
        } => crate::plan_cmd::plan(&scenario, &library.library, params, &target),
        Command::Run(args) => crate::play::run(args),
        Command::Console(args) => crate::console::live(args),
        Command::Join(args) => crate::console::join::join(args),
        Command::Replay(args) => crate::console::replay(args),
        Command::Target(cmd) => crate::target::run(cmd),
        Command::Cleanup(args) => crate::cleanup::run(args),
        Command::Schedule(cmd) => crate::schedule::run(cmd),
        Command::Report { runs, format, out } => match crate::assembly::fetch_all(&runs) {
            Ok(runs) => crate::report_cmd::run(&runs, &format, out.as_deref()),
            Err(code) => code,
        },
        Command::Trend {
            runs,
            scenario,
            since,
            format,
            out,
        } => match crate::assembly::fetch_all(&runs) {
            Ok(runs) => crate::analysis::trend(&runs, scenario, since, format, out.as_deref()),
            Err(code) => code,
        },
        Command::Coverage {
            library,
            runs,
            format,
            out,
        } => match crate::assembly::fetch_all(&runs) {
            Ok(runs) => crate::analysis::coverage(&library.library, &runs, format, out.as_deref()),
            Err(code) => code,
        },
    }
}
