//! Target `inventory`: `inventory.json`, the normalised model with its derived values.
//!
//! # Format 1
//!
//! Pretty JSON, two-space indent, trailing newline. Objects of one kind always have the same
//! keys, in the fixed order documented below (an absent optional value is `null`, an empty list
//! `[]`); named collections are objects keyed by name, sorted by name (byte order); lists derived
//! from the model (dependents, members, nodes…) are sorted.
//!
//! * Sizes are canonical strings, as the configuration writes them and as hlc parses them
//!   (`"4GiB"`, `"50GB"`, `"1536MiB"`; exact — a size that is no whole multiple of a unit is
//!   written in bytes, `"1000001B"`). CPU counts are numbers (`2`, `0.5`). Addresses, CIDRs,
//!   versions and dates are strings.
//! * No secret value appears (the model holds none): `secrets` lists names, the SOPS file and
//!   key each one is read from, and the services that use it. Users appear by name with their
//!   groups; their e-mail addresses are personal data and are left out.
//!
//! ```json
//! {
//!   "format": 1,
//!   "name": "homelab",
//!   "domain": "example.org",
//!   "limits": { "at": null, "oci_always_free": { "from": "2026-06-15", "a1_ocpus": 2, … } },
//!   "sites": { "home": { "kind": "home", …, "hosts": ["pve"], "machines": ["talos-dev"] } },
//!   "hosts": { "pve": { "site": "home", "address": "192.168.68.51", "memory": "64GiB", … } },
//!   "networks": { … },
//!   "machines": { "talos-dev": { "kind": "vm", "site": "home", "host": "pve", "cpu": 2, … } },
//!   "clusters": { "dev": { …, "controlplanes": ["talos-dev"], "workers": [], "services": [] } },
//!   "services": {
//!     "grafana": {
//!       "placement": { "kind": "cluster", "name": "prod" },
//!       "namespace": "monitoring",
//!       "fqdn": "grafana.example.org",
//!       "url": "https://grafana.example.org",
//!       "cluster_url": "http://grafana.monitoring.svc.cluster.local:80",
//!       "wave": 2,
//!       "depends_on": ["prometheus"],
//!       "dependents": [],
//!       …
//!     }
//!   },
//!   "service_order": ["prometheus", "grafana"],
//!   "identity": { "provider": "authentik", "admin_group": "admins",
//!                 "groups": { "admins": { "description": null, "members": ["paul"] } },
//!                 "users": { "paul": { "groups": ["admins"] } } },
//!   "secrets": { "grafana-admin": { "file": "monitoring.yaml", "key": "admin_password",
//!                                   "description": null, "used_by": ["grafana"] } },
//!   "policy": { "severity": {} }
//! }
//! ```
//!
//! Top-level keys in this order: `format`, `name`, `domain`, `limits`, `sites`, `hosts`,
//! `networks`, `machines`, `clusters`, `services`, `service_order`, `identity`, `secrets`,
//! `policy`. `limits.at` is the lab's `limits_at` (`null`: the newest table applies) and
//! `limits.oci_always_free` the one table in force (`null` if the date precedes every table).
//! `service_order` and each service's `wave` come from the graph phase ([`RenderContext`]);
//! `wave` is `null` for a service the graph gave none. `url` is `https://` + FQDN for a service
//! with a hostname, `cluster_url` the in-cluster address of a service placed in a cluster;
//! `namespace` is `null` for a service not placed in a cluster. A secret's `file` is relative to
//! `configs/secrets/`.

use crate::derive;
use crate::{artifact, RenderContext, RenderError};
use hlc_model::types::{Bytes, Cpu};
use hlc_model::{Lab, Role};
use hlc_out::Artifact;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The artifact's path under `out/`.
pub const PATH: &str = "inventory.json";
/// The target name recorded in `hlc.lock`.
pub const TARGET: &str = "inventory";
/// The value of the top-level `format` field.
pub const FORMAT: u32 = 1;

type Opt<'a> = Option<&'a str>;

