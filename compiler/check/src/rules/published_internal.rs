//! HLC403 published-internal: a hostname on a service that is not published.

use crate::ext::at;
use hlc_diag::Diagnostic;
use hlc_model::{Exposure, Lab};

rule! {
    code: "HLC403",
    name: "published-internal",
    severity: Warning,
    summary: "an `internal` or `private` service has a `hostname` that nothing publishes",
    doc: r#"# HLC403 published-internal

**What.** A service with `exposure = 'internal` or `'private` sets `hostname`.

**Why.** Only `public` and `access` services are published through the tunnel, so the hostname
is never used: no DNS record, no tunnel rule, no Access application. Usually the exposure was
changed and the hostname left behind — or the exposure is wrong and the service was meant to be
published.

**Example.**

```nickel
services.prometheus = { exposure = 'private, hostname = "prometheus", … }
```

**Fix.** Remove `hostname`, or set the exposure to `'access` if the service should be published.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (n, s) in &lab.services {
        let Some(h) = &s.hostname else { continue };
        let e = match s.exposure.value {
            Exposure::Internal => "internal",
            Exposure::Private => "private",
            Exposure::Public | Exposure::Access => continue,
        };
        out.push(
            INFO.diag(format!(
                "service `{n}` is `{e}` but has hostname `{}`, which nothing publishes",
                h.value
            ))
            .with_path(at(&s.origin, "hostname"))
            .with_span(h.span)
            .with_label(s.exposure.span, format!("exposure is `{e}` here"))
            .with_help("remove `hostname`, or set `exposure = 'access` to publish the service behind Cloudflare Access"),
        );
    }
}
