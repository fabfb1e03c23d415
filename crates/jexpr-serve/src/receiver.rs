//! `jexpr receive`: a small webhook receiver to try actions over HTTP
//! against — it prints each request as a JSON line (and whether its
//! Standard Webhooks signature is valid) and answers with a fixed status and
//! body.

use crate::ServeError;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Value as Json};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;

/// What `jexpr receive` was asked.
pub struct ReceiverOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The signing secret (`whsec_…` or raw) signatures are checked with.
    pub secret: Option<String>,
    /// The status every request is answered with.
    pub status: u16,
    /// The JSON body every request is answered with.
    pub body: Json,
}

struct Answer {
    key: Option<Vec<u8>>,
    status: StatusCode,
    body: String,
}

/// Receives until SIGINT or SIGTERM; `ready` gets the address.
pub fn receive(options: ReceiverOptions, ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let key = options
        .secret
        .as_deref()
        .map(crate::deliver::signing_key)
        .transpose()
        .map_err(|e| ServeError(format!("the signing secret {e}")))?;
    let status = StatusCode::from_u16(options.status)
        .map_err(|_| ServeError(format!("--status {} is not an HTTP status", options.status)))?;
    let answer = Arc::new(Answer {
        key,
        status,
        body: options.body.to_string(),
    });
    let app = Router::new().fallback(record).with_state(answer);
    crate::http::serve_small(app, options.listen, ready, "the receiver")
}

async fn record(
    State(answer): State<Arc<Answer>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let text = String::from_utf8_lossy(&body);
    let signature = match (&answer.key, header("webhook-signature")) {
        (_, None) => "unsigned",
        (None, Some(_)) => "not checked (no --secret-env)",
        (Some(key), Some(given)) => {
            let valid = header("webhook-id")
                .zip(header("webhook-timestamp").and_then(|t| t.parse::<i64>().ok()))
                .is_some_and(|(id, ts)| {
                    let expected = crate::deliver::signature(key, id, ts, &text);
                    // A header may carry several signatures, space-separated.
                    given.split(' ').any(|s| s == expected)
                });
            if valid {
                "valid"
            } else {
                "INVALID"
            }
        }
    };
    let line = json!({
        "time": jexpr::time::format_instant(&chrono::Utc::now()),
        "method": method.as_str(),
        "path": uri.path(),
        "query": uri.query(),
        "webhookId": header("webhook-id"),
        "signature": signature,
        "body": serde_json::from_slice::<Json>(&body).unwrap_or_else(|_| Json::String(text.into_owned())),
    });
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
    (
        answer.status,
        [("content-type", "application/json")],
        answer.body.clone(),
    )
        .into_response()
}
