//! The reference graph: one node per named entity (site, host, network, machine, cluster,
//! service, secret, identity group and user, and the identity configuration itself when it names
//! a provider or an admin group), one edge per resolved reference, from the entity that names to
//! the entity named. References that name nothing become HLC201 diagnostics instead of edges.
//!
//! Nodes are added kind by kind in the order of [`NodeKind`], each kind in name order, so node
//! indices — and everything derived from them — are the same on every run.

use crate::ext::{at, at_index};
use crate::rules::unknown_reference;
use hlc_diag::Diagnostic;
use hlc_model::{Lab, Origin, Placement, Sp};
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;
use std::collections::BTreeMap;

/// The kind of an entity in the graph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    Site,
    Host,
    Network,
    Machine,
    Cluster,
    Service,
    Secret,
    SecretStore,
    Group,
    User,
    Identity,
}

impl NodeKind {
    pub const ALL: [NodeKind; 11] = [
        NodeKind::Site,
        NodeKind::Host,
        NodeKind::Network,
        NodeKind::Machine,
        NodeKind::Cluster,
        NodeKind::Service,
        NodeKind::Secret,
        NodeKind::SecretStore,
        NodeKind::Group,
        NodeKind::User,
        NodeKind::Identity,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Site => "site",
            NodeKind::Host => "host",
            NodeKind::Network => "network",
            NodeKind::Machine => "machine",
            NodeKind::Cluster => "cluster",
            NodeKind::Service => "service",
            NodeKind::Secret => "secret",
            NodeKind::SecretStore => "secret_store",
            NodeKind::Group => "group",
            NodeKind::User => "user",
            NodeKind::Identity => "identity",
        }
    }

    /// Plural, for messages ("known sites: …").
    pub fn plural(self) -> &'static str {
        match self {
            NodeKind::Site => "sites",
            NodeKind::Host => "hosts",
            NodeKind::Network => "networks",
            NodeKind::Machine => "machines",
            NodeKind::Cluster => "clusters",
            NodeKind::Service => "services",
            NodeKind::Secret => "secrets",
            NodeKind::SecretStore => "secret stores",
            NodeKind::Group => "identity groups",
            NodeKind::User => "users",
            NodeKind::Identity => "identity",
        }
    }

    /// Where entities of this kind are declared in the configuration.
    pub fn section(self) -> &'static str {
        match self {
            NodeKind::Site => "sites",
            NodeKind::Host => "hosts",
            NodeKind::Network => "networks",
            NodeKind::Machine => "machines",
            NodeKind::Cluster => "clusters",
            NodeKind::Service => "services",
            NodeKind::Secret => "secrets",
            NodeKind::SecretStore => "secret_stores",
            NodeKind::Group => "identity.groups",
            NodeKind::User => "identity.users",
            NodeKind::Identity => "identity",
        }
    }
}

/// A node: an entity of the lab.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entity {
    pub kind: NodeKind,
    pub name: String,
}

/// An edge: a resolved reference. `label` says which field (`host`, `depends-on`, `secret`…),
/// `path` is the config path of the referring value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ref {
    pub label: &'static str,
    pub path: String,
}

/// The lab's reference graph and a name index into it.
#[derive(Clone, Debug, Default)]
pub struct LabGraph {
    pub graph: DiGraph<Entity, Ref>,
    index: BTreeMap<NodeKind, BTreeMap<String, NodeIndex>>,
}

impl LabGraph {
    /// The node of an entity, if the lab declares it.
    pub fn node(&self, kind: NodeKind, name: &str) -> Option<NodeIndex> {
        self.index.get(&kind).and_then(|m| m.get(name)).copied()
    }

    fn add(&mut self, kind: NodeKind, name: &str) {
        let i = self.graph.add_node(Entity {
            kind,
            name: name.to_string(),
        });
        self.index
            .entry(kind)
            .or_default()
            .insert(name.to_string(), i);
    }

    /// Names of one kind, sorted.
    pub fn names(&self, kind: NodeKind) -> impl Iterator<Item = &str> + Clone {
        self.index
            .get(&kind)
            .into_iter()
            .flat_map(|m| m.keys().map(String::as_str))
    }
}

