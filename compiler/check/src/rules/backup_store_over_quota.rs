//! HLC805 backup-store-over-quota: the volumes backed up into a store do not fit its quota.

use crate::ext::fmt_bytes;
use hlc_diag::Diagnostic;
use hlc_model::Lab;
use std::collections::BTreeMap;

rule! {
    code: "HLC805",
    name: "backup-store-over-quota",
    severity: Error,
    summary: "the volumes backed up into a store exceed its declared quota",
    doc: r#"# HLC805 backup-store-over-quota

**What.** A store declares `quota`, and the persistent volumes of the services its policies back
up add up to more. Each service is counted once per store, with its declared `persistence`.

**Why.** That sum is a lower bound of what the store must hold: file-system backups are
deduplicated (kopia keeps one copy of unchanged data per repository), so later backups of the
same volume add only what changed — but the first full copy of every volume has to fit. A quota
below it means backups fail or (with a quota that is only a promise, as the lab's "10 GB Velero
quota" was) a bill. Retained history comes on top; leave room for it.

**Example.**

```text
error[HLC805]: store `oci` may hold 10GiB, but the volumes backed up into it are 16GiB before any history is kept (prometheus 10GiB, loki 5GiB, grafana 1GiB)
```

**Fix.** Back up less (a metrics store is usually rebuilt, not restored: `backup = { enabled =
false, reason = "…" }`), shrink the volumes, or raise the quota.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let plans = lab.backup_plans();
    for (name, store) in &lab.backups.stores {
        let Some(quota) = &store.quota else {
            continue;
        };
        let mut volumes: BTreeMap<&str, u64> = BTreeMap::new();
        for p in &plans {
            if !p.volumes || p.store.as_ref().map(|s| s.value.as_str()) != Some(name.as_str()) {
                continue;
            }
            for svc in &p.services {
                if let Some(size) = lab.services.get(*svc).and_then(|s| s.persistence.as_ref()) {
                    volumes.insert(svc, size.value.0);
                }
            }
        }
        let total: u64 = volumes.values().sum();
        if total <= quota.value.0 {
            continue;
        }
        let mut parts: Vec<(&str, u64)> = volumes.into_iter().collect();
        parts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let list = parts
            .iter()
            .map(|(n, b)| format!("{n} {}", fmt_bytes(*b)))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(
            INFO.diag(format!(
                "store `{name}` may hold {}, but the volumes backed up into it are {} before any history is kept ({list})",
                fmt_bytes(quota.value.0),
                fmt_bytes(total)
            ))
            .with_path(format!("{}.quota", store.origin.path))
            .with_span(quota.span)
            .with_help(
                "back up less (disposable data: `backup = { enabled = false, reason = \"…\" }`), shrink the volumes, or raise the quota",
            ),
        );
    }
}
