//! Issue 12 acceptance on the reference lab (`configs/`): Velero schedules and storage
//! locations, ServiceMonitors, PrometheusRules, the Alertmanager configuration and status checks
//! for every public/access hostname are rendered from the model, and every manifest is valid —
//! against the upstream schemas in `../shared/schemas` where that folder has the kind's schema
//! (`HLC_SHARED_DIR` overrides it), and against the structural checks below for the kinds whose
//! CRD schema it does not hold (Velero's, PrometheusRule, Probe). The bucket lifecycle in the
//! OCI Terraform is derived from the same retentions.
#![allow(clippy::disallowed_methods)] // tests read the shared schemas and the reference lab

use hlc_model::resilience::{Duration, Schedule};
use hlc_model::Lab;
use hlc_render::{RenderContext, SecretValues};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

mod common;
use common::{lab_at, repo, shared};

const FAKE_WEBHOOK: &str = "https://discord.invalid/api/webhooks/12/not-a-real-token";

fn context(lab: &Lab) -> RenderContext {
    let (analysis, _) = hlc_check::check(lab);
    let mut values = BTreeMap::new();
    for r in lab.monitoring.receivers.values() {
        values.insert(
            r.url_secret.value.clone(),
            hlc_sops::SecretString::new(FAKE_WEBHOOK),
        );
    }
    RenderContext {
        waves: analysis.waves,
        order: analysis.order,
        secrets: SecretValues(values),
    }
}

struct Rendered {
    /// Plain artifacts: path → text.
    plain: BTreeMap<String, String>,
    /// YAML documents of every `clusters/` artifact, plain and secret (before encryption).
    docs: BTreeMap<String, Vec<Value>>,
}

fn yaml_docs(text: &str) -> Vec<Value> {
    serde_norway::Deserializer::from_str(text)
        .map(|d| serde::Deserialize::deserialize(d).expect("YAML reads back"))
        .collect()
}

fn render(lab: &Lab) -> Rendered {
    let ctx = context(lab);
    let mut plain = BTreeMap::new();
    let mut docs = BTreeMap::new();
    for a in hlc_render::render(lab, &ctx).expect("render") {
        let text = String::from_utf8(a.contents.clone()).expect("utf-8");
        if a.path.as_str().starts_with("clusters/") {
            docs.insert(a.path.as_str().to_string(), yaml_docs(&text));
        }
        plain.insert(a.path.as_str().to_string(), text);
    }
    for s in hlc_render::render_secret(lab, &ctx).expect("render secrets") {
        if s.path.starts_with("clusters/") {
            docs.insert(s.path.clone(), vec![s.document.clone()]);
        }
    }
    Rendered { plain, docs }
}

fn schema(rel: &str) -> Option<jsonschema::Validator> {
    let path = shared().join("schemas").join(rel);
    let text = std::fs::read_to_string(&path).ok()?;
    let json: Value = serde_json::from_str(&text).expect("schema is JSON");
    Some(
        jsonschema::options()
            .should_validate_formats(false)
            .build(&json)
            .unwrap_or_else(|e| panic!("{rel}: {e}")),
    )
}

fn required_schema(rel: &str) -> jsonschema::Validator {
    schema(rel).unwrap_or_else(|| {
        panic!(
            "{}: missing (set HLC_SHARED_DIR)",
            shared().join("schemas").join(rel).display()
        )
    })
}

fn resilience_docs(r: &Rendered) -> Vec<(&str, &Value)> {
    r.docs
        .iter()
        .filter(|(p, _)| {
            p.contains("/resilience/")
                || p.ends_with("/apps/resilience.yaml")
                || p.ends_with("/alertmanager-hlc.yaml")
        })
        .flat_map(|(p, ds)| ds.iter().map(move |d| (p.as_str(), d)))
        .collect()
}

fn of_kind<'a>(r: &'a Rendered, kind: &str) -> Vec<&'a Value> {
    resilience_docs(r)
        .into_iter()
        .filter(|(_, d)| d["kind"] == kind)
        .map(|(_, d)| d)
        .collect()
}

