//! The lab's policy applied to the findings: `policy.severity` maps a rule code to `'error`,
//! `'warning` or `'off`. Overrides naming no rule are reported (HLC009) before the overrides are
//! applied, so HLC009 itself can be silenced too. Only findings of this crate are affected.

use crate::rules::unknown_rule_code;
use hlc_diag::{Diagnostic, Severity};
use hlc_model::{Lab, Level};

pub(crate) fn apply(lab: &Lab, out: &mut Vec<Diagnostic>) {
    unknown_rule_code::check(lab, out);
    if lab.policy.severity.is_empty() {
        return;
    }
    out.retain_mut(
        |d| match lab.policy.severity.get(&d.code).map(|l| l.value) {
            None => true,
            Some(Level::Off) => false,
            Some(Level::Error) => {
                d.severity = Severity::Error;
                true
            }
            Some(Level::Warning) => {
                d.severity = Severity::Warning;
                true
            }
        },
    );
}
