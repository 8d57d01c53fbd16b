//! HLC205 duplicate-address: one IPv4 address used twice, or a network's gateway address used
//! by a machine or host.

use crate::ext::at;
use hlc_diag::{Diagnostic, Span};
use hlc_model::types::Ipv4;
use hlc_model::{Lab, Origin, Sp};
use std::collections::BTreeMap;

rule! {
    code: "HLC205",
    name: "duplicate-address",
    severity: Error,
    summary: "an IPv4 address is used by two machines/hosts, or by a machine and as a gateway",
    doc: r#"# HLC205 duplicate-address

**What.** Two hosts or machines have the same static `address`, or a host or machine uses the
`gateway` address of its own network.

**Why.** Duplicate addresses make both machines intermittently unreachable (ARP flapping); Talos
pins the kubelet's node IP to the static address, so a cluster node with a taken address does not
join. A machine on the gateway address takes the network's default route down.

**Example.**

```nickel
machines.oci-node-1.address = "10.0.1.10",
machines.oci-node-2.address = "10.0.1.10",
```

**Fix.** Give each its own address inside the network, away from the gateway. Addresses are
compared across the whole lab: overlapping networks are reported by HLC302 anyway.
"#,
}

struct Owner<'a> {
    what: String,
    origin: &'a Origin,
    network: &'a str,
    address: &'a Sp<Ipv4>,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let mut owners: Vec<Owner> = Vec::new();
    for (n, h) in &lab.hosts {
        owners.push(Owner {
            what: format!("host `{n}`"),
            origin: &h.origin,
            network: h.network.as_str(),
            address: &h.address,
        });
    }
    for (n, m) in &lab.machines {
        if let Some(a) = &m.address {
            owners.push(Owner {
                what: format!("machine `{n}`"),
                origin: &m.origin,
                network: m.network.as_str(),
                address: a,
            });
        }
    }
    let mut seen: BTreeMap<Ipv4, (String, Option<Span>)> = BTreeMap::new();
    for o in &owners {
        let ip = o.address.value;
        if let Some((first, first_span)) = seen.get(&ip) {
            out.push(
                INFO.diag(format!(
                    "{} has address {ip}, already used by {first}",
                    o.what
                ))
                .with_path(at(o.origin, "address"))
                .with_span(o.address.span)
                .with_label(*first_span, format!("{first} has {ip} here"))
                .with_help("give each machine and host its own address"),
            );
        } else {
            seen.insert(ip, (o.what.clone(), o.address.span));
        }
        if let Some(net) = lab.networks.get(o.network) {
            if let Some(gw) = net.gateway.as_ref().filter(|g| g.value == ip) {
                out.push(
                    INFO.diag(format!(
                        "{} has address {ip}, the gateway of network `{}`",
                        o.what, o.network
                    ))
                    .with_path(at(o.origin, "address"))
                    .with_span(o.address.span)
                    .with_label(gw.span, "the gateway is set here")
                    .with_help("choose an address other than the network's gateway"),
                );
            }
        }
    }
}