fn dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// Structural checks for the kinds `../shared/schemas` has no schema for, written from the
/// CRDs' documented required fields. Returns the problems found.
fn structural(kind: &str, d: &Value, blackbox_modules: &BTreeSet<String>) -> Vec<String> {
    let mut bad = Vec::new();
    let mut need = |ok: bool, what: &str| {
        if !ok {
            bad.push(what.to_string());
        }
    };
    let spec = &d["spec"];
    match kind {
        "BackupStorageLocation" => {
            need(d["apiVersion"] == "velero.io/v1", "apiVersion velero.io/v1");
            need(spec["provider"].is_string(), "spec.provider");
            need(
                spec["objectStorage"]["bucket"].is_string(),
                "spec.objectStorage.bucket",
            );
            need(
                spec["config"]["s3Url"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("https://")),
                "spec.config.s3Url is https",
            );
            need(
                spec.get("credential").is_none()
                    || (spec["credential"]["name"].is_string()
                        && spec["credential"]["key"].is_string()),
                "spec.credential {name, key} when present",
            );
            need(
                matches!(spec["accessMode"].as_str(), Some("ReadWrite" | "ReadOnly")),
                "spec.accessMode",
            );
        }
        "Schedule" => {
            need(d["apiVersion"] == "velero.io/v1", "apiVersion velero.io/v1");
            need(
                spec["schedule"]
                    .as_str()
                    .is_some_and(|s| Schedule::parse(s).is_ok()),
                "spec.schedule is a five-field cron expression",
            );
            let ttl = spec["template"]["ttl"].as_str().unwrap_or_default();
            let ok = ttl
                .strip_suffix("m0s")
                .and_then(|t| t.split_once('h'))
                .is_some_and(|(h, m)| h.parse::<u64>().is_ok() && m.parse::<u64>().is_ok());
            need(ok, "spec.template.ttl is a Go duration like 336h0m0s");
            need(
                spec["template"]["storageLocation"].is_string(),
                "spec.template.storageLocation",
            );
            need(
                spec["template"]["includedNamespaces"]
                    .as_array()
                    .is_some_and(|a| !a.is_empty()),
                "spec.template.includedNamespaces",
            );
        }
        "PrometheusRule" => {
            need(
                d["apiVersion"] == "monitoring.coreos.com/v1",
                "apiVersion monitoring.coreos.com/v1",
            );
            let groups = spec["groups"].as_array().cloned().unwrap_or_default();
            need(!groups.is_empty(), "spec.groups");
            for g in groups {
                need(g["name"].is_string(), "group name");
                for r in g["rules"].as_array().cloned().unwrap_or_default() {
                    need(
                        r["alert"].as_str().is_some_and(|a| !a.is_empty()),
                        "rule.alert",
                    );
                    need(
                        r["expr"].as_str().is_some_and(|e| !e.is_empty()),
                        "rule.expr",
                    );
                    need(
                        matches!(
                            r["labels"]["severity"].as_str(),
                            Some("critical" | "warning")
                        ),
                        "rule.labels.severity",
                    );
                    for (k, v) in r.as_object().into_iter().flatten() {
                        need(
                            ["alert", "expr", "for", "labels", "annotations"].contains(&k.as_str()),
                            &format!("unknown rule field {k}"),
                        );
                        if k == "for" {
                            need(
                                v.as_str()
                                    .is_some_and(|s| s.ends_with('m') || s.ends_with('h')),
                                "rule.for is a duration",
                            );
                        }
                    }
                }
            }
        }
        "Probe" => {
            need(
                d["apiVersion"] == "monitoring.coreos.com/v1",
                "apiVersion monitoring.coreos.com/v1",
            );
            need(spec["prober"]["url"].is_string(), "spec.prober.url");
            need(
                spec["module"]
                    .as_str()
                    .is_some_and(|m| blackbox_modules.contains(m)),
                "spec.module is one of the blackbox exporter's modules",
            );
            need(
                spec["targets"]["staticConfig"]["static"]
                    .as_array()
                    .is_some_and(|a| {
                        a.iter()
                            .all(|u| u.as_str().is_some_and(|u| u.starts_with("https://")))
                    }),
                "spec.targets.staticConfig.static are https URLs",
            );
        }
        other => need(false, &format!("no check for kind {other}")),
    }
    bad
}

