//! HLC452 namespace-collision: services of one cluster and namespace that are not one app, or
//! that claim the same Kubernetes object name.

use crate::ext::at;
use hlc_diag::Diagnostic;
use hlc_model::{Lab, Placement, Service};
use std::collections::{BTreeMap, BTreeSet};

rule! {
    code: "HLC452",
    name: "namespace-collision",
    severity: Error,
    summary: "two services share a namespace without belonging together, or their app modules claim the same Secret in it",
    doc: r#"# HLC452 namespace-collision

**What.** Within one cluster, a namespace is one application's boundary. Services may share a
namespace when they belong together: when they are connected by `depends_on` edges (or one is
part of the other's release, `release`) among the services of that namespace — Authentik with its
Postgres and Redis, Grafana with Prometheus and Loki. This rule reports:

* services in one namespace that fall into two or more unconnected groups (one finding per
  group after the first, at that group's first service's `namespace`);
* two services of one namespace whose app modules keep their secrets in the same Kubernetes
  Secret name (each would overwrite the other's; two Services with one name are HLC203).

Kubernetes' own namespaces (`kube-system`, `default`) are exempt from the first check: the CNI
and other system add-ons live there by convention.

**Why.** hlc derives a namespace's CiliumNetworkPolicy, its Secrets and its Argo CD destination
from the services in it. Two unrelated apps in one namespace share all of that: each sees the
other's Secrets through the namespace's RBAC, a pruning Application may delete the other's
objects, and two Services or Secrets with one name silently overwrite each other. The seed had
Homepage routed in `default` while it lived in `homepage` (inventory A1).

**Example.**

```nickel
services.homepage = { cluster = "cloud", namespace = "apps", … },
services.uptime-kuma = { cluster = "cloud", namespace = "apps", … },   # HLC452
```

**Fix.** Give each app its own namespace (the default: a service's namespace is its name), or
declare the dependency that makes them one app. Give one of two clashing Secrets another name
(the modules' `secret_name`-style option) or its own namespace.
"#,
}

fn cluster(s: &Service) -> Option<&str> {
    match &s.placement {
        Placement::Cluster(c) => Some(c.as_str()),
        _ => None,
    }
}

fn find(parent: &mut BTreeMap<String, String>, x: &str) -> String {
    let mut cur = x.to_string();
    while let Some(p) = parent.get(&cur).filter(|p| **p != cur) {
        cur = p.clone();
    }
    cur
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    // (cluster, namespace) → services, by name.
    let mut spaces: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for (name, s) in &lab.services {
        if let Some(c) = cluster(s) {
            spaces
                .entry((c, s.namespace.as_str()))
                .or_default()
                .insert(name);
        }
    }
    for ((c, ns), members) in &spaces {
        // Name clashes of the Secrets app modules name (Service names are HLC203).
        let mut secrets: BTreeMap<&str, &str> = BTreeMap::new();
        for name in members {
            let s = &lab.services[*name];
            if let Some(sec) = s.app.as_ref().and_then(|a| a.secret.as_ref()) {
                if sec.data.is_empty() {
                    continue;
                }
                if let Some(first) = secrets.insert(sec.name.as_str(), name) {
                    out.push(
                        INFO.diag(format!(
                            "services `{first}` and `{name}` both keep their secrets in Kubernetes Secret `{}` in namespace `{ns}` of cluster `{c}`",
                            sec.name.value
                        ))
                        .with_path(at(&s.origin, "namespace"))
                        .with_span(s.namespace.span)
                        .with_label(sec.name.span, format!("Secret `{}` named here", sec.name.value))
                        .with_label(lab.services[first].namespace.span, format!("`{first}` is in `{ns}` too"))
                        .with_help("give each its own namespace, or another Secret name through the module's option"),
                    );
                }
            }
        }
        if ["kube-system", "default"].contains(ns) || members.len() < 2 {
            continue;
        }
        // Groups connected by depends_on / release inside the namespace.
        let mut parent: BTreeMap<String, String> = members
            .iter()
            .map(|m| (m.to_string(), m.to_string()))
            .collect();
        let union = |a: &str, b: &str, parent: &mut BTreeMap<String, String>| {
            let (ra, rb) = (find(parent, a), find(parent, b));
            if ra != rb {
                let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
                parent.insert(hi, lo);
            }
        };
        for name in members {
            let s = &lab.services[*name];
            for d in &s.depends_on {
                if members.contains(d.as_str()) {
                    union(name, d.as_str(), &mut parent);
                }
            }
            if members.contains(s.release.as_str()) {
                union(name, s.release.as_str(), &mut parent);
            }
        }
        let mut groups: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for name in members {
            groups
                .entry(find(&mut parent, name))
                .or_default()
                .push(name);
        }
        if groups.len() < 2 {
            continue;
        }
        let mut it = groups.values();
        let first = it.next().expect("two groups");
        for g in it {
            let s = &lab.services[g[0]];
            out.push(
                INFO.diag(format!(
                    "namespace `{ns}` of cluster `{c}` holds unrelated apps: {} and {}",
                    list(first),
                    list(g)
                ))
                .with_path(at(&s.origin, "namespace"))
                .with_span(s.namespace.span)
                .with_label(lab.services[first[0]].namespace.span, format!("`{}` is in `{ns}` too", first[0]))
                .with_help(format!(
                    "give `{}` its own namespace, or declare the `depends_on` that makes them one app",
                    g[0]
                )),
            );
        }
    }
}

fn list(g: &[&str]) -> String {
    g.iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
