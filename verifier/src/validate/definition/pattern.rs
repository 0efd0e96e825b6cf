//! `validation_pattern`: does it compile in Go's RE2 dialect? Checked with the `regex` crate after a pre-pass that
//! bridges the two dialects.
//!
//! The pre-pass refuses what RE2 refuses and Rust would accept (repeat counts above 1000, alone or multiplied by
//! nesting; nested repetition operators such as `a**`; flags other than `imsU`; backreferences and escapes RE2 does
//! not know, such as `\u0041`), rewrites what the dialects spell differently (`\Q…\E`, octal escapes, a `{` that does
//! not open a repeat, escaped punctuation, class punctuation Rust reads as set operations) and gives `\d \w \s \b`
//! and `.` their RE2 meaning (ASCII classes, any character as a byte-level check). Counted repeats are checked by the
//! pre-pass and compiled with counts of at most 1, so `\pL{1000}` costs what `\pL` costs. The compiled form is
//! bounded at 1 MiB and the pattern at 8 KiB, so one hostile pattern costs a few milliseconds at most. Remaining
//! differences are corner cases (nesting deeper than 250 groups, over-long patterns, exotic class ranges), where
//! this check is mostly the stricter one.

use std::collections::HashSet;

use regex::bytes::RegexBuilder;

/// Longest pattern, bytes (a bound of this implementation; RE2 has none short of its size limit).
const MAX_PATTERN_BYTES: usize = 8192;
/// RE2's largest repeat count.
const MAX_REPEAT: u32 = 1000;
/// Bound on the compiled program and on the lazy DFA cache, bytes.
const MAX_COMPILED_BYTES: usize = 1 << 20;

/// Most distinct patterns one definition may have compiled (a bound of this implementation: at a few hundred
/// microseconds to a few milliseconds per compile, it keeps a hostile definition's cost to about a second).
pub(super) const MAX_DISTINCT_PATTERNS: usize = 256;

/// A definition's validation patterns: each distinct pattern is compiled once, and at most
/// [`MAX_DISTINCT_PATTERNS`] are compiled at all.
#[derive(Debug, Default)]
pub(super) struct Patterns<'a> {
    compiled: HashSet<&'a str>,
    attempts: usize,
}

/// What became of one validation pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    /// It compiles (or the budget was spent and reported before).
    Fine,
    /// It does not compile, and why.
    Refused(String),
    /// It is the first distinct pattern past the budget; it and the rest are not compiled.
    OverBudget,
}

impl<'a> Patterns<'a> {
    /// Checks `pattern`, compiling it unless it compiled before or the budget is spent.
    pub(super) fn check(&mut self, pattern: &'a str) -> Verdict {
        if self.compiled.contains(pattern) || self.attempts > MAX_DISTINCT_PATTERNS {
            return Verdict::Fine;
        }
        self.attempts += 1;
        if self.attempts > MAX_DISTINCT_PATTERNS {
            return Verdict::OverBudget;
        }
        match pattern_problem(pattern) {
            None => {
                self.compiled.insert(pattern);
                Verdict::Fine
            }
            Some(why) => Verdict::Refused(why),
        }
    }
}

/// Why `pattern` does not compile as a Go regular expression, if it does not.
fn pattern_problem(pattern: &str) -> Option<String> {
    if pattern.len() > MAX_PATTERN_BYTES {
        return Some(format!("is longer than {MAX_PATTERN_BYTES} bytes"));
    }
    let translated = match translate(pattern) {
        Ok(translated) => translated,
        Err(why) => return Some(why.to_owned()),
    };
    let error = RegexBuilder::new(&translated)
        .size_limit(MAX_COMPILED_BYTES)
        .dfa_size_limit(MAX_COMPILED_BYTES)
        .build()
        .err()?;
    Some(match error {
        regex::Error::CompiledTooBig(limit) => format!("compiles to more than {limit} bytes"),
        regex::Error::Syntax(detail) => {
            // The detail quotes the pattern; keep only its `error:` line.
            let reason = detail
                .lines()
                .rev()
                .find_map(|line| line.strip_prefix("error: "))
                .unwrap_or("syntax error");
            format!("does not compile: {}", super::syntax::shown(reason))
        }
        _ => "does not compile".to_owned(),
    })
}

/// What the previous item was, for the repetition rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    /// Start, `(` or `|`: nothing to repeat.
    Nothing,
    /// Something a repetition may apply to.
    Atom,
    /// A repetition operator; `lazy_open` while a `?` may still make it lazy.
    Repeat { lazy_open: bool },
}

