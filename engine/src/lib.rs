//! The gameday engine: everything but the terminal.
//!
//! A run goes `preflight → setup → attack → watch → cleanup → report`. Scenarios and
//! runbooks are loaded, validated and resolved ([`library`]); step kinds act on a
//! [`sandbox::Sandbox`] (the simulator in [`sim`], or AWS); the [`run`] module drives the
//! lifecycle and emits [`event::Event`]s that the [`journal`] records and the front ends
//! display; [`score`] and [`report`] read the journal alone, and [`trend`] follows many
//! runs over time. [`coverage`] maps the library onto ATT&CK. [`text`] cleans what comes
//! from outside the program before any front end shows it.

pub mod abort;
pub mod autopilot;
pub mod aws;
pub mod checks;
pub mod cleanup;
pub mod clock;
pub mod config;
pub mod coverage;
pub mod diag;
pub mod duration;
pub mod event;
pub mod fanout;
pub mod file;
pub mod journal;
pub mod library;
pub mod live;
pub mod locate;
pub mod names;
pub mod ownership;
pub mod poller;
pub mod preflight;
pub mod recover;
pub mod report;
pub mod run;
pub mod runbook;
pub mod sandbox;
pub mod scenario;
pub mod schedule;
pub mod score;
pub mod secrets;
pub mod share;
pub mod sim;
pub mod steps;
pub mod template;
pub mod text;
pub mod throttle;
pub mod trend;
pub mod words;
pub mod yamldoc;

/// The version, as in `gameday/<version>` user agents.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
