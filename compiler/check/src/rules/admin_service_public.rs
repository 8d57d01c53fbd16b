//! HLC401 admin-service-public: an administrative UI published to the whole Internet.

use crate::ext::at;
use hlc_diag::Diagnostic;
use hlc_model::{Exposure, Lab};

rule! {
    code: "HLC401",
    name: "admin-service-public",
    severity: Error,
    summary: "a service marked `admin` is exposed `public`",
    doc: r#"# HLC401 admin-service-public

**What.** A service with `admin = true` has `exposure = 'public`.

**Why.** The lab's security model: public traffic reaches only user services, through the
Cloudflare Tunnel; admin UIs (Grafana, ArgoCD) sit behind Cloudflare Access plus Authentik SSO,
and infrastructure (Proxmox, Prometheus, Alertmanager) is reachable only through Twingate. A
public admin UI is one leaked or default password (Grafana ships admin/admin) away from a
compromised lab.

**Example.**

```nickel
services.argocd = { admin = true, exposure = 'public, hostname = "argocd", … }
```

**Fix.** Use `exposure = 'access` for an admin web UI people reach from anywhere (Cloudflare
Access in front, with `auth = 'oidc` or `'forward_auth` for SSO), or `exposure = 'private` for
infrastructure that only operators reach through Twingate.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (n, s) in &lab.services {
        if s.admin.value && s.exposure.value == Exposure::Public {
            out.push(
                INFO.diag(format!(
                    "admin service `{n}` is exposed `public`: anyone on the Internet reaches its login page"
                ))
                .with_path(at(&s.origin, "exposure"))
                .with_span(s.exposure.span)
                .with_label(s.admin.span, "marked admin here")
                .with_help(
                    "use `exposure = 'access` (Cloudflare Access + SSO) for an admin web UI, or `'private` (Twingate only) for infrastructure such as Proxmox",
                ),
            );
        }
    }
}
