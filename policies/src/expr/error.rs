//! The error a malformed expression gives: where it went wrong, and what was expected there.

use std::fmt;

/// Why an expression does not parse. Users write expressions by hand in scenario files and
/// trace cells, so the message says what was expected and what was found, and the column
/// points at the culprit (the opening `(` or quote when one is left unclosed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    /// 1-based column, in characters, within the expression text; one past the last
    /// character when the problem is the end of the expression.
    pub column: usize,
    /// What was expected and what was found, without the column.
    pub message: String,
}

impl ExprError {
    pub(crate) fn new(column: usize, message: impl Into<String>) -> ExprError {
        ExprError { column, message: message.into() }
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for ExprError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_leads_with_the_column() {
        let e = ExprError::new(7, "expected a value after `<`, found the end of the expression");
        assert_eq!(e.to_string(), "column 7: expected a value after `<`, found the end of the expression");
    }
}
