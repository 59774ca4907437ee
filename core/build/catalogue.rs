//! The payer-facing text catalogue (`$OUT_DIR/catalogue.rs`), from the Fluent
//! sources in `core/i18n/messages/` (ADR 0024).
//!
//! `en.ftl` is the reference: it declares each message's arguments and
//! `max-length`; `zh-Hans.ftl`, `ms.ftl` and `id.ftl` translate it. The files
//! are parsed with `fluent-syntax` here, on the host; nothing of Fluent is
//! linked into the library. Only a subset is accepted (text, `{ $var }`,
//! `{ -term }`, plural selects on a Count or Seconds argument); anything
//! else, and every failed check of `catalogue_check.rs`, stops the build with
//! `file:line: id: what`.
//!
//! The output is the `Msg` enum (one variant per id, typed fields), and per
//! language ONE text blob plus a byte string of ops, so the phone library carries
//! no table of `&str` (16 bytes and a relocation each, ADR 0009). Ops, in
//! `core/src/i18n/catalogue.rs`'s renderer's words:
//!
//! | first byte, bits 7-6 | meaning | bytes | rest |
//! |---|---|---|---|
//! | 0 | literal | 3 | blob offset: bits 5-0 of the first byte and the second (14 bits); byte length: the third |
//! | 1 | argument | 1 | index in `Msg::args()`: bits 5-0 |
//! | 2 | plural select | 2 | variant count: bits 5-0; argument index: the second byte |
//! | 3 | variant header | 3 | category: bits 5-3, default: bit 2; its body's length in bytes: the next two (big-endian) |
//!
//! Bytes rather than `u32` words: most ops are literals (runs of the blob,
//! below), and three bytes address a 16 KB blob (each is under 4 KB).

use std::error::Error;
use std::fmt::Write as _;
use std::path::Path;

use fluent_syntax::ast;

#[path = "catalogue_check.rs"]
mod check;

use check::{ArgDecl, ArgType, Message, Node, Source, Variant};

/// The catalogue languages: tag, file stem, Rust name of the table.
const LANGS: [(&str, &str); 4] = [
    ("en", "EN"),
    ("zh-Hans", "ZH_HANS"),
    ("ms", "MS"),
    ("id", "ID"),
];

/// Longest literal one op can address (8 bits); longer text is split.
const MAX_LITERAL: usize = 255;
/// Largest blob the 14-bit offsets can address.
const MAX_BLOB: usize = 1 << 14;
/// Op kinds: bits 7-6 of an op's first byte.
const OP_LITERAL: u8 = 0;
const OP_ARG: u8 = 1 << 6;
const OP_SELECT: u8 = 2 << 6;
const OP_VARIANT: u8 = 3 << 6;

