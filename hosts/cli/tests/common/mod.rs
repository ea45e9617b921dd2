//! Shared pieces of the CLI's tests: a server in a temporary directory with its codes written
//! to a file, and its request counters.
#![allow(dead_code)]

use blindpost_server::{RunningServer, ServerOptions, SmsChoice};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The SMS file of a server started by [`start_server`] in `dir`.
pub fn sms_file(dir: &Path) -> PathBuf {
    dir.join("sms.txt")
}

/// Starts a server on a free loopback port, embedded store in `dir/data`, codes appended to
/// `dir/sms.txt`.
pub async fn start_server(dir: &Path) -> RunningServer {
    let mut options = ServerOptions::new(dir.join("data"));
    options.sms = SmsChoice::File(sms_file(dir));
    blindpost_server::start(options)
        .await
        .expect("the server starts")
}

/// The last code the server sent to `phone`.
pub fn code_for(dir: &Path, phone: &str) -> Option<String> {
    let text = std::fs::read_to_string(sms_file(dir)).ok()?;
    text.lines().rev().find_map(|line| {
        line.strip_prefix(phone)?
            .strip_prefix(' ')
            .map(str::to_owned)
    })
}

/// Requests the server counted per endpoint (from `/metrics`), whatever their outcome.
pub async fn endpoint_counts(url: &str) -> BTreeMap<String, u64> {
    let text = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(format!("{url}/metrics"))
        .send()
        .await
        .expect("metrics answered")
        .text()
        .await
        .unwrap();
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("blindpost_requests_total{endpoint=\"") else {
            continue;
        };
        let Some((endpoint, rest)) = rest.split_once('"') else {
            continue;
        };
        let Some(n) = rest.rsplit(' ').next().and_then(|n| n.parse::<u64>().ok()) else {
            continue;
        };
        *counts.entry(endpoint.to_string()).or_default() += n;
    }
    counts
}
