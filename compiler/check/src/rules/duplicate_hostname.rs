//! HLC203 duplicate-hostname: two services answering at the same public name, or at the same
//! Kubernetes Service address.

use crate::ext::at;
use hlc_diag::Diagnostic;
use hlc_model::{Lab, Placement};
use std::collections::BTreeMap;

rule! {
    code: "HLC203",
    name: "duplicate-hostname",
    severity: Error,
    summary: "two services publish the same FQDN or use the same cluster/namespace/service name",
    doc: r#"# HLC203 duplicate-hostname

**What.** Two services have the same `hostname` (so the same FQDN `hostname.domain`), or two
services in the same cluster have the same `namespace` and `service_name`.

**Why.** A public name routes to exactly one origin: the tunnel ingress, the DNS record and the
Access application would each be generated twice, and whichever wins is an accident. Two
Kubernetes Services with the same name in one namespace are the same object; the second
overwrites the first.

**Example.**

```nickel
services.grafana.hostname = "grafana",
services.grafana-old.hostname = "grafana",
```

```text
error[HLC203]: service `grafana-old` publishes grafana.example.org, already published by service `grafana`
```

**Fix.** Give each service its own hostname; give services in one namespace distinct
`service_name`s (or move one to another namespace).
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let mut by_fqdn: BTreeMap<String, &str> = BTreeMap::new();
    let mut by_svc: BTreeMap<(&str, &str, &str), &str> = BTreeMap::new();
    for (name, s) in &lab.services {
        if let (Some(h), Some(fqdn)) = (&s.hostname, lab.fqdn(s)) {
            let fqdn = fqdn.to_string();
            if let Some(first) = by_fqdn.get(&fqdn) {
                let first_span = lab
                    .services
                    .get(*first)
                    .and_then(|f| f.hostname.as_ref())
                    .and_then(|h| h.span);
                out.push(
                    INFO.diag(format!(
                        "service `{name}` publishes {fqdn}, already published by service `{first}`"
                    ))
                    .with_path(at(&s.origin, "hostname"))
                    .with_span(h.span)
                    .with_label(first_span, format!("`{first}` publishes {fqdn} here"))
                    .with_help("give each service its own `hostname`"),
                );
            } else {
                by_fqdn.insert(fqdn, name);
            }
        }
        if let Placement::Cluster(c) = &s.placement {
            let key = (c.as_str(), s.namespace.as_str(), s.service_name.as_str());
            if let Some(first) = by_svc.get(&key) {
                let first_span = lab.services.get(*first).and_then(|f| f.service_name.span);
                out.push(
                    INFO.diag(format!(
                        "service `{name}` uses Service `{}/{}` in cluster `{}`, already used by service `{first}`",
                        key.1, key.2, key.0
                    ))
                    .with_path(at(&s.origin, "service_name"))
                    .with_span(s.service_name.span)
                    .with_label(first_span, format!("`{first}` uses it here"))
                    .with_help("set a distinct `service_name` or `namespace` for one of them"),
                );
            } else {
                by_svc.insert(key, name);
            }
        }
    }
}
