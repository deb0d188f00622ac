//! `gameday`: incident-response game days for AWS, on the command line.

fn main() {
    std::process::exit(gameday_tui::main());
}
