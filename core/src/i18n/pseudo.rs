//! The pseudo-locale en-XA: English, with every ASCII letter of the literal
//! text accented, 40 % padding and brackets ("[Ŵŕöñĝ ÞÎÑ. ·····]"), so a layout
//! check at 200 % font scale sees longer text than any translation and spots
//! text that was not localised (it has no accents or no brackets).
//!
//! Arguments are left as they are: an amount or a merchant name must still be
//! read, and it is the app's formatting that is under test, not theirs. This
//! is a run-time transform of the English rendering, so it costs no text in
//! the library. The build checks every message's `max-length` against the
//! same padding rule (`core/build/catalogue_check.rs`, `pseudo_len`).

use super::catalogue::Sink;

/// The accented form of an ASCII letter: one precomposed character for one,
/// so the length in characters is unchanged (the padding is the growth).
fn accent(c: char) -> char {
    match c {
        'A' => 'Å',
        'B' => 'Ɓ',
        'C' => 'Ç',
        'D' => 'Ð',
        'E' => 'É',
        'F' => 'Ƒ',
        'G' => 'Ĝ',
        'H' => 'Ĥ',
        'I' => 'Î',
        'J' => 'Ĵ',
        'K' => 'Ķ',
        'L' => 'Ļ',
        'M' => 'Ṁ',
        'N' => 'Ñ',
        'O' => 'Ö',
        'P' => 'Þ',
        'Q' => 'Ǫ',
        'R' => 'Ŕ',
        'S' => 'Š',
        'T' => 'Ŧ',
        'U' => 'Û',
        'V' => 'Ṽ',
        'W' => 'Ŵ',
        'X' => 'Ẋ',
        'Y' => 'Ý',
        'Z' => 'Ž',
        'a' => 'å',
        'b' => 'ƀ',
        'c' => 'ç',
        'd' => 'ð',
        'e' => 'é',
        'f' => 'ƒ',
        'g' => 'ĝ',
        'h' => 'ĥ',
        'i' => 'î',
        'j' => 'ĵ',
        'k' => 'ķ',
        'l' => 'ļ',
        'm' => 'ɱ',
        'n' => 'ñ',
        'o' => 'ö',
        'p' => 'þ',
        'q' => 'ǫ',
        'r' => 'ŕ',
        's' => 'š',
        't' => 'ŧ',
        'u' => 'û',
        'v' => 'ṽ',
        'w' => 'ŵ',
        'x' => 'ẋ',
        'y' => 'ý',
        'z' => 'ž',
        other => other,
    }
}

/// Collects a message's pieces, accenting the literal ones.
#[derive(Debug, Default)]
pub(super) struct PseudoText {
    body: String,
}

impl Sink for PseudoText {
    fn literal(&mut self, s: &str) {
        self.body.extend(s.chars().map(accent));
    }
    fn argument(&mut self, s: &str) {
        self.body.push_str(s);
    }
}

impl PseudoText {
    /// The finished text: brackets around the body and padding of 40 % of
    /// its length in characters (rounded up), a space then "·" so that the
    /// padding can wrap like words do.
    pub(super) fn finish(self) -> String {
        let len = self.body.chars().count();
        let pad = (len * 2).div_ceil(5);
        let mut out = String::with_capacity(self.body.len() + 2 * pad + 2);
        out.push('[');
        out.push_str(&self.body);
        if pad > 0 {
            out.push(' ');
            out.extend(std::iter::repeat_n('·', pad - 1));
        }
        out.push(']');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_literals_pads_and_brackets_but_leaves_arguments() {
        let mut p = PseudoText::default();
        p.literal("Paid ");
        p.argument("SGD\u{a0}4.50");
        p.literal(".");
        // 14 characters → 6 of padding (40 % rounded up), 2 brackets.
        assert_eq!(p.finish(), "[Þåîð SGD\u{a0}4.50. ·····]");
    }

    #[test]
    fn every_ascii_letter_changes_and_keeps_one_char() {
        for c in ('a'..='z').chain('A'..='Z') {
            assert_ne!(accent(c), c, "{c}");
        }
        assert_eq!(accent('4'), '4');
        assert_eq!(accent(' '), ' ');
    }

    #[test]
    fn empty_text_is_just_brackets() {
        assert_eq!(PseudoText::default().finish(), "[]");
    }
}
