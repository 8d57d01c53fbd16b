//! HLC304 oci-free-tier: an Oracle Cloud site marked `free_tier` uses more than the Always Free
//! allowance in force at the lab's `limits_at` date.

use crate::ext::{at, fmt_bytes, fmt_milli};
use hlc_diag::{Diagnostic, Span};
use hlc_model::{Lab, MachineKind, OciFreeTier, SiteKind};

rule! {
    code: "HLC304",
    name: "oci-free-tier",
    severity: Error,
    summary: "an Oracle Cloud free-tier site exceeds the Always Free allowance in force",
    doc: r#"# HLC304 oci-free-tier

**What.** For each site with `kind = 'oci` and `free_tier = true`, over its cloud machines:

* the OCPUs and the memory of the Ampere A1 instances (`shape = "VM.Standard.A1.Flex"`; a cloud
  machine without `shape` on an OCI site counts as A1.Flex);
* the block storage of all instances: their boot volumes (`disk`) and their block volumes
  (`block_volumes`) together, as Oracle counts them (boot volumes are never preserved: hlc
  renders `preserve_boot_volume = false`, so a terminated instance frees its share);

must fit the Always Free allowance in force. The finding points at the largest consumer of the
exceeded resource (the value to cut first; after adding an OCPU to one node of an even layout,
the line just edited), with a label on every other one. Allowances are dated tables in
`limits.oci_always_free` (shipped by the library, `lib/limits.ncl`); the table in force is the one
with the latest `from` on or before the lab's `limits_at`, or the newest table when `limits_at`
is not set. hlc never reads the clock: the same configuration always gives the same answer.
A `limits_at` earlier than every table is reported too.

**Why.** Going over the allowance on a free-tier account turns into a bill, or — on an account
without a payment method — instances that cannot be created or are reclaimed. Oracle changed the
A1 allowance from 4 OCPU / 24 GB to 2 OCPU / 12 GB from 2026-06-15: a layout that fit before no
longer does, and the finding says by how much and according to which table.

**Example.**

```text
error[HLC304]: site `oci` exceeds the Always Free allowance — A1 OCPUs: 4 used, 2 allowed by the
Always Free table in force from 2026-06-15 (oci-mgmt 1, oci-node-1 2, oci-node-2 1)
```

**Fix.** Shrink or remove instances until the site fits (the help line gives the amount to cut),
or set `free_tier = false` on the site if paying is intended. To check against an older table on
purpose, set `limits_at`.
"#,
}

pub(crate) const A1_FLEX: &str = "VM.Standard.A1.Flex";

/// The table in force, or `Err` with the finding when `limits_at` precedes every table.
fn table_in_force(lab: &Lab) -> Result<Option<&OciFreeTier>, Box<Diagnostic>> {
    let tables = &lab.limits.oci_always_free;
    match &lab.limits_at {
        None => Ok(tables.iter().max_by_key(|t| t.from.value)),
        Some(at_date) => {
            let t = tables
                .iter()
                .filter(|t| t.from.value <= at_date.value)
                .max_by_key(|t| t.from.value);
            match (t, tables.iter().min_by_key(|t| t.from.value)) {
                (Some(t), _) => Ok(Some(t)),
                (None, Some(earliest)) => Err(Box::new(INFO
                    .diag(format!(
                        "`limits_at` is {}, before every Always Free table (the earliest is in force from {})",
                        at_date.value, earliest.from.value
                    ))
                    .with_path("limits_at")
                    .with_span(at_date.span)
                    .with_label(earliest.from.span, "the earliest table starts here")
                    .with_help(format!(
                        "set `limits_at` to {} or later, or remove it to use the newest table",
                        earliest.from.value
                    )))),
                (None, None) => Ok(None),
            }
        }
    }
}

struct Use<'a> {
    name: &'a str,
    amount: u64,
    span: Option<Span>,
    path: String,
}

