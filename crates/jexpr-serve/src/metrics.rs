//! `/metrics` in the Prometheus text format: events accepted and refused,
//! steps by journey and kind, actions by status, instances waiting, how
//! late timers fire, and how long a request waits for its durable ack.

use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use serde_json::Value as Json;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabels {
    journey: String,
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ActionLabels {
    action: String,
    status: String,
}

/// The server's metrics; counters are atomics, shared by the handlers and
/// the engine thread.
pub struct Metrics {
    registry: Registry,
    accepted: Counter,
    rejected: Counter,
    duplicates: Counter,
    steps: Family<StepLabels, Counter>,
    actions: Family<ActionLabels, Counter>,
    waiting: Gauge,
    lateness: Histogram,
    ingest: Histogram,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let accepted = Counter::default();
        let rejected = Counter::default();
        let duplicates = Counter::default();
        let steps = Family::<StepLabels, Counter>::default();
        let actions = Family::<ActionLabels, Counter>::default();
        let waiting = Gauge::default();
        // 1 ms to about 65 s.
        let lateness = Histogram::new(exponential_buckets(0.001, 2.0, 17));
        let ingest = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        registry.register(
            "jexpr_events_accepted",
            "Events accepted (durable, handled)",
            accepted.clone(),
        );
        registry.register(
            "jexpr_events_rejected",
            "Events refused (invalid batches)",
            rejected.clone(),
        );
        registry.register(
            "jexpr_events_duplicate",
            "Events whose id was accepted before (not handled again)",
            duplicates.clone(),
        );
        registry.register("jexpr_steps", "Trace records written", steps.clone());
        registry.register("jexpr_actions", "Actions by status", actions.clone());
        registry.register(
            "jexpr_instances_waiting",
            "Instances waiting in a wait or reaction",
            waiting.clone(),
        );
        registry.register(
            "jexpr_timer_lateness_seconds",
            "How late timers fire (fire time minus due time)",
            lateness.clone(),
        );
        registry.register(
            "jexpr_ingest_seconds",
            "From a request's arrival to its durable acknowledgement",
            ingest.clone(),
        );
        Metrics {
            registry,
            accepted,
            rejected,
            duplicates,
            steps,
            actions,
            waiting,
            lateness,
            ingest,
        }
    }

    /// Counts one trace record written at `now`.
    pub fn record(&self, v: &Json, now: DateTime<Utc>) {
        let text = |k: &str| v.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        let kind = text("kind");
        self.steps
            .get_or_create(&StepLabels {
                journey: text("journey"),
                kind: kind.clone(),
            })
            .inc();
        match kind.as_str() {
            "action" => {
                let status = v
                    .get("status")
                    .and_then(Json::as_str)
                    .unwrap_or("recorded")
                    .to_string();
                self.actions
                    .get_or_create(&ActionLabels {
                        action: text("action"),
                        status,
                    })
                    .inc();
            }
            "resume" if text("cause") != "event" => {
                if let Ok(due) = jexpr::time::parse_instant(&text("time")) {
                    let late = (now - due).num_milliseconds().max(0) as f64 / 1000.0;
                    self.lateness.observe(late);
                }
            }
            _ => {}
        }
    }

    pub fn accepted(&self, accepted: usize, duplicates: usize) {
        self.accepted.inc_by(accepted as u64);
        self.duplicates.inc_by(duplicates as u64);
    }

    pub fn rejected(&self, n: usize) {
        self.rejected.inc_by(n as u64);
    }

    pub fn set_waiting(&self, n: usize) {
        self.waiting.set(i64::try_from(n).unwrap_or(i64::MAX));
    }

    pub fn ingest(&self, seconds: f64) {
        self.ingest.observe(seconds);
    }

    /// The text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