#[test]
fn every_resilience_manifest_is_valid() {
    let lab = lab_at(&repo());
    let r = render(&lab);
    let k8s = "kubernetes/v1.37.0-standalone-strict";
    let mut schemas: BTreeMap<&str, Vec<jsonschema::Validator>> = BTreeMap::new();
    schemas.insert(
        "ServiceMonitor",
        vec![
            required_schema(
                "crds/monitoring.coreos.com/prometheus-operator-v0.93.1/servicemonitor_v1.json",
            ),
            required_schema("crds/monitoring.coreos.com/servicemonitor_v1.json"),
        ],
    );
    schemas.insert(
        "ConfigMap",
        vec![required_schema(&format!("{k8s}/configmap-v1.json"))],
    );
    schemas.insert(
        "Secret",
        vec![required_schema(&format!("{k8s}/secret-v1.json"))],
    );
    schemas.insert(
        "Application",
        vec![required_schema(
            "crds/argoproj.io/application_v1alpha1.json",
        )],
    );
    // Used when ../shared gains them (file names as the CRD catalog spells them).
    for (kind, rel) in [
        (
            "PrometheusRule",
            "crds/monitoring.coreos.com/prometheusrule_v1.json",
        ),
        ("Probe", "crds/monitoring.coreos.com/probe_v1.json"),
        ("Schedule", "crds/velero.io/schedule_v1.json"),
        (
            "BackupStorageLocation",
            "crds/velero.io/backupstoragelocation_v1.json",
        ),
    ] {
        if let Some(v) = schema(rel) {
            schemas.insert(kind, vec![v]);
        }
    }
    // The blackbox exporter's modules, from its rendered Helm values.
    let modules: BTreeSet<String> = r
        .docs
        .get("clusters/prod/apps/blackbox-exporter.yaml")
        .and_then(|d| {
            d[0]["spec"]["source"]["helm"]["valuesObject"]["config"]["modules"]
                .as_object()
                .cloned()
        })
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    assert!(
        modules.contains("http_2xx") && modules.contains("http_access"),
        "{modules:?}"
    );
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let docs = resilience_docs(&r);
    for (path, d) in &docs {
        let kind = d["kind"].as_str().expect("kind");
        *kinds.entry(kind.to_string()).or_default() += 1;
        let name = d["metadata"]["name"].as_str().unwrap_or_default();
        assert!(dns_label(name), "{path}: bad name {name:?}");
        if kind != "Application" {
            let ns = d["metadata"]["namespace"].as_str().unwrap_or_default();
            assert!(dns_label(ns), "{path}: bad namespace {ns:?}");
        }
        match schemas.get(kind) {
            Some(vs) => {
                for v in vs {
                    let errors: Vec<String> = v.iter_errors(d).map(|e| e.to_string()).collect();
                    assert!(errors.is_empty(), "{path} ({kind}): {errors:#?}");
                }
            }
            None => {
                let bad = structural(kind, d, &modules);
                assert!(bad.is_empty(), "{path} ({kind}): {bad:#?}");
            }
        }
    }
    for k in [
        "BackupStorageLocation",
        "Schedule",
        "ServiceMonitor",
        "PrometheusRule",
        "Probe",
        "ConfigMap",
        "Secret",
        "Application",
    ] {
        assert!(kinds.contains_key(k), "no {k} rendered: {kinds:?}");
    }
}

