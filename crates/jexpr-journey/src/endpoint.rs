//! A catalog action's `endpoint` (SERVICE.md section 2): where and how its
//! calls go. Only names of environment variables are kept here; the secrets
//! themselves are read by whatever makes the calls, and never written
//! anywhere.

use crate::problem::Problem;
use serde_json::Value as Json;

/// Where and how an action is called.
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    /// `http://` or `https://` URL.
    pub url: String,
    /// POST (default), PUT or GET (parameters in the query string).
    pub method: Method,
    /// Extra request headers (not secrets: those come from `auth`).
    pub headers: Vec<(String, String)>,
    /// How the call authenticates.
    pub auth: Auth,
    /// The environment variable holding the Standard Webhooks signing
    /// secret (`whsec_…` or raw), when calls are signed.
    pub signing_secret_env: Option<String>,
    /// At most `max_calls` calls per `period_ms` (a sliding window); more
    /// are not made and end `capped`.
    pub capping: Capping,
}

/// The request method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// The parameters are the JSON body.
    Post,
    /// The parameters are the JSON body.
    Put,
    /// The parameters are the query string.
    Get,
}

impl Method {
    /// As written in a request line.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Get => "GET",
        }
    }
}

/// Authentication, by environment variable names.
#[derive(Clone, Debug, PartialEq)]
pub enum Auth {
    /// No credentials.
    None,
    /// `Authorization: Basic` from two variables.
    Basic {
        /// Variable holding the user name.
        user_env: String,
        /// Variable holding the password.
        password_env: String,
    },
    /// `Authorization: Bearer` from a variable.
    Bearer {
        /// Variable holding the token.
        token_env: String,
    },
    /// A key in a header or in the query string.
    ApiKey {
        /// Where the key goes.
        place: KeyPlace,
        /// Variable holding the key.
        value_env: String,
    },
}

/// Where an API key goes.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyPlace {
    /// This request header.
    Header(String),
    /// This query parameter.
    Query(String),
}

/// A sliding-window cap on calls.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Capping {
    /// Calls allowed per period.
    pub max_calls: u32,
    /// The window, in milliseconds.
    pub period_ms: i64,
}

/// The cap when an endpoint gives none: 5,000 calls per second, as the
/// reference's default per host.
pub const DEFAULT_CAPPING: Capping = Capping {
    max_calls: 5000,
    period_ms: 1000,
};

/// The rate of a data source's fetches when its endpoint gives no
/// `capping`: 15 calls per second (calls over it wait, within the timeout).
pub const DEFAULT_SOURCE_RATE: Capping = Capping {
    max_calls: 15,
    period_ms: 1000,
};

