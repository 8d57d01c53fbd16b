//! HLC422 published-without-tunnel: a public hostname that no tunnel routes, or that two do.

use crate::ext::{at, at_index};
use hlc_diag::Diagnostic;
use hlc_model::{Exposure, Lab};
use std::collections::HashMap;

rule! {
    code: "HLC422",
    name: "published-without-tunnel",
    severity: Error,
    summary: "a `public` or `access` service is routed by no tunnel (no DNS record, no tunnel rule), or by several",
    doc: r#"# HLC422 published-without-tunnel

**What.** A service with `exposure = 'public` or `'access` (and so a hostname) is listed in no
`tunnels.<t>.services`, or in more than one.

**Why.** hlc renders a service's DNS record and tunnel rule from the tunnel that routes it. Without
one the hostname is promised (Homepage links to it, Authentik redirects to it) but does not
resolve; with two, two CNAMEs for one name conflict and Cloudflare keeps whichever came last.

**Example.**

```nickel
services.status = { exposure = 'public, hostname = "status", cluster = "cloud", … }
tunnels.cloud = { connector = "cloudflared-cloud", services = [] }
```

**Fix.** Add the service to the `services` of the tunnel whose connector runs in its cluster
(exactly one), or change its exposure.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    // Every tunnel route by service name, in tunnel then list order (one pass, not one per
    // service: labs have thousands of services).
    let mut routed: HashMap<&str, Vec<_>> = HashMap::new();
    for (tn, t) in &lab.tunnels {
        for (i, x) in t.services.iter().enumerate() {
            routed.entry(x.as_str()).or_default().push((tn, t, i, x));
        }
    }
    for (n, s) in &lab.services {
        if !matches!(*s.exposure, Exposure::Public | Exposure::Access) {
            continue;
        }
        let routes = routed
            .get(n.as_str())
            .map(Vec::as_slice)
            .unwrap_or_default();
        match routes {
            [] => out.push(
                INFO.diag(format!(
                    "service `{n}` is exposed but no tunnel routes it: its hostname gets no DNS record and no tunnel rule"
                ))
                .with_path(at(&s.origin, "exposure"))
                .with_span(s.exposure.span)
                .with_help(format!(
                    "add \"{n}\" to the `services` of the tunnel whose connector runs next to it"
                )),
            ),
            [_] => {}
            [_, rest @ ..] => {
                for (tn, t, i, x) in rest {
                    out.push(
                        INFO.diag(format!(
                            "service `{n}` is routed by more than one tunnel (also by `{tn}`): its DNS record would point at two tunnels"
                        ))
                        .with_path(at_index(&t.origin, "services", *i))
                        .with_span(x.span)
                        .with_help("route each service through exactly one tunnel"),
                    );
                }
            }
        }
    }
}
