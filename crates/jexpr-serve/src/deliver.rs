//! Actions over HTTP (SERVICE.md section 2): each call signed and
//! identified per Standard Webhooks, retried within the journey's
//! `actionTimeout` as the reference retries, capped per action. Secrets are
//! read from the environment once, at start, and appear in no message.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use jexpr_journey::endpoint::{Auth, Endpoint, KeyPlace, Method};
use jexpr_journey::engine::Outcome;
use jexpr_journey::runner::{Call, Deliverer};
use jexpr_journey::JourneyCatalog;
use serde_json::Value as Json;
use std::collections::{BTreeMap, VecDeque};
use std::io::Read;
use std::time::{Duration, Instant};

/// Requests per call at most: the first and 3 retries.
const MAX_ATTEMPTS: u32 = 4;

/// The largest response body read; a larger one is an error (bounded memory).
pub const MAX_RESPONSE_BYTES: u64 = 1 << 20;

/// An endpoint with its secrets read from the environment.
struct Ready {
    endpoint: Endpoint,
    /// `Authorization` header value, or an API key header.
    auth_header: Option<(String, String)>,
    /// An API key query parameter.
    auth_query: Option<(String, String)>,
    /// The HMAC key of the signing secret.
    signing_key: Option<Vec<u8>>,
    /// When the recent calls were made (the capping window).
    recent: VecDeque<Instant>,
}

/// Makes the calls of actions with an endpoint, and the fetches of data
/// sources with one.
pub struct HttpDeliverer {
    client: reqwest::blocking::Client,
    endpoints: BTreeMap<String, Ready>,
    sources: BTreeMap<String, Ready>,
}

impl HttpDeliverer {
    /// The deliverer of `catalog`'s endpoints, with every secret they name
    /// read from the environment (a missing one is refused, by name).
    pub fn new(catalog: &JourneyCatalog) -> Result<HttpDeliverer, String> {
        let var = |action: &str, name: &str| {
            std::env::var(name).map_err(|_| {
                format!("action `{action}`: the environment variable {name} is not set (its endpoint reads a secret from it)")
            })
        };
        let mut endpoints = BTreeMap::new();
        let mut sources = BTreeMap::new();
        let all = catalog
            .endpoints
            .iter()
            .map(|(n, e)| (n, e, false))
            .chain(catalog.source_endpoints.iter().map(|(n, e)| (n, e, true)));
        for (action, endpoint, is_source) in all {
            let b64 = base64::engine::general_purpose::STANDARD;
            let (auth_header, auth_query) = match &endpoint.auth {
                Auth::None => (None, None),
                Auth::Basic {
                    user_env,
                    password_env,
                } => {
                    let pair = format!("{}:{}", var(action, user_env)?, var(action, password_env)?);
                    (
                        Some((
                            "authorization".into(),
                            format!("Basic {}", b64.encode(pair)),
                        )),
                        None,
                    )
                }
                Auth::Bearer { token_env } => (
                    Some((
                        "authorization".into(),
                        format!("Bearer {}", var(action, token_env)?),
                    )),
                    None,
                ),
                Auth::ApiKey { place, value_env } => {
                    let value = var(action, value_env)?;
                    match place {
                        KeyPlace::Header(h) => (Some((h.clone(), value)), None),
                        KeyPlace::Query(q) => (None, Some((q.clone(), value))),
                    }
                }
            };
            let signing_key =
                match &endpoint.signing_secret_env {
                    None => None,
                    Some(name) => Some(signing_key(&var(action, name)?).map_err(|e| {
                        format!("action `{action}`: the signing secret in {name} {e}")
                    })?),
                };
            let into = if is_source {
                &mut sources
            } else {
                &mut endpoints
            };
            into.insert(
                action.clone(),
                Ready {
                    endpoint: endpoint.clone(),
                    auth_header,
                    auth_query,
                    signing_key,
                    recent: VecDeque::new(),
                },
            );
        }
        let client = reqwest::blocking::Client::builder()
            // A webhook is not followed elsewhere: a redirect is an answer.
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("jexpr/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
        Ok(HttpDeliverer {
            client,
            endpoints,
            sources,
        })
    }

    /// The actions it delivers: those with an endpoint.
    pub fn actions(&self) -> Vec<String> {
        self.endpoints.keys().cloned().collect()
    }

    /// The data sources it fetches: those with an endpoint.
    pub fn sources(&self) -> Vec<String> {
        self.sources.keys().cloned().collect()
    }
}

/// A Standard Webhooks secret: `whsec_` and base64, or the raw text.
pub fn signing_key(secret: &str) -> Result<Vec<u8>, String> {
    match secret.strip_prefix("whsec_") {
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| "starts with `whsec_` but the rest is not base64".to_string()),
        None if secret.is_empty() => Err("is empty".into()),
        None => Ok(secret.as_bytes().to_vec()),
    }
}