/// Reads `actions.<action>.endpoint`; every problem is pushed with its
/// pointer, and an endpoint is returned only when it is whole.
pub fn read(v: &Json, file: &str, ptr: &str, problems: &mut Vec<Problem>) -> Option<Endpoint> {
    let before = problems.len();
    let mut bad = |at: &str, message: String| {
        problems.push(Problem::error("J005", file, &format!("{ptr}{at}"), message));
    };
    let Some(o) = v.as_object() else {
        bad("", "`endpoint` is an object with `url` (and `method`, `headers`, `auth`, `signingSecretEnv`, `capping`)".into());
        return None;
    };
    for key in o.keys() {
        if !matches!(
            key.as_str(),
            "url" | "method" | "headers" | "auth" | "signingSecretEnv" | "capping"
        ) {
            bad(&format!("/{key}"), format!("unknown key `{key}`: an endpoint has `url`, `method`, `headers`, `auth`, `signingSecretEnv` and `capping`"));
        }
    }
    let url = match o.get("url").and_then(Json::as_str) {
        Some(u) if u.starts_with("http://") || u.starts_with("https://") => u.to_string(),
        Some(u) => {
            bad("/url", format!("`{u}` is not an http:// or https:// URL"));
            String::new()
        }
        None => {
            bad("", "missing `url` (an http:// or https:// URL)".into());
            String::new()
        }
    };
    let method = match o.get("method").map(|m| m.as_str()) {
        None | Some(Some("POST")) => Method::Post,
        Some(Some("PUT")) => Method::Put,
        Some(Some("GET")) => Method::Get,
        Some(_) => {
            bad("/method", "`method` is POST, PUT or GET".into());
            Method::Post
        }
    };
    let mut headers = Vec::new();
    match o.get("headers") {
        None => {}
        Some(Json::Object(h)) => {
            for (name, value) in h {
                match value.as_str() {
                    Some(text) if valid_header(name, text) => {
                        headers.push((name.clone(), text.to_string()))
                    }
                    _ => bad(
                        &format!("/headers/{}", crate::model::escape(name)),
                        format!("header `{name}` needs a token name and a printable text value (secrets go in `auth`)"),
                    ),
                }
            }
        }
        Some(_) => bad("/headers", "`headers` maps header names to text".into()),
    }
    let env = |o: &serde_json::Map<String, Json>, key: &str| -> Option<String> {
        o.get(key)
            .and_then(Json::as_str)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
    };
    let auth = match o.get("auth") {
        None => Auth::None,
        Some(Json::Object(a)) => {
            let kind = a.get("type").and_then(Json::as_str).unwrap_or("");
            let need = |key: &str, bad: &mut dyn FnMut(&str, String)| {
                env(a, key).or_else(|| {
                    bad(
                        "/auth",
                        format!("`{kind}` auth needs `{key}`: the name of an environment variable"),
                    );
                    None
                })
            };
            match kind {
                "none" => Auth::None,
                "basic" => {
                    let user = need("userEnv", &mut bad);
                    let password = need("passwordEnv", &mut bad);
                    match (user, password) {
                        (Some(user_env), Some(password_env)) => Auth::Basic {
                            user_env,
                            password_env,
                        },
                        _ => Auth::None,
                    }
                }
                "bearer" => match need("tokenEnv", &mut bad) {
                    Some(token_env) => Auth::Bearer { token_env },
                    None => Auth::None,
                },
                "apiKey" => {
                    let value = need("valueEnv", &mut bad);
                    let place = match (env(a, "header"), env(a, "query")) {
                        (Some(h), None) => Some(KeyPlace::Header(h)),
                        (None, Some(q)) => Some(KeyPlace::Query(q)),
                        _ => {
                            bad(
                                "/auth",
                                "`apiKey` auth gives either `header` or `query`: where the key goes".into(),
                            );
                            None
                        }
                    };
                    match (place, value) {
                        (Some(place), Some(value_env)) => Auth::ApiKey { place, value_env },
                        _ => Auth::None,
                    }
                }
                other => {
                    bad(
                        "/auth/type",
                        format!("unknown auth type `{other}`: none, basic, bearer or apiKey"),
                    );
                    Auth::None
                }
            }
        }
        Some(_) => {
            bad("/auth", "`auth` is an object with a `type`".into());
            Auth::None
        }
    };
    let signing_secret_env = match o.get("signingSecretEnv") {
        None => None,
        Some(Json::String(n)) if !n.is_empty() => Some(n.clone()),
        Some(_) => {
            bad(
                "/signingSecretEnv",
                "`signingSecretEnv` is the name of an environment variable".into(),
            );
            None
        }
    };
    let capping = match o.get("capping") {
        None => DEFAULT_CAPPING,
        Some(c) => {
            let max = c.get("maxCalls").and_then(Json::as_u64);
            let period = c
                .get("period")
                .and_then(Json::as_str)
                .and_then(jexpr::time::parse_duration);
            match (max, period) {
                (Some(m), Some(p)) if m >= 1 && m <= u64::from(u32::MAX) && p > 0 => Capping {
                    max_calls: m as u32,
                    period_ms: p,
                },
                _ => {
                    bad(
                        "/capping",
                        "`capping` is `{\"maxCalls\": N ≥ 1, \"period\": \"PT1S\"}`".into(),
                    );
                    DEFAULT_CAPPING
                }
            }
        }
    };
    (problems.len() == before).then_some(Endpoint {
        url,
        method,
        headers,
        auth,
        signing_secret_env,
        capping,
    })
}

/// A header name is an RFC 9110 token; its value printable ASCII or space.
fn valid_header(name: &str, value: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
        && value.bytes().all(|b| (0x20..0x7f).contains(&b))
}
