//! HLC807 backup-gap: a schedule runs less often than its backups are kept.

use hlc_diag::Diagnostic;
use hlc_model::resilience::{Duration, Schedule};
use hlc_model::Lab;

rule! {
    code: "HLC807",
    name: "backup-gap",
    severity: Warning,
    summary: "a backup schedule runs less often than its backups are kept, leaving times with no backup",
    doc: r#"# HLC807 backup-gap

**What.** The longest time between two runs of a policy's `schedule` (measured over four
calendar years, in UTC) is longer than its `retention`: each backup expires before the next one
is taken.

**Why.** Between the expiry of one backup and the next run there is nothing to restore. A
weekly schedule with a three-day retention has no backup four days a week.

**Example.**

```text
warning[HLC807]: backup policy `weekly` runs every Sunday at 04:00 UTC (up to 7d apart) but keeps each backup 3d: up to 4d with no backup at all
```

**Fix.** Keep backups at least as long as the longest gap between runs, or run more often.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for plan in lab.backup_plans() {
        let Ok(schedule) = Schedule::parse(&plan.schedule.value.value) else {
            continue; // HLC804
        };
        let Some(cadence) = schedule.cadence() else {
            continue;
        };
        let retention = plan.retention.value.value;
        if cadence.max_gap <= retention {
            continue;
        }
        let what = match plan.release {
            Some(_) => format!("the backup of service `{}`", plan.name),
            None => format!("backup policy `{}`", plan.name),
        };
        let gap = Duration::from_minutes(cadence.max_gap.minutes - retention.minutes);
        out.push(
            INFO.diag(format!(
                "{what} runs {} (up to {} apart) but keeps each backup {retention}: up to {gap} with no backup at all",
                schedule.describe(),
                cadence.max_gap
            ))
            .with_path(plan.retention.path.clone())
            .with_span(plan.retention.value.span)
            .with_label(plan.schedule.value.span, "scheduled here")
            .with_help(format!(
                "keep backups at least {} (`retention = \"{}\"`), or run it more often",
                cadence.max_gap, cadence.max_gap
            )),
        );
    }
}
