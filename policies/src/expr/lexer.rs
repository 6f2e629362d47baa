//! Splits an expression into tokens.
//!
//! Words (`inputs`, `and`, `train-1`) come out as one kind of token: whether `in` is the
//! operator or the name of an input depends on where it stands, which only the parser knows.
//! A lexing error becomes the last token instead of failing at once, so that the parser
//! reports whichever problem comes first in the text.

use super::ast::CmpOp;
use super::error::ExprError;

/// What a token is.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    Num(f64),
    Str(String),
    /// An identifier or a keyword.
    Word(String),
    Dot,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Comma,
    Cmp(CmpOp),
    AndAnd,
    OrOr,
    Bang,
    End,
    /// The text cannot be read from here on, for this reason.
    Bad(ExprError),
}

/// A token and where it was written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    /// Byte offsets of the token in the source.
    pub start: usize,
    pub end: usize,
    /// 1-based character column of its first character.
    pub col: usize,
}

/// Whether `c` may start an identifier. A `-` may not, so that `-1` is always a number.
pub(crate) fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

/// Whether `c` may continue an identifier: `-` is allowed so that operation names such as
/// `train-1` can be written without brackets.
pub(crate) fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Whether all of `s` is one identifier.
pub(crate) fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(is_ident_start) && chars.all(is_ident_char)
}

/// All tokens of `src`. The last one is [`Tok::End`], or [`Tok::Bad`] if the text stops
/// making sense before its end.
pub(crate) fn tokenize(src: &str) -> Vec<Token> {
    let mut lexer = Lexer { src, chars: src.char_indices().collect(), i: 0 };
    let mut out = Vec::new();
    loop {
        let token = lexer.next_token();
        let last = matches!(token.tok, Tok::End | Tok::Bad(_));
        out.push(token);
        if last {
            return out;
        }
    }
}

