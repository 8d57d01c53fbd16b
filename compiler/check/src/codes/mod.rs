//! Documentation of the codes that are not rules of this crate — what the loader, Nickel, the
//! decoder and `out/` verification report — so that `hlc explain CODE` answers for every code hlc
//! can print. One file per code family; each entry is markdown (what, why, example, fix) like a
//! rule's documentation. Rules themselves are documented in [`crate::rules`].

mod decode;
mod internal;
mod nickel;
mod out;
mod policy;
mod resilience;
mod sandbox;
mod secrets;
mod talos;

/// A documented code that is not a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeDoc {
    /// Stable code, e.g. `HLC106`.
    pub code: &'static str,
    /// One line: what the code reports.
    pub summary: &'static str,
    /// The documentation (markdown).
    pub doc: &'static str,
}

/// Every documented non-rule code, by family.
pub fn codes() -> impl Iterator<Item = &'static CodeDoc> {
    policy::CODES
        .iter()
        .chain(sandbox::CODES)
        .chain(nickel::CODES)
        .chain(decode::CODES)
        .chain(out::CODES)
        .chain(secrets::CODES)
        .chain(talos::CODES)
        .chain(resilience::CODES)
        .chain(internal::CODES)
}

/// A non-rule code's documentation (case-insensitive).
pub fn code(code: &str) -> Option<&'static CodeDoc> {
    codes().find(|c| c.code.eq_ignore_ascii_case(code))
}

/// What `hlc explain CODE` prints for any code hlc reports: a rule's registry entry and
/// documentation, or a non-rule code's documentation. `None` for an unknown code.
pub fn explain(code_or_name: &str) -> Option<String> {
    if let Some(r) = crate::rules::rule(code_or_name) {
        return Some(format!(
            "{} {} ({})\n\n{}\n\n{}\n",
            r.code,
            r.name,
            r.severity.as_str(),
            r.summary,
            r.doc.trim()
        ));
    }
    code(code_or_name).map(|c| format!("{} (error)\n\n{}\n\n{}\n", c.code, c.summary, c.doc.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_well_formed_and_not_rules() {
        let mut seen = std::collections::BTreeSet::new();
        for c in codes() {
            assert!(seen.insert(c.code), "{} documented twice", c.code);
            assert!(c.code.len() == 6 && c.code.starts_with("HLC"), "{}", c.code);
            assert!(crate::rules::rule(c.code).is_none(), "{} is a rule", c.code);
            assert!(
                c.doc.trim_start().starts_with(&format!("# {}", c.code)),
                "{}",
                c.code
            );
            assert!(c.doc.contains("**Fix.**"), "{} has no fix", c.code);
        }
        assert!(explain("HLC106").unwrap().contains("hostname"));
        assert!(explain("hlc401").unwrap().contains("admin-service-public"));
        assert!(explain("HLC998").is_none());
    }
}
