//! HLC454 shared-namespace: services of one cluster and namespace that are not one app.

use crate::ext::at;
use hlc_diag::Diagnostic;
use hlc_model::Lab;
use std::collections::BTreeMap;

rule! {
    code: "HLC454",
    name: "shared-namespace",
    severity: Warning,
    summary: "unrelated apps share a namespace",
    doc: r#"# HLC454 shared-namespace

**What.** Within one cluster, a namespace is best one application's boundary. Services may share
a namespace when they belong together: when they are connected by `depends_on` edges (or one is
part of the other's release, `release`) among the services of that namespace — Authentik with
its Postgres and Redis, Grafana with Prometheus and Loki. This warning names services in one
namespace that fall into two or more unconnected groups (one finding per group after the first,
at that group's first service's `namespace`). Kubernetes' own namespaces (`kube-system`,
`default`) are exempt: the CNI and other system add-ons live there by convention.

**Why.** hlc derives a namespace's CiliumNetworkPolicy, its Secrets and its Argo CD destination
from the services in it. Two unrelated apps in one namespace share all of that: each can read the
other's Secrets through the namespace's RBAC, and a pruning Application may delete the other's
objects. The seed had Homepage routed in `default` while it lived in `homepage` (inventory A1).
Many labs group small apps by theme (`media`, `tools`) on purpose: that is why this is a warning;
make it an error with `policy.severity.HLC454 = 'error`, or allow one namespace with a
suppression.

**Example.**

```nickel
services.homepage = { cluster = "cloud", namespace = "apps", … },
services.uptime-kuma = { cluster = "cloud", namespace = "apps", … },   # HLC454
```

**Fix.** Give each app its own namespace (the default: a service's namespace is its name), or
declare the dependency that makes them one app.
"#,
}

fn find(parent: &mut BTreeMap<String, String>, x: &str) -> String {
    let mut cur = x.to_string();
    while let Some(p) = parent.get(&cur).filter(|p| **p != cur) {
        cur = p.clone();
    }
    cur
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for ((c, ns), members) in &super::namespace_collision::spaces(lab) {
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