/// Rewrites an RE2 pattern into the `regex` crate's dialect, or says why RE2 refuses it.
///
/// Counted repeats are checked as RE2 checks them — each count at most 1000, and the counts nested in one another
/// multiplying to at most 1000 (Go's `repeatIsValid`) — and then written with counts of at most 1: the compiled
/// form is only used to check the syntax, so it need not expand `x{1000}` a thousand times.
fn translate(pattern: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut rest = pattern;
    let mut last = Last::Nothing;
    // The repeat product of the last item, and the largest product inside each open group.
    let mut product: u32 = 1;
    let mut groups: Vec<u32> = Vec::new();
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        last = match c {
            '\\' => {
                rest = escape(rest, &mut out)?;
                product = 1;
                Last::Atom
            }
            '[' => {
                rest = class(rest, &mut out)?;
                product = 1;
                Last::Atom
            }
            '(' => {
                out.push('(');
                let mut opens = true;
                if let Some(after) = rest.strip_prefix('?') {
                    out.push('?');
                    (rest, opens) = group_prefix(after, &mut out)?;
                }
                if opens {
                    groups.push(1);
                }
                Last::Nothing
            }
            ')' => {
                out.push(')');
                product = groups.pop().unwrap_or(1);
                Last::Atom
            }
            '|' => {
                out.push('|');
                Last::Nothing
            }
            '?' if last == (Last::Repeat { lazy_open: true }) => {
                out.push('?');
                Last::Repeat { lazy_open: false }
            }
            '*' | '+' | '?' => {
                repeatable(last)?;
                out.push(c);
                Last::Repeat { lazy_open: true }
            }
            '{' => match repeat_bounds(rest) {
                Some((len, min, max)) => {
                    repeatable(last)?;
                    if max.is_some_and(|max| max < min) {
                        return Err("has an invalid repeat count (minimum above maximum)");
                    }
                    product = product.saturating_mul(max.unwrap_or(min));
                    if product > MAX_REPEAT {
                        return Err(
                            "has an invalid repeat count (RE2 allows at most 1000, nested repeats included)",
                        );
                    }
                    out.push('{');
                    out.push(if min > 0 { '1' } else { '0' });
                    match max {
                        Some(max) if max > 0 => out.push_str(",1}"),
                        Some(_) => out.push_str(",0}"),
                        None => out.push_str(",}"),
                    }
                    rest = &rest[len..];
                    Last::Repeat { lazy_open: true }
                }
                None => {
                    out.push_str("\\{");
                    product = 1;
                    Last::Atom
                }
            },
            '}' => {
                out.push_str("\\}");
                product = 1;
                Last::Atom
            }
            '.' => {
                out.push_str("(?-u:.)");
                product = 1;
                Last::Atom
            }
            _ => {
                out.push(c);
                product = 1;
                Last::Atom
            }
        };
        if let Some(largest) = groups.last_mut()
            && last != Last::Nothing
        {
            *largest = (*largest).max(product);
        }
    }
    Ok(out)
}

fn repeatable(last: Last) -> Result<(), &'static str> {
    match last {
        Last::Atom => Ok(()),
        Last::Nothing => Err("has a repetition operator with nothing to repeat"),
        Last::Repeat { .. } => Err("has a nested repetition operator"),
    }
}

/// After `{`: the length of `n}`, `n,}` or `n,m}` and its bounds, if `rest` opens a repeat (RE2 reads anything else,
/// including `{,m}`, as a literal brace).
fn repeat_bounds(rest: &str) -> Option<(usize, u32, Option<u32>)> {
    let end = rest.find('}')?;
    let body = &rest[..end];
    let number = |digits: &str| -> Option<u32> {
        if digits.is_empty() || digits.len() > 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    };
    let (min, max) = match body.split_once(',') {
        None => {
            let n = number(body)?;
            (n, Some(n))
        }
        Some((min, "")) => (number(min)?, None),
        Some((min, max)) => (number(min)?, Some(number(max)?)),
    };
    Some((end + 1, min, max))
}

/// After `\` outside a class: copies or rewrites the escape and returns what follows it.
fn escape<'p>(rest: &'p str, out: &mut String) -> Result<&'p str, &'static str> {
    let c = rest.chars().next().ok_or("ends with a lone backslash")?;
    let after = &rest[c.len_utf8()..];
    match c {
        'd' | 'D' | 'w' | 'W' | 's' | 'S' | 'b' | 'B' => {
            out.push_str("(?-u:\\");
            out.push(c);
            out.push(')');
            Ok(after)
        }
        'Q' => {
            let (literal, tail) = after.split_once("\\E").unwrap_or((after, ""));
            out.push_str(&regex::escape(literal));
            Ok(tail)
        }
        'p' | 'P' | 'x' => {
            out.push('\\');
            out.push(c);
            braced(after, c, out)
        }
        'A' | 'z' => {
            out.push('\\');
            out.push(c);
            Ok(after)
        }
        _ => plain_escape(c, after, out),
    }
}

