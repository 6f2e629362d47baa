//! The native CSV trace format: one row per operation, columns mapped by header name.
//!
//! It is the format schedlab writes and the one people edit by hand, so the reader is strict
//! (unknown columns, duplicate ids and dangling dependencies are errors with a line number)
//! and the writer is exact (what it writes reads back to the same records).
//! `traces/README.md` documents every column.

mod cells;
mod columns;
mod lines;
mod reader;
mod writer;

pub use reader::{read_native, read_native_from};
pub use writer::write_native;

#[cfg(test)]
mod tests;
