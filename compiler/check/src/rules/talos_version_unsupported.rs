//! HLC701 talos-version-unsupported: a cluster's Talos version is not one hlc renders.

use crate::ext::at;
use hlc_diag::Diagnostic;
use hlc_model::Lab;

rule! {
    code: "HLC701",
    name: "talos-version-unsupported",
    severity: Error,
    summary: "a cluster's Talos version is not a release hlc can render machine configs for",
    doc: r#"# HLC701 talos-version-unsupported

**What.** A cluster's `talos_version` belongs to a Talos minor release that is not in the
library's support table (`lib/talos.ncl`, `talos_support` of the lab). The message lists the
supported releases.

**Why.** The machine-config document shape changes between Talos minors (1.13 removed
`machine.network` from the `v1alpha1` document; new document kinds appear). hlc only writes the
shapes it knows and validates against the upstream schema of that release; for any other
version it would write a config that Talos may reject or silently ignore parts of.

**Example.**

```nickel
clusters.dev.talos_version = "1.9.5",
```

```text
error[HLC701]: cluster `dev` uses Talos 1.9.5, which hlc cannot render (supported: 1.12, 1.13)
```

**Fix.** Use a supported release (upgrade the nodes with `talosctl upgrade` first if they run an
older one), or add the release to `lib/talos.ncl` together with renderer support and its schema.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    // A lab evaluated with the library always has the table; without one (a model built by
    // hand, e.g. in tests) there is nothing to compare with.
    if lab.talos_support.is_empty() {
        return;
    }
    let supported: Vec<&str> = lab.talos_support.iter().map(|r| r.talos.as_str()).collect();
    for (name, c) in &lab.clusters {
        let v = &c.talos_version;
        if lab.talos_support.iter().any(|r| r.matches(&v.value)) {
            continue;
        }
        out.push(
            INFO.diag(format!(
                "cluster `{name}` uses Talos {}, which hlc cannot render (supported: {})",
                v.value,
                supported.join(", ")
            ))
            .with_path(at(&c.origin, "talos_version"))
            .with_span(v.span)
            .with_help(format!(
                "use a release of Talos {} (lib/talos.ncl lists what hlc renders)",
                supported.join(" or ")
            )),
        );
    }
}
