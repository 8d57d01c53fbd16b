//! A lexical pass over Nickel sources, before and after Nickel's parser: how deeply a file nests
//! (refused beyond [`MAX_SOURCE_DEPTH`] before Nickel parses it), and what a file left open when
//! the parser reached its end: an unterminated string, an unclosed `{`, `[`, `(` or `%{`, a `let`
//! without `in`.
//!
//! Nickel reports all of these as "unexpected end of file" at the last byte, which tells the user
//! nothing about where the mistake is. This scanner knows just enough of Nickel's lexical
//! structure (comments, strings with escapes and interpolation, multi-line strings `m%"…"%`,
//! identifiers) to find the opener that was never closed, so the diagnostic can point at it.

#[derive(Clone, Copy)]
enum Frame {
    Bracket(u8, usize),
    /// A string starting at the offset; `Some(n)`: multi-line, closed by `"` and `n` `%`.
    Str(usize, Option<usize>),
    /// `%{` inside a string.
    Interp(usize),
}

/// How deeply sources may nest brackets, strings and interpolations. Far above what a homelab
/// model needs (values deeper than 256 levels are refused after evaluation anyway), low enough
/// that Nickel's recursive passes over a file never get near a stack overflow or spend seconds
/// on an adversarial one.
pub const MAX_SOURCE_DEPTH: usize = 512;

/// The offset of the first opener that nests deeper than `limit`, if any.
pub(crate) fn too_deep(text: &str, limit: usize) -> Option<usize> {
    walk(text, limit).err()
}

/// The innermost construct still open at the end of `text`: its byte range, a description and a
/// help line.
pub(crate) fn unclosed(text: &str) -> Option<(usize, usize, String, &'static str)> {
    let (stack, lets) = walk(text, usize::MAX).ok()?;
    describe(text, &stack, &lets)
}

/// The frames left open at the end of `text` and the `let`s without `in`, or the offset where
/// the nesting first exceeds `limit`.
fn walk(text: &str, limit: usize) -> Result<(Vec<Frame>, Vec<usize>), usize> {
    let b = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut lets: Vec<usize> = Vec::new();
    let mut i = 0;
    let percents = |mut j: usize| {
        let start = j;
        while j < b.len() && b[j] == b'%' {
            j += 1;
        }
        j - start
    };
    while i < b.len() {
        let c = b[i];
        match stack.last().copied() {
            Some(Frame::Str(_, None)) => {
                if c == b'\\' {
                    i += 2;
                    continue;
                }
                if c == b'"' {
                    stack.pop();
                } else if c == b'%' && b.get(i + 1) == Some(&b'{') {
                    stack.push(Frame::Interp(i));
                    if stack.len() > limit {
                        return Err(i);
                    }
                    i += 2;
                    continue;
                }
                i += 1;
            }
            Some(Frame::Str(_, Some(n))) => {
                if c == b'"' && percents(i + 1) >= n {
                    stack.pop();
                    i += 1 + n;
                    continue;
                }
                if c == b'%' {
                    let k = percents(i);
                    if k >= n && b.get(i + k) == Some(&b'{') {
                        stack.push(Frame::Interp(i + k - n));
                        if stack.len() > limit {
                            return Err(i);
                        }
                        i += k + 1;
                        continue;
                    }
                    i += k;
                    continue;
                }
                i += 1;
            }
            _ => {
                match c {
                    b'#' => {
                        while i < b.len() && b[i] != b'\n' {
                            i += 1;
                        }
                        continue;
                    }
                    b'"' | b'{' | b'[' | b'(' => {
                        stack.push(if c == b'"' {
                            Frame::Str(i, None)
                        } else {
                            Frame::Bracket(c, i)
                        });
                        if stack.len() > limit {
                            return Err(i);
                        }
                    }
                    b'}' | b']' | b')' => {
                        if matches!(
                            stack.last(),
                            Some(Frame::Bracket(..)) | Some(Frame::Interp(_))
                        ) {
                            stack.pop();
                        }
                    }
                    c if c.is_ascii_alphabetic() || c == b'_' => {
                        let start = i;
                        while i < b.len()
                            && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'-' | b'\''))
                        {
                            i += 1;
                        }
                        match &text[start..i] {
                            "let" => lets.push(start),
                            "in" => {
                                lets.pop();
                            }
                            _ => {
                                // `m%"…"%` and symbolic strings `tag-s%"…"%`.
                                let n = percents(i);
                                if n > 0 && b.get(i + n) == Some(&b'"') {
                                    stack.push(Frame::Str(start, Some(n)));
                                    if stack.len() > limit {
                                        return Err(start);
                                    }
                                    i += n + 1;
                                }
                            }
                        }
                        continue;
                    }
                    _ => {}
                }
                i += 1;
            }
        }
    }
    Ok((stack, lets))
}

