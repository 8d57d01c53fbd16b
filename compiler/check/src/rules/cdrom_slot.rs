//! HLC311 cdrom-slot: a VM's boot-media slot does not exist on its machine type (q35 has no
//! `ide1`/`ide3`), is malformed, or is the slot of its disk.

use crate::ext::at;
use hlc_diag::Diagnostic;
use hlc_model::{Lab, MachineKind};

rule! {
    code: "HLC311",
    name: "cdrom-slot",
    severity: Error,
    summary: "a VM's `cdrom` slot is invalid for its machine type (q35 has no ide1/ide3) or taken by its disk",
    doc: r#"# HLC311 cdrom-slot

**What.** A VM's `cdrom` (the drive its boot medium is attached to) must be a drive slot Proxmox
has: `ide0`–`ide3`, `sata0`–`sata5` or `scsi0`–`scsi30`. On a q35 machine type (`q35`,
`q35,viommu=…`, `pc-q35-…`) only `ide0` and `ide2` exist, so `ide1` and `ide3` are errors.
`scsi0` is where hlc puts the VM's disk, so the boot medium cannot go there either.

**Why.** The Proxmox provider puts a CD-ROM on `ide3` unless told otherwise, and `ide3` does
not exist on q35 — the VM is created, then fails to start. hlc renders every VM as UEFI + q35
and always writes the slot (the library's default is `ide2`), so a wrong slot can only come from
the configuration; this rule refuses it before `terraform apply` does.

**Example.**

```nickel
machines.talos-dev = { kind = 'vm, machine_type = "q35", cdrom = "ide3", … },
```

**Fix.** Use `ide2` (the library's default) or `ide0`, or a `sata`/`scsi` slot other than
`scsi0`; or use the i440fx machine type (`machine_type = "pc"`) if the VM needs `ide1`/`ide3`.
"#,
}

/// The highest index of each bus Proxmox offers.
const BUSES: [(&str, u32); 3] = [("ide", 3), ("sata", 5), ("scsi", 30)];

/// `(bus, index)` of a valid slot name.
fn slot(s: &str) -> Option<(&'static str, u32)> {
    BUSES.iter().find_map(|(bus, max)| {
        let n = s.strip_prefix(bus)?;
        if n.is_empty() || (n.len() > 1 && n.starts_with('0')) {
            return None;
        }
        let i: u32 = n.parse().ok()?;
        (i <= *max).then_some((*bus, i))
    })
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (name, m) in &lab.machines {
        if m.kind.value != MachineKind::Vm {
            continue;
        }
        let c = m.cdrom.value.as_str();
        let (problem, help) = match slot(c) {
            None => (
                format!("VM `{name}`: `{c}` is not a Proxmox drive slot"),
                "use `ide2` (the default), `ide0`, `sataN` (0–5) or `scsiN` (1–30)".to_string(),
            ),
            Some(("ide", 1 | 3)) if m.is_q35() => (
                format!(
                    "VM `{name}`: the q35 machine type (`{}`) has no `{c}`, only ide0 and ide2",
                    m.machine_type.value
                ),
                "use `cdrom = \"ide2\"` (or `ide0`, or a sata slot)".to_string(),
            ),
            Some(("scsi", 0)) => (
                format!(
                    "VM `{name}`: `scsi0` holds the VM's disk and cannot also hold its boot medium"
                ),
                "use `cdrom = \"ide2\"` (the default)".to_string(),
            ),
            Some(_) => continue,
        };
        let mut d = INFO
            .diag(problem)
            .with_path(at(&m.origin, "cdrom"))
            .with_span(m.cdrom.span.or(m.machine_type.span).or(m.origin.span))
            .with_help(help);
        if m.cdrom.span.is_some() {
            d = d.with_label(m.machine_type.span, "machine type");
        }
        out.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::slot;

    #[test]
    fn slots() {
        assert_eq!(slot("ide2"), Some(("ide", 2)));
        assert_eq!(slot("sata5"), Some(("sata", 5)));
        assert_eq!(slot("scsi30"), Some(("scsi", 30)));
        for bad in [
            "ide4", "sata6", "scsi31", "ide", "ide02", "virtio0", "IDE2", "ide-2",
        ] {
            assert_eq!(slot(bad), None, "{bad}");
        }
    }
}
