//! What an app module (`lib/modules/*.ncl`) produced for a service: `app = hlc.modules.<x> {…}`.
//!
//! The module runs in Nickel and returns plain data; here it becomes an [`App`]. The Helm values
//! are kept as opaque JSON ([`App::values`]): hlc does not interpret a chart's values, it only
//! merges the wiring it derives from the model under them (in `hlc-render`) and validates the
//! result against the chart's schema in tests. The chart coordinates go to the service's `chart`
//! (a service that also sets `chart` itself gets HLC125, so there is one place for them).

use crate::decode::{Decoder, Sp};
use crate::model::Chart;
use hlc_diag::Node;
use serde::Serialize;
use std::collections::BTreeMap;

/// What a release is to the lab's network policies and GitOps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppRole {
    /// Runs the Cloudflare Tunnel connector of its cluster: may reach `public`/`access` services.
    TunnelConnector,
    /// Runs the Twingate connector of its cluster: may reach `private` services.
    VpnConnector,
    /// Scrapes metrics (Prometheus): may reach every declared `metrics` port of its cluster.
    MetricsScraper,
    /// Deploys the lab from git (Argo CD): its namespace holds every Application.
    Gitops,
}

/// Where the GitOps controller finds the committed `out/` tree.
#[derive(Clone, Debug, Serialize)]
pub struct GitSource {
    pub repo: Sp<String>,
    pub revision: Sp<String>,
    /// Path of `out/` inside the repository.
    pub path: Sp<String>,
}

/// The total a release requests (Kubernetes quantities, as written).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Requests {
    pub cpu: Option<Sp<String>>,
    pub memory: Option<Sp<String>>,
}

/// The Kubernetes Secret a chart reads its secrets from (`existingSecret`, `envFrom`, …), as the
/// module lays it out: its name, and per data key the lab secret (`secrets.<name>`) that fills
/// it. hlc renders it (SOPS-encrypted, or an `ExternalSecret` for store-held secrets) together
/// with the service's other `secrets`; the module's values refer to it by name, never by value.
#[derive(Clone, Debug, Serialize)]
pub struct AppSecret {
    pub name: Sp<String>,
    /// Data key → lab secret name.
    pub data: BTreeMap<String, Sp<String>>,
    /// Data key → a fixed, non-secret value the chart expects in the same Secret (e.g. Grafana's
    /// admin user name).
    pub literals: BTreeMap<String, Sp<String>>,
    /// Labels the consumer needs on the Secret (Argo CD reads only Secrets labelled
    /// `app.kubernetes.io/part-of: argocd`).
    pub labels: BTreeMap<String, Sp<String>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct App {
    /// The Helm values the module computed, uninterpreted.
    pub values: Sp<serde_json::Value>,
    /// Where each number in `values` was written (dotted path → span), so that a rule can point
    /// at a port a module or a lab typed into the values.
    #[serde(skip)]
    pub value_spans: BTreeMap<String, Option<hlc_diag::Span>>,
    pub requests: Requests,
    /// Cilium entities (`world`, `kube-apiserver`, …) the release must reach besides its
    /// declared dependencies and DNS.
    pub egress: Vec<Sp<&'static str>>,
    pub role: Option<Sp<AppRole>>,
    pub gitops: Option<GitSource>,
    pub secret: Option<AppSecret>,
}

/// Cilium's reserved entities an app may name in `egress`.
pub const ENTITIES: &[&str] = &[
    "world",
    "cluster",
    "host",
    "remote-node",
    "kube-apiserver",
    "ingress",
    "health",
];

fn number_spans(n: &Node, path: &str, out: &mut BTreeMap<String, Option<hlc_diag::Span>>) {
    match &n.value {
        hlc_diag::Value::Record(fields) => {
            for (k, v) in fields {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                number_spans(v, &p, out);
            }
        }
        hlc_diag::Value::Number(_) => {
            out.insert(path.to_string(), n.span);
        }
        _ => {}
    }
}

/// Where a chart known to hlc puts its Kubernetes Service, as dotted Helm values paths: the
/// Service type, its port, the pods' port behind it, and the metrics port. hlc writes the
/// model's values there (a service's `service_type`, `port`, `target_port`, `metrics.port`), so
/// the chart's Service is the one every consumer was derived from; a module or lab that types
/// one of these paths into `values` with another number is HLC451.
#[derive(Clone, Copy, Debug)]
pub struct ChartService {
    pub chart: &'static str,
    pub service_type: Option<&'static str>,
    pub port: Option<&'static str>,
    pub target_port: Option<&'static str>,
    pub metrics_port: Option<&'static str>,
}

/// The charts whose Service layout hlc knows (from their `values.yaml`).
pub const CHART_SERVICES: &[ChartService] = &[
    ChartService {
        chart: "grafana",
        service_type: Some("service.type"),
        port: Some("service.port"),
        target_port: Some("service.targetPort"),
        metrics_port: None,
    },
    ChartService {
        chart: "argo-cd",
        service_type: Some("server.service.type"),
        port: Some("server.service.servicePortHttp"),
        target_port: None,
        metrics_port: Some("server.metrics.service.servicePort"),
    },
    ChartService {
        chart: "authentik",
        service_type: Some("server.service.type"),
        port: Some("server.service.servicePortHttp"),
        target_port: None,
        metrics_port: Some("server.metrics.service.servicePort"),
    },
    ChartService {
        chart: "kube-prometheus-stack",
        service_type: Some("prometheus.service.type"),
        port: Some("prometheus.service.port"),
        target_port: Some("prometheus.service.targetPort"),
        metrics_port: None,
    },
    ChartService {
        chart: "connector",
        service_type: None,
        port: None,
        target_port: None,
        metrics_port: Some("metrics.port"),
    },
];

/// The Service layout of a chart, if hlc knows it.
pub fn chart_service(chart: &str) -> Option<&'static ChartService> {
    CHART_SERVICES.iter().find(|c| c.chart == chart)
}

