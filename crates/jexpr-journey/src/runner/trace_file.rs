//! The trace file of a run with a durable store: on opening, made to agree
//! with what the store committed (cut back, or completed from its outbox).

use super::RunError;
use crate::store::Store;
use std::io::Write;

/// How much of a trace file's end is checked against the outbox on resume:
/// more than any write a crash can tear.
const TRACE_CHECK_BYTES: u64 = 1 << 20;

/// Opens the trace file of a run over `store` and makes it agree with what
/// the store committed: a longer file (records of inputs that were not
/// committed) is cut back, a shorter one (writes lost in a crash) is
/// completed from the store's outbox. New records are then appended.
pub fn open_trace<S: Store>(
    path: &std::path::Path,
    store: &mut S,
) -> Result<std::fs::File, RunError> {
    use std::io::{Seek, SeekFrom};
    let io =
        |e: std::io::Error| RunError::Io(format!("cannot write the trace {}: {e}", path.display()));
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(io)?;
    let committed = store.trace_bytes()?;
    let len = file.metadata().map_err(io)?.len();
    if len != committed {
        // A crash tears only the last writes, but a torn record may be
        // followed by the start of another: the file's tail is compared with
        // the outbox and rewritten from the first byte that differs (or from
        // where it ends).
        let kept = len.min(committed);
        let records = store.trace_from(kept.saturating_sub(TRACE_CHECK_BYTES))?;
        let from = records
            .first()
            .map_or(kept, |(offset, _)| (*offset).min(kept));
        let mut tail = Vec::new();
        file.seek(SeekFrom::Start(from)).map_err(io)?;
        std::io::Read::read_to_end(&mut std::io::Read::take(&mut file, kept - from), &mut tail)
            .map_err(io)?;
        let mut expected = Vec::new();
        for (_, line) in &records {
            expected.extend_from_slice(line.as_bytes());
            expected.push(b'\n');
        }
        let same = tail
            .iter()
            .zip(&expected)
            .take_while(|(a, b)| a == b)
            .count() as u64;
        let good = from + same;
        // Rewrite from the start of the record the first differing byte is in.
        let (start, rewrite): (u64, Vec<&String>) = match records
            .iter()
            .position(|(offset, line)| offset + line.len() as u64 + 1 > good)
        {
            Some(i) => (
                records[i].0,
                records[i..].iter().map(|(_, line)| line).collect(),
            ),
            None => (committed, Vec::new()),
        };
        file.set_len(start).map_err(io)?;
        file.seek(SeekFrom::Start(start)).map_err(io)?;
        let mut out = std::io::BufWriter::new(&mut file);
        for line in rewrite {
            writeln!(out, "{line}").map_err(io)?;
        }
        out.flush().map_err(io)?;
    }
    file.seek(SeekFrom::End(0)).map_err(io)?;
    Ok(file)
}