/// One reference as written in the configuration.
struct Reference<'a> {
    from: (NodeKind, &'a str),
    to: NodeKind,
    name: &'a Sp<String>,
    path: String,
    label: &'static str,
    /// The referring field, for messages.
    field: &'static str,
}

fn refs_of(lab: &Lab) -> Vec<Reference<'_>> {
    let mut out = Vec::new();
    fn one<'a>(
        out: &mut Vec<Reference<'a>>,
        from: (NodeKind, &'a str),
        origin: &Origin,
        field: &'static str,
        label: &'static str,
        to: NodeKind,
        name: &'a Sp<String>,
    ) {
        out.push(Reference {
            from,
            to,
            name,
            path: at(origin, field),
            label,
            field,
        });
    }
    fn many<'a>(
        out: &mut Vec<Reference<'a>>,
        from: (NodeKind, &'a str),
        origin: &Origin,
        field: &'static str,
        label: &'static str,
        to: NodeKind,
        names: &'a [Sp<String>],
    ) {
        for (i, name) in names.iter().enumerate() {
            out.push(Reference {
                from,
                to,
                name,
                path: at_index(origin, field, i),
                label,
                field,
            });
        }
    }

    for (n, h) in &lab.hosts {
        let f = (NodeKind::Host, n.as_str());
        one(
            &mut out,
            f,
            &h.origin,
            "site",
            "site",
            NodeKind::Site,
            &h.site,
        );
        one(
            &mut out,
            f,
            &h.origin,
            "network",
            "network",
            NodeKind::Network,
            &h.network,
        );
    }
    for (n, net) in &lab.networks {
        let f = (NodeKind::Network, n.as_str());
        one(
            &mut out,
            f,
            &net.origin,
            "site",
            "site",
            NodeKind::Site,
            &net.site,
        );
        if let Some(p) = &net.parent {
            one(
                &mut out,
                f,
                &net.origin,
                "parent",
                "parent",
                NodeKind::Network,
                p,
            );
        }
    }
    for (n, m) in &lab.machines {
        let f = (NodeKind::Machine, n.as_str());
        if let Some(h) = &m.host {
            one(&mut out, f, &m.origin, "host", "host", NodeKind::Host, h);
        }
        if let Some(s) = &m.site {
            one(&mut out, f, &m.origin, "site", "site", NodeKind::Site, s);
        }
        one(
            &mut out,
            f,
            &m.origin,
            "network",
            "network",
            NodeKind::Network,
            &m.network,
        );
        if let Some(c) = &m.cluster {
            one(
                &mut out,
                f,
                &m.origin,
                "cluster",
                "cluster",
                NodeKind::Cluster,
                c,
            );
        }
    }
    for (n, s) in &lab.services {
        let f = (NodeKind::Service, n.as_str());
        let (field, to) = match &s.placement {
            Placement::Cluster(_) => ("cluster", NodeKind::Cluster),
            Placement::Machine(_) => ("machine", NodeKind::Machine),
            Placement::Host(_) => ("host", NodeKind::Host),
        };
        one(
            &mut out,
            f,
            &s.origin,
            field,
            "runs-on",
            to,
            s.placement.name(),
        );
        many(
            &mut out,
            f,
            &s.origin,
            "depends_on",
            "depends-on",
            NodeKind::Service,
            &s.depends_on,
        );
        many(
            &mut out,
            f,
            &s.origin,
            "secrets",
            "secret",
            NodeKind::Secret,
            &s.secrets,
        );
        many(
            &mut out,
            f,
            &s.origin,
            "groups",
            "group",
            NodeKind::Group,
            &s.groups,
        );
        // The lab secrets an app module maps into its chart's Secret.
        if let Some(sec) = s.app.as_ref().and_then(|a| a.secret.as_ref()) {
            for (k, name) in &sec.data {
                out.push(Reference {
                    from: f,
                    to: NodeKind::Secret,
                    name,
                    path: hlc_model::decode::join(
                        &crate::ext::at_path(&s.origin, "app.secret.data"),
                        k,
                    ),
                    label: "secret",
                    field: "app.secret.data",
                });
            }
        }
    }
    for (n, sec) in &lab.secrets {
        if let Some(st) = &sec.store {
            one(
                &mut out,
                (NodeKind::Secret, n.as_str()),
                &sec.origin,
                "store",
                "held-by",
                NodeKind::SecretStore,
                st,
            );
        }
    }
    let id_origin = Origin {
        path: "identity".to_string(),
        span: None,
    };
    let f = (NodeKind::Identity, "identity");
    if let Some(p) = &lab.identity.provider {
        one(
            &mut out,
            f,
            &id_origin,
            "provider",
            "provider",
            NodeKind::Service,
            p,
        );
    }
    if let Some(g) = &lab.identity.admin_group {
        one(
            &mut out,
            f,
            &id_origin,
            "admin_group",
            "admin-group",
            NodeKind::Group,
            g,
        );
    }
    for (n, u) in &lab.identity.users {
        let f = (NodeKind::User, n.as_str());
        many(
            &mut out,
            f,
            &u.origin,
            "groups",
            "member-of",
            NodeKind::Group,
            &u.groups,
        );
    }
    out
}

