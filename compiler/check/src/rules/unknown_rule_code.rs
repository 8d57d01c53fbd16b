//! HLC009 unknown-rule-code: a `policy.severity` override for a code no rule has.

use hlc_diag::Diagnostic;
use hlc_model::decode::{join, suggest};
use hlc_model::Lab;

rule! {
    code: "HLC009",
    name: "unknown-rule-code",
    severity: Warning,
    summary: "`policy.severity` names a rule code that does not exist",
    doc: r#"# HLC009 unknown-rule-code

**What.** A key of `policy.severity` is not the code of a rule of `hlc check` (`hlc rules`)
nor of a rule of the lab's own (`policy.rules`).

**Why.** The override does nothing: a typo (`HLC3O3`) leaves the rule at its default severity
while the configuration reads as if it were relaxed or tightened. Only the rules listed by
`hlc explain` can be overridden; decode errors (`HLC1xx`) cannot.

**Example.**

```nickel
policy.severity = { HLC3O3 = 'warning },
```

**Fix.** Use the rule's code (the help line suggests the closest one), or remove the override.
"#,
}

pub(crate) fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let codes = || crate::rules::rules().iter().map(|r| r.code);
    for (code, level) in &lab.policy.severity {
        if crate::rules::rules().iter().any(|r| r.code == code)
            || lab.policy.rules.iter().any(|r| r.code.value == *code)
        {
            continue;
        }
        let upper = code.to_ascii_uppercase();
        let help = match suggest(&upper, codes()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "run `hlc explain` for the list of rule codes".to_string(),
        };
        out.push(
            INFO.diag(format!(
                "`policy.severity` overrides `{code}`, which is not a rule code"
            ))
            .with_path(join(&join("policy", "severity"), code))
            .with_span(level.span)
            .with_help(help),
        );
    }
}
