//! The CiliumNetworkPolicy of one namespace, derived from the model: nothing is allowed that the
//! model does not declare.
//!
//! One policy per namespace (`hlc-<namespace>`), made of `specs`:
//!
//! * the whole namespace: default deny in both directions (`enableDefaultDeny`), egress to the
//!   cluster DNS (kube-dns, port 53, with Cilium's DNS proxy so FQDN rules work);
//! * per release in the namespace (pods `app.kubernetes.io/instance: <release>`), on each
//!   service's pod port ([`derive::pod_port`]):
//!   - ingress from every same-cluster dependent (`depends_on` edge), and egress to every
//!     same-cluster dependency; a dependency in another cluster is reached at its public FQDN
//!     (egress `toFQDNs`, port 443);
//!   - ingress from the cluster's tunnel connector to `public`/`access` services, from its
//!     Twingate connector to `private` services, from its metrics scraper to declared `metrics`
//!     ports; and the matching egress on the connector's / scraper's side;
//!   - egress to the Cilium entities the app module asks for (`world`, `kube-apiserver`, …).
//!
//! [`edges`] lists the allowed ingress edges as data; the policy is built from it, and tests
//! compare it with the declared graph.

use super::INSTANCE_LABEL;
use crate::derive;
use hlc_model::app::AppRole;
use hlc_model::{Exposure, Lab, Service};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Why an edge is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Why {
    /// A `depends_on` edge.
    Dependency,
    /// Tunnel connector → a `public`/`access` service.
    Tunnel,
    /// Twingate connector → a `private` service.
    Vpn,
    /// Metrics scraper → a `metrics` port.
    Metrics,
}

/// An allowed connection inside one cluster: from the pods of release `from` (namespace
/// `from_ns`) to the pods of release `to` (namespace `to_ns`) on TCP `port`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from_ns: String,
    pub from: String,
    pub to_ns: String,
    pub to: String,
    pub port: i64,
    pub why: Why,
    /// The services the edge joins (for the artifact's sources).
    pub services: (String, String),
}

fn role(s: &Service) -> Option<AppRole> {
    s.app.as_ref()?.role.as_ref().map(|r| r.value)
}

/// Every allowed edge of a cluster, sorted. Linear in services + edges (connectors and scrapers
/// are few).
pub fn edges(lab: &Lab, cluster: &str) -> Vec<Edge> {
    let services: BTreeMap<&str, &Service> = lab
        .services
        .iter()
        .filter(|(_, s)| derive::cluster_of(s) == Some(cluster))
        .map(|(n, s)| (n.as_str(), s))
        .collect();
    let with_role = |r: AppRole| -> Vec<(&str, &Service)> {
        services
            .iter()
            .filter(|(_, s)| role(s) == Some(r))
            .map(|(n, s)| (*n, *s))
            .collect()
    };
    let tunnels = with_role(AppRole::TunnelConnector);
    let vpns = with_role(AppRole::VpnConnector);
    let scrapers = with_role(AppRole::MetricsScraper);
    let edge = |from: (&str, &Service), to: (&str, &Service), port: i64, why: Why| Edge {
        from_ns: from.1.namespace.value.clone(),
        from: derive::release(from.1).to_string(),
        to_ns: to.1.namespace.value.clone(),
        to: derive::release(to.1).to_string(),
        port,
        why,
        services: (from.0.to_string(), to.0.to_string()),
    };
    let mut out = BTreeSet::new();
    for (name, s) in &services {
        for dep in &s.depends_on {
            if let Some(d) = services.get(dep.as_str()) {
                out.insert(edge(
                    (name, s),
                    (dep.as_str(), d),
                    derive::pod_port(d),
                    Why::Dependency,
                ));
            }
        }
        let (sources, why) = match *s.exposure {
            Exposure::Public | Exposure::Access => (&tunnels, Why::Tunnel),
            Exposure::Private => (&vpns, Why::Vpn),
            Exposure::Internal => (&Vec::new(), Why::Tunnel),
        };
        for c in sources {
            out.insert(edge(*c, (name, s), derive::pod_port(s), why));
        }
        if let Some(m) = &s.metrics {
            for p in &scrapers {
                out.insert(edge(*p, (name, s), *m.port, Why::Metrics));
            }
        }
    }
    out.into_iter().collect()
}

fn endpoint(ns: &str, release: &str) -> Value {
    json!({ "matchLabels": { "k8s:io.kubernetes.pod.namespace": ns, INSTANCE_LABEL: release } })
}

fn tcp(ports: &BTreeSet<i64>) -> Value {
    Value::Array(
        ports
            .iter()
            .map(|p| json!({ "ports": [{ "port": p.to_string(), "protocol": "TCP" }] }))
            .collect(),
    )
}

