//! Exact 1-based line numbers for CSV records.
//!
//! The csv crate's record positions point at the end of the previous record, so after blank
//! lines or with `\r\n` line ends they name the wrong line. Errors must name the line a person
//! has to fix, so this reader wrapper remembers where the line-break bytes are and works out
//! the line on which each record's first character sits.

use std::collections::VecDeque;
use std::io::{self, Read};

/// Wraps the byte source and notes the offset of every `\r` and `\n` it passes on.
pub(crate) struct LineCounter<R> {
    inner: R,
    /// Bytes handed to the csv reader so far.
    offset: u64,
    /// Offsets (and whether it is `\n`) of line-break bytes not yet accounted for.
    breaks: VecDeque<(u64, bool)>,
    /// `\n` bytes before the last queried offset.
    newlines: u64,
}

impl<R: Read> LineCounter<R> {
    pub(crate) fn new(inner: R) -> Self {
        LineCounter { inner, offset: 0, breaks: VecDeque::new(), newlines: 0 }
    }

    /// The line of the first character at or after byte `start` that is not a line break,
    /// i.e. where a record reported at `start` really begins. Queries must not go backwards.
    pub(crate) fn line_at(&mut self, start: u64) -> u64 {
        while self.breaks.front().is_some_and(|&(at, _)| at < start) {
            self.pop();
        }
        // Skip the blank lines the csv reader passed over before the record.
        let mut next = start;
        while self.breaks.front().is_some_and(|&(at, _)| at == next) {
            self.pop();
            next += 1;
        }
        self.newlines + 1
    }

    /// Accounts for the first remembered break: `\n` ends a line, and so does a `\r` that is
    /// not the first half of `\r\n` (old Mac line ends).
    fn pop(&mut self) {
        if let Some((at, newline)) = self.breaks.pop_front() {
            let crlf = !newline && self.breaks.front() == Some(&(at + 1, true));
            self.newlines += u64::from(newline || !crlf);
        }
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, &b) in buf[..n].iter().enumerate() {
            if b == b'\n' || b == b'\r' {
                self.breaks.push_back((self.offset + i as u64, b == b'\n'));
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<u64> {
        let mut csv = csv::ReaderBuilder::new().from_reader(LineCounter::new(text.as_bytes()));
        let mut out = Vec::new();
        let mut row = csv::StringRecord::new();
        while csv.read_record(&mut row).unwrap() {
            let at = row.position().map_or(0, csv::Position::byte);
            out.push(csv.get_mut().line_at(at));
        }
        out
    }

    #[test]
    fn counts_past_blank_lines_crlf_and_quoted_newlines() {
        assert_eq!(lines("id,x\na,1\n\nb,2\n"), [2, 4]);
        assert_eq!(lines("id,x\n\n\na,1\n\n\n\nb,2\nc,3\n"), [4, 8, 9]);
        assert_eq!(lines("id,x\r\na,1\r\n\r\nb,2\r\n"), [2, 4]);
        assert_eq!(lines("id,x\na,\"1\n\n2\"\n\nb,2\n"), [2, 6]);
        assert_eq!(lines("\n\nid,x\na,1\n"), [4]);
        assert_eq!(lines("id,x\ra,1\rb,2"), [2, 3]);
    }
}
