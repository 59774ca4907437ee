//! The catalogue's model and its checks, with no dependency but `std`.
//!
//! `build/catalogue.rs` turns each Fluent file into this model (that step
//! needs `fluent-syntax`) and then calls [`check`]; the core's unit tests
//! include this same file (`#[path]`) to run the checks on bad sources, which
//! a build script cannot be tested for directly. Every problem names the file,
//! the line and the message id.

use std::fmt;

/// The argument types a message may declare (`# $name (Type) - meaning`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    /// An amount: `scanpay_core::money::Money`, formatted by CLDR.
    Money,
    /// A count: `u64`, plural-selecting, locale digits.
    Count,
    /// A name shown verbatim, bidi-isolated (FSI … PDI).
    Name,
    /// A number of seconds; the message carries the unit words.
    Seconds,
}

impl ArgType {
    /// The type named in a declaration comment.
    pub fn parse(word: &str) -> Option<ArgType> {
        match word {
            "Money" => Some(ArgType::Money),
            "Count" => Some(ArgType::Count),
            "Name" => Some(ArgType::Name),
            "Seconds" => Some(ArgType::Seconds),
            _ => None,
        }
    }

    /// The most characters a rendering of this type takes, for the
    /// `max-length` check: an amount like "SGD 12,345.67" or "Rp 1.234.567"
    /// (14 leaves one spare), a count of attempts or codes (up to 999), a
    /// wait up to "86,400" seconds, a name of 24 characters plus the two
    /// invisible isolation marks around it.
    pub fn max_chars(self) -> usize {
        match self {
            ArgType::Money => 14,
            ArgType::Count => 3,
            ArgType::Seconds => 6,
            ArgType::Name => 26,
        }
    }

    /// Whether a select may switch on it (plural categories of an integer).
    pub fn selects(self) -> bool {
        matches!(self, ArgType::Count | ArgType::Seconds)
    }
}

/// One declared argument of a message (from en.ftl).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgDecl {
    /// The Fluent variable name (also the Rust field name).
    pub name: String,
    /// Its type.
    pub ty: ArgType,
    /// What it means, for the generated docs.
    pub meaning: String,
}

/// A piece of a message's pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// Literal text (terms already inlined).
    Text(String),
    /// `{ $name }`.
    Arg(String),
    /// `{ $name -> [key] … *[other] … }`.
    Select {
        /// The selector variable.
        arg: String,
        /// The variants, in source order.
        variants: Vec<Variant>,
    },
}

/// One variant of a select.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// The key: a CLDR plural category.
    pub key: String,
    /// Whether it is the `*[default]`.
    pub default: bool,
    /// Its pattern.
    pub body: Vec<Node>,
}

/// One message of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The id.
    pub id: String,
    /// The 1-based line of `id =`.
    pub line: usize,
    /// Declared arguments (en only; translations take en's).
    pub args: Vec<ArgDecl>,
    /// `# max-length: N` (en only).
    pub max_len: Option<usize>,
    /// The pattern.
    pub body: Vec<Node>,
}

/// One parsed Fluent file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The language tag ("en", "zh-Hans", …).
    pub lang: String,
    /// The file, as shown in problems.
    pub path: String,
    /// Its messages, in source order.
    pub messages: Vec<Message>,
}

/// A reason the catalogue does not build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub path: String,
    /// The 1-based line.
    pub line: usize,
    /// The message id, when the problem is in one.
    pub id: Option<String>,
    /// What is wrong.
    pub what: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{}:{}: {}: {}", self.path, self.line, id, self.what),
            None => write!(f, "{}:{}: {}", self.path, self.line, self.what),
        }
    }
}

/// The CLDR 48 cardinal plural categories of each catalogue language
/// (cldr-core supplemental/plurals.json: en has `one` and `other`; zh, ms
/// and id only `other`). A core test compares this with what
/// `i18n::plural::cardinal` (generated from that file) can return.
pub fn plural_categories(lang: &str) -> Option<&'static [&'static str]> {
    match lang {
        "en" => Some(&["one", "other"]),
        "zh-Hans" | "ms" | "id" => Some(&["other"]),
        _ => None,
    }
}

/// The six CLDR category names, in the order of `PluralCategory`'s variants.
pub const CATEGORIES: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];

