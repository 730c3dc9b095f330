//! Prometheus metrics: requests by route and status, a latency histogram, pool state.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Install the process-wide recorder (idempotent: tests start many apps in one process).
pub fn init() {
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets(&[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ])
            .ok()
            .and_then(|b| b.install_recorder().ok())
    });
}

pub fn record_request(method: &str, route: &str, status: u16, seconds: f64) {
    let labels = [
        ("method", method.to_owned()),
        ("route", route.to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!("kvar_http_requests_total", &labels).increment(1);
    metrics::histogram!("kvar_http_request_duration_seconds", &labels[..2]).record(seconds);
}

/// Render the text exposition, after updating the pool gauges.
pub fn render(pool: &crate::db::Pool) -> String {
    let state = pool.state();
    metrics::gauge!("kvar_db_pool_connections").set(f64::from(state.connections));
    metrics::gauge!("kvar_db_pool_idle_connections").set(f64::from(state.idle_connections));
    metrics::gauge!("kvar_db_pool_max_size").set(f64::from(pool.max_size()));
    HANDLE
        .get()
        .and_then(|h| h.as_ref())
        .map(|h| h.render())
        .unwrap_or_default()
}
