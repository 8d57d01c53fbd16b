//! The lab's own rules (`policy.rules`): Nickel functions over the evaluated lab, run by the
//! library's `finalize` during evaluation. Their findings arrive here as data
//! ([`hlc_model::UserFinding`], already mapped to spans by the decoder) and become diagnostics
//! with the rule's code, severity, message and help, so that severities, suppressions and every
//! output format treat them like built-in rules.

use hlc_diag::{Diagnostic, Severity};
use hlc_model::{Lab, Level};

pub(crate) fn findings(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for f in &lab.policy.findings {
        let at = format!("policy.rules[{}]", f.rule);
        let Some(rule) = lab.policy.rules.iter().find(|r| r.at == at) else {
            continue; // the rule did not decode; its error is reported
        };
        let severity = match rule.severity.value {
            Level::Error => Severity::Error,
            _ => Severity::Warning,
        };
        let help = rule.help.clone().unwrap_or_else(|| {
            format!(
                "`{}` is a rule of this lab (`{at}`); see its definition",
                rule.code.value
            )
        });
        out.push(
            Diagnostic::error(
                rule.code.value.clone(),
                f.message
                    .clone()
                    .unwrap_or_else(|| rule.message.value.clone()),
            )
            .with_severity(severity)
            .with_path(f.path.clone())
            .with_span(f.span)
            .with_label(
                rule.code.span,
                format!("rule `{}` declared here", rule.code.value),
            )
            .with_help(help),
        );
    }
}
