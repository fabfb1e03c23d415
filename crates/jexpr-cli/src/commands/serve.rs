//! `jexpr serve`: checks the journeys as `run` does, then hands them to the
//! server (crate `jexpr-serve`).

use crate::cli::{Format, EXIT_USAGE};
use crate::error::usage_error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub struct ServeArgs<'a> {
    pub journeys: &'a [PathBuf],
    pub catalog: &'a Path,
    pub profiles: Option<&'a Path>,
    pub state: &'a str,
    pub listen: &'a str,
    pub token_file: Option<&'a Path>,
    pub dry_run: bool,
    pub wait_override: Option<&'a str>,
    pub process_name: Option<&'a str>,
    pub lease_seconds: f64,
}

pub fn serve(a: ServeArgs<'_>) -> ExitCode {
    if a.state.is_empty() {
        return usage_error("--state is empty: give a SQLite file or a postgres:// URL");
    }
    if !(a.lease_seconds.is_finite() && (1.0..=3600.0).contains(&a.lease_seconds)) {
        return usage_error("--lease-seconds must be between 1 and 3600");
    }
    let listen = match a.listen.parse() {
        Ok(addr) => addr,
        Err(e) => return usage_error(&format!("--listen {}: {e} (e.g. 127.0.0.1:8080)", a.listen)),
    };
    let wait_override = match a.wait_override.map(|d| (d, jexpr::time::parse_duration(d))) {
        None => None,
        Some((_, Some(ms))) if ms > 0 => Some(ms),
        Some((d, _)) => {
            return usage_error(&format!(
                "--wait-override {d}: give a positive ISO-8601 duration such as PT1M"
            ))
        }
    };
    let token = match a.token_file.map(std::fs::read_to_string).transpose() {
        Ok(t) => t.map(|t| t.trim().to_string()),
        Err(e) => return usage_error(&format!("cannot read the token file: {e}")),
    };
    if token.as_deref() == Some("") {
        return usage_error("the token file is empty");
    }
    // Checked here for the same report as `journey check`; the server
    // checks them again with the versions published into the state.
    let (_, catalog, _) =
        match super::journey::checked(a.journeys, Some(a.catalog), Format::Text, true) {
            Ok(c) => c,
            Err(code) => return code,
        };
    let mut sources = Vec::new();
    for path in a.journeys {
        match jexpr_journey::read_limited(path) {
            Ok(text) => sources.push((path.display().to_string(), text)),
            Err(e) => return usage_error(&e.to_string()),
        }
    }
    let (catalog_text, catalog_json) = match jexpr_journey::read_limited(a.catalog)
        .map_err(|e| e.to_string())
        .and_then(|t| {
            let v = serde_json::from_str(&t).map_err(|e| e.to_string())?;
            Ok((t, v))
        }) {
        Ok(v) => v,
        Err(e) => return usage_error(&format!("cannot read the catalog: {e}")),
    };
    let profiles = match a.profiles.map(std::fs::read).transpose() {
        Ok(p) => p,
        Err(e) => return usage_error(&format!("cannot read the profiles file: {e}")),
    };
    let options = jexpr_serve::Options {
        sources,
        catalog,
        catalog_text,
        catalog_json,
        profiles,
        state: a.state.to_string(),
        process_name: a
            .process_name
            .map_or_else(super::journey::default_process_name, str::to_string),
        lease: std::time::Duration::from_secs_f64(a.lease_seconds),
        listen,
        token,
        dry_run: a.dry_run,
        wait_override,
    };
    let served = jexpr_serve::serve(options, |addr| {
        errln!("listening on http://{addr} (state {})", a.state);
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("error: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