#[derive(Serialize)]
struct Inventory<'a> {
    format: u32,
    name: &'a str,
    domain: String,
    limits: InvLimits<'a>,
    sites: BTreeMap<&'a str, InvSite<'a>>,
    hosts: BTreeMap<&'a str, InvHost<'a>>,
    networks: BTreeMap<&'a str, InvNetwork<'a>>,
    machines: BTreeMap<&'a str, InvMachine<'a>>,
    clusters: BTreeMap<&'a str, InvCluster<'a>>,
    services: BTreeMap<&'a str, InvService<'a>>,
    service_order: &'a [String],
    identity: InvIdentity<'a>,
    secrets: BTreeMap<&'a str, InvSecret<'a>>,
    policy: InvPolicy<'a>,
}

#[derive(Serialize)]
struct InvLimits<'a> {
    at: Option<String>,
    oci_always_free: Option<InvOci<'a>>,
}

#[derive(Serialize)]
struct InvOci<'a> {
    from: String,
    a1_ocpus: Cpu,
    a1_memory: Bytes,
    block_storage: Bytes,
    source: &'a str,
}

#[derive(Serialize)]
struct InvSite<'a> {
    kind: &'a hlc_model::SiteKind,
    region: Opt<'a>,
    free_tier: bool,
    description: Opt<'a>,
    hosts: BTreeSet<&'a str>,
    networks: BTreeSet<&'a str>,
    machines: BTreeSet<&'a str>,
}

#[derive(Serialize)]
struct InvHost<'a> {
    site: &'a str,
    kind: &'a str,
    node: &'a str,
    address: String,
    network: &'a str,
    cores: i64,
    threads: i64,
    memory: Bytes,
    reserved_memory: Bytes,
    datastores: BTreeMap<&'a str, InvDatastore<'a>>,
    overcommit: InvOvercommit,
    description: Opt<'a>,
    machines: BTreeSet<&'a str>,
}

#[derive(Serialize)]
struct InvDatastore<'a> {
    kind: &'a str,
    size: Bytes,
}

#[derive(Serialize)]
struct InvOvercommit {
    cpu: f64,
    memory: f64,
    disk: f64,
}

#[derive(Serialize)]
struct InvNetwork<'a> {
    site: &'a str,
    kind: &'a hlc_model::NetworkKind,
    cidr: String,
    gateway: Option<String>,
    dns: Vec<String>,
    vlan: Option<i64>,
    parent: Opt<'a>,
    bridge: Opt<'a>,
}

#[derive(Serialize)]
struct InvMachine<'a> {
    kind: &'a hlc_model::MachineKind,
    site: Opt<'a>,
    host: Opt<'a>,
    vmid: Option<i64>,
    shape: Opt<'a>,
    cpu: Cpu,
    memory: Bytes,
    disk: Bytes,
    datastore: Opt<'a>,
    os: &'a hlc_model::Os,
    network: &'a str,
    address: Option<String>,
    cluster: Opt<'a>,
    role: Option<&'a Role>,
    schedulable: bool,
    tags: BTreeSet<&'a str>,
    description: Opt<'a>,
}

#[derive(Serialize)]
struct InvCluster<'a> {
    talos_version: String,
    kubernetes_version: String,
    endpoint: Opt<'a>,
    pod_cidr: String,
    service_cidr: String,
    cni: &'a hlc_model::Cni,
    kube_proxy: bool,
    install_disk: &'a str,
    install_extensions: Vec<&'a str>,
    description: Opt<'a>,
    controlplanes: BTreeSet<&'a str>,
    workers: BTreeSet<&'a str>,
    services: BTreeSet<&'a str>,
}

#[derive(Serialize)]
struct InvPlacement<'a> {
    kind: &'static str,
    name: &'a str,
}

