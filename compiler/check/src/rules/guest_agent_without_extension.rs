//! HLC312 guest-agent-without-extension: a Talos VM enables the QEMU guest agent but its image
//! does not carry the `siderolabs/qemu-guest-agent` extension.

use crate::ext::at;
use hlc_diag::Diagnostic;
use hlc_model::{Lab, MachineKind, Os};

/// The official Talos extension that runs the QEMU guest agent.
pub const QEMU_GUEST_AGENT: &str = "siderolabs/qemu-guest-agent";

rule! {
    code: "HLC312",
    name: "guest-agent-without-extension",
    severity: Error,
    summary: "a Talos VM sets `guest_agent = true` but its cluster's image lacks `siderolabs/qemu-guest-agent`",
    doc: r#"# HLC312 guest-agent-without-extension

**What.** A Talos VM (`kind = 'vm`, `os = 'talos`) sets `guest_agent = true`, and its cluster's
`install.extensions` — the Image Factory schematic its boot ISO and installer are built from —
does not list `siderolabs/qemu-guest-agent`.

Without `guest_agent`, hlc derives it: the agent is enabled exactly when the image has the
extension, and a VM without it also gets `stop_on_destroy = true` (Proxmox cannot ask a missing
agent to shut the VM down). Setting `guest_agent = false` is always allowed.

**Why.** `agent.enabled = true` tells Proxmox to expect an agent inside the VM. Talos runs one
only from that extension; without it, every shutdown and reboot from Proxmox waits for a reply
that never comes, and the Terraform provider hangs for its 15-minute agent timeout on create and
on every refresh.

**Example.**

```nickel
clusters.dev.install.extensions = ["siderolabs/iscsi-tools"],
machines.talos-dev = { kind = 'vm, os = 'talos, cluster = "dev", guest_agent = true, … },
```

**Fix.** Add `"siderolabs/qemu-guest-agent"` to the cluster's `install.extensions` (the
schematic ID, the boot ISO and the installer image all follow), or remove `guest_agent` and let
hlc derive it.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for (name, m) in &lab.machines {
        let Some(agent) = &m.guest_agent else {
            continue;
        };
        if !agent.value || m.kind.value != MachineKind::Vm || m.os.value != Os::Talos {
            continue;
        }
        let Some((cname, c)) = m
            .cluster
            .as_ref()
            .and_then(|c| lab.clusters.get_key_value(c.as_str()))
        else {
            continue;
        };
        if c.install
            .extensions
            .iter()
            .any(|e| e.value == QEMU_GUEST_AGENT)
        {
            continue;
        }
        let mut d = INFO
            .diag(format!(
                "VM `{name}` enables the QEMU guest agent, but the Talos image of cluster `{cname}` does not include `{QEMU_GUEST_AGENT}`"
            ))
            .with_path(at(&m.origin, "guest_agent"))
            .with_span(agent.span)
            .with_help(format!(
                "add \"{QEMU_GUEST_AGENT}\" to `clusters.{cname}.install.extensions`, or remove `guest_agent` to derive it from the image"
            ));
        if let Some(first) = c.install.extensions.first() {
            d = d.with_label(first.span, format!("the extensions of cluster `{cname}`"));
        }
        out.push(d);
    }
}
