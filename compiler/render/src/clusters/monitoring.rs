//! Monitoring derived from the model (issue 12), rendered into the cluster that runs the
//! metrics scraper (the service whose app has the `metrics_scraper` role, Prometheus from
//! kube-prometheus-stack):
//!
//! | path | what |
//! |---|---|
//! | `clusters/c/resilience/monitoring/servicemonitors.yaml` | one `ServiceMonitor` per service of `c` with `metrics` (not the scraper's own release, which monitors itself) |
//! | `clusters/c/resilience/monitoring/rules/<service>.yaml` | one `PrometheusRule` per service with something to alert on: target down, Velero backups failed or missing per schedule, certificates expiring (cert-manager), status probes failing or their TLS certificate expiring |
//! | `clusters/c/secrets/<namespace>/alertmanager-hlc.yaml` | the Alertmanager configuration (routing to the lab's receivers) in the Secret `alertmanager-hlc`, a SOPS-encrypted [`SecretArtifact`] because receiver URLs are credentials; synced with the app Secrets through KSOPS ([`super::secrets`]) |
//!
//! Every scrape target gets the label `hlc_service` (a relabeling on the ServiceMonitor; the
//! status Probes set it too), so alert expressions name the service, not a guessed job name.
//! Services of other clusters are not scraped (their Prometheus, if any, is theirs); their
//! public names are still probed from here by the blackbox checker ([`super::status`]).

use crate::{derive, RenderContext, SecretArtifact};
use hlc_model::app::AppRole;
use hlc_model::resilience::{CheckerKind, ReceiverKind, Schedule};
use hlc_model::{Exposure, Lab, Service};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The Secret holding Alertmanager's configuration; `lib/modules/kube_prometheus_stack.ncl`
/// points `alertmanager.alertmanagerSpec.configSecret` at it.
pub const ALERTMANAGER_SECRET: &str = "alertmanager-hlc";

/// The label every scrape target and probe carries with the service's name.
pub const SERVICE_LABEL: &str = "hlc_service";

/// SOPS `encrypted_regex` of Kubernetes Secrets: only the payload is encrypted.
pub const SECRET_REGEX: &str = "^(data|stringData)$";

/// The metrics scraper: (name, service), the first by name with the `metrics_scraper` role.
pub fn scraper(lab: &Lab) -> Option<(&str, &Service)> {
    lab.services
        .iter()
        .find(|(_, s)| {
            s.app
                .as_ref()
                .and_then(|a| a.role.as_ref())
                .is_some_and(|r| r.value == AppRole::MetricsScraper)
                && derive::cluster_of(s).is_some()
        })
        .map(|(n, s)| (n.as_str(), s))
}

