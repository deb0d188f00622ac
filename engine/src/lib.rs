//! The gameday engine: everything but the terminal.
//!
//! A run goes `preflight → setup → attack → watch → cleanup → report`. Scenarios and
//! runbooks are loaded, validated and resolved ([`library`]); step kinds act on a
//! [`sandbox::Sandbox`] (the simulator in [`sim`], or AWS); the [`run`] module drives the
//! lifecycle and emits [`event::Event`]s that the [`journal`] records and the front ends
//! display; [`score`] and [`report`] read the journal alone, and [`trend`] follows many
//! runs over time. [`coverage`] maps the library onto ATT&CK, and [`listing`] is the library's catalogue. [`words`] says each event,
//! duration, phase and actor one way for every front end and report; [`text`] cleans what
//! comes from outside the program before any front end shows it. Only what the command
//! line, the tests and the benchmarks use is public.

// What a game day is made of: scenarios, runbooks, the library, plans and schedules.
pub mod attack;
pub mod catalogue;
pub mod config;
pub mod coverage;
pub mod duration;
pub mod library;
pub mod listing;
pub mod runbook;
pub mod scenario;
pub mod schedule;
pub mod template;

// Running one: the lifecycle, its clock and its events, the step kinds and checks.
pub mod autopilot;
pub mod checks;
pub mod clock;
pub mod detectors;
pub mod event;
pub mod fanout;
pub mod injects;
pub mod journal;
pub mod live;
pub mod permissions;
pub mod poller;
pub mod preflight;
pub mod run;
pub mod runs_location;
pub mod steps;
pub mod team;
pub mod throttle;

// Where it runs: the sandbox account, the simulator and AWS, and clean-up after them.
pub mod aws;
pub mod cleanup;
pub mod recover;
pub mod sandbox;
pub mod sim;

// What it says afterwards: scores, reports, trends, and the words for all of them.
pub mod report;
pub mod score;
pub mod share;
pub mod trend;
pub mod words;

// Text from outside the program, errors with their place, files written whole.
pub mod diag;
pub mod file;
pub mod insights;
pub mod pattern;
pub mod secrets;
pub mod text;

// The engine's own machinery, not part of its interface.
mod abort;
mod locate;
mod names;
mod ownership;
mod yamldoc;

/// The version, as in `gameday/<version>` user agents.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
