//! Resilience (issue 12): `HLC800`, a malformed duration, reported by the decoder
//! (`hlc_model::resilience`). The rules `HLC801`–`HLC808` are in [`crate::rules`].

use super::CodeDoc;

pub(super) static CODES: &[CodeDoc] = &[CodeDoc {
    code: "HLC800",
    summary: "a duration (backup retention) is not a whole number with a unit",
    doc: r#"# HLC800 invalid duration

**What.** A duration — a backup `retention` in `backups.defaults`, a policy or a service's
`backup` — is not a sequence of whole numbers, each followed by a unit: `m` (minutes), `h`
(hours), `d` (days), `w` (weeks). It must be more than zero and at most ten years.

**Why.** Retentions are compared with the store's lifecycle (HLC801) and the schedule's cadence
(HLC807), and rendered as Velero's `ttl` (`336h0m0s`): hlc needs the exact length, and a bare
`14` could mean days or hours.

**Example.** `error[HLC800]: `14` is not a duration: the last number has no unit`

**Fix.** Write `"14d"`, `"336h"`, `"2w"` or a sum such as `"1d12h"`.
"#,
}];
