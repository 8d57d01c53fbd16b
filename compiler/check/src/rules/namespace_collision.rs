//! HLC452 namespace-collision: app modules of one cluster and namespace that claim the same
//! Kubernetes Secret name. (Unrelated apps merely sharing a namespace: HLC454.)

use crate::ext::at;
use hlc_diag::Diagnostic;
use hlc_model::{Lab, Placement, Service};
use std::collections::{BTreeMap, BTreeSet};

rule! {
    code: "HLC452",
    name: "namespace-collision",
    severity: Error,
    summary: "two services' app modules keep their secrets in the same Kubernetes Secret of one namespace",
    doc: r#"# HLC452 namespace-collision

**What.** Two services of one cluster and namespace whose app modules keep their secrets in the
same Kubernetes Secret name. (Two Services with one name are HLC203; unrelated apps that merely
share a namespace are the warning HLC454.)

**Why.** hlc renders one Secret per name and namespace: each would overwrite the other's keys,
and one app would start with the other's credentials.

**Example.**

```nickel
services.grafana = { cluster = "cloud", namespace = "monitoring", app = hlc.modules.grafana { … }, … },
services.grafana-test = { cluster = "cloud", namespace = "monitoring", app = hlc.modules.grafana { … }, … },   # HLC452
```

**Fix.** Give one of the two Secrets another name (the module's `secret_name`-style option) or
move one service to its own namespace.
"#,
}

fn cluster(s: &Service) -> Option<&str> {
    match &s.placement {
        Placement::Cluster(c) => Some(c.as_str()),
        _ => None,
    }
}

/// The services placed on a cluster, by (cluster, namespace), by name (also HLC454's input).
pub(crate) fn spaces(lab: &Lab) -> BTreeMap<(&str, &str), BTreeSet<&str>> {
    let mut spaces: BTreeMap<(&str, &str), BTreeSet<&str>> = BTreeMap::new();
    for (name, s) in &lab.services {
        if let Some(c) = cluster(s) {
            spaces
                .entry((c, s.namespace.as_str()))
                .or_default()
                .insert(name);
        }
    }
    spaces
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for ((c, ns), members) in &spaces(lab) {
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
    }
}