struct Lexer<'a> {
    src: &'a str,
    chars: Vec<(usize, char)>,
    /// Index into `chars` of the next character to read.
    i: usize,
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.i + ahead).map(|&(_, c)| c)
    }

    /// Byte offset of the character at index `i` (the source length past the end).
    fn byte(&self, i: usize) -> usize {
        self.chars.get(i).map_or(self.src.len(), |&(b, _)| b)
    }

    /// A token from character index `start` to the current position.
    fn token(&self, tok: Tok, start: usize) -> Token {
        Token { tok, start: self.byte(start), end: self.byte(self.i), col: start + 1 }
    }

    /// A lexing error at character index `at`, as a token starting at `start`.
    fn bad(&self, start: usize, at: usize, message: String) -> Token {
        let mut token = self.token(Tok::Bad(ExprError::new(at + 1, message)), start);
        token.end = self.byte(start);
        token
    }

    /// How the character at index `i` is named in a message.
    fn describe(&self, i: usize) -> String {
        match self.chars.get(i) {
            None => "the end of the expression".to_string(),
            Some((_, c)) if c.is_whitespace() => "whitespace".to_string(),
            Some((_, c)) => format!("`{c}`"),
        }
    }

    fn next_token(&mut self) -> Token {
        while self.peek(0).is_some_and(char::is_whitespace) {
            self.i += 1;
        }
        let start = self.i;
        let Some(c) = self.peek(0) else {
            return self.token(Tok::End, start);
        };
        let two = |second: char| self.peek(1) == Some(second);
        let (tok, len) = match c {
            '.' => (Tok::Dot, 1),
            '[' => (Tok::LBracket, 1),
            ']' => (Tok::RBracket, 1),
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            ',' => (Tok::Comma, 1),
            '=' if two('=') => (Tok::Cmp(CmpOp::Eq), 2),
            '!' if two('=') => (Tok::Cmp(CmpOp::Ne), 2),
            '!' => (Tok::Bang, 1),
            '<' if two('=') => (Tok::Cmp(CmpOp::Le), 2),
            '<' => (Tok::Cmp(CmpOp::Lt), 1),
            '>' if two('=') => (Tok::Cmp(CmpOp::Ge), 2),
            '>' => (Tok::Cmp(CmpOp::Gt), 1),
            '&' if two('&') => (Tok::AndAnd, 2),
            '|' if two('|') => (Tok::OrOr, 2),
            '=' | '&' | '|' => {
                let message = format!("expected `{c}{c}`, found a single `{c}`");
                return self.bad(start, start, message);
            }
            '"' | '\'' => return self.string(c),
            '-' | '0'..='9' => return self.number(),
            c if is_ident_start(c) => {
                while self.peek(0).is_some_and(is_ident_char) {
                    self.i += 1;
                }
                let word = self.src[self.byte(start)..self.byte(self.i)].to_string();
                return self.token(Tok::Word(word), start);
            }
            c => {
                let message = format!("unexpected character `{c}`: expected a value or an operator");
                return self.bad(start, start, message);
            }
        };
        self.i += len;
        self.token(tok, start)
    }

    /// Reads the digits at the current position; false if there are none.
    fn digits(&mut self) -> bool {
        let from = self.i;
        while self.peek(0).is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i > from
    }

    /// `-`? digits (`.` digits)? ([eE] [+-]? digits)?
    fn number(&mut self) -> Token {
        let start = self.i;
        if self.peek(0) == Some('-') {
            self.i += 1;
            if !self.digits() {
                let message = format!("expected a digit after `-`, found {}", self.describe(self.i));
                return self.bad(start, start, message);
            }
        } else {
            self.digits();
        }
        if self.peek(0) == Some('.') {
            self.i += 1;
            if !self.digits() {
                let message =
                    format!("expected a digit after `.` in a number, found {}", self.describe(self.i));
                return self.bad(start, self.i, message);
            }
        }
        if matches!(self.peek(0), Some('e' | 'E')) {
            self.i += 1;
            if matches!(self.peek(0), Some('+' | '-')) {
                self.i += 1;
            }
            if !self.digits() {
                let message = format!("expected a digit in the exponent, found {}", self.describe(self.i));
                return self.bad(start, self.i, message);
            }
        }
        let text = &self.src[self.byte(start)..self.byte(self.i)];
        if self.peek(0).is_some_and(|c| is_ident_char(c) || c == '.') {
            let message =
                format!("expected an operator after the number `{text}`, found {}", self.describe(self.i));
            return self.bad(start, self.i, message);
        }
        match text.parse::<f64>() {
            Ok(n) if n.is_finite() => self.token(Tok::Num(n), start),
            _ => {
                let message = format!("the number `{text}` is too large: expected a finite number");
                self.bad(start, start, message)
            }
        }
    }

    /// The error for a string opened at character index `start` and never closed.
    fn unterminated(&self, start: usize, quote: char) -> Token {
        let message =
            format!("unterminated string: expected a closing `{quote}`, found the end of the expression");
        self.bad(start, start, message)
    }

    /// A string quoted with `quote`, with its escapes resolved.
    fn string(&mut self, quote: char) -> Token {
        let start = self.i;
        self.i += 1;
        let mut value = String::new();
        loop {
            match (self.peek(0), self.peek(1)) {
                (None, _) | (Some('\\'), None) => return self.unterminated(start, quote),
                (Some(c), _) if c == quote => {
                    self.i += 1;
                    return self.token(Tok::Str(value), start);
                }
                (Some('\\'), Some(escaped)) => {
                    let Some(c) = unescape(escaped) else {
                        let message = format!(
                            "unknown escape `\\{escaped}` in a string: expected one of {}",
                            r#"\\ \" \' \n \t"#
                        );
                        return self.bad(start, self.i, message);
                    };
                    value.push(c);
                    self.i += 2;
                }
                (Some(c), _) => {
                    value.push(c);
                    self.i += 1;
                }
            }
        }
    }
}

