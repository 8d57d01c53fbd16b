//! HLC425 oidc-without-client-secret: an OIDC service that declares no client secret.

use crate::ext::at;
use hlc_diag::Diagnostic;
use hlc_model::{Auth, Lab};

rule! {
    code: "HLC425",
    name: "oidc-without-client-secret",
    severity: Warning,
    summary: "a service with `auth = 'oidc` declares no `*-oidc-client-secret` secret",
    doc: r#"# HLC425 oidc-without-client-secret

**What.** A service with `auth = 'oidc` has no entry ending in `oidc-client-secret` in `secrets`.

**Why.** The Authentik blueprint of the service's OAuth2 provider reads the client secret from
that secret (through an environment variable of Authentik's worker), and the application reads
the same secret: one value, written once, SOPS-encrypted. Without it Authentik generates a secret
that someone must copy into the application by hand — the kind of untracked value that the seed
left as a plaintext placeholder.

**Example.**

```nickel
services.grafana = { auth = 'oidc, secrets = ["grafana-admin-password"], … }
```

**Fix.** Declare the secret (`secrets.grafana-oidc-client-secret = { file, key }`) and add it to
the service's `secrets`.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (n, s) in &lab.services {
        if *s.auth != Auth::Oidc {
            continue;
        }
        if s.secrets
            .iter()
            .any(|x| x.as_str().ends_with("oidc-client-secret"))
        {
            continue;
        }
        out.push(
            INFO.diag(format!(
                "service `{n}` signs in with OIDC but declares no client secret"
            ))
            .with_path(at(&s.origin, "auth"))
            .with_span(s.auth.span)
            .with_help(format!(
                "declare a secret `{n}-oidc-client-secret` and add it to the service's `secrets`"
            )),
        );
    }
}
