//! Counters behind `/metrics`, written out in the Prometheus text format.

use blindpost::server::KeyCacheStats;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram's buckets.
const LATENCY_BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// One endpoint's latency histogram.
#[derive(Default)]
struct Histogram {
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Counters {
    /// (endpoint, request type, outcome) -> count.
    requests: BTreeMap<(&'static str, &'static str, String), u64>,
    /// Authentication refusal reason -> count.
    auth_refusals: BTreeMap<&'static str, u64>,
    latency: BTreeMap<&'static str, Histogram>,
    enqueued: u64,
    fetched: u64,
    acked: u64,
}

/// The server's metrics (cheap to update from any thread).
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<Counters>,
}

impl Metrics {
    fn with<T>(&self, f: impl FnOnce(&mut Counters) -> T) -> T {
        f(&mut self.counters.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Counts a finished request and its latency.
    pub fn request(
        &self,
        endpoint: &'static str,
        request_type: &'static str,
        outcome: &str,
        latency: Duration,
    ) {
        self.with(|c| {
            *c.requests
                .entry((endpoint, request_type, outcome.to_owned()))
                .or_default() += 1;
            let h = c.latency.entry(endpoint).or_default();
            let secs = latency.as_secs_f64();
            for (bucket, bound) in h.buckets.iter_mut().zip(LATENCY_BUCKETS) {
                if secs <= bound {
                    *bucket += 1;
                }
            }
            h.count += 1;
            h.sum += secs;
        });
    }

    /// Counts an authentication refusal.
    pub fn auth_refused(&self, reason: &'static str) {
        self.with(|c| *c.auth_refusals.entry(reason).or_default() += 1);
    }

    /// Counts deliveries queued, handed out by fetches, and acknowledged.
    pub fn queue(&self, enqueued: u64, fetched: u64, acked: u64) {
        self.with(|c| {
            c.enqueued += enqueued;
            c.fetched += fetched;
            c.acked += acked;
        });
    }

    /// The Prometheus text exposition of every metric, with the key cache's statistics.
    pub fn render(&self, cache: KeyCacheStats) -> String {
        let mut out = String::new();
        self.with(|c| {
            out.push_str("# HELP blindpost_requests_total Requests by endpoint, request type and outcome.\n# TYPE blindpost_requests_total counter\n");
            for ((endpoint, kind, outcome), n) in &c.requests {
                let _ = writeln!(
                    out,
                    "blindpost_requests_total{{endpoint=\"{endpoint}\",type=\"{kind}\",outcome=\"{outcome}\"}} {n}"
                );
            }
            out.push_str("# HELP blindpost_auth_refusals_total Refused authenticated-channel credentials by reason.\n# TYPE blindpost_auth_refusals_total counter\n");
            for (reason, n) in &c.auth_refusals {
                let _ = writeln!(out, "blindpost_auth_refusals_total{{reason=\"{reason}\"}} {n}");
            }
            out.push_str("# HELP blindpost_request_duration_seconds Request latency by endpoint.\n# TYPE blindpost_request_duration_seconds histogram\n");
            for (endpoint, h) in &c.latency {
                for (bound, n) in LATENCY_BUCKETS.iter().zip(h.buckets) {
                    let _ = writeln!(
                        out,
                        "blindpost_request_duration_seconds_bucket{{endpoint=\"{endpoint}\",le=\"{bound}\"}} {n}"
                    );
                }
                let _ = writeln!(
                    out,
                    "blindpost_request_duration_seconds_bucket{{endpoint=\"{endpoint}\",le=\"+Inf\"}} {}\nblindpost_request_duration_seconds_sum{{endpoint=\"{endpoint}\"}} {}\nblindpost_request_duration_seconds_count{{endpoint=\"{endpoint}\"}} {}",
                    h.count, h.sum, h.count
                );
            }
            for (name, help, n) in [
                ("blindpost_deliveries_enqueued_total", "Deliveries queued for recipients.", c.enqueued),
                ("blindpost_deliveries_fetched_total", "Deliveries handed out by fetches (a delivery fetched twice counts twice).", c.fetched),
                ("blindpost_deliveries_acked_total", "Queue slots acknowledged.", c.acked),
                ("blindpost_key_cache_misses_total", "Group keys decoded and prepared because the cache did not hold them.", cache.misses),
                ("blindpost_key_cache_hits_total", "Requests answered with a cached prepared group key.", cache.hits),
            ] {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {n}");
            }
            for (name, help, n) in [
                ("blindpost_key_cache_entries", "Prepared group keys held.", cache.entries),
                ("blindpost_key_cache_bytes", "Bytes the prepared group key cache is counted for.", cache.bytes),
            ] {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {n}");
            }
        });
        out
    }
}