/// Decodes `app`; returns the app and the chart it names (if any).
pub(crate) fn decode(d: &mut Decoder, n: &Node, p: &str) -> Option<(App, Option<Chart>)> {
    let mut r = d.record(n, p)?;
    let chart = r.opt("chart").and_then(|(n, p)| {
        let mut c = d.record(n, &p)?;
        let repo = c.req(d, "repo").and_then(|(n, p)| d.string(n, &p));
        let name = c.req(d, "name").and_then(|(n, p)| d.string(n, &p));
        let version = c.req(d, "version").and_then(|(n, p)| d.string(n, &p));
        c.finish(d);
        Some(Chart {
            repo: repo?,
            name: name?,
            version: version?,
        })
    });
    let mut value_spans = BTreeMap::new();
    let values = match r.opt("values") {
        Some((n, p)) => {
            d.record(n, &p)?;
            number_spans(n, "", &mut value_spans);
            Sp::new(serde_json::to_value(n).ok()?, n.span)
        }
        None => Sp::new(serde_json::Value::Object(Default::default()), r.span),
    };
    let requests = match r.opt("requests") {
        Some((n, p)) => {
            let mut q = d.record(n, &p)?;
            let cpu = q.opt("cpu").and_then(|(n, p)| d.string(n, &p));
            let memory = q.opt("memory").and_then(|(n, p)| d.string(n, &p));
            q.finish(d);
            Requests { cpu, memory }
        }
        None => Requests::default(),
    };
    let egress = match r.opt("egress") {
        Some((n, p)) => d.list(n, &p, |d, n, p| d.tag(n, p, ENTITIES)),
        None => Vec::new(),
    };
    let role = r.opt("role").and_then(|(n, p)| {
        let t = d.tag(
            n,
            &p,
            &[
                "tunnel_connector",
                "vpn_connector",
                "metrics_scraper",
                "gitops",
            ],
        )?;
        let role = match t.value {
            "tunnel_connector" => AppRole::TunnelConnector,
            "vpn_connector" => AppRole::VpnConnector,
            "metrics_scraper" => AppRole::MetricsScraper,
            _ => AppRole::Gitops,
        };
        Some(Sp::new(role, t.span))
    });
    let gitops = r.opt("gitops").and_then(|(n, p)| {
        let mut g = d.record(n, &p)?;
        let repo = g.req(d, "repo").and_then(|(n, p)| d.string(n, &p));
        let revision = g.req(d, "revision").and_then(|(n, p)| d.string(n, &p));
        let path = g.req(d, "path").and_then(|(n, p)| d.string(n, &p));
        g.finish(d);
        Some(GitSource {
            repo: repo?,
            revision: revision?,
            path: path?,
        })
    });
    let secret = r.opt("secret").and_then(|(n, p)| {
        let mut s = d.record(n, &p)?;
        let name = s.req(d, "name").and_then(|(n, p)| d.string(n, &p));
        let mut strings = |s: &mut crate::decode::Rec, f: &'static str| match s.opt(f) {
            Some((n, p)) => d.map(n, &p, |d, _k, v, p| d.string(v, p)),
            None => BTreeMap::new(),
        };
        let data = strings(&mut s, "data");
        let literals = strings(&mut s, "literals");
        let labels = strings(&mut s, "labels");
        s.finish(d);
        Some(AppSecret {
            name: name?,
            data,
            literals,
            labels,
        })
    });
    r.finish(d);
    Some((
        App {
            values,
            value_spans,
            requests,
            egress,
            role,
            gitops,
            secret,
        },
        chart,
    ))
}
