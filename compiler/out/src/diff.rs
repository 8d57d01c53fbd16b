//! [`unified_diff`] for `hlc diff`.

use similar::TextDiff;

/// A git-style unified diff of one file (3 lines of context), headed `--- a/<path>` /
/// `+++ b/<path>` (`/dev/null` for a side that does not exist). When either side is not UTF-8,
/// a single line `Binary file <path> differs (<old> -> <new> bytes)` instead (sizes only,
/// never contents). Identical sides give an empty string.
pub fn unified_diff(path: &str, old: Option<&[u8]>, new: Option<&[u8]>) -> String {
    if old == new {
        return String::new();
    }
    let a = if old.is_some() {
        format!("a/{path}")
    } else {
        "/dev/null".to_string()
    };
    let b = if new.is_some() {
        format!("b/{path}")
    } else {
        "/dev/null".to_string()
    };
    let (old_text, new_text) = match (
        std::str::from_utf8(old.unwrap_or_default()),
        std::str::from_utf8(new.unwrap_or_default()),
    ) {
        (Ok(o), Ok(n)) => (o, n),
        _ => {
            let size = |x: Option<&[u8]>| x.map_or("none".to_string(), |b| b.len().to_string());
            return format!(
                "Binary file {path} differs ({} -> {} bytes)\n",
                size(old),
                size(new)
            );
        }
    };
    let diff = TextDiff::from_lines(old_text, new_text);
    let mut s = diff
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string();
    if !s.is_empty() && !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_diff() {
        let d = unified_diff(
            "docs/a.md",
            Some(b"one\ntwo\nthree\n"),
            Some(b"one\n2\nthree\n"),
        );
        assert!(d.starts_with("--- a/docs/a.md\n+++ b/docs/a.md\n@@"), "{d}");
        assert!(d.contains("\n-two\n+2\n"), "{d}");
    }

    #[test]
    fn created_and_removed() {
        let d = unified_diff("x", None, Some(b"hi\n"));
        assert!(d.starts_with("--- /dev/null\n+++ b/x\n"), "{d}");
        assert!(d.contains("+hi\n"));
        let d = unified_diff("x", Some(b"hi\n"), None);
        assert!(d.starts_with("--- a/x\n+++ /dev/null\n"), "{d}");
    }

    #[test]
    fn binary_and_identical() {
        let d = unified_diff("k.bin", Some(&[0xff, 0xfe]), Some(b"ok"));
        assert_eq!(d, "Binary file k.bin differs (2 -> 2 bytes)\n");
        assert_eq!(unified_diff("x", Some(b"a"), Some(b"a")), "");
    }
}