#[allow(clippy::too_many_arguments)]
fn over(
    out: &mut Vec<Diagnostic>,
    site: &str,
    what: &str,
    uses: &[Use],
    limit: u64,
    limit_span: Option<Span>,
    table: &OciFreeTier,
    fmt: impl Fn(u64) -> String,
) {
    let used: u64 = uses.iter().map(|u| u.amount).sum();
    if used <= limit {
        return;
    }
    // Point at the largest consumer (the last one among equals, in name order).
    let crossing = uses.iter().max_by_key(|u| u.amount);
    let list: Vec<String> = uses
        .iter()
        .map(|u| format!("{} {}", u.name, fmt(u.amount)))
        .collect();
    let mut d = INFO
        .diag(format!(
            "site `{site}` exceeds the Always Free allowance — {what}: {} used, {} allowed by the Always Free table in force from {} (used by {}; table source: {})",
            fmt(used),
            fmt(limit),
            table.from.value,
            list.join(", "),
            table.source
        ))
        .with_label(limit_span, format!("{what}: {} allowed from {}", fmt(limit), table.from.value))
        .with_help(format!(
            "cut {} of {what} on site `{site}`, or set `free_tier = false` if paying is intended",
            fmt(used - limit)
        ));
    if let Some(c) = crossing {
        d = d.with_path(c.path.clone()).with_span(c.span);
    }
    for u in uses {
        if crossing.is_some_and(|c| std::ptr::eq(c, u)) {
            continue;
        }
        d = d.with_label(u.span, format!("`{}` takes {}", u.name, fmt(u.amount)));
    }
    out.push(d);
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let sites: Vec<&str> = lab
        .sites
        .iter()
        .filter(|(_, s)| s.kind.value == SiteKind::Oci && s.free_tier.value)
        .map(|(n, _)| n.as_str())
        .collect();
    if sites.is_empty() {
        return;
    }
    let table = match table_in_force(lab) {
        Ok(Some(t)) => t,
        Ok(None) => {
            if let Some(s) = sites.first().and_then(|s| lab.sites.get(*s)) {
                out.push(
                    INFO.diag("no Always Free limits table is defined, so free-tier sites cannot be checked")
                        .with_path("limits.oci_always_free")
                        .with_span(s.free_tier.span)
                        .with_help("keep the library's default `limits`, or add a table"),
                );
            }
            return;
        }
        Err(d) => {
            out.push(*d);
            return;
        }
    };
    for site in sites {
        let machines: Vec<(&str, &hlc_model::Machine)> = lab
            .machines
            .iter()
            .filter(|(_, m)| {
                m.kind.value == MachineKind::Cloud
                    && m.site.as_ref().is_some_and(|s| s.as_str() == site)
            })
            .map(|(n, m)| (n.as_str(), m))
            .collect();
        let a1 = |m: &hlc_model::Machine| m.shape.as_ref().is_none_or(|s| s.as_str() == A1_FLEX);
        let ocpus: Vec<Use> = machines
            .iter()
            .filter(|(_, m)| a1(m))
            .map(|(n, m)| Use {
                name: n,
                amount: u64::from(m.cpu.value.0),
                span: m.cpu.span,
                path: at(&m.origin, "cpu"),
            })
            .collect();
        let memory: Vec<Use> = machines
            .iter()
            .filter(|(_, m)| a1(m))
            .map(|(n, m)| Use {
                name: n,
                amount: m.memory.value.0,
                span: m.memory.span,
                path: at(&m.origin, "memory"),
            })
            .collect();
        let volume_names: Vec<String> = machines
            .iter()
            .flat_map(|(n, m)| m.block_volumes.keys().map(move |v| format!("{n}/{v}")))
            .collect();
        let mut volume_names = volume_names.iter();
        let mut disks: Vec<Use> = Vec::new();
        for (n, m) in &machines {
            disks.push(Use {
                name: n,
                amount: m.disk.value.0,
                span: m.disk.span,
                path: at(&m.origin, "disk"),
            });
            for v in m.block_volumes.values() {
                disks.push(Use {
                    name: volume_names.next().map(String::as_str).unwrap_or(n),
                    amount: v.size.value.0,
                    span: v.size.span,
                    path: at(&v.origin, "size"),
                });
            }
        }
        over(
            out,
            site,
            "A1 OCPUs",
            &ocpus,
            u64::from(table.a1_ocpus.value.0),
            table.a1_ocpus.span,
            table,
            fmt_milli,
        );
        over(
            out,
            site,
            "A1 memory",
            &memory,
            table.a1_memory.value.0,
            table.a1_memory.span,
            table,
            fmt_bytes,
        );
        over(
            out,
            site,
            "block storage",
            &disks,
            table.block_storage.value.0,
            table.block_storage.span,
            table,
            fmt_bytes,
        );
    }
}
