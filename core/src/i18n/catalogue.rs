//! The catalogue of every payer-facing text: [`Msg`] (one variant per id,
//! typed arguments) and its rendering in the negotiated [`Locale`].
//!
//! The texts are written in Fluent, `core/i18n/messages/{en,zh-Hans,ms,id}.ftl`
//! (en is the reference), and compiled by `core/build/catalogue.rs` into this
//! module: the `Msg` enum, and per language one text blob with a byte string of
//! ops (literal span | argument | plural select) that [`render`](Msg::render)
//! walks. A missing translation, an unused or undeclared argument, a plural
//! category the language does not have, or a text over its `max-length` fails
//! the build, so at run time every id renders in every language.
//!
//! Arguments are typed ([`Arg`]), never free text: amounts go through
//! [`format_amount`] (CLDR), counts and seconds through
//! [`format_count`] and CLDR plural rules, and names are
//! shown verbatim inside Unicode bidi isolates (FSI … PDI), stripped of
//! bidi controls, so a right-to-left or control-laden merchant name cannot
//! reorder the amount beside it. The pseudo-locale en-XA renders English
//! through the private `pseudo` module. ADR 0024; docs/i18n.md "The catalogue".
//!
//! ```
//! use scanpay_core::i18n::{catalogue::Msg, Locale};
//! let en = Locale::negotiate(&["en"]);
//! assert_eq!(Msg::PinWrong { attempts_left: 1 }.render(&en), "Wrong PIN. 1 attempt left.");
//! assert_eq!(Msg::PinWrong { attempts_left: 2 }.id(), "pin-wrong");
//! ```

use super::plural::{cardinal, PluralCategory, PluralOperands};
use super::{format_amount, format_count, pseudo, Lang, Locale};
use crate::money::Money;

/// A typed argument of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// An amount, written by CLDR for the locale ("SGD 12.50", "¥12.50").
    Money(Money),
    /// A count: locale digits, and it selects the plural form.
    Count(u64),
    /// A name shown verbatim (a merchant, a city, a payment reference).
    Name(String),
    /// A number of seconds (the message carries the unit words).
    Seconds(u64),
}

/// A rendered message with what produced it: apps show `text`, and key
/// tests, analytics or their own accessibility handling on `id` and `args`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// The stable catalogue id ("pin-wrong").
    pub id: &'static str,
    /// The text in the negotiated locale.
    pub text: String,
    /// The arguments, named as in the Fluent source, in declaration order.
    pub args: Vec<(&'static str, Arg)>,
}

/// One language's compiled texts (see `core/build/catalogue.rs` for the op
/// encoding).
pub(super) struct Table {
    /// Every literal of the language, concatenated (shared pieces once).
    text: &'static str,
    /// Message `i`'s ops are `ops[starts[i]..starts[i + 1]]`.
    starts: &'static [u16],
    /// The ops of all messages, as bytes.
    ops: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/catalogue.rs"));

/// Op kinds (bits 7-6 of an op's first byte).
const OP_LITERAL: u8 = 0;
const OP_ARG: u8 = 1;
const OP_SELECT: u8 = 2;

/// First strong isolate and pop directional isolate (UAX #9).
const FSI: char = '\u{2068}';
const PDI: char = '\u{2069}';

impl Msg {
    /// The text in `locale`'s language (en-XA: the pseudo-localised English).
    pub fn render(&self, locale: &Locale) -> String {
        if locale.is_pseudo() {
            let mut sink = pseudo::PseudoText::default();
            self.render_into(Lang::En, locale, &mut sink);
            return sink.finish();
        }
        let mut out = String::new();
        self.render_into(locale.lang(), locale, &mut out);
        out
    }

    /// The text in `locale` with its id and arguments.
    pub fn text(&self, locale: &Locale) -> Text {
        Text {
            id: self.id(),
            text: self.render(locale),
            args: self.args(),
        }
    }

    fn render_into(&self, lang: Lang, locale: &Locale, sink: &mut dyn Sink) {
        let table = table(lang);
        let i = self.index();
        let (Some(&start), Some(&end)) = (table.starts.get(i), table.starts.get(i + 1)) else {
            return;
        };
        let Some(ops) = table.ops.get(usize::from(start)..usize::from(end)) else {
            return;
        };
        let args = self.args();
        walk(ops, table.text, &args, lang, locale, sink);
    }
}

fn table(lang: Lang) -> &'static Table {
    match lang {
        Lang::En => &TABLE_EN,
        Lang::ZhHans => &TABLE_ZH_HANS,
        Lang::Ms => &TABLE_MS,
        Lang::Id => &TABLE_ID,
    }
}

/// Where rendered pieces go: plain text, or the pseudo-locale, which accents
/// literal text but not arguments.
pub(super) trait Sink {
    /// Literal text of the message.
    fn literal(&mut self, s: &str);
    /// A formatted argument.
    fn argument(&mut self, s: &str);
}

impl Sink for String {
    fn literal(&mut self, s: &str) {
        self.push_str(s);
    }
    fn argument(&mut self, s: &str) {
        self.push_str(s);
    }
}

