//! HLC310 proxmox-default-datastore: a VM names no datastore and none can be derived from its
//! host, so the Proxmox provider would silently put its disks on `local-lvm`.

use hlc_diag::Diagnostic;
use hlc_model::{Lab, MachineKind, PROXMOX_DEFAULT_DATASTORE};

rule! {
    code: "HLC310",
    name: "proxmox-default-datastore",
    severity: Error,
    summary: "a VM has no `datastore` and its host declares neither a single datastore nor `local-lvm`",
    doc: r#"# HLC310 proxmox-default-datastore

**What.** A VM (`kind = 'vm`) without `datastore`, on a host whose datastores do not say where
its disks go. hlc derives a VM's datastore, in this order:

1. the VM's own `datastore`;
2. the host's only datastore, when `datastores` declares exactly one;
3. `local-lvm`, when the host declares a datastore of that name.

When none applies — the host declares several datastores and no `local-lvm`, or none at all —
the VM is reported. hlc always writes the datastore of every disk, EFI disk and boot medium
into the Terraform it renders, so the provider's default is never used.

**Why.** The Proxmox provider (bpg/proxmox) puts a disk, an EFI disk, a TPM state and a
cloud-init drive on `local-lvm` whenever `datastore_id` is left out. Many hosts have no
`local-lvm` (a ZFS install names it `local-zfs`; the reference lab uses `tank-vm`): `terraform
apply` then fails half-way, or — worse — the disk lands on the small system disk and the
capacity check (HLC303) counted it somewhere else.

**Example.**

```nickel
hosts.pve.datastores = { tank-vm = { size = "2TB" }, tank-iso = { kind = 'dir, size = "100GB" } },
machines.talos-dev = { kind = 'vm, host = "pve", … },   # no datastore: tank-vm or tank-iso?
```

**Fix.** Set `datastore = "<name>"` on the VM (one of its host's `datastores`), or declare the
host's datastores so that the choice is unambiguous.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (name, m) in &lab.machines {
        if m.kind.value != MachineKind::Vm || m.datastore.is_some() {
            continue;
        }
        let Some(host) = &m.host else { continue };
        let Some(h) = lab.hosts.get(host.as_str()) else {
            continue; // unknown host: HLC201
        };
        if h.default_datastore().is_some() {
            continue;
        }
        let declared: Vec<&str> = h.datastores.keys().map(String::as_str).collect();
        let why = if declared.is_empty() {
            format!("host `{}` declares no datastores", host.value)
        } else {
            format!(
                "host `{}` declares {} and no `{PROXMOX_DEFAULT_DATASTORE}`",
                host.value,
                declared
                    .iter()
                    .map(|d| format!("`{d}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let help = match declared.as_slice() {
            [] => format!(
                "set `datastore = \"<name>\"` on `{name}` and declare it in `hosts.{}.datastores`",
                host.value
            ),
            _ => format!(
                "set `datastore` on `{name}` to one of {}",
                declared.join(", ")
            ),
        };
        out.push(
            INFO.diag(format!(
                "VM `{name}` names no `datastore` and {why}: the Proxmox provider would put its disks on `{PROXMOX_DEFAULT_DATASTORE}`"
            ))
            .with_path(m.origin.path.clone())
            .with_span(host.span.or(m.origin.span))
            .with_help(help),
        );
    }
}
