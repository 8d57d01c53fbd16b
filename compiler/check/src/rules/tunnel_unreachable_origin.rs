//! HLC421 tunnel-unreachable-origin: a service routed through a tunnel whose connector cannot
//! reach it.

use crate::ext::at_index;
use hlc_diag::Diagnostic;
use hlc_model::{Lab, Placement};

rule! {
    code: "HLC421",
    name: "tunnel-unreachable-origin",
    severity: Error,
    summary: "a tunnel routes a service its connector cannot reach",
    doc: r#"# HLC421 tunnel-unreachable-origin

**What.** A service listed in `tunnels.<t>.services` runs somewhere the tunnel's connector
cannot reach: in another cluster than the connector's (its `*.svc.cluster.local` name does not
resolve there), or, for a connector on a machine, anywhere but that machine.

**Why.** The seed ran one tunnel whose ingress mixed `localhost` origins of the management VM,
`*.svc.cluster.local` names of the cloud cluster and home-LAN addresses, served by connectors that
could each reach only some of them (inventory A7/A8): every request landing on the wrong
connector failed with 502, at random. One tunnel per connector location, routing only what that
connector reaches, makes every rule work from every replica.

**Example.**

```nickel
services.cloudflared-cloud = { cluster = "cloud", … }
services.grafana = { cluster = "prod", … }
tunnels.cloud = { connector = "cloudflared-cloud", services = ["grafana"] }
```

**Fix.** Route the service through the tunnel whose connector runs next to it (add a tunnel and
a cloudflared in that cluster if there is none).
"#,
}

fn place(p: &Placement) -> String {
    format!("{} `{}`", p.kind(), p.name().value)
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (tname, t) in &lab.tunnels {
        let Some(conn) = lab.services.get(t.connector.as_str()) else {
            continue;
        };
        for (i, sname) in t.services.iter().enumerate() {
            let Some(s) = lab.services.get(sname.as_str()) else {
                continue;
            };
            let reachable = match (&conn.placement, &s.placement) {
                (Placement::Cluster(a), Placement::Cluster(b)) => a.value == b.value,
                (Placement::Machine(a), Placement::Machine(b)) => a.value == b.value,
                _ => false,
            };
            if reachable {
                continue;
            }
            out.push(
                INFO.diag(format!(
                    "tunnel `{tname}` routes `{}`, which runs on {}, but its connector `{}` runs on {} and cannot reach it",
                    sname.value,
                    place(&s.placement),
                    t.connector.value,
                    place(&conn.placement)
                ))
                .with_path(at_index(&t.origin, "services", i))
                .with_span(sname.span)
                .with_label(t.connector.span, "connector declared here")
                .with_help(format!(
                    "route `{}` through a tunnel whose connector runs on {}",
                    sname.value,
                    place(&s.placement)
                )),
            );
        }
    }
}
