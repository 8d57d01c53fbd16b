//! HLC424 access-admits-everyone: a Cloudflare Access policy that would admit anyone who can
//! log in.

use crate::ext::at;
use hlc_diag::Diagnostic;
use hlc_model::{Exposure, Lab};

rule! {
    code: "HLC424",
    name: "access-admits-everyone",
    severity: Error,
    summary: "an `access` service names no group allowed through Cloudflare Access",
    doc: r#"# HLC424 access-admits-everyone

**What.** A service with `exposure = 'access` has no `groups`, and is not an admin service of a lab
with an `identity.admin_group` (which admin services default to).

**Why.** hlc derives the service's Access policy from its groups: the members of those identity
groups may pass. Without any group the only policies left are "everyone" or "any valid login" —
the seed's `policy mode any` that let every enrolled family member into the admin UIs (inventory
B7).

**Example.**

```nickel
services.omni = { exposure = 'access, admin = false, groups = [], … }
```

**Fix.** Set `groups = ["admin"]` (identity groups whose members may pass Access), or mark the
service `admin = true` to default to `identity.admin_group`.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (n, s) in &lab.services {
        if *s.exposure != Exposure::Access || !s.groups.is_empty() {
            continue;
        }
        if *s.admin && lab.identity.admin_group.is_some() {
            continue;
        }
        out.push(
            INFO.diag(format!(
                "the Access policy of `{n}` would admit everyone who can log in: no group is allowed"
            ))
            .with_path(at(&s.origin, "exposure"))
            .with_span(s.exposure.span)
            .with_help("set `groups = [\"<identity group>\"]` on the service"),
        );
    }
}
