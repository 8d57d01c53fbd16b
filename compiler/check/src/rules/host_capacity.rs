//! HLC303 host-capacity: the VMs of a hypervisor need more vCPUs, memory or disk than it has,
//! after the host's overcommit ratios.

use crate::ext::{at, fmt_bytes, fmt_milli};
use hlc_diag::{Diagnostic, Span};
use hlc_model::decode::join;
use hlc_model::{Lab, MachineKind};
use std::collections::BTreeMap;

rule! {
    code: "HLC303",
    name: "host-capacity",
    severity: Error,
    summary: "the VMs on a hypervisor exceed its CPU threads, memory or datastore size (after overcommit)",
    doc: r#"# HLC303 host-capacity

**What.** For each hypervisor, over the VMs whose `host` is that hypervisor:

* the sum of their `cpu` exceeds `threads × overcommit.cpu`;
* the sum of their `memory` exceeds `(memory − reserved_memory) × overcommit.memory`;
* for each datastore, the sum of the `disk` of the VMs stored on it exceeds
  `size × overcommit.disk`. A VM without `datastore` counts against the datastore its disks
  are rendered on: the host's only datastore, else a declared `local-lvm` (otherwise HLC310
  reports the VM).

One finding per exceeded resource, pointing at the host's value, with a label on each VM.

**Why.** An over-committed host starts VMs that then fight for memory (the OOM killer or
ballooning takes down a cluster node) or fills its pool (a full ZFS pool stops every VM on it).
Overcommit is a choice the lab states in `overcommit`, not an accident.

**Example.** The seed's host has 16 threads; its VMs take 2 + 2 + 6 = 10 vCPUs, which fits. Add
the planned 8-vCPU gaming VM and it needs 18:

```text
error[HLC303]: host `pve`: VMs need 18 vCPUs, 16 available (16 threads × overcommit 1)
```

**Fix.** Shrink or move VMs, or raise the host's `overcommit` ratio if you accept the
contention (CPU overcommit is usually harmless; memory and disk overcommit rarely are).
"#,
}

struct Vm<'a> {
    name: &'a str,
    amount: u64,
    span: Option<Span>,
}

#[allow(clippy::too_many_arguments)]
fn report(
    out: &mut Vec<Diagnostic>,
    host: &str,
    what: &str,
    path: String,
    span: Option<Span>,
    used: String,
    avail: String,
    formula: String,
    vms: &[Vm],
    fmt: impl Fn(u64) -> String,
) {
    let list: Vec<String> = vms
        .iter()
        .map(|v| format!("{} {}", v.name, fmt(v.amount)))
        .collect();
    let mut d = INFO
        .diag(format!(
            "host `{host}`: VMs need {used} {what}, {avail} available ({formula}): {}",
            list.join(", ")
        ))
        .with_path(path)
        .with_span(span)
        .with_help(format!(
            "shrink or move VMs off `{host}`, or raise its `overcommit` ratio if the contention is acceptable"
        ));
    for v in vms {
        d = d.with_label(v.span, format!("`{}` takes {}", v.name, fmt(v.amount)));
    }
    out.push(d);
}

/// `used > capacity` with a small tolerance for ratios such as 1.1.
fn exceeds(used: u64, capacity: f64) -> bool {
    used as f64 > capacity * (1.0 + 1e-9)
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let mut by_host: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (n, m) in &lab.machines {
        if m.kind.value != MachineKind::Vm {
            continue;
        }
        if let Some(h) = &m.host {
            by_host.entry(h.as_str()).or_default().push(n);
        }
    }
    for (host_name, vm_names) in &by_host {
        let Some(h) = lab.hosts.get(*host_name) else {
            continue;
        };
        let vms: Vec<(&str, &hlc_model::Machine)> = vm_names
            .iter()
            .filter_map(|n| lab.machines.get(*n).map(|m| (*n, m)))
            .collect();

        // CPU, in thousandths.
        let cpu: Vec<Vm> = vms
            .iter()
            .map(|(n, m)| Vm {
                name: n,
                amount: u64::from(m.cpu.value.0),
                span: m.cpu.span,
            })
            .collect();
        let used: u64 = cpu.iter().map(|v| v.amount).sum();
        let threads = h.threads.value.max(0) as f64;
        let cap = threads * h.overcommit.cpu.value * 1000.0;
        if exceeds(used, cap) {
            report(
                out,
                host_name,
                "vCPUs",
                at(&h.origin, "threads"),
                h.threads.span,
                fmt_milli(used),
                fmt_milli(cap as u64),
                format!(
                    "{} threads × overcommit {}",
                    h.threads.value, h.overcommit.cpu.value
                ),
                &cpu,
                fmt_milli,
            );
        }

        // Memory.
        let mem: Vec<Vm> = vms
            .iter()
            .map(|(n, m)| Vm {
                name: n,
                amount: m.memory.value.0,
                span: m.memory.span,
            })
            .collect();
        let used: u64 = mem.iter().map(|v| v.amount).sum();
        let usable = h.memory.value.0.saturating_sub(h.reserved_memory.value.0);
        let cap = usable as f64 * h.overcommit.memory.value;
        if exceeds(used, cap) {
            report(
                out,
                host_name,
                "of memory",
                at(&h.origin, "memory"),
                h.memory.span,
                fmt_bytes(used),
                fmt_bytes(cap as u64),
                format!(
                    "({} − {} reserved) × overcommit {}",
                    fmt_bytes(h.memory.value.0),
                    fmt_bytes(h.reserved_memory.value.0),
                    h.overcommit.memory.value
                ),
                &mem,
                fmt_bytes,
            );
        }

        // Disk, per datastore.
        let mut per_ds: BTreeMap<&str, Vec<Vm>> = BTreeMap::new();
        for (n, m) in &vms {
            if let Some(ds) = m.datastore_on(h) {
                per_ds.entry(ds).or_default().push(Vm {
                    name: n,
                    amount: m.disk.value.0,
                    span: m.disk.span,
                });
            }
        }
        for (ds_name, disks) in &per_ds {
            let Some(ds) = h.datastores.get(*ds_name) else {
                continue; // unknown datastore: HLC201
            };
            let used: u64 = disks.iter().map(|v| v.amount).sum();
            let cap = ds.size.value.0 as f64 * h.overcommit.disk.value;
            if exceeds(used, cap) {
                report(
                    out,
                    host_name,
                    &format!("of disk on datastore `{ds_name}`"),
                    join(&join(&at(&h.origin, "datastores"), ds_name), "size"),
                    ds.size.span,
                    fmt_bytes(used),
                    fmt_bytes(cap as u64),
                    format!(
                        "{} × overcommit {}",
                        fmt_bytes(ds.size.value.0),
                        h.overcommit.disk.value
                    ),
                    disks,
                    fmt_bytes,
                );
            }
        }
    }
}
