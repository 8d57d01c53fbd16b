//! External status checks (issue 12): every `public` and `access` hostname of the lab
//! ([`hlc_model::Lab::status_targets`]) is checked by each of `monitoring.status.checkers`, in
//! the checker's cluster:
//!
//! | checker | path | what |
//! |---|---|---|
//! | `'blackbox` | `clusters/c/resilience/status/probes.yaml` | one prometheus-operator `Probe` per hostname, run by that blackbox exporter; the alerts are in the service's `PrometheusRule` ([`super::monitoring`]) |
//! | `'uptime_kuma` | `clusters/c/resilience/status/<checker>-monitors.yaml` | a ConfigMap holding an AutoKuma static-monitors file (a group and one HTTP monitor per hostname) |
//!
//! Why an import file for Uptime Kuma, and this one: Uptime Kuma keeps its monitors in its own
//! database and reads no configuration file; its JSON backup import is deprecated (and gone in
//! 2.0), and AutoKuma's labels are read from Docker containers, which a Kubernetes lab does not
//! have. AutoKuma's *static monitors* (JSON files in the folder named by
//! `AUTOKUMA__STATIC_MONITORS`) are declarative and idempotent: mount this ConfigMap there and
//! AutoKuma creates, updates and deletes the monitors to match.
//!
//! A hostname behind Cloudflare Access answers an anonymous request with the Access login
//! redirect (or 401/403): the checks accept that without following it, which proves DNS, TLS,
//! the tunnel and Access are up (the origin's own health is covered by its metrics).

use crate::derive;
use hlc_model::resilience::CheckerKind;
use hlc_model::{Exposure, Lab, Service};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The URL a status check requests: `https://<fqdn><health path>`.
pub fn check_url(lab: &Lab, s: &Service) -> Option<String> {
    let fqdn = derive::fqdn(lab, s)?;
    let path = s.health.as_ref().map(|h| h.path.as_str()).unwrap_or("/");
    Some(format!("https://{fqdn}{path}"))
}

/// Files of the `status/` folder of `cluster`: (relative path, documents, sources).
pub fn documents(lab: &Lab, cluster: &str) -> Vec<(String, Vec<Value>, BTreeSet<String>)> {
    let mut out = Vec::new();
    let targets = lab.status_targets();
    if targets.is_empty() {
        return out;
    }
    for (checker, kind) in &lab.monitoring.checkers {
        let Some(c) = lab.services.get(checker) else {
            continue;
        };
        if derive::cluster_of(c) != Some(cluster) {
            continue;
        }
        let ns = c.namespace.as_str();
        let mut sources: BTreeSet<String> = targets
            .iter()
            .map(|(n, _)| format!("services.{n}.hostname"))
            .collect();
        sources.insert(format!("{}.{checker}", lab.monitoring.checkers_path));
        sources.insert(format!("services.{checker}"));
        match kind.value {
            CheckerKind::Blackbox => {
                let prober = format!(
                    "{}.{}.svc.{}:{}",
                    c.service_name.as_str(),
                    ns,
                    derive::CLUSTER_DOMAIN,
                    *c.port
                );
                let docs = targets
                    .iter()
                    .filter_map(|(name, s)| {
                        let url = check_url(lab, s)?;
                        let module = if s.exposure.value == Exposure::Access {
                            "http_access"
                        } else {
                            "http_2xx"
                        };
                        Some(json!({
                            "apiVersion": "monitoring.coreos.com/v1",
                            "kind": "Probe",
                            "metadata": { "name": format!("status-{name}"), "namespace": ns,
                                "labels": { "app.kubernetes.io/managed-by": "hlc" } },
                            "spec": {
                                "jobName": "hlc-status",
                                "interval": "60s",
                                "module": module,
                                "prober": { "url": prober, "scheme": "http", "path": "/probe" },
                                "targets": { "staticConfig": {
                                    "static": [url],
                                    "labels": {
                                        super::monitoring::SERVICE_LABEL: name,
                                        "exposure": derive::exposure(s),
                                    },
                                } },
                            },
                        }))
                    })
                    .collect::<Vec<_>>();
                out.push(("probes.yaml".to_string(), docs, sources));
            }
            CheckerKind::UptimeKuma => {
                let group = format!("{}-status", lab.name.as_str());
                let mut monitors = vec![json!({ "name": lab.name.as_str(), "type": "group" })];
                for (_, s) in &targets {
                    let Some(url) = check_url(lab, s) else {
                        continue;
                    };
                    let access = s.exposure.value == Exposure::Access;
                    let fqdn = derive::fqdn(lab, s).unwrap_or_default();
                    monitors.push(json!({
                        "name": fqdn,
                        "type": "http",
                        "url": url,
                        "parent_name": format!("{group}[0]"),
                        "interval": 60,
                        "max_redirects": if access { 0 } else { 10 },
                        "accepted_statuscodes": if access {
                            json!(["200-299", "300-399", "401", "403"])
                        } else {
                            json!(["200-299"])
                        },
                    }));
                }
                let file = serde_json::to_string_pretty(&monitors).unwrap_or_default() + "\n";
                let doc = json!({
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": { "name": format!("{checker}-monitors"), "namespace": ns,
                        "labels": { "app.kubernetes.io/managed-by": "hlc" },
                        "annotations": { "hlc/consumer": "AutoKuma static monitors (AUTOKUMA__STATIC_MONITORS)" } },
                    "data": { format!("{group}.json"): file },
                });
                out.push((format!("{checker}-monitors.yaml"), vec![doc], sources));
            }
        }
    }
    out
}
