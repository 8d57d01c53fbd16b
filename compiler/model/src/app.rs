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

#[derive(Clone, Debug, Serialize)]
pub struct App {
    /// The Helm values the module computed, uninterpreted.
    pub values: Sp<serde_json::Value>,
    pub requests: Requests,
    /// Cilium entities (`world`, `kube-apiserver`, …) the release must reach besides its
    /// declared dependencies and DNS.
    pub egress: Vec<Sp<&'static str>>,
    pub role: Option<Sp<AppRole>>,
    pub gitops: Option<GitSource>,
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
    let values = match r.opt("values") {
        Some((n, p)) => {
            d.record(n, &p)?;
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
    r.finish(d);
    Some((
        App {
            values,
            requests,
            egress,
            role,
            gitops,
        },
        chart,
    ))
}