/// `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    let mut mac = match Hmac::<sha2::Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        // HMAC takes a key of any length; this cannot happen.
        Err(_) => return String::new(),
    };
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    let bytes = mac.finalize().into_bytes();
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// What one request gave.
enum Attempt {
    /// An HTTP answer: its status and (for a 2xx) the body's JSON object.
    Answer(u16, Result<Json, String>, Option<Duration>),
    /// No answer within the time left.
    TimedOut,
    /// No answer at all (connection refused, reset, DNS).
    Failed(String),
}

impl Deliverer for HttpDeliverer {
    fn deliver(&mut self, call: &Call<'_>) -> Outcome {
        let outcome = |status: &str, body: Json, attempts: u32, message: Option<String>| Outcome {
            status: status.to_string(),
            body,
            attempts,
            message,
        };
        let started = Instant::now();
        let ready = match call.fetch {
            Some((source, _)) => self.sources.get_mut(source),
            None => self.endpoints.get_mut(call.action),
        };
        let Some(ready) = ready else {
            return outcome(
                "internalError",
                Json::Null,
                0,
                Some("it has no endpoint".into()),
            );
        };
        // The cap: a sliding window of recent calls. An action's call over
        // it is not made; a data source's fetch waits for room, within the
        // timeout.
        let window =
            Duration::from_millis(u64::try_from(ready.endpoint.capping.period_ms).unwrap_or(1000));
        while let Some(wait) = room_in(ready, window) {
            let over = format!(
                "over the cap of {} calls per {} ms",
                ready.endpoint.capping.max_calls, ready.endpoint.capping.period_ms
            );
            if call.fetch.is_none() {
                return outcome("capped", Json::Null, 0, Some(over));
            }
            if started.elapsed() + wait >= call.timeout {
                return outcome("internalError", Json::Null, 0, Some(over));
            }
            std::thread::sleep(wait.max(Duration::from_millis(1)));
        }
        ready.recent.push_back(Instant::now());
        let mut attempts = 0;
        let mut last = Attempt::Failed("no request was made".into());
        while attempts < MAX_ATTEMPTS {
            let Some(left) = call
                .timeout
                .checked_sub(started.elapsed())
                .filter(|d| !d.is_zero())
            else {
                break;
            };
            attempts += 1;
            last = attempt(&self.client, ready, call, left);
            let retry_after = match &last {
                Attempt::Answer(code, _, _) if (200..300).contains(code) => break,
                Attempt::Answer(code, _, after) if *code == 429 || *code >= 500 => *after,
                // 401, 403, 404 and the other answers are not retried.
                Attempt::Answer(..) => break,
                Attempt::TimedOut | Attempt::Failed(_) => None,
            };
            if attempts >= MAX_ATTEMPTS {
                break;
            }
            // Back off 0.5 s, 1 s, 2 s, or as `Retry-After` says, within
            // the time left.
            let pause =
                retry_after.unwrap_or_else(|| Duration::from_millis(500 << (attempts - 1).min(4)));
            let left = call.timeout.saturating_sub(started.elapsed());
            if pause >= left {
                break;
            }
            std::thread::sleep(pause);
        }
        match last {
            Attempt::Answer(code, Ok(body), _) => {
                outcome(&format!("http_{code}"), body, attempts, None)
            }
            Attempt::Answer(code, Err(why), _) if (200..300).contains(&code) => {
                outcome("internalError", Json::Null, attempts, Some(why))
            }
            Attempt::Answer(code, Err(_), _) => {
                outcome(&format!("http_{code}"), Json::Null, attempts, None)
            }
            Attempt::TimedOut => outcome(
                "timedout",
                Json::Null,
                attempts,
                Some(format!(
                    "no answer within the journey's actionTimeout ({} ms)",
                    call.timeout.as_millis()
                )),
            ),
            Attempt::Failed(why) => outcome("internalError", Json::Null, attempts, Some(why)),
        }
    }
}

