//! Recursive-descent parser from tokens to the syntax tree, one function per grammar rule:
//!
//! ```text
//! or   := and (("or" | "||") and)*
//! and  := not (("and" | "&&") not)*
//! not  := ("not" | "!") not | cmp
//! cmp  := atom (op atom | "in" list | "not" "in" list)?      op: == != < <= > >=
//! list := "(" atom ("," atom)* ")"
//! atom := number | string | "true" | "false" | path | "(" or ")"
//! path := ident ("." ident | "[" string "]")*
//! ```

use super::ast::{Kind, Node, Span};
use super::error::ExprError;
use super::lexer::{tokenize, Tok, Token};
use super::value::Value;

/// How deeply parentheses, `not`s and lists may nest. No real condition comes close; the
/// limit keeps a hostile or generated expression from overflowing the stack.
pub(crate) const MAX_DEPTH: usize = 100;

const KEYWORDS: [&str; 6] = ["and", "or", "not", "in", "true", "false"];

/// Parses a whole expression.
pub(crate) fn parse(src: &str) -> Result<Node, ExprError> {
    let mut parser = Parser { src, toks: tokenize(src), pos: 0, depth: 0 };
    if parser.peek().tok == Tok::End {
        return Err(ExprError::new(1, "expected a value, found an empty expression"));
    }
    let root = parser.or()?;
    let t = parser.peek();
    match &t.tok {
        Tok::End => Ok(root),
        Tok::Bad(e) => Err(e.clone()),
        Tok::RParen => Err(ExprError::new(t.col, "unexpected `)`: there is no `(` to close")),
        _ => {
            let hint = match &t.tok {
                Tok::Word(w) if w != &w.to_lowercase() && KEYWORDS.contains(&w.to_lowercase().as_str()) => {
                    " (keywords are lower-case)"
                }
                _ => "",
            };
            let message = format!(
                "unexpected {}: expected an operator or the end of the expression{hint}",
                parser.describe(t)
            );
            Err(ExprError::new(t.col, message))
        }
    }
}

