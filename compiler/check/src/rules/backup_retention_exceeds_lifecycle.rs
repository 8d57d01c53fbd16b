//! HLC801 backup-retention-exceeds-lifecycle: a backup is kept longer than its store keeps
//! objects.

use hlc_diag::Diagnostic;
use hlc_model::Lab;

rule! {
    code: "HLC801",
    name: "backup-retention-exceeds-lifecycle",
    severity: Error,
    summary: "a backup policy keeps backups longer than its store's lifecycle keeps objects",
    doc: r#"# HLC801 backup-retention-exceeds-lifecycle

**What.** A backup policy (`backups.policies.<name>`, or a service's own `backup`) has a
`retention` longer than `lifecycle.days` of the store it writes to
(`backups.stores.<store>.lifecycle.days`). The retention may come from `backups.defaults`;
the finding points at the line that set it.

**Why.** The backup tool believes a backup exists until its retention (Velero's `ttl`) ends,
while the bucket's lifecycle policy has already deleted its objects: the restore you reach for
in week three fails, and documentation that promises "30-day retention" is wrong. This is how a
weekly backup "kept 30 days" lives in a bucket that deletes objects after 14.

**Example.**

```nickel
backups.stores.oci.lifecycle.days = 14,
backups.policies.weekly = { cluster = "prod", schedule = "0 4 * * 0", retention = "30d" },
```

```text
error[HLC801]: backup policy `weekly` keeps backups 30d, but store `oci` deletes them after 14 days
```

**Fix.** Shorten the retention to at most the lifecycle, or lengthen the lifecycle. Leaving
`lifecycle.days` out lets hlc derive it from the retentions (the longest one, in whole days,
plus one day), which can never contradict them.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for plan in lab.backup_plans() {
        let Some(store_name) = &plan.store else {
            continue;
        };
        let Some(store) = lab.backups.stores.get(store_name.value.as_str()) else {
            continue;
        };
        let Some(days) = &store.lifecycle_days else {
            continue;
        };
        let retention = plan.retention.value.value;
        let limit = days.value.max(0) as u64 * 24 * 60;
        if retention.minutes <= limit {
            continue;
        }
        let what = match plan.release {
            Some(_) => format!("the backup of service `{}`", plan.name),
            None => format!("backup policy `{}`", plan.name),
        };
        out.push(
            INFO.diag(format!(
                "{what} keeps backups {retention}, but store `{}` deletes them after {} days",
                store_name.value.value, days.value
            ))
            .with_path(plan.retention.path.clone())
            .with_span(plan.retention.value.span)
            .with_label(
                days.span,
                format!("the lifecycle deletes backups after {} days here", days.value),
            )
            .with_help(format!(
                "keep backups at most {}d (`retention = \"{}d\"`), or raise `{}.lifecycle.days` to {} (or remove it: hlc then derives it from the retentions)",
                days.value,
                days.value,
                store.origin.path,
                retention.days_ceil()
            )),
        );
    }
}