fn describe(
    text: &str,
    stack: &[Frame],
    lets: &[usize],
) -> Option<(usize, usize, String, &'static str)> {
    match stack.last() {
        Some(Frame::Str(s, _)) => {
            let end = text[*s..].find('\n').map_or(text.len(), |e| s + e);
            Some((
                *s,
                end,
                "this string is never closed".into(),
                "close the string where it should end",
            ))
        }
        Some(Frame::Bracket(c, s)) => {
            let closer = match c {
                b'{' => '}',
                b'[' => ']',
                _ => ')',
            };
            Some((
                *s,
                s + 1,
                format!("this `{}` is never closed", *c as char),
                match closer {
                    '}' => "add the missing `}` (or a missing `,` or `in` before it)",
                    ']' => "add the missing `]`",
                    _ => "add the missing `)`",
                },
            ))
        }
        Some(Frame::Interp(s)) => Some((
            *s,
            s + 2,
            "this interpolation is never closed".into(),
            "close the interpolation with `}`",
        )),
        None => lets.last().map(|s| {
            (
                *s,
                s + 3,
                "this `let` has no `in`".into(),
                "a `let` binding is followed by `in` and the expression that uses it",
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::unclosed;

    #[test]
    fn measures_nesting() {
        assert_eq!(super::too_deep("{ a = [1, (2)] }", 3), None);
        assert_eq!(super::too_deep("{ a = [1, [(2)]] }", 3), Some(11));
        // Brackets in strings and comments do not count; interpolations do.
        assert_eq!(super::too_deep("{ a = \"[[[[\" } # [[[[", 2), None);
        assert_eq!(super::too_deep("{ a = \"%{ [1] }\" }", 3), Some(10));
    }

    fn what(text: &str) -> Option<(String, String)> {
        unclosed(text).map(|(s, e, m, _)| (text[s..e].to_string(), m))
    }

    #[test]
    fn finds_the_opener_left_open() {
        assert_eq!(what("{ a = 1 }"), None);
        assert_eq!(what("{\n  a = \"x,\n}\n").map(|x| x.0), Some("\"x,".into()));
        assert_eq!(
            what("{\n  a = { b = 1,\n}\n"),
            Some(("{".into(), "this `{` is never closed".into()))
        );
        assert_eq!(
            what("let x = 1\n{ a = x }\n").map(|x| x.1),
            Some("this `let` has no `in`".into())
        );
        // Balanced let/in, nested, and keywords inside strings and comments are ignored.
        assert_eq!(
            what("let a = let b = 1 in b in # let\n{ s = \"let {\" }"),
            None
        );
        // Interpolation, escapes, multi-line strings.
        assert_eq!(what(r#"{ a = "x %{ "y" } \" z" }"#), None);
        assert_eq!(what("{ a = m%\"\n  } \" %{ 1 }\n\"%, }"), None);
        assert_eq!(
            what("{ a = m%\"\n  text\n}\n").map(|x| x.1),
            Some("this string is never closed".into())
        );
        assert_eq!(
            what("{ a = \"x %{ 1 + \n").map(|x| x.1),
            Some("this interpolation is never closed".into())
        );
    }
}
