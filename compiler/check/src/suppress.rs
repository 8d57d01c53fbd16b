//! Suppressions (`policy.suppress`): findings allowed on purpose, with a justification and an
//! optional expiry compared with the date the caller passes ([`crate::CheckOptions::today`]),
//! never the clock. Expired suppressions do not apply and are reported (HLC002); suppressions
//! that allowed nothing are reported (HLC001). Only findings of this crate (built-in rules and
//! the lab's own rules) can be suppressed; decode errors cannot.

use crate::rules::{expired_suppression, unused_suppression};
use hlc_diag::Diagnostic;
use hlc_model::types::Date;
use hlc_model::Lab;

fn date(d: &Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

pub(crate) fn apply(lab: &Lab, today: Option<Date>, out: &mut Vec<Diagnostic>) {
    let mut notes: Vec<Diagnostic> = Vec::new();
    for s in &lab.policy.suppress {
        let what = match &s.path {
            Some(p) => format!("`{}` at `{}`", s.code.value, p.value),
            None => format!("`{}`", s.code.value),
        };
        if let (Some(exp), Some(today)) = (&s.expires, today) {
            if today > exp.value {
                notes.push(
                    expired_suppression::INFO
                        .diag(format!(
                            "the suppression of {what} expired on {} (today is {})",
                            date(&exp.value),
                            date(&today)
                        ))
                        .with_path(format!("{}.expires", s.at))
                        .with_span(exp.span)
                        .with_help("fix the finding and remove the suppression, or move `expires` forward with a reason"),
                );
                continue;
            }
        }
        let before = out.len();
        out.retain(|d| !s.matches(&d.code, d.path.as_deref()));
        if out.len() == before {
            let help = if s.path.is_some() {
                "remove it, or correct its `code` / `path` (`hlc check --format json` shows each finding's path)"
            } else {
                "remove it, or correct its `code`"
            };
            notes.push(
                unused_suppression::INFO
                    .diag(format!("the suppression of {what} matches no finding"))
                    .with_path(s.at.clone())
                    .with_span(s.code.span.or(s.span))
                    .with_help(help),
            );
        }
    }
    out.extend(notes);
}
