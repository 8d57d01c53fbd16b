//! HLC420 tunnel-unknown-service: a tunnel rule for a service that does not exist, or a tunnel
//! whose connector does not.

use crate::ext::{at, at_index};
use hlc_diag::Diagnostic;
use hlc_model::Lab;

rule! {
    code: "HLC420",
    name: "tunnel-unknown-service",
    severity: Error,
    summary: "a tunnel routes, or is served by, a service the lab does not declare",
    doc: r#"# HLC420 tunnel-unknown-service

**What.** An entry of `tunnels.<t>.services`, or `tunnels.<t>.connector`, names no service of
`services`.

**Why.** A tunnel rule is rendered as hostname → in-cluster URL of the named service; with no
service there is no hostname, no Kubernetes Service to point at and no DNS record: the seed's
tunnel pointed at `homepage.default`, a Service that did not exist, and answered 502 for months.
A connector that is not a service is deployed nowhere, so the tunnel has no cloudflared.

**Example.**

```nickel
tunnels.cloud = { connector = "cloudflared-cloud", services = ["homepgae"] }
```

**Fix.** Name an existing service (check the spelling), or remove the entry.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let known =
        |n: &str| lab.services.contains_key(n) || lab.broken.contains(&format!("services.{n}"));
    for (tname, t) in &lab.tunnels {
        if !known(t.connector.as_str()) {
            out.push(
                INFO.diag(format!(
                    "tunnel `{tname}` is served by connector `{}`, which is not a service",
                    t.connector.value
                ))
                .with_path(at(&t.origin, "connector"))
                .with_span(t.connector.span)
                .with_help("name the service that runs this tunnel's cloudflared"),
            );
        }
        for (i, s) in t.services.iter().enumerate() {
            if !known(s.as_str()) {
                out.push(
                    INFO.diag(format!(
                        "tunnel `{tname}` routes `{}`, which is not a service: its rule would point nowhere",
                        s.value
                    ))
                    .with_path(at_index(&t.origin, "services", i))
                    .with_span(s.span)
                    .with_help("name an existing service of `services`, or remove the entry"),
                );
            }
        }
    }
}
