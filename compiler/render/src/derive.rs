//! Local derivations shared by every renderer, so that a value derived in two artifacts is
//! derived the same way: a service's FQDN and in-cluster URL, the reverse of `depends_on`, the
//! site a machine lives at, the provider limits in force, the config paths an artifact draws
//! from. Everything here is linear in the size of the model. Graph results (waves, order) are
//! not derived here: they come from [`crate::RenderContext`].

use hlc_model::{Lab, Machine, OciFreeTier, Placement, Service};
use std::collections::{BTreeMap, BTreeSet};

/// Kubernetes' cluster DNS domain (Talos' default; the model has no field for it).
pub const CLUSTER_DOMAIN: &str = "cluster.local";

/// `hostname.domain`, when the service has a hostname.
pub fn fqdn(lab: &Lab, s: &Service) -> Option<String> {
    lab.fqdn(s).map(|f| f.to_string())
}

/// `scheme://service_name.namespace.svc.cluster.local:port` for a service placed in a cluster.
pub fn cluster_url(s: &Service) -> Option<String> {
    match &s.placement {
        Placement::Cluster(_) => Some(format!(
            "{}://{}.{}.svc.{}:{}",
            scheme(s),
            s.service_name.as_str(),
            s.namespace.as_str(),
            CLUSTER_DOMAIN,
            *s.port
        )),
        _ => None,
    }
}

/// The service's scheme as written in URLs.
pub fn scheme(s: &Service) -> &'static str {
    match *s.scheme {
        hlc_model::Scheme::Http => "http",
        hlc_model::Scheme::Https => "https",
    }
}

/// Service name → the services that declare it in `depends_on`, sorted. Every service has an
/// entry (possibly empty).
pub fn dependents(lab: &Lab) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut out: BTreeMap<&str, BTreeSet<&str>> = lab
        .services
        .keys()
        .map(|k| (k.as_str(), BTreeSet::new()))
        .collect();
    for (name, s) in &lab.services {
        for dep in &s.depends_on {
            if let Some(set) = out.get_mut(dep.as_str()) {
                set.insert(name.as_str());
            }
        }
    }
    out
}

/// The site a machine lives at: its own `site`, or for a VM its host's.
pub fn machine_site<'a>(lab: &'a Lab, m: &'a Machine) -> Option<&'a str> {
    if let Some(site) = &m.site {
        return Some(site.as_str());
    }
    let host = m.host.as_ref()?;
    lab.hosts.get(host.as_str()).map(|h| h.site.as_str())
}

/// The Oracle Always Free table in force at the lab's `limits_at` date (the newest table when
/// the lab sets none); `None` if the date is before every table.
pub fn oci_limits_in_force(lab: &Lab) -> Option<&OciFreeTier> {
    let tables = &lab.limits.oci_always_free;
    match &lab.limits_at {
        Some(at) => tables
            .iter()
            .filter(|t| *t.from <= **at)
            .max_by_key(|t| *t.from),
        None => tables.iter().max_by_key(|t| *t.from),
    }
}

/// Human name of a service's exposure.
pub fn exposure(s: &Service) -> &'static str {
    match *s.exposure {
        hlc_model::Exposure::Public => "public",
        hlc_model::Exposure::Access => "access",
        hlc_model::Exposure::Private => "private",
        hlc_model::Exposure::Internal => "internal",
    }
}

/// Human name of a service's auth.
pub fn auth(s: &Service) -> &'static str {
    match *s.auth {
        hlc_model::Auth::None => "none",
        hlc_model::Auth::Oidc => "oidc",
        hlc_model::Auth::ForwardAuth => "forward_auth",
        hlc_model::Auth::Local => "local",
    }
}

/// The top-level config paths an artifact drawing on `fields` depends on: `name` and `domain`
/// always, the other fields only when the lab declares at least one entry there (a collection
/// left at its empty default is not a source).
pub fn top_level_sources(lab: &Lab, fields: &[&str]) -> Vec<String> {
    fields
        .iter()
        .filter(|f| match **f {
            "sites" => !lab.sites.is_empty(),
            "hosts" => !lab.hosts.is_empty(),
            "networks" => !lab.networks.is_empty(),
            "machines" => !lab.machines.is_empty(),
            "clusters" => !lab.clusters.is_empty(),
            "services" => !lab.services.is_empty(),
            "secrets" => !lab.secrets.is_empty(),
            "policy" => !lab.policy.severity.is_empty(),
            "limits_at" => lab.limits_at.is_some(),
            _ => true,
        })
        .map(|f| f.to_string())
        .collect()
}

/// The port a service's pods listen on (what network policies allow): `target_port`, which
/// defaults to the Service `port`.
pub fn pod_port(s: &Service) -> i64 {
    *s.target_port
}

/// The Helm/ArgoCD release that deploys a service: its own name unless it is part of another
/// service's chart (`release`). Pods of a release carry `app.kubernetes.io/instance: <release>`.
pub fn release(s: &Service) -> &str {
    s.release.as_str()
}

/// The cluster a service runs in, if any.
pub fn cluster_of(s: &Service) -> Option<&str> {
    match &s.placement {
        Placement::Cluster(c) => Some(c.as_str()),
        _ => None,
    }
}

/// Every lab secret a service consumes, sorted and without duplicates: its `secrets`, and those
/// its app module maps into the chart's Secret (`app.secret.data`).
pub fn secrets_of(s: &Service) -> Vec<&str> {
    let mut out: BTreeSet<&str> = s.secrets.iter().map(|n| n.as_str()).collect();
    if let Some(sec) = s.app.as_ref().and_then(|a| a.secret.as_ref()) {
        out.extend(sec.data.values().map(|n| n.as_str()));
    }
    out.into_iter().collect()
}