/// Files of the `monitoring/` folder of `cluster`: (relative path, documents, sources).
pub fn documents(lab: &Lab, cluster: &str) -> Vec<(String, Vec<Value>, BTreeSet<String>)> {
    let mut out = Vec::new();
    let Some((scraper_name, scraper_svc)) = scraper(lab) else {
        return out;
    };
    if derive::cluster_of(scraper_svc) != Some(cluster) {
        return out;
    }
    let ns = scraper_svc.namespace.as_str();
    let own_release = derive::release(scraper_svc);

    // ServiceMonitors.
    let mut monitors = Vec::new();
    let mut msrc = BTreeSet::new();
    for (name, s) in &lab.services {
        let Some(m) = &s.metrics else { continue };
        if derive::cluster_of(s) != Some(cluster) || derive::release(s) == own_release {
            continue;
        }
        msrc.insert(format!("services.{name}.metrics"));
        monitors.push(json!({
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "metadata": { "name": name, "namespace": ns,
                "labels": { "app.kubernetes.io/managed-by": "hlc" } },
            "spec": {
                "namespaceSelector": { "matchNames": [s.namespace.as_str()] },
                "selector": { "matchLabels": { super::INSTANCE_LABEL: derive::release(s) } },
                "endpoints": [{
                    "targetPort": *m.port,
                    "path": m.path.as_str(),
                    "interval": "60s",
                    "relabelings": [{ "action": "replace", "targetLabel": SERVICE_LABEL, "replacement": name }],
                }],
            },
        }));
    }
    if !monitors.is_empty() {
        msrc.insert(format!("services.{scraper_name}"));
        out.push(("servicemonitors.yaml".to_string(), monitors, msrc));
    }

    // PrometheusRules.
    let probed: BTreeSet<&str> = if lab.monitoring.checkers.iter().any(|(c, k)| {
        k.value == CheckerKind::Blackbox
            && lab.services.get(c).and_then(|s| derive::cluster_of(s)) == Some(cluster)
    }) {
        lab.status_targets().into_iter().map(|(n, _)| n).collect()
    } else {
        BTreeSet::new()
    };
    for (name, s) in &lab.services {
        let mut rules = Vec::new();
        let mut src = BTreeSet::new();
        let severity_down = if matches!(s.exposure.value, Exposure::Public | Exposure::Access) {
            "critical"
        } else {
            "warning"
        };
        let scraped = s.metrics.is_some()
            && derive::cluster_of(s) == Some(cluster)
            && derive::release(s) != own_release;
        if scraped {
            src.insert(format!("services.{name}.metrics"));
            rules.push(json!({
                "alert": "HlcTargetDown",
                "expr": format!("(max(up{{{SERVICE_LABEL}=\"{name}\"}}) or vector(0)) == 0"),
                "for": "5m",
                "labels": { "severity": severity_down, SERVICE_LABEL: name },
                "annotations": {
                    "summary": format!("{name} is down"),
                    "description": format!("Prometheus has not scraped {name} (namespace {}) for 5 minutes.", s.namespace.as_str()),
                },
            }));
        }
        let is_agent = lab
            .backup_agent(derive::cluster_of(s).unwrap_or_default())
            .is_some_and(|(a, _)| a == name);
        if is_agent && scraped {
            for plan in lab
                .backup_plans()
                .into_iter()
                .filter(|p| Some(p.cluster.as_str()) == derive::cluster_of(s))
            {
                let Ok(sched) = Schedule::parse(&plan.schedule.value.value) else {
                    continue;
                };
                let Some(cadence) = sched.cadence() else {
                    continue;
                };
                src.insert(plan.path.clone());
                src.insert(plan.schedule.path.clone());
                // Missing: no success for one full period plus an hour to run.
                let missing =
                    hlc_model::resilience::Duration::from_minutes(cadence.max_gap.minutes + 60);
                rules.push(json!({
                    "alert": "HlcBackupFailed",
                    "expr": format!("increase(velero_backup_failure_total{{schedule=\"{}\"}}[{}]) > 0", plan.name, missing.prometheus()),
                    "labels": { "severity": "critical", SERVICE_LABEL: name, "schedule": plan.name },
                    "annotations": {
                        "summary": format!("Velero backup {} failed", plan.name),
                        "description": format!("A backup of schedule {} (runs {}) failed in cluster {cluster}.", plan.name, sched.describe()),
                    },
                }));
                rules.push(json!({
                    "alert": "HlcBackupMissing",
                    "expr": format!(
                        "(time() - max(velero_backup_last_successful_timestamp{{schedule=\"{}\"}})) > {} or absent(velero_backup_last_successful_timestamp{{schedule=\"{}\"}})",
                        plan.name, missing.minutes * 60, plan.name
                    ),
                    "for": "15m",
                    "labels": { "severity": "warning", SERVICE_LABEL: name, "schedule": plan.name },
                    "annotations": {
                        "summary": format!("No successful backup {} for {}", plan.name, missing),
                        "description": format!("Schedule {} runs {}; its last success is older than {}.", plan.name, sched.describe(), missing),
                    },
                }));
            }
        }
        let is_cert_manager = s
            .chart
            .as_ref()
            .is_some_and(|c| c.name.value == "cert-manager");
        if is_cert_manager && scraped {
            rules.push(json!({
                "alert": "HlcCertificateExpiring",
                "expr": "(min by (namespace, name) (certmanager_certificate_expiration_timestamp_seconds) - time()) < 14 * 86400",
                "for": "1h",
                "labels": { "severity": "warning", SERVICE_LABEL: name },
                "annotations": {
                    "summary": "Certificate {{ $labels.namespace }}/{{ $labels.name }} expires in less than 14 days",
                    "description": "cert-manager has not renewed it; check the Certificate's events.",
                },
            }));
        }
        if probed.contains(name.as_str()) {
            let fqdn = derive::fqdn(lab, s).unwrap_or_default();
            src.insert(format!("services.{name}.hostname"));
            src.insert(lab.monitoring.checkers_path.clone());
            rules.push(json!({
                "alert": "HlcProbeFailed",
                "expr": format!("(max(probe_success{{{SERVICE_LABEL}=\"{name}\"}}) or vector(0)) == 0"),
                "for": "5m",
                "labels": { "severity": severity_down, SERVICE_LABEL: name },
                "annotations": {
                    "summary": format!("{fqdn} is unreachable"),
                    "description": format!("The status probe of https://{fqdn} has failed for 5 minutes."),
                },
            }));
            rules.push(json!({
                "alert": "HlcTlsCertificateExpiring",
                "expr": format!("(min(probe_ssl_earliest_cert_expiry{{{SERVICE_LABEL}=\"{name}\"}}) - time()) < 14 * 86400"),
                "for": "1h",
                "labels": { "severity": "warning", SERVICE_LABEL: name },
                "annotations": {
                    "summary": format!("The TLS certificate of {fqdn} expires in less than 14 days"),
                    "description": "The edge certificate is renewed by Cloudflare; a short expiry means renewal is failing.",
                },
            }));
        }
        if rules.is_empty() {
            continue;
        }
        src.insert(format!("services.{name}"));
        out.push((
            format!("rules/{name}.yaml"),
            vec![json!({
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "PrometheusRule",
                "metadata": { "name": format!("hlc-{name}"), "namespace": ns,
                    "labels": { "app.kubernetes.io/managed-by": "hlc" } },
                "spec": { "groups": [{ "name": format!("hlc.{name}"), "rules": rules }] },
            })],
            src,
        ));
    }
    out
}