/// Runs one message's ops. The tables are generated and checked at build
/// time; an op that does not fit them (which would be a generator bug) is
/// skipped rather than allowed to panic.
fn walk(
    ops: &[u8],
    text: &str,
    args: &[(&'static str, Arg)],
    lang: Lang,
    locale: &Locale,
    sink: &mut dyn Sink,
) {
    let mut k = 0;
    while let Some(&op) = ops.get(k) {
        let low = usize::from(op & 0x3F);
        match op >> 6 {
            OP_LITERAL => {
                let (Some(&b), Some(&len)) = (ops.get(k + 1), ops.get(k + 2)) else {
                    return;
                };
                k += 3;
                let offset = (low << 8) | usize::from(b);
                if let Some(s) = text.get(offset..offset + usize::from(len)) {
                    sink.literal(s);
                }
            }
            OP_ARG => {
                k += 1;
                if let Some((_, arg)) = args.get(low) {
                    sink.argument(&format_arg(arg, locale));
                }
            }
            OP_SELECT => {
                let Some(&index) = ops.get(k + 1) else { return };
                k += 2;
                let wanted = args
                    .get(usize::from(index))
                    .map(|(_, arg)| category_index(plural_of(arg, lang)));
                let mut chosen = None;
                let mut default = None;
                for _ in 0..low {
                    let Some(&[header, hi, lo]) = ops.get(k..k + 3) else {
                        return;
                    };
                    let len = usize::from(u16::from_be_bytes([hi, lo]));
                    let Some(body) = ops.get(k + 3..k + 3 + len) else {
                        return;
                    };
                    k += 3 + len;
                    if Some((header >> 3) & 0x7) == wanted {
                        chosen = Some(body);
                    }
                    if header & (1 << 2) != 0 {
                        default = Some(body);
                    }
                }
                if let Some(body) = chosen.or(default) {
                    walk(body, text, args, lang, locale, sink);
                }
            }
            // A variant header outside a select: not produced by the generator.
            _ => return,
        }
    }
}

/// How an argument is written into the text.
fn format_arg(arg: &Arg, locale: &Locale) -> String {
    match arg {
        Arg::Money(m) => format_amount(m, locale).text,
        Arg::Count(n) | Arg::Seconds(n) => format_count(*n, locale),
        Arg::Name(name) if clean_name(name).trim().is_empty() => {
            // A code without a name must not read "Pay SGD 4.50 to ?": the
            // catalogue's placeholder, in the locale's language (English in
            // the pseudo-locale, whose arguments are never transformed).
            let words = if locale.is_pseudo() {
                Locale::ENGLISH
            } else {
                *locale
            };
            isolate(&Msg::TrustNameMissing.render(&words))
        }
        Arg::Name(name) => isolate(name),
    }
}

/// `name` inside FSI … PDI, cleaned by [`clean_name`] first.
fn isolate(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 6);
    out.push(FSI);
    out.push_str(&clean_name(name));
    out.push(PDI);
    out
}

/// Longest name shown, in characters: EMVCo's merchant name and city are at
/// most 25 and 15, registry names are short; nothing longer is a real name.
pub const MAX_NAME_CHARS: usize = 99;

/// A name (merchant, city, payee) as the catalogue shows it: without the
/// bidi formatting characters it carried (a PDI in the name would close the
/// isolate around it early and let an override after it, U+202E, reorder the
/// rest of the sentence, the amount included); with every control character
/// and line or paragraph separator (`\n`, `\r`, tab, U+001C–U+001F, U+0085,
/// U+2028, U+2029: each ends an isolate under UAX #9 and can start lines that
/// look like the app's own text) turned into a space; and cut to
/// [`MAX_NAME_CHARS`] with "…". Apps that lay out a name themselves (from a
/// [`Text`]'s arguments) should show this form.
pub fn clean_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len().min(MAX_NAME_CHARS * 4));
    for (i, c) in name
        .chars()
        .filter(|c| !is_bidi_control(*c))
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
        .enumerate()
    {
        if i == MAX_NAME_CHARS {
            out.push('…');
            break;
        }
        out.push(c);
    }
    out
}

/// The bidi formatting characters of UAX #9: ALM, LRM, RLM, the embeddings
/// and overrides, and the isolates.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The plural category an argument selects (only counts and seconds select;
/// the build refuses a select on anything else).
fn plural_of(arg: &Arg, lang: Lang) -> PluralCategory {
    match arg {
        Arg::Count(n) | Arg::Seconds(n) => cardinal(lang, &PluralOperands::from_integer(*n)),
        Arg::Money(_) | Arg::Name(_) => PluralCategory::Other,
    }
}

/// The category's number in the ops (the generator's `CATEGORIES` order).
fn category_index(c: PluralCategory) -> u8 {
    match c {
        PluralCategory::Zero => 0,
        PluralCategory::One => 1,
        PluralCategory::Two => 2,
        PluralCategory::Few => 3,
        PluralCategory::Many => 4,
        PluralCategory::Other => 5,
    }
}

#[cfg(test)]
#[path = "catalogue_tests.rs"]
mod tests;
