//! One module per subcommand.

pub mod bench;
pub mod compare;
pub mod live;
pub mod ops;
pub mod plan;
pub mod report;
pub mod run;
pub mod sweep;
pub mod trace;
pub mod validate;

/// A failed command: the one-line message printed after `error: `.
pub type CmdResult = Result<(), String>;
