//! The error every trace reader returns: where (file, line, column) and what was expected.
//!
//! Traces are hand-edited and machine-generated alike, so an error must point at the exact cell
//! a person has to fix; hence the 1-based line and the column name travel with the message.

use std::fmt;

/// A problem found while reading a trace, located as precisely as the reader could.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceError {
    /// The file path (or the source name given to an in-memory reader).
    pub file: String,
    /// 1-based line in the file (the header is line 1); `None` for whole-file problems.
    pub line: Option<u64>,
    /// The header name of the offending column, when one cell is at fault.
    pub column: Option<String>,
    /// What was expected and what was found.
    pub message: String,
}

impl TraceError {
    /// An error about the whole file (cannot open it, no header, ...).
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        TraceError { file: file.to_string(), line: None, column: None, message: message.into() }
    }

    /// An error about one line of the file.
    pub fn at_line(file: &str, line: u64, message: impl Into<String>) -> Self {
        TraceError { line: Some(line), ..Self::file(file, message) }
    }

    /// An error about one cell: a line and a column.
    pub fn at_cell(file: &str, line: u64, column: &str, message: impl Into<String>) -> Self {
        TraceError { column: Some(column.to_string()), ..Self::at_line(file, line, message) }
    }
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": ")?;
        if let Some(column) = &self.column {
            write!(f, "column `{column}`: ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for TraceError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_with_line_and_column() {
        let e = TraceError::at_cell("t.csv", 7, "duration", "expected a number of seconds (>= 0), got `abc`");
        assert_eq!(
            e.to_string(),
            "t.csv:7: column `duration`: expected a number of seconds (>= 0), got `abc`"
        );
    }

    #[test]
    fn display_without_line() {
        assert_eq!(TraceError::file("t.csv", "cannot read").to_string(), "t.csv: cannot read");
        assert_eq!(TraceError::at_line("t.csv", 3, "duplicate id").to_string(), "t.csv:3: duplicate id");
    }
}
