//! HLC453 cluster-requests: the releases of a cluster request more CPU or memory than its
//! schedulable nodes have.

use crate::ext::{at_path, fmt_bytes, fmt_milli};
use hlc_diag::{Diagnostic, Span};
use hlc_model::{Lab, Placement, Role};
use std::collections::BTreeMap;

rule! {
    code: "HLC453",
    name: "cluster-requests",
    severity: Warning,
    summary: "the releases of a cluster request more CPU or memory than its schedulable nodes have",
    doc: r#"# HLC453 cluster-requests

**What.** For each cluster, the sum of what its releases request (`app.requests.cpu` and
`app.requests.memory`, from the app modules' `cpu` / `memory` options) exceeds the capacity of
its schedulable nodes: the machines of the cluster with `role = 'worker`, or with
`schedulable = true` (a control plane that runs workloads). One finding per resource, at the
largest request, with a label on every other request and on each schedulable node. A cluster
whose machines the lab does not model is not checked.

Requests are Kubernetes quantities (`250m`, `0.5`, `2`; `512Mi`, `1Gi`, `1G`); a request hlc
cannot read is not counted. Node capacity is the machine's `cpu` and `memory`, without the
share Talos, the kubelet and the DaemonSets take, so the rule is a lower bound: a cluster that
passes may still be tight.

**Why.** Pods whose requests do not fit stay `Pending`; Argo CD shows the release as progressing
forever and the sync waves behind it never start. On a free-tier cloud node every request counts
(inventory C: 2 OCPU / 12 GB for the whole A1 allowance from 2026-06-15).

**Example.** A single 2-vCPU / 4 GiB worker and Prometheus asking for `memory = "6Gi"`:

```text
warning[HLC453]: cluster `dev`: releases request 6.12GiB of memory, its 1 schedulable node(s) have 4GiB; the largest request is `prometheus`'s 6GiB
```

**Fix.** Lower the modules' `cpu` / `memory` options, move releases to another cluster, or give
the cluster more (or bigger) schedulable nodes.
"#,
}

/// A CPU quantity in thousandths of a core (`250m`, `0.5`, `2`).
pub fn cpu_milli(q: &str) -> Option<u64> {
    let q = q.trim();
    if let Some(m) = q.strip_suffix('m') {
        return m.parse::<u64>().ok();
    }
    let x: f64 = q.parse().ok()?;
    (x.is_finite() && x >= 0.0).then(|| (x * 1000.0).round() as u64)
}

/// A memory quantity in bytes (`128Mi`, `1Gi`, `1G`, `500k`, `1048576`).
pub fn bytes(q: &str) -> Option<u64> {
    let q = q.trim();
    const UNITS: &[(&str, u64)] = &[
        ("Ki", 1 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("Ti", 1 << 40),
        ("k", 1_000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
        ("T", 1_000_000_000_000),
    ];
    for (suffix, mult) in UNITS {
        if let Some(n) = q.strip_suffix(suffix) {
            let x: f64 = n.parse().ok()?;
            return (x.is_finite() && x >= 0.0).then(|| (x * *mult as f64).round() as u64);
        }
    }
    let x: f64 = q.parse().ok()?;
    (x.is_finite() && x >= 0.0).then(|| x.round() as u64)
}

struct Ask<'a> {
    service: &'a str,
    amount: u64,
    span: Option<Span>,
    path: String,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let mut cpu: BTreeMap<&str, Vec<Ask>> = BTreeMap::new();
    let mut mem: BTreeMap<&str, Vec<Ask>> = BTreeMap::new();
    for (name, s) in &lab.services {
        let (Placement::Cluster(c), Some(app)) = (&s.placement, &s.app) else {
            continue;
        };
        if let Some(q) = &app.requests.cpu {
            if let Some(amount) = cpu_milli(&q.value) {
                cpu.entry(c.as_str()).or_default().push(Ask {
                    service: name,
                    amount,
                    span: q.span,
                    path: at_path(&s.origin, "app.requests.cpu"),
                });
            }
        }
        if let Some(q) = &app.requests.memory {
            if let Some(amount) = bytes(&q.value) {
                mem.entry(c.as_str()).or_default().push(Ask {
                    service: name,
                    amount,
                    span: q.span,
                    path: at_path(&s.origin, "app.requests.memory"),
                });
            }
        }
    }
    for cname in lab.clusters.keys() {
        let members: Vec<(&str, &hlc_model::Machine)> = lab
            .machines
            .iter()
            .filter(|(_, m)| m.cluster.as_ref().is_some_and(|x| x.as_str() == cname))
            .map(|(n, m)| (n.as_str(), m))
            .collect();
        if members.is_empty() {
            continue; // the lab does not model the cluster's machines
        }
        let nodes: Vec<(&str, &hlc_model::Machine)> = members
            .into_iter()
            .filter(|(_, m)| {
                *m.schedulable || m.role.as_ref().is_some_and(|r| r.value == Role::Worker)
            })
            .collect();
        let have_cpu: u64 = nodes.iter().map(|(_, m)| u64::from(m.cpu.value.0)).sum();
        let have_mem: u64 = nodes.iter().map(|(_, m)| m.memory.value.0).sum();
        type Cap<'a> = (&'a str, Option<Span>, u64);
        let cpu_caps: Vec<Cap> = nodes
            .iter()
            .map(|(n, m)| (*n, m.cpu.span, u64::from(m.cpu.value.0)))
            .collect();
        let mem_caps: Vec<Cap> = nodes
            .iter()
            .map(|(n, m)| (*n, m.memory.span, m.memory.value.0))
            .collect();
        type Check<'a, 'b> = (
            &'a str,
            Option<&'b Vec<Ask<'a>>>,
            u64,
            &'b Vec<Cap<'a>>,
            fn(u64) -> String,
        );
        let checks: [Check; 2] = [
            ("CPU", cpu.get(cname.as_str()), have_cpu, &cpu_caps, |m| {
                format!("{} cores", fmt_milli(m))
            }),
            (
                "memory",
                mem.get(cname.as_str()),
                have_mem,
                &mem_caps,
                fmt_bytes,
            ),
        ];
        for (what, asks, have, caps, fmt) in checks {
            let Some(asks) = asks else { continue };
            let used: u64 = asks.iter().map(|a| a.amount).sum();
            if used <= have {
                continue;
            }
            // At the largest request: the value to lower first.
            let top = asks
                .iter()
                .max_by_key(|a| (a.amount, std::cmp::Reverse(a.service)))
                .expect("asks");
            let mut d = INFO
                .diag(format!(
                    "cluster `{cname}`: releases request {} of {what}, its {} schedulable node(s) have {}; the largest request is `{}`'s {}",
                    fmt(used),
                    nodes.len(),
                    fmt(have),
                    top.service,
                    fmt(top.amount)
                ))
                .with_path(top.path.clone())
                .with_span(top.span)
                .with_help("lower the app modules' `cpu` / `memory` options, move releases to another cluster, or add schedulable nodes (a worker, or `schedulable = true` on a control plane)");
            for a in asks.iter().filter(|a| a.service != top.service) {
                d = d.with_label(
                    a.span,
                    format!("`{}` requests {}", a.service, fmt(a.amount)),
                );
            }
            for (n, span, amount) in caps {
                d = d.with_label(*span, format!("node `{n}` has {}", fmt(*amount)));
            }
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(cpu_milli("250m"), Some(250));
        assert_eq!(cpu_milli("0.5"), Some(500));
        assert_eq!(cpu_milli("2"), Some(2000));
        assert_eq!(cpu_milli("two"), None);
        assert_eq!(bytes("128Mi"), Some(128 << 20));
        assert_eq!(bytes("1Gi"), Some(1 << 30));
        assert_eq!(bytes("1G"), Some(1_000_000_000));
        assert_eq!(bytes("1.5Gi"), Some(3 << 29));
        assert_eq!(bytes("1024"), Some(1024));
        assert_eq!(bytes("lots"), None);
    }
}