/// Builds the graph; every reference that names nothing becomes an HLC201 finding.
pub(crate) fn build(lab: &Lab, out: &mut Vec<Diagnostic>) -> LabGraph {
    let mut g = LabGraph::default();
    for n in lab.sites.keys() {
        g.add(NodeKind::Site, n);
    }
    for n in lab.hosts.keys() {
        g.add(NodeKind::Host, n);
    }
    for n in lab.networks.keys() {
        g.add(NodeKind::Network, n);
    }
    for n in lab.machines.keys() {
        g.add(NodeKind::Machine, n);
    }
    for n in lab.clusters.keys() {
        g.add(NodeKind::Cluster, n);
    }
    for n in lab.services.keys() {
        g.add(NodeKind::Service, n);
    }
    for n in lab.secrets.keys() {
        g.add(NodeKind::Secret, n);
    }
    for n in lab.secret_stores.keys() {
        g.add(NodeKind::SecretStore, n);
    }
    for n in lab.identity.groups.keys() {
        g.add(NodeKind::Group, n);
    }
    for n in lab.identity.users.keys() {
        g.add(NodeKind::User, n);
    }
    if lab.identity.provider.is_some() || lab.identity.admin_group.is_some() {
        g.add(NodeKind::Identity, "identity");
    }

    for r in refs_of(lab) {
        let from = g.node(r.from.0, r.from.1);
        match (from, g.node(r.to, r.name.as_str())) {
            (Some(a), Some(b)) => {
                g.graph.add_edge(
                    a,
                    b,
                    Ref {
                        label: r.label,
                        path: r.path,
                    },
                );
            }
            // The target exists but failed to decode: its own error is already reported.
            _ if lab
                .broken
                .contains(&format!("{}.{}", r.to.section(), r.name.as_str())) => {}
            _ => out.push(unknown_reference::report(
                &format!("{} `{}` field `{}`", r.from.0.as_str(), r.from.1, r.field),
                r.to.plural(),
                r.to.section(),
                r.name,
                &r.path,
                g.names(r.to),
            )),
        }
    }

    // A VM's datastore names one of its host's datastores (not a node of its own).
    for (n, m) in &lab.machines {
        let (Some(ds), Some(h)) = (&m.datastore, &m.host) else {
            continue;
        };
        let Some(host) = lab.hosts.get(h.as_str()) else {
            continue; // the unknown host is reported above
        };
        if !host.datastores.contains_key(ds.as_str()) {
            out.push(unknown_reference::report(
                &format!("machine `{n}` field `datastore`"),
                &format!("datastores of host `{}`", h.value),
                &format!("hosts.{}.datastores", h.value),
                ds,
                &at(&m.origin, "datastore"),
                host.datastores.keys().map(String::as_str),
            ));
        }
    }
    g
}
