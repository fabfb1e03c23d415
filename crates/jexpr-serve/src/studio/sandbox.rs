//! The studio's test mode: the journeys run in memory on a virtual clock
//! that only moves when the author says so. Events go in one at a time,
//! the clock is advanced by hand, and the records come back to light the
//! path. Actions are recorded, never delivered; their responses can be
//! mocked (`run --responses` lines). One thread owns the runner, as in
//! `serve`; handlers send it commands.

use chrono::{DateTime, Utc};
use jexpr_journey::engine::Journeys;
use jexpr_journey::runner::{MockResponses, Runner};
use jexpr_journey::store::MemoryStore;
use jexpr_journey::JourneyCatalog;
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::sync::mpsc::{Receiver, Sender};
use tokio::sync::oneshot;

/// What the test mode is asked.
pub enum Ask {
    /// Send this events-file line (without `time`) at the clock.
    Event(Map<String, Value>),
    /// Move the clock on by this many milliseconds.
    Advance(i64),
    /// Start again from the beginning, with these mocked responses.
    Reset(Option<String>),
}

type Reply = oneshot::Sender<Result<Value, String>>;

/// The handle handlers hold.
#[derive(Clone)]
pub struct Sandbox {
    tx: Sender<(Ask, Reply)>,
}

impl Sandbox {
    /// Starts the test mode's thread, its clock at `start`.
    pub fn start(
        journeys: Journeys,
        catalog: &'static JourneyCatalog,
        profiles: Option<Vec<u8>>,
        start: DateTime<Utc>,
    ) -> Sandbox {
        let (tx, rx) = std::sync::mpsc::channel();
        let _ = std::thread::Builder::new()
            .name("jexpr-sandbox".into())
            .spawn(move || run(journeys, catalog, profiles, start, rx));
        Sandbox { tx }
    }

    /// Asks, and waits for the answer: the clock and the records written.
    pub async fn ask(&self, ask: Ask) -> Result<Value, String> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((ask, reply))
            .map_err(|_| "the test mode has stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the test mode has stopped".to_string())?
    }
}

/// The trace the runner writes, kept for the answer.
struct Sink(Rc<RefCell<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn run(
    journeys: Journeys,
    catalog: &'static JourneyCatalog,
    profiles: Option<Vec<u8>>,
    start: DateTime<Utc>,
    rx: Receiver<(Ask, Reply)>,
) {
    let mut responses: Option<String> = None;
    loop {
        let buf = Rc::new(RefCell::new(Vec::new()));
        let mut sink = Sink(buf.clone());
        let mock = responses.as_deref().map(MockResponses::parse);
        let mut js = journeys.clone();
        let mut runner = match mock {
            Some(Ok(mock)) => {
                js = js.delivering(mock.actions());
                Runner::new(js, catalog, MemoryStore::default(), &mut sink)
                    .deliverer(Box::new(mock))
            }
            _ => Runner::new(js, catalog, MemoryStore::default(), &mut sink),
        };
        let mut input = profiles.clone().map(std::io::Cursor::new);
        let mut clock = start;
        let started = runner
            .start_live(input.as_mut().map(|p| p as &mut dyn std::io::BufRead))
            .and_then(|()| runner.advance(clock));
        let taken = |buf: &Rc<RefCell<Vec<u8>>>| -> Vec<Value> {
            let bytes = std::mem::take(&mut *buf.borrow_mut());
            String::from_utf8_lossy(&bytes)
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        };
        taken(&buf);
        let reset = loop {
            let Ok((ask, reply)) = rx.recv() else {
                return;
            };
            let done = match ask {
                Ask::Reset(r) => {
                    if let Some(Err((n, e))) = r.as_deref().map(MockResponses::parse) {
                        let _ = reply.send(Err(format!("responses, line {n}: {e}")));
                        continue;
                    }
                    let _ = reply.send(Ok(
                        json!({"clock": jexpr::time::format_instant(&start), "records": []}),
                    ));
                    break r;
                }
                Ask::Event(mut line) => {
                    line.insert(
                        "time".into(),
                        Value::String(jexpr::time::format_instant(&clock)),
                    );
                    let bytes = Value::Object(line).to_string();
                    started
                        .as_ref()
                        .map_err(|e| e.to_string())
                        .and_then(|()| {
                            runner
                                .offer(bytes.as_bytes(), None)
                                .map_err(|e| e.to_string())
                        })
                        .map(|_| ())
                }
                Ask::Advance(ms) => {
                    match clock.checked_add_signed(chrono::TimeDelta::milliseconds(ms.max(0))) {
                        Some(next) => {
                            clock = next;
                            runner.advance(clock).map_err(|e| e.to_string())
                        }
                        None => Err("the clock cannot go that far".into()),
                    }
                }
            };
            let answer = done.map(
                |()| json!({"clock": jexpr::time::format_instant(&clock), "records": taken(&buf)}),
            );
            let _ = reply.send(answer);
        };
        responses = reset;
    }
}
