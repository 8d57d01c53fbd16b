//! HLC702 talos-kubernetes-incompatible: a cluster's Kubernetes version is outside what its
//! Talos release supports.

use crate::ext::at;
use hlc_diag::Diagnostic;
use hlc_model::Lab;

rule! {
    code: "HLC702",
    name: "talos-kubernetes-incompatible",
    severity: Error,
    summary: "a cluster's Kubernetes version is not supported by its Talos release",
    doc: r#"# HLC702 talos-kubernetes-incompatible

**What.** A cluster's `kubernetes_version` lies outside the range its Talos release supports,
according to the dated support table in `lib/talos.ncl` (from the Talos support matrix).

**Why.** Each Talos release ships kubelet and control-plane integration for a window of
Kubernetes minors; outside it the kubelet refuses to start, `talosctl upgrade-k8s` refuses the
jump, or the control plane comes up with flags the version does not know.

**Example.**

```nickel
clusters.dev = { talos_version = "1.12.1", kubernetes_version = "1.29.0", … },
```

```text
error[HLC702]: cluster `dev`: Talos 1.12 supports Kubernetes 1.30.0 to 1.35.99, not 1.29.0
```

**Fix.** Choose a Kubernetes version in the range, or move the cluster to a Talos release that
supports the version you need.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (name, c) in &lab.clusters {
        // An unsupported Talos version is HLC701's finding.
        let Some(r) = lab
            .talos_support
            .iter()
            .find(|r| r.matches(&c.talos_version.value))
        else {
            continue;
        };
        let k = &c.kubernetes_version;
        if k.value >= r.kubernetes_min && k.value <= r.kubernetes_max {
            continue;
        }
        out.push(
            INFO.diag(format!(
                "cluster `{name}`: Talos {} supports Kubernetes {} to {}, not {}",
                r.talos, r.kubernetes_min, r.kubernetes_max, k.value
            ))
            .with_path(at(&c.origin, "kubernetes_version"))
            .with_span(k.span)
            .with_label(c.talos_version.span, format!("Talos {} here", r.talos))
            .with_help(format!(
                "set a Kubernetes version from {} to {}, or change the Talos release",
                r.kubernetes_min, r.kubernetes_max
            )),
        );
    }
}