/// How long the en-XA rendering of an English text of `len` characters is:
/// 40 % padding (rounded up) and the two brackets. `i18n::pseudo` pads the
/// same way; a core test checks that they agree.
pub fn pseudo_len(len: usize) -> usize {
    len + (len * 2).div_ceil(5) + 2
}

/// Checks the reference `en` and the translations; returns every problem
/// found (empty: the catalogue may be generated).
pub fn check(en: &Source, translations: &[Source]) -> Vec<Problem> {
    let mut problems = Vec::new();
    check_reference(en, &mut problems);
    for tr in translations {
        check_translation(en, tr, &mut problems);
    }
    problems
}

fn problem(src: &Source, msg: &Message, what: String) -> Problem {
    Problem {
        path: src.path.clone(),
        line: msg.line,
        id: Some(msg.id.clone()),
        what,
    }
}

fn check_reference(en: &Source, out: &mut Vec<Problem>) {
    let mut seen: Vec<&str> = Vec::new();
    for msg in &en.messages {
        if seen.contains(&msg.id.as_str()) {
            out.push(problem(en, msg, "defined twice".into()));
        }
        seen.push(&msg.id);
        if !valid_id(&msg.id) {
            out.push(problem(
                en,
                msg,
                "ids are kebab-case ASCII (a-z, 0-9, -), starting with a letter".into(),
            ));
        }
        for (i, a) in msg.args.iter().enumerate() {
            if !valid_var(&a.name) {
                out.push(problem(
                    en,
                    msg,
                    format!("${}: variable names are snake_case ASCII", a.name),
                ));
            }
            if msg.args[..i].iter().any(|b| b.name == a.name) {
                out.push(problem(en, msg, format!("${} is declared twice", a.name)));
            }
        }
        match msg.max_len {
            None => out.push(problem(
                en,
                msg,
                "no `# max-length: N` comment (every message needs one)".into(),
            )),
            Some(max) => {
                let longest = max_chars(&msg.body, &msg.args);
                let pseudo = pseudo_len(longest);
                if pseudo > max {
                    out.push(problem(
                        en,
                        msg,
                        format!(
                            "the en-XA rendering can take {pseudo} characters (English {longest} \
                             + 40 % + brackets), over max-length {max}"
                        ),
                    ));
                }
            }
        }
        check_body(en, msg, &msg.args, out);
    }
}

fn check_translation(en: &Source, tr: &Source, out: &mut Vec<Problem>) {
    let mut seen: Vec<&str> = Vec::new();
    for msg in &tr.messages {
        if seen.contains(&msg.id.as_str()) {
            out.push(problem(tr, msg, "defined twice".into()));
        }
        seen.push(&msg.id);
        let Some(reference) = en.messages.iter().find(|m| m.id == msg.id) else {
            out.push(problem(tr, msg, "not in en.ftl (unknown id)".into()));
            continue;
        };
        check_body(tr, msg, &reference.args, out);
        if let Some(max) = reference.max_len {
            let longest = max_chars(&msg.body, &reference.args);
            if longest > max {
                out.push(problem(
                    tr,
                    msg,
                    format!("can take {longest} characters, over max-length {max}"),
                ));
            }
        }
    }
    for reference in &en.messages {
        if !tr.messages.iter().any(|m| m.id == reference.id) {
            out.push(Problem {
                path: tr.path.clone(),
                line: 1,
                id: Some(reference.id.clone()),
                what: format!("missing (en.ftl:{})", reference.line),
            });
        }
    }
}

/// Variables declared, used, selectable; select keys valid for the language.
fn check_body(src: &Source, msg: &Message, decls: &[ArgDecl], out: &mut Vec<Problem>) {
    let mut used = Vec::new();
    walk_body(src, msg, &msg.body, decls, &mut used, out);
    let always = shown_always(&msg.body);
    for d in decls {
        if !used.contains(&d.name) {
            out.push(problem(
                src,
                msg,
                format!("does not use ${}, which en.ftl declares", d.name),
            ));
        } else if !always.contains(&d.name) {
            out.push(problem(
                src,
                msg,
                format!(
                    "a variant of a select leaves out ${}: every rendering must show it",
                    d.name
                ),
            ));
        }
    }
}

