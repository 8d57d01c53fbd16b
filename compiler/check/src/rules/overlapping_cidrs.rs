//! HLC302 overlapping-cidrs: address ranges that collide — networks with each other, cluster pod
//! and service ranges with networks or with each other inside one cluster — and subnets that
//! stick out of their parent VCN.
//!
//! Found by a sweep over the ranges sorted by start address, so the cost is
//! `O(n log n + overlaps)`, not a comparison of every pair.

use crate::ext::at;
use hlc_diag::{Diagnostic, Span};
use hlc_model::types::Cidr;
use hlc_model::{Lab, NetworkKind};
use std::collections::BTreeMap;

rule! {
    code: "HLC302",
    name: "overlapping-cidrs",
    severity: Error,
    summary: "networks, pod CIDRs and service CIDRs overlap, or a subnet sticks out of its VCN",
    doc: r#"# HLC302 overlapping-cidrs

**What.** Two address ranges overlap where they must not:

* any two networks (LANs, VCNs, subnets), except a subnet and the VCN it names as `parent`
  (directly or through further parents) — that is containment, and the subnet must then lie
  entirely inside the VCN, or it is reported as sticking out;
* a cluster's `pod_cidr` or `service_cidr` and any network;
* a cluster's `pod_cidr` and its own `service_cidr`.

**Decision: pod and service ranges of *different* clusters may overlap.** They are virtual,
routed only inside their own cluster (the CNI routes pod ranges between that cluster's nodes;
service IPs exist only in its kube-proxy / eBPF tables), and every Talos cluster defaults to
10.244.0.0/16 and 10.96.0.0/12. The lab does not model cluster meshes (Cilium ClusterMesh),
which would need distinct pod ranges; when it does, this exemption must go.

**Why.** A pod range that overlaps a LAN makes the LAN unreachable from pods (the CNI routes the
range into the cluster): Prometheus scraping the Proxmox host, or Velero reaching the NAS, fails.
Overlapping LAN/VCN ranges break Twingate routing between sites.

**Example.**

```nickel
networks.home-lan.cidr = "10.244.10.0/24",
clusters.dev.pod_cidr = "10.244.0.0/16",
```

```text
error[HLC302]: network `home-lan` (10.244.10.0/24) overlaps the pod CIDR of cluster `dev` (10.244.0.0/16)
```

**Fix.** Move one range. For pods and services choose ranges no site uses (the Talos defaults
10.244.0.0/16 and 10.96.0.0/12 are fine unless a LAN uses them); for a subnet, set `parent` to its
VCN and keep it inside the VCN's range.
"#,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner<'a> {
    Network(&'a str),
    Pods(&'a str),
    Services(&'a str),
}

struct Range<'a> {
    owner: Owner<'a>,
    cidr: Cidr,
    path: String,
    span: Option<Span>,
}

impl Range<'_> {
    fn describe(&self) -> String {
        match self.owner {
            Owner::Network(n) => format!("network `{n}` ({})", self.cidr),
            Owner::Pods(c) => format!("the pod CIDR of cluster `{c}` ({})", self.cidr),
            Owner::Services(c) => format!("the service CIDR of cluster `{c}` ({})", self.cidr),
        }
    }
}

/// The parent chain of every network (without itself), cycles cut.
fn ancestors(lab: &Lab) -> BTreeMap<&str, Vec<&str>> {
    let mut out = BTreeMap::new();
    for (n, net) in &lab.networks {
        let mut chain: Vec<&str> = Vec::new();
        let mut cur = net.parent.as_ref().map(|p| p.as_str());
        while let Some(p) = cur {
            if p == n.as_str() || chain.contains(&p) || chain.len() > lab.networks.len() {
                break;
            }
            chain.push(p);
            cur = lab
                .networks
                .get(p)
                .and_then(|x| x.parent.as_ref())
                .map(|x| x.as_str());
        }
        out.insert(n.as_str(), chain);
    }
    out
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let anc = ancestors(lab);
    let mut ranges: Vec<Range> = Vec::new();
    for (n, net) in &lab.networks {
        ranges.push(Range {
            owner: Owner::Network(n),
            cidr: net.cidr.value,
            path: at(&net.origin, "cidr"),
            span: net.cidr.span,
        });
    }
    for (n, c) in &lab.clusters {
        ranges.push(Range {
            owner: Owner::Pods(n),
            cidr: c.pod_cidr.value,
            path: at(&c.origin, "pod_cidr"),
            span: c.pod_cidr.span,
        });
        ranges.push(Range {
            owner: Owner::Services(n),
            cidr: c.service_cidr.value,
            path: at(&c.origin, "service_cidr"),
            span: c.service_cidr.span,
        });
    }
    // Widest first among equal starts, so a range is reported against the one containing it.
    let mut idx: Vec<usize> = (0..ranges.len()).collect();
    idx.sort_by_key(|&i| {
        let r = &ranges[i];
        (r.cidr.first(), std::cmp::Reverse(r.cidr.last()), i)
    });
    let exempt = |a: Owner, b: Owner| -> bool {
        match (a, b) {
            (Owner::Network(x), Owner::Network(y)) => {
                anc.get(x).is_some_and(|c| c.contains(&y))
                    || anc.get(y).is_some_and(|c| c.contains(&x))
            }
            (Owner::Pods(x) | Owner::Services(x), Owner::Pods(y) | Owner::Services(y)) => x != y,
            _ => false,
        }
    };
    let mut active: Vec<usize> = Vec::new();
    for &i in &idx {
        let r = &ranges[i];
        active.retain(|&a| ranges[a].cidr.last() >= r.cidr.first());
        for &a in &active {
            let o = &ranges[a];
            if exempt(o.owner, r.owner) {
                continue;
            }
            let help = match (o.owner, r.owner) {
                (Owner::Network(_), Owner::Network(_)) => {
                    "move one network to a free range; a subnet carved from a VCN sets `parent` to that VCN"
                }
                _ => "choose pod and service CIDRs that no network uses and that do not overlap each other",
            };
            // A cluster range against a network: the cluster range is what to change.
            let (p, q) = match (o.owner, r.owner) {
                (Owner::Pods(_) | Owner::Services(_), Owner::Network(_)) => (o, r),
                _ => (r, o),
            };
            out.push(
                INFO.diag(format!("{} overlaps {}", p.describe(), q.describe()))
                    .with_path(p.path.clone())
                    .with_span(p.span)
                    .with_label(q.span, format!("{} is set here", q.describe()))
                    .with_help(help),
            );
        }
        active.push(i);
    }

    // Containment of subnets in their parent.
    for (n, net) in &lab.networks {
        let Some(p) = &net.parent else { continue };
        let Some(parent) = lab.networks.get(p.as_str()) else {
            continue;
        };
        if !parent.cidr.covers(&net.cidr) {
            let kind = if parent.kind.value == NetworkKind::Vcn {
                "VCN"
            } else {
                "network"
            };
            out.push(
                INFO.diag(format!(
                    "network `{n}` ({}) sticks out of its parent {kind} `{}` ({})",
                    net.cidr.value, p.value, parent.cidr.value
                ))
                .with_path(at(&net.origin, "cidr"))
                .with_span(net.cidr.span)
                .with_label(
                    parent.cidr.span,
                    format!("`{}` is {}", p.value, parent.cidr.value),
                )
                .with_help(format!(
                    "choose a range inside {} for `{n}`",
                    parent.cidr.value
                )),
            );
        }
    }
}
