//! Prometheus metrics with the reference names (§8.1) plus a latency histogram, labelled by the matched route
//! template so label values stay bounded. Built on the `prometheus` crate: counters and histograms are atomics, so
//! a request never waits on a scrape or on another request.

use std::collections::HashMap;
use std::sync::RwLock;

use prometheus::{
    Encoder as _, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    Opts, Registry, TextEncoder,
};

/// Upper bounds of the latency histogram, seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The process's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    publishes: IntCounterVec,
    downloads: IntCounterVec,
    readiness: IntCounterVec,
    migrations_all_applied: IntGauge,
    migrations_expected: IntGauge,
    migrations_applied: IntGauge,
    open_connections: IntGauge,
    store_down: IntGauge,
    /// The request counter and histogram of each (route, method, status) seen, resolved once: a request then costs
    /// one read lock and one hash of its route, not two label lookups and a status string.
    handles: RwLock<HashMap<Box<str>, Vec<RequestHandles>>>,
}

/// One (method, status) series pair of a route.
#[derive(Debug, Clone)]
struct RequestHandles {
    method: Box<str>,
    status: u16,
    requests: IntCounter,
    latency: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let vec =
        IntCounterVec::new(Opts::new(name, help), labels).unwrap_or_else(|e| bad_metric(name, &e));
    register(registry, name, vec.clone());
    vec
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    let gauge = IntGauge::new(name, help).unwrap_or_else(|e| bad_metric(name, &e));
    register(registry, name, gauge.clone());
    gauge
}

fn register(
    registry: &Registry,
    name: &str,
    collector: impl prometheus::core::Collector + 'static,
) {
    if let Err(e) = registry.register(Box::new(collector)) {
        bad_metric(name, &e);
    }
}

/// The names and labels above are constants checked by the unit test below: failing here is a programming error.
#[allow(clippy::panic)]
fn bad_metric(name: &str, e: &prometheus::Error) -> ! {
    panic!("metric {name}: {e}")
}

impl Metrics {
    /// Every metric, registered in a registry of its own (several servers can share a process).
    pub fn new() -> Self {
        let registry = Registry::new();
        let route = ["method", "route", "status"];
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "anip_registry_http_request_duration_seconds",
                "HTTP request latency.",
            )
            .buckets(BUCKETS.to_vec()),
            &route,
        )
        .unwrap_or_else(|e| bad_metric("anip_registry_http_request_duration_seconds", &e));
        register(&registry, "latency", latency.clone());
        Metrics {
            requests: counter(
                &registry,
                "anip_registry_http_requests_total",
                "HTTP requests by method, route and status.",
                &route,
            ),
            latency,
            publishes: counter(
                &registry,
                "anip_registry_publish_total",
                "Publish attempts by kind and outcome.",
                &["kind", "status"],
            ),
            downloads: counter(
                &registry,
                "anip_registry_download_total",
                "Counted downloads by kind.",
                &["kind"],
            ),
            readiness: counter(
                &registry,
                "anip_registry_readiness_checks_total",
                "Readiness checks by outcome.",
                &["status"],
            ),
            migrations_all_applied: gauge(
                &registry,
                "anip_registry_migrations_applied",
                "1 when every migration this binary knows is applied.",
            ),
            migrations_expected: gauge(
                &registry,
                "anip_registry_migrations_expected",
                "Migrations this binary knows.",
            ),
            migrations_applied: gauge(
                &registry,
                "anip_registry_migrations_applied_count",
                "Migrations applied to the store.",
            ),
            open_connections: gauge(
                &registry,
                "anip_registry_open_connections",
                "Open client connections.",
            ),
            handles: RwLock::new(HashMap::new()),
            store_down: gauge(
                &registry,
                "anip_registry_store_down",
                "1 while the store is known to be down (requests get an immediate 503).",
            ),
            registry,
        }
    }

    /// Records one HTTP request.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let found = |series: &RequestHandles| series.status == status && &*series.method == method;
        let cached = self.handles.read().ok().and_then(|routes| {
            let series = routes.get(route)?.iter().find(|s| found(s))?;
            series.requests.inc();
            series.latency.observe(seconds);
            Some(())
        });
        if cached.is_some() {
            return;
        }
        let code = status.to_string();
        let labels = [method, route, code.as_str()];
        let series = RequestHandles {
            method: method.into(),
            status,
            requests: self.requests.with_label_values(&labels),
            latency: self.latency.with_label_values(&labels),
        };
        series.requests.inc();
        series.latency.observe(seconds);
        if let Ok(mut routes) = self.handles.write() {
            let known = routes.entry(route.into()).or_default();
            if !known.iter().any(found) {
                known.push(series);
            }
        }
    }

    /// Records a publish outcome (`success`, `invalid_request`, `invalid`, `unauthorized`, `conflict`, `error`,
    /// `unchanged`).
    pub fn publish(&self, kind: &'static str, status: &'static str) {
        self.publishes.with_label_values(&[kind, status]).inc();
    }

    /// Records a counted download.
    pub fn download(&self, kind: &'static str) {
        self.downloads.with_label_values(&[kind]).inc();
    }

    /// Records a readiness check and the migration gauges it saw.
    pub fn readiness(&self, ok: bool, applied: usize, expected: usize) {
        self.readiness
            .with_label_values(&[if ok { "ok" } else { "error" }])
            .inc();
        self.migrations(applied, expected);
    }

    /// Sets the migration gauges (at start, after migrating).
    pub fn migrations(&self, applied: usize, expected: usize) {
        let applied = i64::try_from(applied).unwrap_or(i64::MAX);
        let expected = i64::try_from(expected).unwrap_or(i64::MAX);
        self.migrations_applied.set(applied);
        self.migrations_expected.set(expected);
        self.migrations_all_applied
            .set(i64::from(expected > 0 && applied >= expected));
    }

    /// A client connection opened.
    pub fn connection_opened(&self) {
        self.open_connections.inc();
    }

    /// A client connection closed.
    pub fn connection_closed(&self) {
        self.open_connections.dec();
    }

    /// Whether the store is known to be down.
    pub fn store_down(&self, down: bool) {
        self.store_down.set(i64::from(down));
    }

    /// The Prometheus text exposition (format 0.0.4).
    pub fn render(&self) -> String {
        let mut out = Vec::with_capacity(8192);
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %e, "registry_metrics_encode_failed");
        }
        String::from_utf8(out).unwrap_or_default()
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
        m.migrations(3, 3);
        let text = m.render();
        assert!(
            text.contains(
                "anip_registry_http_requests_total{method=\"GET\",route=\"/registry-api/v1/keys\",status=\"200\"} 2"
            ),
            "{text}"
        );
        assert!(text.contains("le=\"0.0025\"} 1"), "{text}");
        assert!(text.contains("le=\"+Inf\"} 2"), "{text}");
        assert!(
            text.contains(
                "anip_registry_publish_total{kind=\"package\",status=\"unauthorized\"} 1"
            )
        );
        assert!(text.contains("anip_registry_migrations_applied 1"));
        assert!(text.contains("anip_registry_migrations_applied_count 3"));
        assert!(text.contains("anip_registry_migrations_expected 3"));
    }

    #[test]
    fn label_values_are_escaped() {
        let m = Metrics::default();
        m.observe_request("GET", "/a\"b\\c\nd", 404, 0.001);
        assert!(m.render().contains("route=\"/a\\\"b\\\\c\\nd\""));
    }
}