/// The arguments every rendering of `body` shows. A select's own selector
/// counts as shown (its `[one]` variant may write "1 attempt" as text);
/// any other argument must be in every variant.
fn shown_always(body: &[Node]) -> Vec<String> {
    let mut shown = Vec::new();
    for node in body {
        match node {
            Node::Text(_) => {}
            Node::Arg(name) => shown.push(name.clone()),
            Node::Select { arg, variants } => {
                shown.push(arg.clone());
                let mut each = variants.iter().map(|v| shown_always(&v.body));
                if let Some(first) = each.next() {
                    let common = each.fold(first, |acc, v| {
                        acc.into_iter().filter(|a| v.contains(a)).collect()
                    });
                    shown.extend(common);
                }
            }
        }
    }
    shown
}

fn walk_body(
    src: &Source,
    msg: &Message,
    body: &[Node],
    decls: &[ArgDecl],
    used: &mut Vec<String>,
    out: &mut Vec<Problem>,
) {
    for node in body {
        match node {
            Node::Text(_) => {}
            Node::Arg(name) => {
                if !decls.iter().any(|d| &d.name == name) {
                    out.push(problem(
                        src,
                        msg,
                        format!("${name} is not declared in en.ftl (`# ${name} (Type) - meaning`)"),
                    ));
                }
                used.push(name.clone());
            }
            Node::Select { arg, variants } => {
                used.push(arg.clone());
                match decls.iter().find(|d| &d.name == arg) {
                    None => out.push(problem(
                        src,
                        msg,
                        format!("${arg} is not declared in en.ftl"),
                    )),
                    Some(d) if !d.ty.selects() => out.push(problem(
                        src,
                        msg,
                        format!("${arg} is {:?}: only Count and Seconds select", d.ty),
                    )),
                    Some(_) => {}
                }
                let allowed = plural_categories(&src.lang).unwrap_or(&[]);
                for v in variants {
                    if !allowed.contains(&v.key.as_str()) {
                        out.push(problem(
                            src,
                            msg,
                            format!(
                                "[{}] is not a plural category of {} (CLDR: {})",
                                v.key,
                                src.lang,
                                allowed.join(", ")
                            ),
                        ));
                    }
                    if v.default && v.key != "other" {
                        out.push(problem(
                            src,
                            msg,
                            format!("the default variant must be *[other], not *[{}]", v.key),
                        ));
                    }
                    walk_body(src, msg, &v.body, decls, used, out);
                }
            }
        }
    }
}

/// The most characters any rendering of `body` can take, with every
/// argument at its type's bound.
pub fn max_chars(body: &[Node], decls: &[ArgDecl]) -> usize {
    body.iter()
        .map(|node| match node {
            Node::Text(t) => t.chars().count(),
            Node::Arg(name) => decls
                .iter()
                .find(|d| &d.name == name)
                .map_or(0, |d| d.ty.max_chars()),
            Node::Select { variants, .. } => variants
                .iter()
                .map(|v| max_chars(&v.body, decls))
                .max()
                .unwrap_or(0),
        })
        .sum()
}

fn valid_id(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.ends_with('-')
        && !id.contains("--")
}

fn valid_var(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Reads the declarations of a message's comment: `# $name (Type) - meaning`
/// and `# max-length: N`. Other comment lines are notes for translators.
pub fn parse_comment(lines: &[&str]) -> Result<(Vec<ArgDecl>, Option<usize>), String> {
    let mut args = Vec::new();
    let mut max_len = None;
    for line in lines {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix('$') {
            let (name, rest) = rest.split_once(' ').unwrap_or((rest, ""));
            let rest = rest.trim_start();
            let Some(rest) = rest.strip_prefix('(') else {
                return Err(format!("${name}: write `# ${name} (Type) - meaning`"));
            };
            let Some((ty, meaning)) = rest.split_once(')') else {
                return Err(format!("${name}: the type is not closed with `)`"));
            };
            let ty = ArgType::parse(ty.trim()).ok_or_else(|| {
                format!("${name}: unknown type {ty:?} (Money, Count, Name or Seconds)")
            })?;
            let meaning = meaning.trim().trim_start_matches('-').trim().to_string();
            args.push(ArgDecl {
                name: name.to_string(),
                ty,
                meaning,
            });
        } else if let Some(n) = line.strip_prefix("max-length:") {
            let n = n
                .trim()
                .parse::<usize>()
                .map_err(|_| format!("max-length {:?} is not a number", n.trim()))?;
            max_len = Some(n);
        }
    }
    Ok((args, max_len))
}
