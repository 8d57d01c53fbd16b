//! HLC204 duplicate-vmid: two VMs with one VMID on hypervisors of the same site.

use crate::ext::at;
use hlc_diag::Diagnostic;
use hlc_model::{Lab, MachineKind};
use std::collections::BTreeMap;

rule! {
    code: "HLC204",
    name: "duplicate-vmid",
    severity: Error,
    summary: "two VMs on hosts of the same site share a VMID",
    doc: r#"# HLC204 duplicate-vmid

**What.** Two VMs have the same `vmid` and run on hosts of the same site.

**Why.** Proxmox VMIDs are unique across a whole Proxmox cluster, not per node: creating the
second VM fails, or — worse — Terraform adopts and reconfigures the first. hlc treats all hosts
of a site as one Proxmox cluster.

**Example.**

```nickel
machines.talos-dev = { host = "pve", vmid = 100, … },
machines.talos-prod-cp = { host = "pve", vmid = 100, … },
```

**Fix.** Give each VM its own VMID (Proxmox's convention: 100 and up).
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<(&str, i64), &str> = BTreeMap::new();
    for (name, m) in &lab.machines {
        let (Some(vmid), Some(host)) = (&m.vmid, &m.host) else {
            continue;
        };
        if m.kind.value != MachineKind::Vm {
            continue;
        }
        let Some(h) = lab.hosts.get(host.as_str()) else {
            continue;
        };
        let key = (h.site.as_str(), vmid.value);
        if let Some(first) = seen.get(&key) {
            let first_span = lab
                .machines
                .get(*first)
                .and_then(|f| f.vmid.as_ref())
                .and_then(|v| v.span);
            out.push(
                INFO.diag(format!(
                    "VM `{name}` has VMID {}, already used by VM `{first}` at site `{}`",
                    vmid.value, key.0
                ))
                .with_path(at(&m.origin, "vmid"))
                .with_span(vmid.span)
                .with_label(
                    first_span,
                    format!("`{first}` has VMID {} here", vmid.value),
                )
                .with_help("VMIDs are unique per Proxmox cluster: choose an unused one"),
            );
        } else {
            seen.insert(key, name);
        }
    }
}
