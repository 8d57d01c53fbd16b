//! The parts of `policy` beyond severities: suppressions and the lab's own rules.
//!
//! * `policy.suppress = [{ code, path?, justification, expires? }]` — findings allowed on purpose.
//!   A justification is required and must say something (HLC003); `expires` is a date.
//! * `policy.rules = [{ code, severity, message, help?, check }]` — rules written in Nickel. The
//!   library's `finalize` (see `lib/hlc.ncl`) runs every `check` over the evaluated lab inside
//!   Nickel and exports `policy.findings = [{ rule, target }]` as plain data: `rule` indexes
//!   `policy.rules`, `target` is what `check` returned (a config path string, an array of names,
//!   or `{ path, message }`). Decoding validates the rules (HLC005) and [`resolve`] maps each
//!   target to the span of the configuration value it names (HLC006 when it names nothing).

use crate::decode::{join, Decoder, Rec, Sp};
use crate::model::Level;
use crate::types::Date;
use hlc_diag::{Diagnostic, Node, Span, Value};
use serde::Serialize;

/// A finding allowed on purpose.
#[derive(Clone, Debug, Serialize)]
pub struct Suppression {
    /// The code it allows (a built-in rule or a rule of `policy.rules`).
    pub code: Sp<String>,
    /// Config path it is limited to (and everything below it); `None`: every finding of `code`.
    pub path: Option<Sp<String>>,
    pub justification: Sp<String>,
    /// Last day the suppression holds, compared with the date passed to `hlc check --date`.
    pub expires: Option<Sp<Date>>,
    /// `policy.suppress[i]`.
    pub at: String,
    #[serde(skip)]
    pub span: Option<Span>,
}

impl Suppression {
    /// Whether this suppression covers a finding with `code` at config path `path`.
    pub fn matches(&self, code: &str, path: Option<&str>) -> bool {
        if self.code.value != code {
            return false;
        }
        match (&self.path, path) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(s), Some(p)) => {
                p == s.value
                    || p.strip_prefix(s.value.as_str())
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            }
        }
    }
}

/// A rule of the lab's own, written in Nickel.
#[derive(Clone, Debug, Serialize)]
pub struct UserRule {
    pub code: Sp<String>,
    pub severity: Sp<Level>,
    pub message: Sp<String>,
    pub help: Option<String>,
    /// `policy.rules[i]`.
    pub at: String,
}

/// One config value a user rule found.
#[derive(Clone, Debug, Serialize)]
pub struct UserFinding {
    /// Index into `policy.rules`.
    pub rule: usize,
    /// The config path, as written by `hlc` (`services.home`).
    pub path: String,
    /// The path as names (a name may contain a dot).
    #[serde(skip)]
    pub segments: Vec<String>,
    /// A message of its own, else the rule's.
    pub message: Option<String>,
    /// The span of the value at `path`, once [`resolve`]d; `None` when the path names nothing.
    #[serde(skip)]
    pub span: Option<Span>,
}

const CODE_HELP: &str =
    "a rule code is 2-32 upper-case letters, digits, `-` or `_`, starting with a letter, e.g. \"LAB001\"; `HLC` codes belong to hlc";

fn valid_code(c: &str) -> bool {
    let b = c.as_bytes();
    (2..=32).contains(&b.len())
        && b[0].is_ascii_uppercase()
        && b.iter()
            .all(|x| x.is_ascii_uppercase() || x.is_ascii_digit() || *x == b'-' || *x == b'_')
        && !c.starts_with("HLC")
}

fn req_str(d: &mut Decoder, r: &mut Rec, name: &'static str) -> Option<Sp<String>> {
    r.req(d, name).and_then(|(n, p)| d.string(n, &p))
}

fn opt_str(d: &mut Decoder, r: &mut Rec, name: &'static str) -> Option<Sp<String>> {
    r.opt(name).and_then(|(n, p)| d.string(n, &p))
}

/// Decodes `policy.suppress`, `policy.rules` and `policy.findings` from the policy record.
pub(crate) fn decode(
    d: &mut Decoder,
    r: &mut Rec,
) -> (Vec<Suppression>, Vec<UserRule>, Vec<UserFinding>) {
    let suppress = match r.opt("suppress") {
        Some((n, p)) => d.list(n, &p, decode_suppression),
        None => Vec::new(),
    };
    let mut rule_count = 0usize;
    let rules = match r.opt("rules") {
        Some((n, p)) => {
            if let Value::Array(a) = &n.value {
                rule_count = a.len();
            }
            d.list(n, &p, decode_rule)
        }
        None => Vec::new(),
    };
    let mut seen: std::collections::BTreeMap<String, String> = Default::default();
    for rule in &rules {
        if let Some(first) = seen.insert(rule.code.value.clone(), rule.at.clone()) {
            d.error(
                "HLC005",
                format!(
                    "rule code `{}` is declared twice (first at `{first}`)",
                    rule.code.value
                ),
                rule.code.span,
                &join(&rule.at, "code"),
                "give every rule of `policy.rules` its own code",
            );
        }
    }
    let findings = match r.opt("findings") {
        Some((n, p)) => d.list(n, &p, |d, n, _| decode_finding(d, n, rule_count)),
        None => Vec::new(),
    };
    (suppress, rules, findings)
}