/// The character the escape `\c` stands for, if it is one.
fn unescape(c: char) -> Option<char> {
    match c {
        '\\' | '"' | '\'' => Some(c),
        'n' => Some('\n'),
        't' => Some('\t'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        tokenize(src).into_iter().map(|t| t.tok).collect()
    }

    fn word(w: &str) -> Tok {
        Tok::Word(w.to_string())
    }

    /// The lexing error `src` ends with, as "column N: message".
    fn error(src: &str) -> String {
        match tokenize(src).pop().map(|t| t.tok) {
            Some(Tok::Bad(e)) => e.to_string(),
            other => panic!("expected an error for {src:?}, got {other:?}"),
        }
    }

    #[test]
    fn splits_operators_words_and_punctuation() {
        assert_eq!(
            toks("a.b[\"c\"] == 1 && !x || y != z<=w>=v<u>t, ()"),
            vec![
                word("a"),
                Tok::Dot,
                word("b"),
                Tok::LBracket,
                Tok::Str("c".into()),
                Tok::RBracket,
                Tok::Cmp(CmpOp::Eq),
                Tok::Num(1.0),
                Tok::AndAnd,
                Tok::Bang,
                word("x"),
                Tok::OrOr,
                word("y"),
                Tok::Cmp(CmpOp::Ne),
                word("z"),
                Tok::Cmp(CmpOp::Le),
                word("w"),
                Tok::Cmp(CmpOp::Ge),
                word("v"),
                Tok::Cmp(CmpOp::Lt),
                word("u"),
                Tok::Cmp(CmpOp::Gt),
                word("t"),
                Tok::Comma,
                Tok::LParen,
                Tok::RParen,
                Tok::End,
            ]
        );
    }

    #[test]
    fn identifiers_may_hold_but_not_start_with_a_dash() {
        assert_eq!(
            toks("ops.train-1.x"),
            vec![word("ops"), Tok::Dot, word("train-1"), Tok::Dot, word("x"), Tok::End]
        );
        assert_eq!(toks("_a-b_9"), vec![word("_a-b_9"), Tok::End]);
        assert_eq!(toks("a -1"), vec![word("a"), Tok::Num(-1.0), Tok::End]);
        assert!(is_ident("train-1") && is_ident("_x") && is_ident("a-"));
        assert!(!is_ident("") && !is_ident("-a") && !is_ident("1a") && !is_ident("a.b") && !is_ident("é"));
    }

    #[test]
    fn numbers_take_a_sign_a_fraction_and_an_exponent() {
        let cases =
            [("-1.5e2", -150.0), ("1e-3", 0.001), ("0.5", 0.5), ("-1", -1.0), ("007", 7.0), ("2E+2", 200.0)];
        for (src, n) in cases {
            assert_eq!(toks(src), vec![Tok::Num(n), Tok::End], "{src}");
        }
        assert_eq!(toks("x>-2"), vec![word("x"), Tok::Cmp(CmpOp::Gt), Tok::Num(-2.0), Tok::End]);
    }

    #[test]
    fn strings_resolve_escapes_in_either_quote() {
        assert_eq!(
            toks(r#"'it\'s' "a\"b" '\\\n\t' "it's""#)[..4],
            [
                Tok::Str("it's".into()),
                Tok::Str("a\"b".into()),
                Tok::Str("\\\n\t".into()),
                Tok::Str("it's".into()),
            ]
        );
        assert_eq!(toks("'é ü'"), vec![Tok::Str("é ü".into()), Tok::End]);
    }

    #[test]
    fn tokens_know_their_bytes_and_column() {
        let t = tokenize("'é' == x");
        assert_eq!((t[1].start, t[1].end, t[1].col), (5, 7, 5));
        assert_eq!((t[2].start, t[2].end, t[2].col), (8, 9, 8));
        assert_eq!((t[3].tok.clone(), t[3].start, t[3].col), (Tok::End, 9, 9));
    }

    #[test]
    fn errors_point_at_the_culprit() {
        assert_eq!(error("a = 1"), "column 3: expected `==`, found a single `=`");
        assert_eq!(error("a & b"), "column 3: expected `&&`, found a single `&`");
        assert_eq!(error("a | b"), "column 3: expected `||`, found a single `|`");
        assert_eq!(error("a @ b"), "column 3: unexpected character `@`: expected a value or an operator");
        assert_eq!(error("'é' @"), "column 5: unexpected character `@`: expected a value or an operator");
        assert_eq!(
            error("x == 'abc"),
            "column 6: unterminated string: expected a closing `'`, found the end of the expression"
        );
        assert_eq!(
            error("x == \"ab\\"),
            "column 6: unterminated string: expected a closing `\"`, found the end of the expression"
        );
        assert_eq!(
            error("x == 'a\\qb'"),
            "column 8: unknown escape `\\q` in a string: expected one of \\\\ \\\" \\' \\n \\t"
        );
        assert_eq!(error("x > - 1"), "column 5: expected a digit after `-`, found whitespace");
        assert_eq!(error("x > -"), "column 5: expected a digit after `-`, found the end of the expression");
        assert_eq!(
            error("x > 1."),
            "column 7: expected a digit after `.` in a number, found the end of the expression"
        );
        assert_eq!(
            error("x > 1e"),
            "column 7: expected a digit in the exponent, found the end of the expression"
        );
        assert_eq!(error("x > 1e+a"), "column 8: expected a digit in the exponent, found `a`");
        assert_eq!(error("x > 12ab"), "column 7: expected an operator after the number `12`, found `a`");
        assert_eq!(error("x > 1.5.2"), "column 8: expected an operator after the number `1.5`, found `.`");
        assert_eq!(error("x > 1e999"), "column 5: the number `1e999` is too large: expected a finite number");
    }

    #[test]
    fn lexing_stops_at_the_first_error() {
        let t = tokenize("a @ 'unterminated");
        assert_eq!(t.len(), 2);
        assert!(matches!(t[1].tok, Tok::Bad(_)));
    }
}
