//! `jexpr receive`: a webhook receiver to point actions at while trying
//! them (crate `jexpr-serve`).

use crate::cli::EXIT_USAGE;
use crate::error::usage_error;
use std::process::ExitCode;

pub fn receive(listen: &str, secret_env: Option<&str>, status: u16, body: &str) -> ExitCode {
    let listen = match listen.parse() {
        Ok(addr) => addr,
        Err(e) => return usage_error(&format!("--listen {listen}: {e} (e.g. 127.0.0.1:9000)")),
    };
    let secret = match secret_env.map(|name| (name, std::env::var(name))) {
        None => None,
        Some((_, Ok(s))) => Some(s),
        Some((name, Err(_))) => {
            return usage_error(&format!(
                "--secret-env {name}: the environment variable is not set"
            ))
        }
    };
    let body = match serde_json::from_str(body) {
        Ok(b) => b,
        Err(e) => return usage_error(&format!("--body is not JSON: {e}")),
    };
    let options = jexpr_serve::receiver::ReceiverOptions {
        listen,
        secret,
        status,
        body,
    };
    match jexpr_serve::receiver::receive(options, |addr| {
        errln!("receiving on http://{addr} (one JSON line per request on stdout; Ctrl-C stops)");
    }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("error: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
