//! Prometheus metrics with the reference names (§8.1) plus a real latency histogram, labelled by the matched
//! route template so label values stay bounded.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

/// Upper bounds of the latency histogram, seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Debug, Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<(String, String, u16), Histogram>,
    publishes: BTreeMap<(&'static str, &'static str), u64>,
    downloads: BTreeMap<&'static str, u64>,
    readiness: BTreeMap<&'static str, u64>,
    migrations_expected: u64,
    migrations_applied: u64,
}

/// The process's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut inner)
    }

    /// Records one HTTP request.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.with(|m| {
            let key = (method.to_owned(), route.to_owned(), status);
            *m.requests.entry(key.clone()).or_default() += 1;
            let h = m.latency.entry(key).or_default();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if seconds <= *bound {
                    h.buckets[i] += 1;
                }
            }
            h.sum += seconds;
            h.count += 1;
        });
    }

    /// Records a publish outcome (`success`, `invalid_request`, `invalid`, `unauthorized`, `conflict`, `error`,
    /// `unchanged`).
    pub fn publish(&self, kind: &'static str, status: &'static str) {
        self.with(|m| *m.publishes.entry((kind, status)).or_default() += 1);
    }

    /// Records a counted download.
    pub fn download(&self, kind: &'static str) {
        self.with(|m| *m.downloads.entry(kind).or_default() += 1);
    }

    /// Records a readiness check and the migration gauges it saw.
    pub fn readiness(&self, ok: bool, applied: usize, expected: usize) {
        self.with(|m| {
            *m.readiness
                .entry(if ok { "ok" } else { "error" })
                .or_default() += 1;
            m.migrations_applied = applied as u64;
            m.migrations_expected = expected as u64;
        });
    }

    /// Sets the migration gauges (at start, after migrating).
    pub fn migrations(&self, applied: usize, expected: usize) {
        self.with(|m| {
            m.migrations_applied = applied as u64;
            m.migrations_expected = expected as u64;
        });
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        self.with(|m| {
            let mut out = String::with_capacity(4096);
            let _ = writeln!(out, "# HELP anip_registry_http_requests_total HTTP requests by method, route and status.");
            let _ = writeln!(out, "# TYPE anip_registry_http_requests_total counter");
            for ((method, route, status), n) in &m.requests {
                let _ = writeln!(
                    out,
                    "anip_registry_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(method),
                    escape(route)
                );
            }
            let _ = writeln!(out, "# HELP anip_registry_http_request_duration_seconds HTTP request latency.");
            let _ = writeln!(out, "# TYPE anip_registry_http_request_duration_seconds histogram");
            for ((method, route, status), h) in &m.latency {
                let labels = format!(
                    "method=\"{}\",route=\"{}\",status=\"{status}\"",
                    escape(method),
                    escape(route)
                );
                for (i, bound) in BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "anip_registry_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}",
                        h.buckets[i]
                    );
                }
                let _ = writeln!(
                    out,
                    "anip_registry_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                    h.count
                );
                let _ = writeln!(out, "anip_registry_http_request_duration_seconds_sum{{{labels}}} {:.9}", h.sum);
                let _ = writeln!(out, "anip_registry_http_request_duration_seconds_count{{{labels}}} {}", h.count);
            }
            let _ = writeln!(out, "# HELP anip_registry_publish_total Publish attempts by kind and outcome.");
            let _ = writeln!(out, "# TYPE anip_registry_publish_total counter");
            for ((kind, status), n) in &m.publishes {
                let _ = writeln!(out, "anip_registry_publish_total{{kind=\"{kind}\",status=\"{status}\"}} {n}");
            }
            let _ = writeln!(out, "# HELP anip_registry_download_total Counted downloads by kind.");
            let _ = writeln!(out, "# TYPE anip_registry_download_total counter");
            for (kind, n) in &m.downloads {
                let _ = writeln!(out, "anip_registry_download_total{{kind=\"{kind}\"}} {n}");
            }
            let _ = writeln!(out, "# HELP anip_registry_readiness_checks_total Readiness checks by outcome.");
            let _ = writeln!(out, "# TYPE anip_registry_readiness_checks_total counter");
            for (status, n) in &m.readiness {
                let _ = writeln!(out, "anip_registry_readiness_checks_total{{status=\"{status}\"}} {n}");
            }
            let all = m.migrations_expected > 0 && m.migrations_applied >= m.migrations_expected;
            let _ = writeln!(out, "# TYPE anip_registry_migrations_applied gauge");
            let _ = writeln!(out, "anip_registry_migrations_applied {}", u8::from(all));
            let _ = writeln!(out, "# TYPE anip_registry_migrations_expected gauge");
            let _ = writeln!(out, "anip_registry_migrations_expected {}", m.migrations_expected);
            let _ = writeln!(out, "# TYPE anip_registry_migrations_applied_count gauge");
            let _ = writeln!(out, "anip_registry_migrations_applied_count {}", m.migrations_applied);
            out
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        m.observe_request("GET", "/registry-api/v1/keys", 200, 0.002);
        m.observe_request("GET", "/registry-api/v1/keys", 200, 0.2);
        m.publish("package", "unauthorized");
        let text = m.render();
        assert!(text.contains(
            "anip_registry_http_requests_total{method=\"GET\",route=\"/registry-api/v1/keys\",status=\"200\"} 2"
        ));
        assert!(text.contains("le=\"0.0025\"} 1"));
        assert!(text.contains("le=\"+Inf\"} 2"));
        assert!(
            text.contains(
                "anip_registry_publish_total{kind=\"package\",status=\"unauthorized\"} 1"
            )
        );
    }
}
