//! Where the runner's input lines come from: an events file or a stream
//! (standard input), read line by line with its position (line number, byte
//! offset, FNV hash of the bytes so far). The runner acts on what a line
//! says; everything about reading bytes — a line over the size limit, an
//! unfinished last line, skipping what a resumed state handled and checking
//! it is the same — lives here.

use super::{changed, shorter, RunError, MAX_LINE_BYTES};
use std::io::BufRead;

/// The next thing an events source has.
#[derive(Debug, PartialEq)]
pub enum Next {
    /// A line, now in the caller's buffer without its line ending
    /// (possibly blank).
    Line,
    /// A line longer than [`MAX_LINE_BYTES`], skipped whole.
    TooLong,
    /// The end of the input.
    End,
    /// A last line without a newline that is not complete JSON: it may
    /// still be being written, and is left for the next run.
    Unfinished,
}

/// Lines of an events stream, with the position after the last one read.
pub struct LineSource<R> {
    input: R,
    /// Lines read (1-based number of the last one).
    line: u64,
    /// Bytes consumed.
    offset: u64,
    /// FNV-1a 64 of the bytes consumed.
    hash: u64,
}

impl<R: BufRead> LineSource<R> {
    /// A source at the start of `input`.
    pub fn new(input: R) -> LineSource<R> {
        LineSource {
            input,
            line: 0,
            offset: 0,
            hash: crate::fnv::OFFSET,
        }
    }

    /// The number of the last line read, the bytes consumed and their hash.
    pub fn position(&self) -> (u64, u64, u64) {
        (self.line, self.offset, self.hash)
    }

    /// Skips the first `offset` bytes, which a state says it handled in
    /// `lines` lines, checking that they hash to `hash`.
    pub fn skip_handled(&mut self, handled: &crate::store::Cursor) -> Result<(), RunError> {
        let mut left = handled.offset;
        while left > 0 {
            let buf = self.input.fill_buf().map_err(read_error)?;
            if buf.is_empty() {
                return Err(shorter(handled.offset - left, handled));
            }
            let n = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            self.hash = crate::fnv::extend(self.hash, &buf[..n]);
            self.input.consume(n);
            left -= n as u64;
        }
        if handled.offset > 0 && self.hash != handled.hash {
            return Err(changed(handled));
        }
        self.line = handled.line;
        self.offset = handled.offset;
        Ok(())
    }

    /// Reads the next line into `buf` (cleared first).
    pub fn next(&mut self, buf: &mut Vec<u8>) -> Result<Next, RunError> {
        buf.clear();
        let read = std::io::Read::take(&mut self.input, MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', buf)
            .map_err(read_error)?;
        if read == 0 {
            return Ok(Next::End);
        }
        let terminated = buf.ends_with(b"\n");
        if buf.len() > MAX_LINE_BYTES && !terminated {
            self.skip_rest_of_line(buf)?;
            return Ok(Next::TooLong);
        }
        let text = trim_line(buf);
        if !terminated && serde_json::from_slice::<serde_json::Value>(text).is_err() {
            return Ok(Next::Unfinished);
        }
        self.consumed(buf);
        let len = trim_line(buf).len();
        buf.truncate(len);
        Ok(Next::Line)
    }

    /// Consumes (and counts) the rest of an over-long line whose start is in
    /// `start`, never holding more than a megabyte of it.
    fn skip_rest_of_line(&mut self, start: &[u8]) -> Result<(), RunError> {
        self.consumed(start);
        let mut rest = Vec::new();
        loop {
            rest.clear();
            let more = std::io::Read::take(&mut self.input, 1 << 20)
                .read_until(b'\n', &mut rest)
                .map_err(read_error)?;
            self.hash = crate::fnv::extend(self.hash, &rest);
            self.offset += more as u64;
            if more == 0 || rest.ends_with(b"\n") {
                return Ok(());
            }
        }
    }

    /// Counts a line's bytes (with its ending) as consumed.
    fn consumed(&mut self, bytes: &[u8]) {
        self.line += 1;
        self.offset += bytes.len() as u64;
        self.hash = crate::fnv::extend(self.hash, bytes);
    }
}

fn read_error(e: std::io::Error) -> RunError {
    RunError::Io(format!("cannot read the events file: {e}"))
}

fn trim_line(buf: &[u8]) -> &[u8] {
    let mut end = buf.len();
    while end > 0 && matches!(buf[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    &buf[..end]
}

#[cfg(test)]
mod tests {
    use super::{LineSource, Next};

    /// A line's text, or what the source met instead.
    type Item = Result<Vec<u8>, Next>;

    /// What the source gives for `text`, and its position at the end.
    fn all(text: &[u8]) -> (Vec<Item>, (u64, u64, u64)) {
        let mut source = LineSource::new(text);
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            match source.next(&mut buf).expect("read") {
                Next::Line => out.push(Ok(buf.clone())),
                other => {
                    let done = matches!(other, Next::End | Next::Unfinished);
                    out.push(Err(other));
                    if done {
                        return (out, source.position());
                    }
                }
            }
        }
    }

    #[test]
    fn lines_positions_and_the_unfinished_last_line() {
        let (lines, (line, offset, hash)) = all(b"{\"a\":1}\r\n\n{\"b\":");
        assert_eq!(
            lines,
            [
                Ok(b"{\"a\":1}".to_vec()),
                Ok(Vec::new()),
                Err(Next::Unfinished)
            ]
        );
        // The unfinished line is not consumed: the next run reads it whole.
        assert_eq!((line, offset), (2, 10));
        assert_eq!(hash, crate::fnv::hash(b"{\"a\":1}\r\n\n"));
        // A complete last line without a newline is a line.
        let (lines, (_, offset, _)) = all(b"{}\n{\"b\":2}");
        assert_eq!(lines[1], Ok(b"{\"b\":2}".to_vec()));
        assert_eq!(offset, 10);
    }
}