/// The policy document of namespace `ns` in `cluster`, and the config paths it draws from.
pub fn policy(lab: &Lab, cluster: &str, ns: &str) -> (Value, BTreeSet<String>) {
    let all = edges(lab, cluster);
    let mut sources = BTreeSet::new();
    // Releases of this namespace, with their services.
    let mut releases: BTreeMap<&str, Vec<(&str, &Service)>> = BTreeMap::new();
    for (name, s) in &lab.services {
        if derive::cluster_of(s) == Some(cluster) && s.namespace.as_str() == ns {
            releases
                .entry(derive::release(s))
                .or_default()
                .push((name, s));
            sources.insert(format!("services.{name}"));
        }
    }
    let mut specs = vec![json!({
        "description": format!("namespace {ns}: default deny; DNS through kube-dns"),
        "endpointSelector": {},
        "enableDefaultDeny": { "ingress": true, "egress": true },
        "egress": [{
            "toEndpoints": [{ "matchLabels": { "k8s:io.kubernetes.pod.namespace": "kube-system", "k8s-app": "kube-dns" } }],
            "toPorts": [{ "ports": [{ "port": "53", "protocol": "ANY" }], "rules": { "dns": [{ "matchPattern": "*" }] } }],
        }],
    })];
    for (release, members) in &releases {
        // Ingress: group by (from_ns, from) → ports.
        let mut ingress: BTreeMap<(&str, &str), BTreeSet<i64>> = BTreeMap::new();
        let mut egress: BTreeMap<(&str, &str), BTreeSet<i64>> = BTreeMap::new();
        for e in &all {
            if e.to_ns == ns && e.to == *release {
                ingress
                    .entry((e.from_ns.as_str(), e.from.as_str()))
                    .or_default()
                    .insert(e.port);
                sources.insert(format!("services.{}", e.services.0));
            }
            if e.from_ns == ns && e.from == *release {
                egress
                    .entry((e.to_ns.as_str(), e.to.as_str()))
                    .or_default()
                    .insert(e.port);
                sources.insert(format!("services.{}", e.services.1));
            }
        }
        let mut ing: Vec<Value> = Vec::new();
        for ((fns, from), ports) in &ingress {
            for p in tcp(ports).as_array().into_iter().flatten() {
                ing.push(json!({ "fromEndpoints": [endpoint(fns, from)], "toPorts": [p] }));
            }
        }
        let mut eg: Vec<Value> = Vec::new();
        for ((tns, to), ports) in &egress {
            for p in tcp(ports).as_array().into_iter().flatten() {
                eg.push(json!({ "toEndpoints": [endpoint(tns, to)], "toPorts": [p] }));
            }
        }
        // Dependencies in other clusters: their public name, HTTPS.
        let mut fqdns: BTreeSet<String> = BTreeSet::new();
        let mut entities: BTreeSet<&str> = BTreeSet::new();
        for (_, s) in members {
            for dep in &s.depends_on {
                if let Some(d) = lab.services.get(dep.as_str()) {
                    if derive::cluster_of(d) != Some(cluster) {
                        if let Some(f) = derive::fqdn(lab, d) {
                            fqdns.insert(f);
                            sources.insert(format!("services.{}", dep.as_str()));
                        }
                    }
                }
            }
            if let Some(app) = &s.app {
                entities.extend(app.egress.iter().map(|e| e.value));
            }
        }
        if !fqdns.is_empty() {
            eg.push(json!({
                "toFQDNs": fqdns.iter().map(|f| json!({ "matchName": f })).collect::<Vec<_>>(),
                "toPorts": [{ "ports": [{ "port": "443", "protocol": "TCP" }] }],
            }));
        }
        if !entities.is_empty() {
            eg.push(json!({ "toEntities": entities.iter().collect::<Vec<_>>() }));
        }
        if ing.is_empty() && eg.is_empty() {
            continue;
        }
        let names: Vec<&str> = members.iter().map(|(n, _)| *n).collect();
        let mut spec = json!({
            "description": format!("release {release} ({})", names.join(", ")),
            "endpointSelector": { "matchLabels": { INSTANCE_LABEL: release } },
        });
        if !ing.is_empty() {
            spec["ingress"] = Value::Array(ing);
        }
        if !eg.is_empty() {
            spec["egress"] = Value::Array(eg);
        }
        specs.push(spec);
    }
    let doc = json!({
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": { "name": format!("hlc-{ns}"), "namespace": ns,
            "labels": { "app.kubernetes.io/managed-by": "hlc" } },
        "specs": specs,
    });
    (doc, sources)
}
