//! The parsed form of an expression. Every node remembers the part of the source it came
//! from, so that evaluation errors can quote what the user wrote (`inputs.n`, not a
//! reconstruction of it).

use super::value::Value;

/// A byte range of the source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    /// The source text it covers (empty if it does not fit `src`, rather than panicking).
    pub fn text(self, src: &str) -> &str {
        src.get(self.start..self.end).unwrap_or("")
    }

    /// From the start of `self` to the end of `other`.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start, end: other.end }
    }
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// How it is written.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// Whether `a op b` holds. With NaN only `!=` holds, as in IEEE 754.
    pub fn holds<T: PartialOrd + ?Sized>(self, a: &T, b: &T) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        }
    }
}

/// A node of the syntax tree and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub kind: Kind,
    /// For a parenthesised sub-expression, this includes the parentheses.
    pub span: Span,
}

/// What a node computes.
///
/// `and` and `or` hold all their operands in one node rather than nesting pairs, so that a
/// long chain (a generated `a or b or c ...`) does not make a deep tree to recurse through.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kind {
    Lit(Value),
    /// Segments of a path such as `ops["train-1"].outputs.loss`, and where the path itself
    /// was written (the node's span grows to include any parentheses around it; an "is not
    /// set" message should quote just the path).
    Path {
        segments: Vec<String>,
        written: Span,
    },
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Cmp {
        op: CmpOp,
        lhs: Box<Node>,
        rhs: Box<Node>,
    },
    In {
        negated: bool,
        needle: Box<Node>,
        list: Vec<Node>,
    },
}

impl Node {
    /// Adds to `out` every path this node reads that is not already there, in source order.
    pub fn collect_paths(&self, out: &mut Vec<Vec<String>>) {
        match &self.kind {
            Kind::Lit(_) => {}
            Kind::Path { segments, .. } => {
                if !out.contains(segments) {
                    out.push(segments.clone());
                }
            }
            Kind::Not(inner) => inner.collect_paths(out),
            Kind::And(items) | Kind::Or(items) => items.iter().for_each(|n| n.collect_paths(out)),
            Kind::Cmp { lhs, rhs, .. } => {
                lhs.collect_paths(out);
                rhs.collect_paths(out);
            }
            Kind::In { needle, list, .. } => {
                needle.collect_paths(out);
                list.iter().for_each(|n| n.collect_paths(out));
            }
        }
    }
}