struct Parser<'a> {
    src: &'a str,
    /// Never empty: the last token is `End` or `Bad`, and `pos` never moves past it.
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn peek_tok(&self, ahead: usize) -> &Tok {
        let last = self.toks.len() - 1;
        &self.toks[(self.pos + ahead).min(last)].tok
    }

    /// Consumes the current token and returns it.
    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        token
    }

    fn is_word(&self, ahead: usize, word: &str) -> bool {
        matches!(self.peek_tok(ahead), Tok::Word(w) if w == word)
    }

    /// How a token is named in a message.
    fn describe(&self, t: &Token) -> String {
        match t.tok {
            Tok::End => "the end of the expression".to_string(),
            _ => format!("`{}`", Span { start: t.start, end: t.end }.text(self.src)),
        }
    }

    /// "expected {expected}, found {the current token}", at the current token; or the
    /// lexing error, if the current token is where the text stopped making sense.
    fn expected(&self, expected: &str) -> ExprError {
        let t = self.peek();
        match &t.tok {
            Tok::Bad(e) => e.clone(),
            _ => ExprError::new(t.col, format!("expected {expected}, found {}", self.describe(t))),
        }
    }

    /// The error for a missing closing bracket of the `open` token: at the opener when the
    /// expression just ends (that is where the fix goes), else at what was found instead.
    fn unclosed(&self, open: &Token, expected: &str) -> ExprError {
        let t = self.peek();
        let opener = Span { start: open.start, end: open.end }.text(self.src);
        match &t.tok {
            Tok::End => ExprError::new(
                open.col,
                format!("unclosed `{opener}`: expected {expected}, found the end of the expression"),
            ),
            _ => self.expected(&format!("{expected} to close the `{opener}` at column {}", open.col)),
        }
    }

    /// Counts one more level of nesting, failing past [`MAX_DEPTH`].
    fn enter(&mut self, at: &Token) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError::new(
                at.col,
                format!(
                    "the expression nests too deeply: expected at most {MAX_DEPTH} levels of parentheses, \
                     `not` and lists"
                ),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn or(&mut self) -> Result<Node, ExprError> {
        let mut items = vec![self.and()?];
        while matches!(self.peek_tok(0), Tok::OrOr) || self.is_word(0, "or") {
            self.advance();
            items.push(self.and()?);
        }
        Ok(join(items, Kind::Or))
    }

    fn and(&mut self) -> Result<Node, ExprError> {
        let mut items = vec![self.not()?];
        while matches!(self.peek_tok(0), Tok::AndAnd) || self.is_word(0, "and") {
            self.advance();
            items.push(self.not()?);
        }
        Ok(join(items, Kind::And))
    }

    fn not(&mut self) -> Result<Node, ExprError> {
        if !(matches!(self.peek_tok(0), Tok::Bang) || self.is_word(0, "not")) {
            return self.cmp();
        }
        let op = self.advance();
        self.enter(&op)?;
        let inner = self.not()?;
        self.leave();
        let span = Span { start: op.start, end: inner.span.end };
        Ok(Node { kind: Kind::Not(Box::new(inner)), span })
    }

    fn cmp(&mut self) -> Result<Node, ExprError> {
        let lhs = self.atom()?;
        let node = if let Tok::Cmp(op) = *self.peek_tok(0) {
            self.advance();
            let rhs = self.atom()?;
            let span = lhs.span.to(rhs.span);
            Node { kind: Kind::Cmp { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span }
        } else if self.is_word(0, "in") {
            self.advance();
            self.membership(lhs, false)?
        } else if self.is_word(0, "not") {
            self.advance();
            if !self.is_word(0, "in") {
                return Err(self.expected("`in` after `not`"));
            }
            self.advance();
            self.membership(lhs, true)?
        } else {
            return Ok(lhs);
        };
        let chained = matches!(self.peek_tok(0), Tok::Cmp(_))
            || self.is_word(0, "in")
            || (self.is_word(0, "not") && self.is_word(1, "in"));
        if chained {
            let t = self.peek();
            let message = format!(
                "unexpected {} after a comparison: expected `and`, `or` or the end of the expression \
                 (comparisons do not chain; write `a < b and b < c`)",
                self.describe(t)
            );
            return Err(ExprError::new(t.col, message));
        }
        Ok(node)
    }

    /// The list after `in` / `not in`, and the node testing `needle` against it.
    fn membership(&mut self, needle: Node, negated: bool) -> Result<Node, ExprError> {
        if !matches!(self.peek_tok(0), Tok::LParen) {
            let after = if negated { "`not in`" } else { "`in`" };
            return Err(self.expected(&format!("`(` after {after} (lists are written `in (a, b)`)")));
        }
        let open = self.advance();
        self.enter(&open)?;
        let mut list = vec![self.atom()?];
        let close = loop {
            match self.peek_tok(0) {
                Tok::Comma => {
                    self.advance();
                    list.push(self.atom()?);
                }
                Tok::RParen => break self.advance(),
                _ => return Err(self.unclosed(&open, "`,` or `)`")),
            }
        };
        self.leave();
        let span = needle.span.to(Span { start: close.start, end: close.end });
        Ok(Node { kind: Kind::In { negated, needle: Box::new(needle), list }, span })
    }

    /// A value: a literal, a path, or a parenthesised expression.
    fn atom(&mut self) -> Result<Node, ExprError> {
        let t = self.peek().clone();
        let span = Span { start: t.start, end: t.end };
        let lit = |v: Value| Ok(Node { kind: Kind::Lit(v), span });
        match &t.tok {
            Tok::Num(n) => {
                self.advance();
                lit(Value::Num(*n))
            }
            Tok::Str(s) => {
                self.advance();
                lit(Value::Str(s.clone()))
            }
            Tok::Word(w) if w == "true" || w == "false" => {
                self.advance();
                lit(Value::Bool(w == "true"))
            }
            Tok::Word(w) if !KEYWORDS.contains(&w.as_str()) => self.path(),
            Tok::LParen => {
                self.advance();
                self.enter(&t)?;
                let mut inner = self.or()?;
                if !matches!(self.peek_tok(0), Tok::RParen) {
                    return Err(self.unclosed(&t, "`)`"));
                }
                let close = self.advance();
                self.leave();
                inner.span = Span { start: t.start, end: close.end };
                Ok(inner)
            }
            _ => {
                let expected = match self.pos.checked_sub(1).map(|i| &self.toks[i]) {
                    Some(prev) => format!("a value after {}", self.describe(prev)),
                    None => "a value".to_string(),
                };
                Err(self.expected(&expected))
            }
        }
    }

    /// `ident ("." ident | "[" string "]")*`, starting at an identifier. After a dot any word
    /// is a name, keywords included, so that an input called `in` reads as `inputs.in`.
    fn path(&mut self) -> Result<Node, ExprError> {
        let first = self.advance();
        let mut span = Span { start: first.start, end: first.end };
        let mut segments = Vec::new();
        if let Tok::Word(w) = first.tok {
            segments.push(w);
        }
        loop {
            match self.peek_tok(0) {
                Tok::Dot => {
                    self.advance();
                    let Tok::Word(w) = self.peek_tok(0).clone() else {
                        return Err(self.expected("a name after `.`"));
                    };
                    let name = self.advance();
                    segments.push(w);
                    span.end = name.end;
                }
                Tok::LBracket => {
                    let open = self.advance();
                    let Tok::Str(s) = self.peek_tok(0).clone() else {
                        return Err(self.expected("a quoted name after `[` (as in `ops[\"train-1\"]`)"));
                    };
                    self.advance();
                    segments.push(s);
                    if !matches!(self.peek_tok(0), Tok::RBracket) {
                        return Err(self.unclosed(&open, "`]`"));
                    }
                    span.end = self.advance().end;
                }
                _ => return Ok(Node { kind: Kind::Path { segments, written: span }, span }),
            }
        }
    }
}

/// One node for a chain of `and` (or `or`) operands; the operand itself when alone.
fn join(mut items: Vec<Node>, kind: fn(Vec<Node>) -> Kind) -> Node {
    if items.len() == 1 {
        if let Some(only) = items.pop() {
            return only;
        }
    }
    let span = match (items.first(), items.last()) {
        (Some(a), Some(b)) => a.span.to(b.span),
        _ => Span { start: 0, end: 0 },
    };
    Node { kind: kind(items), span }
}

#[cfg(test)]
mod tests {
    use super::super::ast::CmpOp;
    use super::*;

    /// The tree as an s-expression, to check its shape.
    fn shape(node: &Node) -> String {
        let list = |items: &[Node]| items.iter().map(shape).collect::<Vec<_>>().join(" ");
        match &node.kind {
            Kind::Lit(Value::Str(s)) => format!("{s:?}"),
            Kind::Lit(v) => v.to_string(),
            Kind::Path { segments, .. } => segments.join("/"),
            Kind::Not(inner) => format!("(not {})", shape(inner)),
            Kind::And(items) => format!("(and {})", list(items)),
            Kind::Or(items) => format!("(or {})", list(items)),
            Kind::Cmp { op, lhs, rhs } => format!("({} {} {})", op.symbol(), shape(lhs), shape(rhs)),
            Kind::In { negated, needle, list: items } => {
                format!("({} {} [{}])", if *negated { "not-in" } else { "in" }, shape(needle), list(items))
            }
        }
    }

    fn parsed(src: &str) -> String {
        match parse(src) {
            Ok(node) => shape(&node),
            Err(e) => panic!("{src:?} does not parse: {e}"),
        }
    }

    fn error(src: &str) -> String {
        match parse(src) {
            Ok(node) => panic!("{src:?} parses, as {}", shape(&node)),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn not_binds_tighter_than_and_which_binds_tighter_than_or() {
        assert_eq!(parsed("not a or b and c"), "(or (not a) (and b c))");
        assert_eq!(parsed("a and b or c and d"), "(or (and a b) (and c d))");
        assert_eq!(parsed("! a || b && c"), "(or (not a) (and b c))");
        assert_eq!(parsed("not (a or b) and c"), "(and (not (or a b)) c)");
        assert_eq!(parsed("not not a"), "(not (not a))");
        assert_eq!(parsed("!!a"), "(not (not a))");
        assert_eq!(parsed("not a == 1"), "(not (== a 1))");
        assert_eq!(parsed("a or b or c"), "(or a b c)");
        assert_eq!(parsed("a && b and c"), "(and a b c)");
    }

    #[test]
    fn reads_the_examples() {
        assert_eq!(
            parsed("inputs.lr > 0.01 and inputs.model == \"resnet\""),
            "(and (> inputs/lr 0.01) (== inputs/model \"resnet\"))"
        );
        assert_eq!(
            parsed("not (ops.train.outputs.accuracy < 0.9) or inputs.force"),
            "(or (not (< ops/train/outputs/accuracy 0.9)) inputs/force)"
        );
        assert_eq!(parsed("ops[\"train-1\"].outputs.loss <= 0.25"), "(<= ops/train-1/outputs/loss 0.25)");
        assert_eq!(parsed("resources.gpu >= 4"), "(>= resources/gpu 4)");
        assert_eq!(parsed("inputs.model in (\"resnet\", 'vit')"), "(in inputs/model [\"resnet\" \"vit\"])");
    }

    #[test]
    fn reads_every_comparison_and_literal() {
        for op in [CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge] {
            let s = op.symbol();
            assert_eq!(parsed(&format!("a{s}-1.5e2")), format!("({s} a -150)"));
        }
        assert_eq!(parsed("true != false"), "(!= true false)");
        assert_eq!(parsed("x not in (1, true, 'a', y.z, (b))"), "(not-in x [1 true \"a\" y/z b])");
        assert_eq!(parsed("(a < b) == true"), "(== (< a b) true)");
        assert_eq!(parsed("x in (1)"), "(in x [1])");
    }

    #[test]
    fn paths_mix_dots_brackets_dashes_and_keywords() {
        assert_eq!(parsed("ops.train-1.outputs.x"), "ops/train-1/outputs/x");
        assert_eq!(parsed("ops['a b'][\"c.d\"].e"), "ops/a b/c.d/e");
        assert_eq!(parsed("inputs.in == inputs.not"), "(== inputs/in inputs/not)");
        assert_eq!(parsed("inputs . lr [ 'x' ]"), "inputs/lr/x");
        assert_eq!(parsed("ops['']"), "ops/");
    }

    #[test]
    fn whitespace_is_free() {
        assert_eq!(parsed("  ( a<1 )and(b>=2)  "), "(and (< a 1) (>= b 2))");
        assert_eq!(parsed("x\tin\n( 1 ,2 )"), "(in x [1 2])");
    }

    #[test]
    fn spans_cover_what_was_written() {
        let src = "not (a <  1) and x in (1, 2)";
        let Ok(node) = parse(src) else { panic!() };
        let Kind::And(items) = &node.kind else { panic!() };
        assert_eq!(node.span.text(src), src);
        assert_eq!(items[0].span.text(src), "not (a <  1)");
        let Kind::Not(inner) = &items[0].kind else { panic!() };
        assert_eq!(inner.span.text(src), "(a <  1)");
        assert_eq!(items[1].span.text(src), "x in (1, 2)");
        let Ok(path) = parse("ops [ 'a' ] . b ") else { panic!() };
        assert_eq!(path.span.text("ops [ 'a' ] . b "), "ops [ 'a' ] . b");
    }

    #[test]
    fn errors_say_what_was_expected_and_found_where() {
        let cases = [
            ("", "column 1: expected a value, found an empty expression"),
            ("   ", "column 1: expected a value, found an empty expression"),
            ("a.b < ", "column 7: expected a value after `<`, found the end of the expression"),
            ("a and", "column 6: expected a value after `and`, found the end of the expression"),
            ("a or or b", "column 6: expected a value after `or`, found `or`"),
            ("not", "column 4: expected a value after `not`, found the end of the expression"),
            (")", "column 1: expected a value, found `)`"),
            ("()", "column 2: expected a value after `(`, found `)`"),
            ("x == and", "column 6: expected a value after `==`, found `and`"),
            ("(a < 1", "column 1: unclosed `(`: expected `)`, found the end of the expression"),
            ("((a) < 1", "column 1: unclosed `(`: expected `)`, found the end of the expression"),
            ("(a b)", "column 4: expected `)` to close the `(` at column 1, found `b`"),
            ("a < 1)", "column 6: unexpected `)`: there is no `(` to close"),
            ("(a < 1) and (b))", "column 16: unexpected `)`: there is no `(` to close"),
            ("a b", "column 3: unexpected `b`: expected an operator or the end of the expression"),
            ("a not b", "column 7: expected `in` after `not`, found `b`"),
            ("a in 'x'", "column 6: expected `(` after `in` (lists are written `in (a, b)`), found `'x'`"),
            ("a in ()", "column 7: expected a value after `(`, found `)`"),
            ("a in (1,)", "column 9: expected a value after `,`, found `)`"),
            ("a in (1, 2", "column 6: unclosed `(`: expected `,` or `)`, found the end of the expression"),
            ("a in (1 2)", "column 9: expected `,` or `)` to close the `(` at column 6, found `2`"),
            ("a. < 1", "column 4: expected a name after `.`, found `<`"),
            ("a.1", "column 3: expected a name after `.`, found `1`"),
            ("a.", "column 3: expected a name after `.`, found the end of the expression"),
            ("a[b]", "column 3: expected a quoted name after `[` (as in `ops[\"train-1\"]`), found `b`"),
            ("a['b'", "column 2: unclosed `[`: expected `]`, found the end of the expression"),
            ("a['b' == 1", "column 7: expected `]` to close the `[` at column 2, found `==`"),
            ("in", "column 1: expected a value, found `in`"),
            ("true.x", "column 5: unexpected `.`: expected an operator or the end of the expression"),
        ];
        for (src, want) in cases {
            assert_eq!(error(src), want, "for {src:?}");
        }
        assert_eq!(
            error("a AND b"),
            "column 3: unexpected `AND`: expected an operator or the end of the expression \
             (keywords are lower-case)"
        );
        assert_eq!(
            error("a not in x"),
            "column 10: expected `(` after `not in` (lists are written `in (a, b)`), found `x`"
        );
    }

    #[test]
    fn comparisons_do_not_chain() {
        let why = "expected `and`, `or` or the end of the expression (comparisons do not chain; write \
                   `a < b and b < c`)";
        assert_eq!(error("a < b < c"), format!("column 7: unexpected `<` after a comparison: {why}"));
        assert_eq!(error("a == b in (1)"), format!("column 8: unexpected `in` after a comparison: {why}"));
        assert_eq!(
            error("a in (1) not in (2)"),
            format!("column 10: unexpected `not` after a comparison: {why}")
        );
        assert_eq!(error("a in (1) == b"), format!("column 10: unexpected `==` after a comparison: {why}"));
        assert_eq!(parsed("(a < b) < c"), "(< (< a b) c)");
    }

    #[test]
    fn the_first_problem_in_the_text_is_reported() {
        // A parse error before a lexing error wins, and the other way round.
        assert_eq!(error("a < < 'b"), "column 5: expected a value after `<`, found `<`");
        assert_eq!(
            error("(a < 'b"),
            "column 6: unterminated string: expected a closing `'`, found the end of the expression"
        );
        assert_eq!(error("a @"), "column 3: unexpected character `@`: expected a value or an operator");
        assert_eq!(error("a < @"), "column 5: unexpected character `@`: expected a value or an operator");
        assert_eq!(error("(a @"), "column 4: unexpected character `@`: expected a value or an operator");
        assert_eq!(error("a[@"), "column 3: unexpected character `@`: expected a value or an operator");
        assert_eq!(error("é"), "column 1: unexpected character `é`: expected a value or an operator");
    }

    #[test]
    fn nesting_is_bounded_but_chains_are_not() {
        let ok = format!("{}a{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert_eq!(parsed(&ok), "a");
        let deep = format!("{}a{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
        assert!(
            error(&deep).starts_with(&format!("column {}: the expression nests too deeply", MAX_DEPTH + 1))
        );
        assert!(error(&"not ".repeat(100_000)).contains("nests too deeply"));
        assert!(error(&"!".repeat(100_000)).contains("nests too deeply"));
        assert!(error(&format!("x in ({}", "(".repeat(100_000))).contains("nests too deeply"));
        let chain = vec!["a"; 100_000].join(" or ");
        assert!(parsed(&chain).starts_with("(or a a"));
    }
}