#[test]
fn reference_lab_renders_everything_the_model_declares() {
    let lab = lab_at(&repo());
    let r = render(&lab);

    // One Schedule per policy, in the cluster's Velero namespace, ttl = retention.
    let schedules: BTreeMap<String, &Value> = of_kind(&r, "Schedule")
        .into_iter()
        .map(|d| (d["metadata"]["name"].as_str().unwrap().to_string(), d))
        .collect();
    let plans = lab.backup_plans();
    assert_eq!(
        schedules.keys().cloned().collect::<BTreeSet<_>>(),
        plans
            .iter()
            .map(|p| p.name.to_string())
            .collect::<BTreeSet<_>>()
    );
    for p in &plans {
        let s = schedules[p.name];
        assert_eq!(s["spec"]["schedule"], p.schedule.value.value.as_str());
        assert_eq!(
            s["spec"]["template"]["ttl"],
            p.retention.value.value.go().as_str()
        );
        let (_, agent) = lab.backup_agent(p.cluster.as_str()).expect("velero");
        assert_eq!(s["metadata"]["namespace"], agent.namespace.as_str());
        let store = p.store.as_ref().expect("store").value.as_str();
        assert_eq!(s["spec"]["template"]["storageLocation"], store);
    }
    let locations = of_kind(&r, "BackupStorageLocation");
    assert!(!locations.is_empty());
    for l in locations {
        let store = &lab.backups.stores[l["metadata"]["name"].as_str().unwrap()];
        assert_eq!(l["spec"]["objectStorage"]["bucket"], store.bucket.as_str());
        assert_eq!(
            l["spec"]["config"]["s3Url"],
            store.s3_endpoint().unwrap().as_str()
        );
    }

    // ServiceMonitors: every service with metrics in the scraper's cluster, but the scraper's
    // own release.
    let (_, scraper) = hlc_render::clusters::monitoring::scraper(&lab).expect("scraper");
    let scraper_cluster = hlc_render::derive::cluster_of(scraper).unwrap();
    let expected: BTreeSet<&str> = lab
        .services
        .iter()
        .filter(|(_, s)| {
            s.metrics.is_some()
                && hlc_render::derive::cluster_of(s) == Some(scraper_cluster)
                && s.release.as_str() != scraper.release.as_str()
        })
        .map(|(n, _)| n.as_str())
        .collect();
    let monitors: BTreeSet<&str> = of_kind(&r, "ServiceMonitor")
        .into_iter()
        .map(|d| d["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(monitors, expected);

    // Status checks: a Probe and an Uptime Kuma monitor for every public/access hostname, and
    // a PrometheusRule alerting on the probe.
    let targets = lab.status_targets();
    assert!(targets.len() >= 8, "{}", targets.len());
    let probes: BTreeMap<String, String> = of_kind(&r, "Probe")
        .into_iter()
        .map(|d| {
            (
                d["spec"]["targets"]["staticConfig"]["labels"]["hlc_service"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                d["spec"]["targets"]["staticConfig"]["static"][0]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let kuma = of_kind(&r, "ConfigMap");
    assert_eq!(kuma.len(), 1);
    let file = kuma[0]["data"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    let monitors: Vec<Value> = serde_json::from_str(file.as_str().unwrap()).expect("JSON");
    let kuma_urls: BTreeSet<&str> = monitors
        .iter()
        .filter(|m| m["type"] == "http")
        .map(|m| m["url"].as_str().unwrap())
        .collect();
    let rules: BTreeMap<&str, &Value> = of_kind(&r, "PrometheusRule")
        .into_iter()
        .map(|d| (d["metadata"]["name"].as_str().unwrap(), d))
        .collect();
    for (name, s) in &targets {
        let fqdn = lab.fqdn(s).unwrap().to_string();
        let url = probes
            .get(*name)
            .unwrap_or_else(|| panic!("no Probe for {name}"));
        assert!(url.starts_with(&format!("https://{fqdn}/")), "{url}");
        assert!(
            kuma_urls.contains(url.as_str()),
            "no Uptime Kuma monitor for {url}"
        );
        let rule = rules
            .get(format!("hlc-{name}").as_str())
            .unwrap_or_else(|| panic!("no PrometheusRule for {name}"));
        let alerts: Vec<&str> = rule["spec"]["groups"][0]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["alert"].as_str().unwrap())
            .collect();
        assert!(alerts.contains(&"HlcProbeFailed"), "{name}: {alerts:?}");
    }
    // Backup alerts for the agent of the scraper's cluster: one pair per schedule there.
    let (agent, _) = lab.backup_agent(scraper_cluster).expect("velero");
    let agent_rule = rules[format!("hlc-{agent}").as_str()];
    let text = serde_json::to_string(agent_rule).unwrap();
    for p in plans
        .iter()
        .filter(|p| p.cluster.as_str() == scraper_cluster)
    {
        assert!(
            text.contains(&format!("schedule=\\\"{}\\\"", p.name)),
            "{text}"
        );
    }

    // Alertmanager: the receivers of the model, the URL only in the secret artifact.
    let secret = of_kind(&r, "Secret");
    assert_eq!(secret.len(), 1);
    let config: Value = yaml_docs(
        secret[0]["stringData"]["alertmanager.yaml"]
            .as_str()
            .unwrap(),
    )
    .remove(0);
    let receivers: BTreeSet<&str> = config["receivers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    for name in lab.monitoring.receivers.keys() {
        assert!(receivers.contains(name.as_str()));
    }
    fn routed<'a>(route: &'a Value, out: &mut Vec<&'a str>) {
        if let Some(r) = route["receiver"].as_str() {
            out.push(r);
        }
        for sub in route["routes"].as_array().into_iter().flatten() {
            routed(sub, out);
        }
    }
    let mut used = Vec::new();
    routed(&config["route"], &mut used);
    assert!(used.iter().all(|u| receivers.contains(u)), "{used:?}");
    assert_eq!(
        config["receivers"][1]["discord_configs"][0]["webhook_url"],
        FAKE_WEBHOOK
    );
    let leaks: Vec<&String> = r
        .plain
        .iter()
        .filter(|(_, t)| t.contains(FAKE_WEBHOOK))
        .map(|(p, _)| p)
        .collect();
    assert!(
        leaks.is_empty(),
        "receiver URL in plain artifacts: {leaks:?}"
    );
    // The chart reads the configuration from that Secret.
    let prom_app = &r.docs["clusters/prod/apps/prometheus.yaml"][0];
    assert_eq!(
        prom_app["spec"]["source"]["helm"]["valuesObject"]["alertmanager"]["alertmanagerSpec"]
            ["configSecret"],
        secret[0]["metadata"]["name"]
    );
}

/// The lifecycle rule of the bucket, from `terraform/oci/backup.tf.json`: (days, prefixes).
fn lifecycle(r: &Rendered, store: &str) -> (u64, Vec<String>) {
    let tf: Value = serde_json::from_str(&r.plain["terraform/oci/backup.tf.json"]).expect("JSON");
    let rule = &tf["resource"]["oci_objectstorage_object_lifecycle_policy"][store]["rules"][0];
    (
        rule["time_amount"].as_u64().expect("days"),
        rule["object_name_filter"]["inclusion_prefixes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect(),
    )
}

#[test]
fn bucket_lifecycle_follows_the_retentions() {
    let mut lab = lab_at(&repo());
    let store = "oci";
    let longest = |lab: &Lab| {
        lab.backup_plans()
            .iter()
            .filter(|p| p.store.as_ref().is_some_and(|s| s.value.as_str() == store))
            .map(|p| p.retention.value.value)
            .max()
            .unwrap()
    };
    // As declared: at least every retention, and only the backups folder.
    let (days, prefixes) = lifecycle(&render(&lab), store);
    assert!(days * 24 * 60 >= longest(&lab).minutes);
    let s = &lab.backups.stores[store];
    assert_eq!(prefixes, vec![format!("{}/backups/", s.prefix.as_str())]);

    // Without `lifecycle.days` it is derived: the longest retention in days, plus one.
    lab.backups.stores.get_mut(store).unwrap().lifecycle_days = None;
    let (days, _) = lifecycle(&render(&lab), store);
    assert_eq!(days, longest(&lab).days_ceil() + 1);
    // … and follows a longer retention, without any finding.
    let weekly = lab.backups.policies.get_mut("cloud-weekly").unwrap();
    weekly.retention = Some(hlc_model::Sp::new(Duration::parse("45d").unwrap(), None));
    let (days, _) = lifecycle(&render(&lab), store);
    assert_eq!(days, 46);
    let (_, diags) = hlc_check::check(&lab);
    assert!(diags.0.iter().all(|d| d.code != "HLC801"));

    // With the lifecycle declared again, the same retention is HLC801 at the retention.
    let mut declared = lab_at(&repo());
    let weekly = declared.backups.policies.get_mut("cloud-weekly").unwrap();
    let span = weekly.retention.as_ref().unwrap().span;
    weekly.retention = Some(hlc_model::Sp::new(Duration::parse("45d").unwrap(), span));
    let (_, diags) = hlc_check::check(&declared);
    let f: Vec<_> = diags.0.iter().filter(|d| d.code == "HLC801").collect();
    assert_eq!(f.len(), 1, "{:#?}", diags.0);
    assert_eq!(
        f[0].path.as_deref(),
        Some("backups.policies.cloud-weekly.retention")
    );
    assert_eq!(f[0].span, span);
}

#[test]
fn reference_lab_is_clean_and_each_cluster_is_watched_from_the_other() {
    let lab = lab_at(&repo());
    let (_, diags) = hlc_check::check(&lab);
    let resilience: Vec<_> = diags
        .0
        .iter()
        .filter(|d| d.code.starts_with("HLC8"))
        .collect();
    assert!(resilience.is_empty(), "{resilience:#?}");
    // Without the blackbox exporter (prod), Uptime Kuma (cloud) is the only checker of the
    // cloud cluster's hostnames: HLC806 names them, and only them.
    let mut only_kuma = lab.clone();
    only_kuma.monitoring.checkers.remove("blackbox-exporter");
    let (_, diags) = hlc_check::check(&only_kuma);
    let f: Vec<_> = diags.0.iter().filter(|d| d.code == "HLC806").collect();
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(f[0].message.contains("cluster `cloud`"), "{}", f[0].message);
    for (_, s) in lab.status_targets() {
        let fqdn = lab.fqdn(s).unwrap().to_string();
        let in_cloud = hlc_render::derive::cluster_of(s) == Some("cloud");
        assert_eq!(
            f[0].message.contains(&fqdn),
            in_cloud,
            "{fqdn}: {}",
            f[0].message
        );
    }
    // A stateful service that loses its policy is HLC803 at its `persistence`.
    let mut no_backup = lab.clone();
    no_backup.services.get_mut("grafana").unwrap().backup = None;
    let (_, diags) = hlc_check::check(&no_backup);
    let f: Vec<_> = diags.0.iter().filter(|d| d.code == "HLC803").collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].path.as_deref(), Some("services.grafana.persistence"));
}
