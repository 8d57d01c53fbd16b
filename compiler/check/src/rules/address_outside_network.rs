//! HLC301 address-outside-network: an address that cannot work on the network it is declared
//! on, or a machine attached to a network of another site.

use crate::ext::{at, LabExt};
use hlc_diag::Diagnostic;
use hlc_model::types::Ipv4;
use hlc_model::{Lab, Network, Origin, Sp};

rule! {
    code: "HLC301",
    name: "address-outside-network",
    severity: Error,
    summary: "an address lies outside its network, is its network/broadcast address, or a machine is on another site's network",
    doc: r#"# HLC301 address-outside-network

**What.** One of:

* a machine's or host's `address` is not inside its `network`'s CIDR, or is the network address
  or the broadcast address of that CIDR (prefixes up to /30);
* a network's `gateway` is not a usable address inside its own CIDR;
* a machine or host is attached to a network that belongs to another site than the machine
  (a VM lives at its host's site).

**Why.** The static address is written into the Talos machine config and the cloud instance's
VNIC; an address outside the subnet has no route and the node never comes up. A home VM cannot
be plugged into an Oracle Cloud subnet.

**Example.**

```nickel
networks.home-lan.cidr = "192.168.68.0/24",
machines.talos-dev = { network = "home-lan", address = "192.168.1.100", … },
```

```text
error[HLC301]: machine `talos-dev` has address 192.168.1.100, outside network `home-lan` (192.168.68.0/24)
```

**Fix.** Choose an address inside the network's CIDR (not its first or last address), or attach
the machine to the network that holds its address.
"#,
}

fn check_address(
    what: &str,
    origin: &Origin,
    address: &Sp<Ipv4>,
    net_name: &str,
    net: &Network,
    out: &mut Vec<Diagnostic>,
) {
    let ip = address.value;
    let cidr = net.cidr.value;
    let msg = if !cidr.contains(ip) {
        format!("{what} has address {ip}, outside network `{net_name}` ({cidr})")
    } else if cidr.is_reserved_host(ip) {
        let which = if ip.to_u32() == cidr.first() {
            "network address"
        } else {
            "broadcast address"
        };
        format!("{what} has address {ip}, the {which} of network `{net_name}` ({cidr})")
    } else {
        return;
    };
    out.push(
        INFO.diag(msg)
            .with_path(at(origin, "address"))
            .with_span(address.span)
            .with_label(net.cidr.span, format!("`{net_name}` is {cidr}"))
            .with_help(format!(
                "use an address between {} and {} in {cidr}, or attach it to the network that holds {ip}",
                first_host(net),
                last_host(net)
            )),
    );
}

fn first_host(net: &Network) -> std::net::Ipv4Addr {
    let c = net.cidr.value;
    let off = u32::from(c.prefix() <= 30);
    std::net::Ipv4Addr::from(c.first().saturating_add(off))
}

fn last_host(net: &Network) -> std::net::Ipv4Addr {
    let c = net.cidr.value;
    let off = u32::from(c.prefix() <= 30);
    std::net::Ipv4Addr::from(c.last().saturating_sub(off))
}

fn check_site(
    what: &str,
    origin: &Origin,
    site: &str,
    network: &Sp<String>,
    net: &Network,
    out: &mut Vec<Diagnostic>,
) {
    if net.site.as_str() != site {
        out.push(
            INFO.diag(format!(
                "{what} is at site `{site}`, but network `{}` belongs to site `{}`",
                network.value, net.site.value
            ))
            .with_path(at(origin, "network"))
            .with_span(network.span)
            .with_label(
                net.site.span,
                format!(
                    "`{}` is declared at `{}` here",
                    network.value, net.site.value
                ),
            )
            .with_help(format!("attach it to a network of site `{site}`")),
        );
    }
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (n, h) in &lab.hosts {
        let what = format!("host `{n}`");
        if let Some(net) = lab.networks.get(h.network.as_str()) {
            check_address(&what, &h.origin, &h.address, &h.network, net, out);
            check_site(&what, &h.origin, &h.site, &h.network, net, out);
        }
    }
    for (n, m) in &lab.machines {
        let what = format!("machine `{n}`");
        let Some(net) = lab.networks.get(m.network.as_str()) else {
            continue;
        };
        if let Some(a) = &m.address {
            check_address(&what, &m.origin, a, &m.network, net, out);
        }
        if let Some(site) = lab.machine_site(m) {
            if lab.sites.contains_key(site) {
                check_site(&what, &m.origin, site, &m.network, net, out);
            }
        }
    }
    for (n, net) in &lab.networks {
        let Some(gw) = &net.gateway else { continue };
        let cidr = net.cidr.value;
        let bad = if !cidr.contains(gw.value) {
            Some("outside")
        } else if cidr.is_reserved_host(gw.value) {
            Some("not a usable address of")
        } else {
            None
        };
        if let Some(bad) = bad {
            out.push(
                INFO.diag(format!(
                    "gateway {} of network `{n}` is {bad} its CIDR {cidr}",
                    gw.value
                ))
                .with_path(at(&net.origin, "gateway"))
                .with_span(gw.span)
                .with_label(net.cidr.span, format!("`{n}` is {cidr}"))
                .with_help(format!(
                    "the gateway is usually the first usable address, {}",
                    first_host(net)
                )),
            );
        }
    }
}
