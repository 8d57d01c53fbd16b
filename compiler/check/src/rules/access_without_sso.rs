//! HLC402 access-without-sso: an admin service behind Cloudflare Access without single sign-on.

use crate::ext::at;
use hlc_diag::Diagnostic;
use hlc_model::{Auth, Exposure, Lab};

rule! {
    code: "HLC402",
    name: "access-without-sso",
    severity: Warning,
    summary: "an admin service behind Cloudflare Access has no SSO (auth `none` or `local`)",
    doc: r#"# HLC402 access-without-sso

**What.** A service with `admin = true` and `exposure = 'access` has `auth = 'none` (the UI
itself asks for nothing after Access) or `auth = 'local` (its own user database).

**Why.** The lab's auth table says admin services are Cloudflare Access *plus* Authentik:
Access decides who may reach the page, SSO decides who they are inside it, and removing a user
from Authentik removes them everywhere. With `none`, anyone who passes Access is an admin; with
`local`, accounts (and default passwords, e.g. Grafana's admin/admin) live outside the identity
provider.

**Example.**

```nickel
services.grafana = { admin = true, exposure = 'access, auth = 'none, … }
```

**Fix.** Set `auth = 'oidc` (the app speaks OpenID Connect to Authentik) or
`auth = 'forward_auth` (Authentik's proxy in front of it).
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (n, s) in &lab.services {
        if !(s.admin.value && s.exposure.value == Exposure::Access) {
            continue;
        }
        let msg = match s.auth.value {
            Auth::None => format!(
                "admin service `{n}` relies on Cloudflare Access alone (`auth = 'none`): whoever passes Access is an admin"
            ),
            Auth::Local => format!(
                "admin service `{n}` uses its own logins behind Cloudflare Access (`auth = 'local`), outside the identity provider"
            ),
            Auth::Oidc | Auth::ForwardAuth => continue,
        };
        out.push(
            INFO.diag(msg)
                .with_path(at(&s.origin, "auth"))
                .with_span(s.auth.span)
                .with_help(
                    "set `auth = 'oidc` if the app supports OpenID Connect, else `'forward_auth`",
                ),
        );
    }
}