/// The escapes RE2 reads the same inside and outside classes: `\a \f \t \n \r \v`, octal (`\0`, `\012`; a lone
/// `\1`–`\9` would be a backreference) and escaped ASCII punctuation, which stands for itself.
fn plain_escape<'p>(c: char, after: &'p str, out: &mut String) -> Result<&'p str, &'static str> {
    match c {
        'a' | 'f' | 't' | 'n' | 'r' | 'v' => {
            out.push('\\');
            out.push(c);
            Ok(after)
        }
        '0'..='7' if c == '0' || after.starts_with(|d: char| ('0'..='7').contains(&d)) => {
            let digits = after
                .bytes()
                .take(2)
                .take_while(|d| (b'0'..=b'7').contains(d))
                .count();
            let value = std::iter::once(c)
                .chain(after[..digits].chars())
                .fold(0u32, |value, d| value * 8 + d.to_digit(8).unwrap_or(0));
            out.push_str(&format!("\\x{{{value:X}}}"));
            Ok(&after[digits..])
        }
        '1'..='9' => Err("has a backreference, which RE2 does not support"),
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => {
            out.push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
            Ok(after)
        }
        _ => Err("has an escape sequence RE2 does not know"),
    }
}

/// After `\p`, `\P` or `\x` (`kind`): copies `{…}` or the short form and returns what follows.
fn braced<'p>(rest: &'p str, kind: char, out: &mut String) -> Result<&'p str, &'static str> {
    if let Some(inner) = rest.strip_prefix('{') {
        let end = inner.find('}').ok_or("has an unclosed escape")?;
        out.push('{');
        out.push_str(&inner[..=end]);
        return Ok(&inner[end + 1..]);
    }
    // `\pL` takes one character, `\x41` two; the compiler judges their content.
    let short = if kind == 'x' { 2 } else { 1 };
    let take = rest
        .chars()
        .take(short)
        .map(char::len_utf8)
        .sum::<usize>()
        .min(rest.len());
    out.push_str(&rest[..take]);
    Ok(&rest[take..])
}

/// After `[`: copies the class, rewriting what Rust reads differently, and returns what follows it.
fn class<'p>(mut rest: &'p str, out: &mut String) -> Result<&'p str, &'static str> {
    out.push('[');
    if let Some(after) = rest.strip_prefix('^') {
        out.push('^');
        rest = after;
    }
    if let Some(after) = rest.strip_prefix(']') {
        out.push_str("\\]");
        rest = after;
    }
    let mut previous_dash = false;
    loop {
        let c = rest
            .chars()
            .next()
            .ok_or("has an unclosed character class")?;
        rest = &rest[c.len_utf8()..];
        let dash = c == '-' && !previous_dash;
        match c {
            ']' => {
                out.push(']');
                return Ok(rest);
            }
            '[' if rest.starts_with(':') => {
                let end = rest.find(":]").ok_or("has an unclosed character class")?;
                out.push('[');
                out.push_str(&rest[..end + 2]);
                rest = &rest[end + 2..];
            }
            '\\' => {
                let e = rest.chars().next().ok_or("ends with a lone backslash")?;
                rest = &rest[e.len_utf8()..];
                match e {
                    'd' => out.push_str("0-9"),
                    'w' => out.push_str("0-9A-Za-z_"),
                    's' => out.push_str("\\t\\n\\x0C\\r "),
                    'D' => out.push_str("[:^digit:]"),
                    'W' => out.push_str("[:^word:]"),
                    'S' => out.push_str("[:^space:]"),
                    'p' | 'P' | 'x' => {
                        out.push('\\');
                        out.push(e);
                        rest = braced(rest, e, out)?;
                    }
                    _ => rest = plain_escape(e, rest, out)?,
                }
            }
            '[' | '&' | '~' | '-' => {
                if !dash {
                    out.push('\\');
                }
                out.push(c);
            }
            _ => out.push(c),
        }
        previous_dash = dash;
    }
}

/// After `(?`: copies a capture name (`P<name>` or `<name>`) or RE2 flags (`imsU`, `-`) up to `:` or `)`, and
/// returns what follows and whether a group was opened (`(?i)` only sets flags).
fn group_prefix<'p>(rest: &'p str, out: &mut String) -> Result<(&'p str, bool), &'static str> {
    if rest.starts_with("P<") || rest.starts_with('<') {
        let end = rest.find('>').ok_or("has an unclosed group name")?;
        out.push_str(&rest[..=end]);
        return Ok((&rest[end + 1..], true));
    }
    for (at, c) in rest.char_indices() {
        match c {
            'i' | 'm' | 's' | 'U' | '-' => out.push(c),
            ':' | ')' => {
                out.push(c);
                return Ok((&rest[at + 1..], c == ':'));
            }
            _ => return Err("uses a flag or group syntax RE2 does not support"),
        }
    }
    Err("has an unclosed group")
}