/// The Alertmanager configuration (plain data; the URLs are taken from `ctx.secrets`).
/// `None` when the lab has no receivers, or a receiver's secret value is not available.
pub fn alertmanager_config(lab: &Lab, ctx: &RenderContext) -> Option<Value> {
    if lab.monitoring.receivers.is_empty() {
        return None;
    }
    let mut receivers = vec![json!({ "name": "null" })];
    let mut routes = vec![json!({ "matchers": ["alertname = \"Watchdog\""], "receiver": "null" })];
    for (name, r) in &lab.monitoring.receivers {
        let url = ctx.secrets.get(r.url_secret.as_str())?.expose().to_string();
        let config = match r.kind.value {
            ReceiverKind::Discord => {
                json!({ "discord_configs": [{ "webhook_url": url, "send_resolved": true }] })
            }
            ReceiverKind::Slack => {
                json!({ "slack_configs": [{ "api_url": url, "send_resolved": true }] })
            }
            ReceiverKind::Webhook => {
                json!({ "webhook_configs": [{ "url": url, "send_resolved": true }] })
            }
        };
        let mut rec = json!({ "name": name });
        if let (Some(o), Value::Object(c)) = (rec.as_object_mut(), config) {
            o.extend(c);
        }
        receivers.push(rec);
        let sev: BTreeSet<&str> = r.severities.iter().map(|s| s.value).collect();
        let sev: Vec<&str> = sev.into_iter().collect();
        routes.push(json!({
            "matchers": [format!("severity =~ \"{}\"", sev.join("|"))],
            "receiver": name,
            "continue": true,
            "routes": [{ "matchers": ["severity = \"critical\""], "receiver": name, "repeat_interval": "1h" }],
        }));
    }
    Some(json!({
        "route": {
            "receiver": "null",
            "group_by": ["alertname", "namespace", "severity"],
            "group_wait": "30s",
            "group_interval": "5m",
            "repeat_interval": "4h",
            "routes": routes,
        },
        "inhibit_rules": [{
            "source_matchers": ["severity = \"critical\""],
            "target_matchers": ["severity = \"warning\""],
            "equal": ["alertname", "namespace"],
        }],
        "receivers": receivers,
    }))
}