/// How long until the window has room for one more call (`None`: it has
/// room now), after forgetting calls older than the window.
fn room_in(ready: &mut Ready, window: Duration) -> Option<Duration> {
    let now = Instant::now();
    while ready
        .recent
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        ready.recent.pop_front();
    }
    if ready.recent.len() < ready.endpoint.capping.max_calls as usize {
        return None;
    }
    ready
        .recent
        .front()
        .map(|t| window.saturating_sub(now.duration_since(*t)))
}

/// One request of a call, given `left` to answer.
fn attempt(
    client: &reqwest::blocking::Client,
    ready: &Ready,
    call: &Call<'_>,
    left: Duration,
) -> Attempt {
    let e = &ready.endpoint;
    let body = match e.method {
        Method::Get => String::new(),
        Method::Post | Method::Put => call.params.to_string(),
    };
    let timestamp = chrono::Utc::now().timestamp();
    let mut request = match e.method {
        Method::Post => client.post(&e.url),
        Method::Put => client.put(&e.url),
        Method::Get => client.get(&e.url),
    }
    .timeout(left)
    .header("webhook-id", call.id)
    .header("webhook-timestamp", timestamp.to_string());
    if let Some((_, group)) = call.fetch {
        request = request.header("jexpr-field-group", group);
    }
    if e.method == Method::Get {
        let query: Vec<(String, String)> = call
            .params
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                let text = match v {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect();
        request = request.query(&query);
    } else {
        request = request
            .header("content-type", "application/json")
            .body(body.clone());
    }
    for (name, value) in &e.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some((name, value)) = &ready.auth_header {
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some((name, value)) = &ready.auth_query {
        request = request.query(&[(name.as_str(), value.as_str())]);
    }
    if let Some(key) = &ready.signing_key {
        request = request.header(
            "webhook-signature",
            signature(key, call.id, timestamp, &body),
        );
    }
    let response = match request.send() {
        Ok(r) => r,
        Err(err) if err.is_timeout() => return Attempt::TimedOut,
        // The error names the URL, which may hold a key: say what failed.
        Err(err) if err.is_connect() => {
            return Attempt::Failed("cannot connect to the endpoint".into())
        }
        Err(_) => return Attempt::Failed("the request failed".into()),
    };
    let code = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let mut bytes = Vec::new();
    let read = response
        .take(MAX_RESPONSE_BYTES + 1)
        .read_to_end(&mut bytes);
    if let Err(err) = read {
        return if is_timeout(&err) {
            Attempt::TimedOut
        } else {
            Attempt::Failed("the response was cut short".into())
        };
    }
    let body = if bytes.len() as u64 > MAX_RESPONSE_BYTES {
        Err(format!(
            "the response is larger than {} MiB",
            MAX_RESPONSE_BYTES >> 20
        ))
    } else if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(Json::Null)
    } else {
        match serde_json::from_slice::<Json>(&bytes) {
            Ok(v @ Json::Object(_)) => Ok(v),
            Ok(_) => Err("the response is JSON but not an object".into()),
            Err(_) => Err("the response is not JSON".into()),
        }
    };
    Attempt::Answer(code, body, retry_after)
}

fn is_timeout(err: &std::io::Error) -> bool {
    err.kind() == std::io::ErrorKind::TimedOut
        || std::error::Error::source(err)
            .and_then(|s| s.downcast_ref::<reqwest::Error>())
            .is_some_and(reqwest::Error::is_timeout)
}
