//! HLC425 inbound-port-on-cloud-node: a NodePort or LoadBalancer Service in a cluster that has
//! nodes at a cloud site.

use crate::ext::{at, LabExt};
use hlc_diag::Diagnostic;
use hlc_model::{Lab, Placement, ServiceType, SiteKind};

rule! {
    code: "HLC425",
    name: "inbound-port-on-cloud-node",
    severity: Error,
    summary: "a `node_port` or `load_balancer` service runs in a cluster with cloud nodes",
    doc: r#"# HLC425 inbound-port-on-cloud-node

**What.** A service with `service_type = 'node_port` or `'load_balancer` is placed in a cluster
of which at least one node is a machine at a cloud (`oci`) site.

**Why.** Zero Trust, the lab's first principle: no inbound port is open. Cloud nodes have public
addresses; a NodePort opens the port on every node of the cluster, and a LoadBalancer Service asks
the cloud for a public load balancer (on Oracle Cloud, also outside the free tier). Public traffic
enters through the Cloudflare Tunnel (outbound connections only), infrastructure through Twingate.

**Example.**

```nickel
services.grafana = { cluster = "cloud", service_type = 'load_balancer, … }
```

**Fix.** Leave `service_type` at `'cluster_ip` and publish the service through a tunnel
(`exposure = 'public` or `'access`, listed in `tunnels.<t>.services`) or reach it through Twingate
(`exposure = 'private`).
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (n, s) in &lab.services {
        if *s.service_type == ServiceType::ClusterIp {
            continue;
        }
        let Placement::Cluster(c) = &s.placement else {
            continue;
        };
        let cloud_node = lab.machines.iter().find(|(_, m)| {
            m.cluster.as_ref().is_some_and(|mc| mc.value == c.value)
                && lab
                    .machine_site(m)
                    .and_then(|site| lab.sites.get(site))
                    .is_some_and(|site| *site.kind == SiteKind::Oci)
        });
        let Some((mname, _)) = cloud_node else {
            continue;
        };
        out.push(
            INFO.diag(format!(
                "service `{n}` is a {} Service in cluster `{}`, whose node `{mname}` is a cloud machine: it opens an inbound port to the Internet",
                s.service_type.k8s(),
                c.value
            ))
            .with_path(at(&s.origin, "service_type"))
            .with_span(s.service_type.span)
            .with_help("keep `service_type = 'cluster_ip` and publish through the tunnel, or reach it through Twingate"),
        );
    }
}
