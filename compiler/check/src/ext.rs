//! Small helpers over the model that several rules share: config paths of fields, the site a
//! machine lives at, number formatting for messages.

use hlc_model::decode::join;
use hlc_model::{Lab, Machine, Origin};

/// The config path of a field of an entity: `machines.oci-node-1.address`.
pub(crate) fn at(origin: &Origin, field: &str) -> String {
    join(&origin.path, field)
}

/// The config path of a nested field given as `a.b.c`: `services.grafana.app.chart.version`.
pub(crate) fn at_path(origin: &Origin, dotted: &str) -> String {
    dotted
        .split('.')
        .fold(origin.path.clone(), |p, f| join(&p, f))
}

/// The config path of an element of a list field: `services.grafana.depends_on[0]`.
pub(crate) fn at_index(origin: &Origin, field: &str, i: usize) -> String {
    format!("{}[{i}]", join(&origin.path, field))
}

/// Lookups the rules need on a [`Lab`], kept out of `hlc-model`.
pub trait LabExt {
    /// The site a machine lives at: its host's site for a VM whose host is known, else its own
    /// `site` field.
    fn machine_site<'a>(&'a self, m: &'a Machine) -> Option<&'a str>;
}

impl LabExt for Lab {
    fn machine_site<'a>(&'a self, m: &'a Machine) -> Option<&'a str> {
        if let Some(h) = m.host.as_ref().and_then(|h| self.hosts.get(h.as_str())) {
            return Some(h.site.as_str());
        }
        m.site.as_ref().map(|s| s.as_str())
    }
}

/// A CPU amount in thousandths, as `2` or `1.5`.
pub(crate) fn fmt_milli(milli: u64) -> String {
    if milli.is_multiple_of(1000) {
        (milli / 1000).to_string()
    } else {
        let s = format!("{}.{:03}", milli / 1000, milli % 1000);
        s.trim_end_matches('0').to_string()
    }
}

/// A size in bytes for messages: exact units when they fit (`12GiB`), else GiB with two
/// decimals.
pub(crate) fn fmt_bytes(bytes: u64) -> String {
    const GIB: u64 = 1 << 30;
    const MIB: u64 = 1 << 20;
    if bytes == 0 {
        "0GiB".to_string()
    } else if bytes.is_multiple_of(GIB) {
        format!("{}GiB", bytes / GIB)
    } else if bytes.is_multiple_of(MIB) && bytes < GIB {
        format!("{}MiB", bytes / MIB)
    } else if bytes.is_multiple_of(1_000_000_000) {
        format!("{}GB", bytes / 1_000_000_000)
    } else {
        format!("{:.2}GiB", bytes as f64 / GIB as f64)
    }
}

/// `"a, b, c"` — at most `max` names, then `…`.
pub(crate) fn list_names<'a>(names: impl Iterator<Item = &'a str>, max: usize) -> String {
    let mut out: Vec<&str> = Vec::new();
    let mut more = false;
    for n in names {
        if out.len() == max {
            more = true;
            break;
        }
        out.push(n);
    }
    let mut s = out.join(", ");
    if more {
        s.push_str(", …");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting() {
        assert_eq!(fmt_milli(2000), "2");
        assert_eq!(fmt_milli(1500), "1.5");
        assert_eq!(fmt_milli(125), "0.125");
        assert_eq!(fmt_bytes(12 << 30), "12GiB");
        assert_eq!(fmt_bytes(512 << 20), "512MiB");
        assert_eq!(fmt_bytes(50_000_000_000), "50GB");
        assert_eq!(list_names(["a", "b", "c"].into_iter(), 2), "a, b, …");
    }
}
