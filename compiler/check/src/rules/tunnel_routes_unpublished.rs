//! HLC423 tunnel-routes-unpublished: a tunnel routes a `private` or `internal` service.

use crate::ext::at_index;
use hlc_diag::Diagnostic;
use hlc_model::{Exposure, Lab};

rule! {
    code: "HLC423",
    name: "tunnel-routes-unpublished",
    severity: Error,
    summary: "a tunnel routes a `private` or `internal` service (infrastructure reachable other than through Twingate)",
    doc: r#"# HLC423 tunnel-routes-unpublished

**What.** A service listed in `tunnels.<t>.services` has `exposure = 'private` or `'internal`.

**Why.** A tunnel rule publishes the service on the Internet. A `private` service is
infrastructure (Proxmox, Prometheus, Alertmanager) that must be reachable only through Twingate;
an `internal` one must not be reachable from outside at all. The seed routed Proxmox, Prometheus
and Alertmanager through the tunnel while the docs said "Twingate only" (inventory B1/B2). It is
also what removing an admin UI's Access application looks like: the exposure leaves `'access`,
the tunnel still routes it — and nothing stands in front of it anymore.

**Example.**

```nickel
services.prometheus = { exposure = 'private, … }
tunnels.prod = { connector = "cloudflared-prod", services = ["prometheus"] }
```

**Fix.** Remove the service from the tunnel (Twingate reaches private services), or, for an admin
web UI, set `exposure = 'access` so that Cloudflare Access and SSO stand in front of it.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (tname, t) in &lab.tunnels {
        for (i, sname) in t.services.iter().enumerate() {
            let Some(s) = lab.services.get(sname.as_str()) else {
                continue;
            };
            let msg = match *s.exposure {
                Exposure::Private => format!(
                    "tunnel `{tname}` publishes `{}`, which is `private`: infrastructure must be reachable only through Twingate",
                    sname.value
                ),
                Exposure::Internal => format!(
                    "tunnel `{tname}` publishes `{}`, which is `internal` and has no Access application in front of it",
                    sname.value
                ),
                Exposure::Public | Exposure::Access => continue,
            };
            out.push(
                INFO.diag(msg)
                    .with_path(at_index(&t.origin, "services", i))
                    .with_span(sname.span)
                    .with_label(s.exposure.span, "exposure set here")
                    .with_help(format!(
                        "remove \"{}\" from the tunnel, or set `exposure = 'access` to put Cloudflare Access in front of it",
                        sname.value
                    )),
            );
        }
    }
}