/// Where the Alertmanager configuration Secret goes in `cluster`'s KSOPS generator
/// (`<namespace>/alertmanager-hlc.yaml`, relative to `clusters/<c>/secrets/`), if it has one.
pub fn ksops_files(lab: &Lab, cluster: &str) -> Vec<String> {
    match scraper(lab) {
        Some((_, s))
            if derive::cluster_of(s) == Some(cluster)
                && !lab.monitoring.receivers.is_empty()
                && receivers_in_sops(lab)
                && super::gitops(lab).is_some() =>
        {
            vec![format!(
                "{}/{ALERTMANAGER_SECRET}.yaml",
                s.namespace.as_str()
            )]
        }
        _ => Vec::new(),
    }
}

/// Whether every receiver's URL is a secret of `configs/secrets/` (the Alertmanager
/// configuration embeds the URLs, so it is rendered only then; a store-held URL would need the
/// store's templating, which hlc does not render).
fn receivers_in_sops(lab: &Lab) -> bool {
    lab.monitoring.receivers.values().all(|r| {
        lab.secrets
            .get(r.url_secret.as_str())
            .is_some_and(|s| s.store.is_none())
    })
}

/// Receiver URL secrets the build could not decrypt, with the service that needs them (the
/// scraper): the Alertmanager configuration is then not rendered, and the build says why.
pub fn missing_values(lab: &Lab, ctx: &RenderContext) -> Vec<(String, String)> {
    let Some((scraper_name, _)) = scraper(lab) else {
        return Vec::new();
    };
    lab.monitoring
        .receivers
        .values()
        .map(|r| r.url_secret.as_str())
        .filter(|n| {
            lab.secrets.get(*n).is_some_and(|s| s.store.is_none()) && ctx.secrets.get(n).is_none()
        })
        .map(|n| (n.to_string(), scraper_name.to_string()))
        .collect()
}

/// The Alertmanager configuration Secret (`clusters/<c>/secrets/<namespace>/alertmanager-hlc.yaml`,
/// beside the cluster's app Secrets and listed in its KSOPS generator), to be SOPS-encrypted for
/// the cluster's recipients.
pub fn render_secret(lab: &Lab, ctx: &RenderContext) -> Vec<SecretArtifact> {
    let Some((scraper_name, s)) = scraper(lab) else {
        return Vec::new();
    };
    let Some(cluster) = derive::cluster_of(s) else {
        return Vec::new();
    };
    if super::gitops(lab).is_none() {
        return Vec::new();
    }
    if !receivers_in_sops(lab) {
        return Vec::new();
    }
    let Some(config) = alertmanager_config(lab, ctx) else {
        return Vec::new();
    };
    let text = crate::yaml::to_yaml(&config);
    let mut sources = vec![
        format!("services.{scraper_name}"),
        "monitoring.receivers".to_string(),
    ];
    for r in lab.monitoring.receivers.values() {
        sources.push(format!("secrets.{}", r.url_secret.as_str()));
    }
    sources.sort();
    vec![SecretArtifact {
        path: format!(
            "clusters/{cluster}/secrets/{}/{ALERTMANAGER_SECRET}.yaml",
            s.namespace.as_str()
        ),
        target: "clusters",
        sources,
        format: hlc_sops::Format::Yaml,
        document: json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": { "name": ALERTMANAGER_SECRET, "namespace": s.namespace.as_str(),
                "labels": { "app.kubernetes.io/managed-by": "hlc" } },
            "type": "Opaque",
            "stringData": { "alertmanager.yaml": text },
        }),
        encrypted_regex: Some(SECRET_REGEX.to_string()),
        scope: Some(cluster.to_string()),
    }]
}