fn decode_suppression(d: &mut Decoder, n: &Node, p: &str) -> Option<Suppression> {
    let mut r = d.record(n, p)?;
    let code = req_str(d, &mut r, "code");
    let path = opt_str(d, &mut r, "path");
    let justification = req_str(d, &mut r, "justification");
    if let Some(j) = &justification {
        if j.value.trim().is_empty() {
            d.error(
                "HLC003",
                "a suppression needs a justification that says why the finding is acceptable"
                    .into(),
                j.span,
                &r.path_of("justification"),
                "write why this finding is accepted (and until when), e.g. \"public on purpose: status page\"",
            );
        }
    }
    let expires = r
        .opt("expires")
        .and_then(|(n, p)| d.parse(n, &p, Date::parse));
    let span = r.span;
    let at = r.path.clone();
    r.finish(d);
    let justification = justification.filter(|j| !j.value.trim().is_empty());
    Some(Suppression {
        code: code?,
        path,
        justification: justification?,
        expires,
        at,
        span,
    })
}

fn decode_rule(d: &mut Decoder, n: &Node, p: &str) -> Option<UserRule> {
    let mut r = d.record(n, p)?;
    let code = req_str(d, &mut r, "code");
    if let Some(c) = &code {
        if !valid_code(&c.value) {
            d.error(
                "HLC005",
                format!("`{}` cannot be the code of a rule of the lab", c.value),
                c.span,
                &r.path_of("code"),
                CODE_HELP,
            );
        }
    }
    let severity = r.req(d, "severity").and_then(|(n, p)| {
        let t = d.tag(n, &p, &["error", "warning"])?;
        Some(Sp::new(
            if t.value == "error" {
                Level::Error
            } else {
                Level::Warning
            },
            t.span,
        ))
    });
    let message = req_str(d, &mut r, "message");
    let help = opt_str(d, &mut r, "help").map(|h| h.value);
    if let Some((n, p)) = r.req(d, "check") {
        if n.value != Value::String("<function>".into()) {
            d.error(
                "HLC101",
                format!("expected a function, found {}", n.kind()),
                n.span,
                &p,
                "write `check = fun lab => [ …config paths… ]`",
            );
        }
    }
    let at = r.path.clone();
    r.finish(d);
    let code = code.filter(|c| valid_code(&c.value))?;
    Some(UserRule {
        code,
        severity: severity?,
        message: message?,
        help,
        at,
    })
}

/// A target as path segments: `"services.home"`, `["services", "home"]`.
fn segments(n: &Node) -> Option<Vec<String>> {
    match &n.value {
        Value::String(s) if !s.is_empty() => Some(s.split('.').map(str::to_string).collect()),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|i| match &i.value {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn decode_finding(d: &mut Decoder, n: &Node, rule_count: usize) -> Option<UserFinding> {
    let Value::Record(f) = &n.value else {
        return None;
    };
    let rule = match f.get("rule").map(|r| &r.value) {
        Some(Value::Number(hlc_diag::Number::Int(i))) if (*i as usize) < rule_count && *i >= 0 => {
            *i as usize
        }
        _ => return None,
    };
    let target = f.get("target")?;
    let (path_node, message) = match &target.value {
        Value::Record(t) => (
            t.get("path"),
            match t.get("message").map(|m| &m.value) {
                Some(Value::String(m)) => Some(m.clone()),
                _ => None,
            },
        ),
        _ => (Some(target), None),
    };
    let Some(segs) = path_node.and_then(segments) else {
        d.diags.push(
            Diagnostic::error(
                "HLC006",
                format!(
                    "the rule `policy.rules[{rule}]` returned {}, which is not a config path",
                    target.kind()
                ),
            )
            .with_span(target.span)
            .with_path(format!("policy.rules[{rule}].check"))
            .with_help("return config paths: \"services.home\", [\"services\", \"home\"] or { path = \"services.home\", message = \"…\" }"),
        );
        return None;
    };
    let path = segs.iter().fold(String::new(), |acc, s| join(&acc, s));
    Some(UserFinding {
        rule,
        path,
        segments: segs,
        message,
        span: None,
    })
}

/// Maps every user finding's path to the span of the value it names. A path that names nothing
/// is reported (HLC006, a warning) and the finding keeps no span.
pub(crate) fn resolve(root: &Node, policy: &mut crate::model::Policy, diags: &mut Vec<Diagnostic>) {
    for f in &mut policy.findings {
        let mut node = Some(root);
        for s in &f.segments {
            node = node.and_then(|n| match &n.value {
                Value::Record(r) => r.get(s),
                Value::Array(a) => s.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            });
        }
        match node {
            Some(n) => f.span = n.span,
            None => {
                let rule = policy
                    .rules
                    .iter()
                    .find(|r| r.at == format!("policy.rules[{}]", f.rule));
                diags.push(
                    Diagnostic::warning(
                        "HLC006",
                        format!(
                            "the rule `{}` reports config path `{}`, which does not exist",
                            rule.map(|r| r.code.value.as_str()).unwrap_or("?"),
                            f.path
                        ),
                    )
                    .with_span(rule.and_then(|r| r.code.span))
                    .with_path(format!("policy.rules[{}].check", f.rule))
                    .with_help("return the path of a value of the lab, as `hlc eval` shows it, e.g. \"services.home.exposure\""),
                );
            }
        }
    }
}
