//! HLC704 talos-endpoint: the control-plane endpoint is neither a control plane's address nor
//! the cluster's VIP, or the VIP lies outside the control planes' network.

use crate::ext::at;
use hlc_diag::Diagnostic;
use hlc_model::types::Ipv4;
use hlc_model::{Lab, Role};

rule! {
    code: "HLC704",
    name: "talos-endpoint",
    severity: Error,
    summary: "a cluster's endpoint is not a control plane's address or its VIP, or the VIP is outside the control planes' network",
    doc: r#"# HLC704 talos-endpoint

**What.** One of:

* the cluster's `endpoint` is an IPv4 address that is neither the `address` of one of the
  cluster's control-plane machines nor the cluster's `vip`;
* the cluster's `vip` does not lie inside the network of every control-plane machine.

(An endpoint given as a DNS name is not checked: hlc cannot know where it resolves.)

**Why.** Every node's machine config points kubelet and the Talos API at
`https://<endpoint>:6443`. An address that no control plane answers on leaves every node unable
to join; a Layer 2 VIP is announced by ARP on the control planes' own link, so it only works
inside their subnet.

**Example.**

```nickel
clusters.prod.endpoint = "192.168.68.110",       # no machine has this address, no vip
machines.talos-prod-cp.address = "192.168.68.101",
```

**Fix.** Point `endpoint` at a control plane's address, or declare `vip` (an unused address in
the control planes' network) and use it as the endpoint.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (name, c) in &lab.clusters {
        let cps: Vec<_> = lab
            .machines
            .iter()
            .filter(|(_, m)| m.cluster.as_ref().is_some_and(|x| &x.value == name))
            .filter(|(_, m)| {
                m.role
                    .as_ref()
                    .is_some_and(|r| r.value == Role::Controlplane)
            })
            .collect();
        if let Some(vip) = &c.vip {
            for (mname, m) in &cps {
                let Some(net) = lab.networks.get(&m.network.value) else {
                    continue;
                };
                if !net.cidr.value.contains(vip.value) {
                    out.push(
                        INFO.diag(format!(
                            "cluster `{name}`: VIP {} is outside network `{}` ({}) of control plane `{mname}`",
                            vip.value, m.network.value, net.cidr.value
                        ))
                        .with_path(at(&c.origin, "vip"))
                        .with_span(vip.span)
                        .with_help("a Layer 2 VIP must be an unused address in the control planes' subnet"),
                    );
                }
            }
        }
        let Some(ep) = &c.endpoint else {
            continue;
        };
        let Ok(ip) = Ipv4::parse(&ep.value) else {
            continue; // a DNS name
        };
        let is_cp = cps
            .iter()
            .any(|(_, m)| m.address.as_ref().is_some_and(|a| a.value == ip));
        let is_vip = c.vip.as_ref().is_some_and(|v| v.value == ip);
        if is_cp || is_vip || cps.is_empty() {
            continue;
        }
        let names: Vec<String> = cps
            .iter()
            .map(|(n, m)| match &m.address {
                Some(a) => format!("{n} ({})", a.value),
                None => n.to_string(),
            })
            .collect();
        out.push(
            INFO.diag(format!(
                "cluster `{name}`: endpoint {ip} is not the address of a control plane ({}) nor the cluster's vip",
                names.join(", ")
            ))
            .with_path(at(&c.origin, "endpoint"))
            .with_span(ep.span)
            .with_help("point `endpoint` at a control plane's address, or declare it as the cluster's `vip`"),
        );
    }
}