/// Parses, checks and generates; every problem found is reported at once.
pub fn generate(manifest_dir: &Path, out_dir: &Path) -> Result<(), Box<dyn Error>> {
    let dir = manifest_dir.join("i18n").join("messages");
    println!("cargo:rerun-if-changed=i18n/messages");
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    for (lang, _) in LANGS {
        let path = dir.join(format!("{lang}.ftl"));
        let shown = format!("core/i18n/messages/{lang}.ftl");
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{shown}: cannot be read: {e}"))?;
        match parse_source(lang, &shown, &text, lang == "en") {
            Ok(src) => sources.push(src),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() {
        if let Some((en, rest)) = sources.split_first() {
            problems = check::check(en, rest);
        }
    }
    if !problems.is_empty() {
        // One line each on stderr (Cargo shows it), so editors can jump to them.
        for p in &problems {
            eprintln!("{p}");
        }
        return Err(format!(
            "the text catalogue does not build: {} problems (listed above)",
            problems.len()
        )
        .into());
    }
    let code = emit(&sources)?;
    std::fs::write(out_dir.join("catalogue.rs"), code)?;
    Ok(())
}

/// The 1-based line of byte `pos` in `text`.
fn line_of(text: &str, pos: usize) -> usize {
    text.get(..pos).map_or(1, |before| {
        before.bytes().filter(|b| *b == b'\n').count() + 1
    })
}

/// The line where message or term `id` is defined (fluent-syntax keeps no
/// positions in its AST).
fn line_of_entry(text: &str, id: &str) -> usize {
    text.lines()
        .position(|l| {
            l.strip_prefix(id)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .map_or(1, |i| i + 1)
}

/// Fluent text → the model, refusing what the catalogue does not support.
fn parse_source(
    lang: &str,
    shown: &str,
    text: &str,
    reference: bool,
) -> Result<Source, Vec<check::Problem>> {
    let at = |line: usize, id: Option<&str>, what: String| check::Problem {
        path: shown.to_string(),
        line,
        id: id.map(str::to_string),
        what,
    };
    let resource = match fluent_syntax::parser::parse(text) {
        Ok(r) => r,
        Err((_, errors)) => {
            return Err(errors
                .iter()
                .map(|e| at(line_of(text, e.pos.start), None, format!("{:?}", e.kind)))
                .collect())
        }
    };
    let mut problems = Vec::new();
    // Terms first: a message may use a term defined below it.
    let mut terms: Vec<(&str, String)> = Vec::new();
    for entry in &resource.body {
        if let ast::Entry::Term(term) = entry {
            let id = term.id.name;
            let line = line_of_entry(text, &format!("-{id}"));
            match plain_text(&term.value) {
                Some(t) if term.attributes.is_empty() => terms.push((id, t)),
                _ => problems.push(at(
                    line,
                    Some(id),
                    "a term must be plain text, without attributes".into(),
                )),
            }
        }
    }
    let mut messages = Vec::new();
    for entry in &resource.body {
        match entry {
            ast::Entry::Message(m) => {
                let id = m.id.name;
                let line = line_of_entry(text, id);
                if !m.attributes.is_empty() {
                    problems.push(at(
                        line,
                        Some(id),
                        "attributes are not supported (`.spoken` is reserved for a \
                         screen-reader variant, not used yet)"
                            .into(),
                    ));
                }
                let Some(value) = &m.value else {
                    problems.push(at(line, Some(id), "a message needs a value".into()));
                    continue;
                };
                let (args, max_len) = if reference {
                    let lines: Vec<&str> = m
                        .comment
                        .as_ref()
                        .map(|c| c.content.clone())
                        .unwrap_or_default();
                    match check::parse_comment(&lines) {
                        Ok(d) => d,
                        Err(e) => {
                            problems.push(at(line, Some(id), e));
                            continue;
                        }
                    }
                } else {
                    (Vec::new(), None)
                };
                match pattern(value, &terms) {
                    Ok(body) => messages.push(Message {
                        id: id.to_string(),
                        line,
                        args,
                        max_len,
                        body,
                    }),
                    Err(e) => problems.push(at(line, Some(id), e)),
                }
            }
            ast::Entry::Junk { content } => {
                let pos = text.find(content).unwrap_or(0);
                problems.push(at(line_of(text, pos), None, "unparsable text".into()));
            }
            ast::Entry::Term(_)
            | ast::Entry::Comment(_)
            | ast::Entry::GroupComment(_)
            | ast::Entry::ResourceComment(_) => {}
        }
    }
    if problems.is_empty() {
        Ok(Source {
            lang: lang.to_string(),
            path: shown.to_string(),
            messages,
        })
    } else {
        Err(problems)
    }
}

/// A pattern of text only (terms).
fn plain_text(p: &ast::Pattern<&str>) -> Option<String> {
    let mut out = String::new();
    for el in &p.elements {
        match el {
            ast::PatternElement::TextElement { value } => out.push_str(value),
            ast::PatternElement::Placeable { .. } => return None,
        }
    }
    Some(out)
}

/// A message pattern → nodes, with terms inlined and adjacent text merged.
fn pattern(p: &ast::Pattern<&str>, terms: &[(&str, String)]) -> Result<Vec<Node>, String> {
    let mut nodes: Vec<Node> = Vec::new();
    let push_text = |nodes: &mut Vec<Node>, t: &str| match nodes.last_mut() {
        Some(Node::Text(prev)) => prev.push_str(t),
        _ => nodes.push(Node::Text(t.to_string())),
    };
    for el in &p.elements {
        match el {
            ast::PatternElement::TextElement { value } => push_text(&mut nodes, value),
            ast::PatternElement::Placeable { expression } => match expression {
                ast::Expression::Inline(inline) => match inline {
                    ast::InlineExpression::VariableReference { id } => {
                        nodes.push(Node::Arg(id.name.to_string()))
                    }
                    ast::InlineExpression::TermReference {
                        id,
                        attribute: None,
                        arguments: None,
                    } => {
                        let t = terms
                            .iter()
                            .find(|(name, _)| *name == id.name)
                            .map(|(_, t)| t.clone())
                            .ok_or_else(|| format!("unknown term -{}", id.name))?;
                        push_text(&mut nodes, &t);
                    }
                    ast::InlineExpression::StringLiteral { value } if !value.contains('\\') => {
                        push_text(&mut nodes, value)
                    }
                    other => return Err(format!("unsupported placeable {other:?}")),
                },
                ast::Expression::Select { selector, variants } => {
                    let ast::InlineExpression::VariableReference { id } = selector else {
                        return Err("a select must switch on a $variable".into());
                    };
                    let mut out = Vec::new();
                    for v in variants {
                        let key = match &v.key {
                            ast::VariantKey::Identifier { name } => name.to_string(),
                            ast::VariantKey::NumberLiteral { value } => {
                                return Err(format!(
                                    "[{value}]: number keys are not supported, use CLDR \
                                     categories"
                                ))
                            }
                        };
                        out.push(Variant {
                            key,
                            default: v.default,
                            body: pattern(&v.value, terms)?,
                        });
                    }
                    nodes.push(Node::Select {
                        arg: id.name.to_string(),
                        variants: out,
                    });
                }
            },
        }
    }
    Ok(nodes)
}

/// `pin-wrong` → `PinWrong`.
fn variant_name(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The match pattern of any value of message `m` (`Msg::X` or `Msg::X { .. }`).
fn any_of(m: &Message) -> String {
    if m.args.is_empty() {
        format!("Msg::{}", variant_name(&m.id))
    } else {
        format!("Msg::{} {{ .. }}", variant_name(&m.id))
    }
}

fn rust_type(ty: ArgType) -> &'static str {
    match ty {
        ArgType::Money => "Money",
        ArgType::Count | ArgType::Seconds => "u64",
        ArgType::Name => "String",
    }
}

/// The English text with `{ $arg }` placeholders, for the generated docs.
fn summary(body: &[Node]) -> String {
    let mut s = String::new();
    for n in body {
        match n {
            Node::Text(t) => s.push_str(t),
            Node::Arg(a) => {
                let _ = write!(s, "{{ ${a} }}");
            }
            Node::Select { variants, .. } => {
                if let Some(v) = variants.iter().find(|v| v.default) {
                    s.push_str(&summary(&v.body));
                }
            }
        }
    }
    s
}

/// One language's blob and ops.
struct Table {
    text: String,
    starts: Vec<u16>,
    ops: Vec<u8>,
}

impl Table {
    /// A literal op for `len` bytes at `offset` in the blob.
    fn push_literal(&mut self, offset: usize, len: usize) -> Result<(), Box<dyn Error>> {
        if offset + len > MAX_BLOB || len > MAX_LITERAL {
            return Err(format!(
                "catalogue: a language's text blob is over {} KB (widen the literal op)",
                MAX_BLOB / 1024
            )
            .into());
        }
        self.ops
            .extend([OP_LITERAL | (offset >> 8) as u8, offset as u8, len as u8]);
        Ok(())
    }
}

/// Shortest run of a literal that is taken from text already in the blob
/// rather than stored again. Reusing a run costs up to two more literal ops
/// (3 bytes each: the run, and restarting the literal after it); measured
/// over the four languages (text + ops), 7 is the best threshold (22,484
/// bytes; 5: 23,539, 6: 22,820, 8: 22,601, 9: 22,961, 11: 24,055). Sentences
/// repeat across messages ("Your money has not moved.", "Try again"): this
/// halves each language's blob.
const MIN_SHARED: usize = 7;

/// Appends the ops of one literal: each stretch is the longest run (at least
/// `MIN_SHARED` bytes) found anywhere in the blob so far, or else new text
/// appended to it. Runs start and end on character boundaries, so every span
/// the renderer cuts is valid UTF-8.
fn push_text(t: &str, table: &mut Table) -> Result<(), Box<dyn Error>> {
    let first = table.ops.len();
    let mut pending = String::new();
    let mut rest = t;
    while let Some(c) = rest.chars().next() {
        let (offset, len) = longest_shared(&table.text, rest);
        if len >= MIN_SHARED {
            store(&std::mem::take(&mut pending), table)?;
            table.push_literal(offset, len)?;
            rest = &rest[len..];
        } else {
            pending.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    store(&pending, table)?;
    // The renderer's reading of these ops must give back the literal: a
    // slip in the run search would otherwise show as a garbled sentence.
    let mut read = String::new();
    for op in table.ops[first..].chunks(3) {
        let (offset, len) = match op {
            [a, b, len] if a & 0xC0 == OP_LITERAL => (
                (usize::from(a & 0x3F) << 8) | usize::from(*b),
                usize::from(*len),
            ),
            _ => return Err(format!("catalogue: literal {t:?}: not literal ops").into()),
        };
        read.push_str(table.text.get(offset..offset + len).unwrap_or("\u{FFFD}"));
    }
    if read != t {
        return Err(format!("catalogue: literal {t:?} encodes as {read:?}").into());
    }
    Ok(())
}

/// The longest prefix of `rest` (character boundaries, at most
/// `MAX_LITERAL` bytes) that occurs in `blob`: (offset, byte length), or
/// length 0. A prefix of an occurring prefix occurs too, so the longest is
/// found by bisecting the boundaries.
fn longest_shared(blob: &str, rest: &str) -> (usize, usize) {
    let ends: Vec<usize> = rest
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .take_while(|&e| e <= MAX_LITERAL)
        .collect();
    let (mut lo, mut hi) = (0, ends.len());
    let mut best = (0, 0);
    while lo < hi {
        let mid = (lo + hi) / 2;
        let end = ends[mid];
        match blob.find(&rest[..end]) {
            Some(o) => {
                best = (o, end);
                lo = mid + 1;
            }
            None => hi = mid,
        }
    }
    best
}

/// Appends literal ops for `text`, stored in the blob (in pieces of at most
/// `MAX_LITERAL` bytes, each reused when it is already there).
fn store(text: &str, table: &mut Table) -> Result<(), Box<dyn Error>> {
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = rest.len().min(MAX_LITERAL);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (piece, tail) = rest.split_at(cut);
        let offset = match table.text.find(piece) {
            Some(o) => o,
            None => {
                table.text.push_str(piece);
                table.text.len() - piece.len()
            }
        };
        table.push_literal(offset, piece.len())?;
        rest = tail;
    }
    Ok(())
}

fn encode(
    body: &[Node],
    decls: &[ArgDecl],
    table: &mut Table,
    id: &str,
) -> Result<(), Box<dyn Error>> {
    let index = |name: &str| {
        decls
            .iter()
            .position(|d| d.name == name)
            .ok_or_else(|| format!("{id}: ${name} undeclared"))
    };
    for node in body {
        match node {
            Node::Text(t) => push_text(t, table)?,
            Node::Arg(name) => {
                let i = index(name)?;
                if i > 0x3F {
                    return Err(format!("{id}: over 64 arguments").into());
                }
                table.ops.push(OP_ARG | i as u8);
            }
            Node::Select { arg, variants } => {
                let i = u8::try_from(index(arg)?).map_err(|_| format!("{id}: argument index"))?;
                if variants.len() > 0x3F {
                    return Err(format!("{id}: over 63 variants").into());
                }
                table.ops.extend([OP_SELECT | variants.len() as u8, i]);
                for v in variants {
                    let category = check::CATEGORIES
                        .iter()
                        .position(|c| *c == v.key)
                        .ok_or_else(|| format!("{id}: [{}] not a category", v.key))?;
                    let header = table.ops.len();
                    table.ops.extend([0, 0, 0]);
                    encode(&v.body, decls, table, id)?;
                    let len = u16::try_from(table.ops.len() - header - 3)
                        .map_err(|_| format!("{id}: a variant is too long"))?;
                    let [hi, lo] = len.to_be_bytes();
                    let op = OP_VARIANT | ((category as u8) << 3) | (u8::from(v.default) << 2);
                    if let Some(slot) = table.ops.get_mut(header..header + 3) {
                        slot.copy_from_slice(&[op, hi, lo]);
                    }
                }
            }
        }
    }
    Ok(())
}

fn emit(sources: &[Source]) -> Result<String, Box<dyn Error>> {
    let en = sources.first().ok_or("no en.ftl")?;
    let mut out = String::new();
    out.push_str(
        "// Generated by core/build/catalogue.rs from core/i18n/messages/*.ftl. Do not edit.\n\n",
    );

    // The enum.
    out.push_str(
        "/// Every payer-facing text of the core: one variant per catalogue id, with\n\
         /// its arguments as typed fields (generated from `core/i18n/messages/en.ftl`;\n\
         /// each variant's doc is its English text).\n\
         #[derive(Debug, Clone, PartialEq, Eq)]\npub enum Msg {\n",
    );
    for m in &en.messages {
        let _ = writeln!(
            out,
            "    #[doc = {:?}]",
            format!("`{}`: {}", m.id, summary(&m.body))
        );
        if m.args.is_empty() {
            let _ = writeln!(out, "    {},", variant_name(&m.id));
        } else {
            let _ = writeln!(out, "    {} {{", variant_name(&m.id));
            for a in &m.args {
                let _ = writeln!(
                    out,
                    "        #[doc = {:?}]",
                    format!("{} ({:?})", a.meaning, a.ty)
                );
                let _ = writeln!(out, "        {}: {},", a.name, rust_type(a.ty));
            }
            out.push_str("    },\n");
        }
    }
    out.push_str("}\n\n");

    out.push_str("impl Msg {\n");
    out.push_str("    /// Every id, in the order of `en.ftl`.\n    pub const ALL_IDS: &'static [&'static str] = &[\n");
    for m in &en.messages {
        let _ = writeln!(out, "        {:?},", m.id);
    }
    out.push_str("    ];\n\n");

    // The ids as one blob and u16 bounds, not a match of string literals:
    // that would compile to a table of `&str` (16 bytes and a relocation each).
    let mut id_text = String::new();
    let mut id_starts = vec![0u16];
    for m in &en.messages {
        id_text.push_str(&m.id);
        id_starts.push(u16::try_from(id_text.len()).map_err(|_| "ids over 64 KiB")?);
    }
    out.push_str("    /// The stable id (`\"pin-wrong\"`): what apps and tests key on.\n    pub fn id(&self) -> &'static str {\n        let i = self.index();\n        match (ID_STARTS.get(i), ID_STARTS.get(i + 1)) {\n            (Some(&a), Some(&b)) => ID_TEXT.get(usize::from(a)..usize::from(b)).unwrap_or(\"\"),\n            _ => \"\",\n        }\n    }\n\n");

    out.push_str("    /// The position in `ALL_IDS` and in every language's tables.\n    fn index(&self) -> usize {\n        match self {\n");
    for (i, m) in en.messages.iter().enumerate() {
        let _ = writeln!(out, "            {} => {i},", any_of(m));
    }
    out.push_str("        }\n    }\n\n");

    out.push_str("    /// The longest text the screens must fit (`# max-length` in en.ftl),\n    /// in characters; the build checks every language and en-XA against it.\n    pub fn max_len(&self) -> usize {\n        match self {\n");
    for m in &en.messages {
        let _ = writeln!(
            out,
            "            {} => {},",
            any_of(m),
            m.max_len.unwrap_or(0)
        );
    }
    out.push_str("        }\n    }\n\n");

    out.push_str("    /// The arguments, named as in the Fluent source, in declaration order.\n    pub fn args(&self) -> Vec<(&'static str, Arg)> {\n        match self {\n");
    for m in &en.messages {
        if m.args.is_empty() {
            let _ = writeln!(
                out,
                "            Msg::{} => Vec::new(),",
                variant_name(&m.id)
            );
            continue;
        }
        let names: Vec<&str> = m.args.iter().map(|a| a.name.as_str()).collect();
        let _ = write!(
            out,
            "            Msg::{} {{ {} }} => vec![",
            variant_name(&m.id),
            names.join(", ")
        );
        for a in &m.args {
            let value = match a.ty {
                ArgType::Money => format!("Arg::Money(*{})", a.name),
                ArgType::Count => format!("Arg::Count(*{})", a.name),
                ArgType::Seconds => format!("Arg::Seconds(*{})", a.name),
                ArgType::Name => format!("Arg::Name({}.clone())", a.name),
            };
            let _ = write!(out, "({:?}, {value}), ", a.name);
        }
        out.push_str("],\n");
    }
    out.push_str("        }\n    }\n\n");

    // Every message with the same sample value for each type (tests).
    out.push_str("    /// Every message, each argument set to the sample of its type (tests).\n    #[cfg(test)]\n    pub(crate) fn every(money: Money, count: u64, name: &str, seconds: u64) -> Vec<Msg> {\n        let _ = (money, count, name, seconds);\n        vec![\n");
    for m in &en.messages {
        if m.args.is_empty() {
            let _ = writeln!(out, "            Msg::{},", variant_name(&m.id));
            continue;
        }
        let fields: Vec<String> = m
            .args
            .iter()
            .map(|a| {
                let v = match a.ty {
                    ArgType::Money => "money",
                    ArgType::Count => "count",
                    ArgType::Seconds => "seconds",
                    ArgType::Name => "name.to_string()",
                };
                if a.name == v {
                    v.to_string()
                } else {
                    format!("{}: {v}", a.name)
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "            Msg::{} {{ {} }},",
            variant_name(&m.id),
            fields.join(", ")
        );
    }
    out.push_str("        ]\n    }\n}\n\n");
    let _ = writeln!(
        out,
        "/// Every id, concatenated in the order of `ALL_IDS`.\nconst ID_TEXT: &str = {id_text:?};\n/// Id `i` is `ID_TEXT[ID_STARTS[i]..ID_STARTS[i + 1]]`.\nconst ID_STARTS: [u16; {}] = {id_starts:?};\n",
        id_starts.len()
    );

    // The tables.
    let mut sizes = Vec::new();
    for (src, (_, rust)) in sources.iter().zip(LANGS) {
        let mut table = Table {
            text: String::new(),
            starts: Vec::new(),
            ops: Vec::new(),
        };
        let start = |ops: &Vec<u8>| u16::try_from(ops.len()).map_err(|_| "over 65,535 op bytes");
        for m in &en.messages {
            let tr = src
                .messages
                .iter()
                .find(|t| t.id == m.id)
                .ok_or_else(|| format!("{}: {} missing", src.path, m.id))?;
            table.starts.push(start(&table.ops)?);
            encode(&tr.body, &m.args, &mut table, &m.id)?;
        }
        table.starts.push(start(&table.ops)?);
        sizes.push((src.lang.clone(), table.text.len(), table.ops.len()));
        let _ = writeln!(
            out,
            "/// The {} texts: {} bytes of text, {} bytes of ops.\npub(super) static TABLE_{rust}: Table = Table {{\n    text: {:?},\n    starts: &{:?},\n    ops: &{:?},\n}};\n",
            src.lang,
            table.text.len(),
            table.ops.len(),
            table.text,
            table.starts,
            table.ops,
        );
    }
    let _ = writeln!(
        out,
        "/// (language, text bytes, op bytes) of each table, for the size report.\n#[cfg(test)]\npub(crate) const TABLE_SIZES: [(&str, usize, usize); {}] = {:?};",
        sizes.len(),
        sizes
    );
    Ok(out)
}