#[derive(Serialize)]
struct InvService<'a> {
    placement: InvPlacement<'a>,
    namespace: Opt<'a>,
    service_name: &'a str,
    description: Opt<'a>,
    chart: Option<InvChart<'a>>,
    image: Opt<'a>,
    scheme: &'static str,
    port: i64,
    exposure: &'static str,
    auth: &'static str,
    admin: bool,
    hostname: Option<String>,
    fqdn: Option<String>,
    url: Option<String>,
    cluster_url: Option<String>,
    wave: Option<u32>,
    depends_on: BTreeSet<&'a str>,
    dependents: BTreeSet<&'a str>,
    secrets: BTreeSet<&'a str>,
    groups: BTreeSet<&'a str>,
    metrics: Option<InvMetrics<'a>>,
    persistence: Option<Bytes>,
}

#[derive(Serialize)]
struct InvChart<'a> {
    repo: &'a str,
    name: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
struct InvMetrics<'a> {
    port: i64,
    path: &'a str,
}

#[derive(Serialize)]
struct InvIdentity<'a> {
    provider: Opt<'a>,
    admin_group: Opt<'a>,
    groups: BTreeMap<&'a str, InvGroup<'a>>,
    users: BTreeMap<&'a str, InvUser<'a>>,
}

#[derive(Serialize)]
struct InvGroup<'a> {
    description: Opt<'a>,
    members: BTreeSet<&'a str>,
}

/// A user by name: deliberately no e-mail field.
#[derive(Serialize)]
struct InvUser<'a> {
    groups: BTreeSet<&'a str>,
}

#[derive(Serialize)]
struct InvSecret<'a> {
    file: Opt<'a>,
    key: Opt<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    store: Opt<'a>,
    description: Opt<'a>,
    used_by: BTreeSet<&'a str>,
}

#[derive(Serialize)]
struct InvPolicy<'a> {
    severity: BTreeMap<&'a str, &'a hlc_model::Level>,
}

fn s<T: AsRef<str>>(v: &Option<T>) -> Opt<'_> {
    v.as_ref().map(|x| x.as_ref())
}

