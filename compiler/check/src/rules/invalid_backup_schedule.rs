//! HLC804 invalid-backup-schedule: a backup schedule is not a five-field cron expression that
//! ever runs.

use hlc_diag::Diagnostic;
use hlc_model::resilience::Schedule;
use hlc_model::Lab;
use std::collections::BTreeSet;

rule! {
    code: "HLC804",
    name: "invalid-backup-schedule",
    severity: Error,
    summary: "a backup schedule is not a valid five-field cron expression",
    doc: r#"# HLC804 invalid-backup-schedule

**What.** A `schedule` (of `backups.defaults`, a policy, or a service's `backup`) does not parse
as a five-field cron expression — minute, hour, day of month, month, day of week, in UTC — or
matches no date at all (`0 0 30 2 *`). The descriptors `@hourly`, `@daily`, `@weekly`,
`@monthly` and `@yearly` are accepted. hlc parses schedules with the `croner` crate.

**Why.** Velero reads the schedule only when the `Schedule` is applied in the cluster; a typo
there is a backup that never runs, discovered when you need it. Six-field patterns (seconds
first, as in Quartz or Spring) are refused: Velero's parser reads five fields.

**Example.**

```text
error[HLC804]: `0 3 * *` is not a valid backup schedule: a schedule has 5 fields (minute hour day-of-month month day-of-week), this one has 4
```

**Fix.** Write five fields, e.g. `"0 3 * * *"` (every day at 03:00 UTC) or `"0 4 * * 0"`
(every Sunday at 04:00 UTC). Valid schedules are described in words in the rendered Velero
`Schedule`'s annotation and in HLC807's messages.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let d = &lab.backups.defaults.schedule;
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut all = vec![(d, "backups.defaults.schedule".to_string())];
    for p in lab.backup_plans() {
        all.push((p.schedule.value, p.schedule.path.clone()));
    }
    for (value, path) in all {
        if !seen.insert(path.clone()) {
            continue;
        }
        if let Err(why) = Schedule::parse(&value.value) {
            out.push(
                INFO.diag(format!(
                    "`{}` is not a valid backup schedule: {why}",
                    value.value
                ))
                .with_path(path)
                .with_span(value.span)
                .with_help(
                    "write five fields — minute hour day-of-month month day-of-week, in UTC — e.g. \"0 3 * * *\" (every day at 03:00 UTC) or \"0 4 * * 0\" (every Sunday at 04:00 UTC)",
                ),
            );
        }
    }
}