fn build<'a>(lab: &'a Lab, ctx: &'a RenderContext) -> Inventory<'a> {
    let dependents = derive::dependents(lab);

    let mut sites: BTreeMap<&str, InvSite> = lab
        .sites
        .iter()
        .map(|(name, site)| {
            let v = InvSite {
                kind: &site.kind,
                region: site.region.as_ref().map(|r| r.as_str()),
                free_tier: *site.free_tier,
                description: s(&site.description),
                hosts: BTreeSet::new(),
                networks: BTreeSet::new(),
                machines: BTreeSet::new(),
            };
            (name.as_str(), v)
        })
        .collect();

    let mut hosts: BTreeMap<&str, InvHost> = BTreeMap::new();
    for (name, h) in &lab.hosts {
        if let Some(site) = sites.get_mut(h.site.as_str()) {
            site.hosts.insert(name);
        }
        hosts.insert(
            name,
            InvHost {
                site: &h.site,
                kind: &h.kind,
                node: &h.node,
                address: h.address.to_string(),
                network: &h.network,
                cores: *h.cores,
                threads: *h.threads,
                memory: *h.memory,
                reserved_memory: *h.reserved_memory,
                datastores: h
                    .datastores
                    .iter()
                    .map(|(n, d)| {
                        (
                            n.as_str(),
                            InvDatastore {
                                kind: &d.kind,
                                size: *d.size,
                            },
                        )
                    })
                    .collect(),
                overcommit: InvOvercommit {
                    cpu: *h.overcommit.cpu,
                    memory: *h.overcommit.memory,
                    disk: *h.overcommit.disk,
                },
                description: s(&h.description),
                machines: BTreeSet::new(),
            },
        );
    }

    let mut networks = BTreeMap::new();
    for (name, n) in &lab.networks {
        if let Some(site) = sites.get_mut(n.site.as_str()) {
            site.networks.insert(name);
        }
        networks.insert(
            name.as_str(),
            InvNetwork {
                site: &n.site,
                kind: &n.kind,
                cidr: n.cidr.to_string(),
                gateway: n.gateway.as_ref().map(|g| g.to_string()),
                dns: n.dns.iter().map(|d| d.to_string()).collect(),
                vlan: n.vlan.as_ref().map(|v| **v),
                parent: n.parent.as_ref().map(|p| p.as_str()),
                bridge: n.bridge.as_ref().map(|b| b.as_str()),
            },
        );
    }

    let mut clusters: BTreeMap<&str, InvCluster> = lab
        .clusters
        .iter()
        .map(|(name, c)| {
            let v = InvCluster {
                talos_version: c.talos_version.to_string(),
                kubernetes_version: c.kubernetes_version.to_string(),
                endpoint: c.endpoint.as_ref().map(|e| e.as_str()),
                pod_cidr: c.pod_cidr.to_string(),
                service_cidr: c.service_cidr.to_string(),
                cni: &c.cni,
                kube_proxy: *c.kube_proxy,
                install_disk: &c.install.disk,
                install_extensions: c.install.extensions.iter().map(|e| e.as_str()).collect(),
                description: s(&c.description),
                controlplanes: BTreeSet::new(),
                workers: BTreeSet::new(),
                services: BTreeSet::new(),
            };
            (name.as_str(), v)
        })
        .collect();

    let mut machines = BTreeMap::new();
    for (name, m) in &lab.machines {
        let site = derive::machine_site(lab, m);
        if let Some(site) = site.and_then(|s| sites.get_mut(s)) {
            site.machines.insert(name);
        }
        if let Some(host) = m.host.as_ref().and_then(|h| hosts.get_mut(h.as_str())) {
            host.machines.insert(name);
        }
        if let (Some(c), Some(role)) = (&m.cluster, &m.role) {
            if let Some(cluster) = clusters.get_mut(c.as_str()) {
                match **role {
                    Role::Controlplane => cluster.controlplanes.insert(name),
                    Role::Worker => cluster.workers.insert(name),
                };
            }
        }
        machines.insert(
            name.as_str(),
            InvMachine {
                kind: &m.kind,
                site,
                host: m.host.as_ref().map(|h| h.as_str()),
                vmid: m.vmid.as_ref().map(|v| **v),
                shape: m.shape.as_ref().map(|v| v.as_str()),
                cpu: *m.cpu,
                memory: *m.memory,
                disk: *m.disk,
                datastore: m.datastore.as_ref().map(|v| v.as_str()),
                os: &m.os,
                network: &m.network,
                address: m.address.as_ref().map(|a| a.to_string()),
                cluster: m.cluster.as_ref().map(|v| v.as_str()),
                role: m.role.as_ref().map(|r| &r.value),
                schedulable: *m.schedulable,
                tags: m.tags.iter().map(|t| t.as_str()).collect(),
                description: s(&m.description),
            },
        );
    }

    let mut secret_users: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut services = BTreeMap::new();
    for (name, svc) in &lab.services {
        if let hlc_model::Placement::Cluster(c) = &svc.placement {
            if let Some(cluster) = clusters.get_mut(c.as_str()) {
                cluster.services.insert(name);
            }
        }
        for sec in derive::secrets_of(svc) {
            secret_users.entry(sec).or_default().insert(name);
        }
        let fqdn = derive::fqdn(lab, svc);
        services.insert(
            name.as_str(),
            InvService {
                placement: InvPlacement {
                    kind: svc.placement.kind(),
                    name: svc.placement.name(),
                },
                namespace: match &svc.placement {
                    hlc_model::Placement::Cluster(_) => Some(svc.namespace.as_str()),
                    _ => None,
                },
                service_name: &svc.service_name,
                description: s(&svc.description),
                chart: svc.chart.as_ref().map(|c| InvChart {
                    repo: &c.repo,
                    name: &c.name,
                    version: &c.version,
                }),
                image: svc.image.as_ref().map(|i| i.as_str()),
                scheme: derive::scheme(svc),
                port: *svc.port,
                exposure: derive::exposure(svc),
                auth: derive::auth(svc),
                admin: *svc.admin,
                hostname: svc.hostname.as_ref().map(|h| h.to_string()),
                url: fqdn.as_ref().map(|f| format!("https://{f}")),
                fqdn,
                cluster_url: derive::cluster_url(svc),
                wave: ctx.waves.get(name.as_str()).copied(),
                depends_on: svc.depends_on.iter().map(|d| d.as_str()).collect(),
                dependents: dependents.get(name.as_str()).cloned().unwrap_or_default(),
                secrets: derive::secrets_of(svc).into_iter().collect(),
                groups: svc.groups.iter().map(|d| d.as_str()).collect(),
                metrics: svc.metrics.as_ref().map(|m| InvMetrics {
                    port: *m.port,
                    path: &m.path,
                }),
                persistence: svc.persistence.as_ref().map(|p| **p),
            },
        );
    }

    let mut groups: BTreeMap<&str, InvGroup> = lab
        .identity
        .groups
        .iter()
        .map(|(n, g)| {
            (
                n.as_str(),
                InvGroup {
                    description: s(&g.description),
                    members: BTreeSet::new(),
                },
            )
        })
        .collect();
    let mut users = BTreeMap::new();
    for (name, u) in &lab.identity.users {
        let ug: BTreeSet<&str> = u.groups.iter().map(|g| g.as_str()).collect();
        for g in &ug {
            if let Some(group) = groups.get_mut(g) {
                group.members.insert(name);
            }
        }
        users.insert(name.as_str(), InvUser { groups: ug });
    }

    let secrets = lab
        .secrets
        .iter()
        .map(|(n, sec)| {
            (
                n.as_str(),
                InvSecret {
                    file: sec.file.as_ref().map(|f| f.as_str()),
                    key: sec.key.as_ref().map(|k| k.as_str()),
                    store: sec.store.as_ref().map(|k| k.as_str()),
                    description: s(&sec.description),
                    used_by: secret_users.get(n.as_str()).cloned().unwrap_or_default(),
                },
            )
        })
        .collect();

    Inventory {
        format: FORMAT,
        name: &lab.name,
        domain: lab.domain.to_string(),
        limits: InvLimits {
            at: lab.limits_at.as_ref().map(|d| d.to_string()),
            oci_always_free: derive::oci_limits_in_force(lab).map(|t| InvOci {
                from: t.from.to_string(),
                a1_ocpus: *t.a1_ocpus,
                a1_memory: *t.a1_memory,
                block_storage: *t.block_storage,
                source: &t.source,
            }),
        },
        sites,
        hosts,
        networks,
        machines,
        clusters,
        services,
        service_order: &ctx.order,
        identity: InvIdentity {
            provider: lab.identity.provider.as_ref().map(|p| p.as_str()),
            admin_group: lab.identity.admin_group.as_ref().map(|p| p.as_str()),
            groups,
            users,
        },
        secrets,
        policy: InvPolicy {
            severity: lab
                .policy
                .severity
                .iter()
                .map(|(k, v)| (k.as_str(), &v.value))
                .collect(),
        },
    }
}

/// The config paths `inventory.json` draws from.
pub fn sources(lab: &Lab) -> Vec<String> {
    derive::top_level_sources(
        lab,
        &[
            "name",
            "domain",
            "limits",
            "limits_at",
            "sites",
            "hosts",
            "networks",
            "machines",
            "clusters",
            "identity",
            "services",
            "secrets",
            "policy",
        ],
    )
}

/// The text of `inventory.json`.
pub fn to_string(lab: &Lab, ctx: &RenderContext) -> Result<String, RenderError> {
    let inv = build(lab, ctx);
    let mut text = serde_json::to_string_pretty(&inv).map_err(|source| RenderError::Serialize {
        target: TARGET,
        source,
    })?;
    text.push('\n');
    Ok(text)
}

/// Renders `inventory.json`.
pub fn render(lab: &Lab, ctx: &RenderContext) -> Result<Vec<Artifact>, RenderError> {
    Ok(vec![artifact(
        TARGET,
        PATH,
        to_string(lab, ctx)?,
        sources(lab),
    )?])
}
