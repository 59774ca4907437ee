//! Links: a scanned URL is classified and described, never opened.
//!
//! A QR sticker that opens a phishing page is the cheapest attack on QR
//! payments, so a [`Link`] carries what a user needs to judge it: the real host
//! (in both its ASCII/punycode and Unicode forms) and [`LinkFlag`]s for every
//! trick we know: a non-https scheme, a dangerous scheme (`javascript:`,
//! `data:`, `intent:`…), an IP literal, user-info in front of the host
//! (`https://paypal.com@evil.example` goes to `evil.example`), an
//! internationalised host, and a host that imitates a well-known payment brand.

use std::fmt;

use thiserror::Error;
use unicode_security::confusable_detection::skeleton;
use url::{Host, Url};

/// Longest link accepted, in bytes.
pub const MAX_LINK_BYTES: usize = 4096;

/// Schemes that run code, read local data or hand control to another app.
/// Lower case, without the colon.
pub const DANGEROUS_SCHEMES: &[&str] = &[
    "javascript",
    "vbscript",
    "data",
    "file",
    "blob",
    "intent",
    "content",
    "filesystem",
    "jar",
    "ms-appinstaller",
    "ms-msdt",
    "search-ms",
    "itms-services",
];

/// Brands that phishing codes imitate, with the domains they really use (a
/// host equal to one of these or ending in "." + one is genuine). Deliberately
/// small and documented: payment brands common where QR payments are, plus
/// ScanPay itself. Comparison is by UTS 39 confusable skeleton, so
/// "paypa1", "pаypal" (Cyrillic а) and "gooogle" are caught.
pub const BRANDS: &[(&str, &[&str])] = &[
    ("paypal", &["paypal.com", "paypal.me"]),
    (
        "google",
        &[
            "google.com",
            "goo.gl",
            "g.co",
            "google.co.th",
            "google.co.id",
            "google.com.sg",
            "google.com.br",
            "google.com.vn",
        ],
    ),
    ("apple", &["apple.com", "icloud.com"]),
    (
        "amazon",
        &["amazon.com", "amazon.co.jp", "amazon.sg", "amazon.com.br"],
    ),
    ("alipay", &["alipay.com", "alipayplus.com"]),
    ("wechat", &["wechat.com", "weixin.qq.com", "wechatpay.com"]),
    ("paytm", &["paytm.com", "paytm.in"]),
    ("phonepe", &["phonepe.com"]),
    ("gcash", &["gcash.com"]),
    ("grab", &["grab.com"]),
    ("scanpay", &["scanpay.example"]),
];

/// Something about a link worth telling the user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LinkFlag {
    /// The scheme is not `https` (plain `http`, `ftp`, a custom app scheme…).
    NotHttps,
    /// The scheme can run code or reach into the device (see [`DANGEROUS_SCHEMES`]).
    DangerousScheme,
    /// The host is internationalised (has a punycode `xn--` label): show both forms.
    InternationalHost,
    /// The host is an IP address, not a name.
    IpLiteral,
    /// User-info precedes the host; what looks like the host is not where the link goes.
    UserInfo,
    /// An explicit port.
    ExplicitPort,
    /// A host label imitates a known brand without being one of its domains.
    Lookalike {
        /// The imitated brand, from [`BRANDS`].
        brand: &'static str,
    },
}

impl LinkFlag {
    /// The stable kebab-case code of the flag ("not-https"); a lookalike is
    /// "lookalike", its brand is in the variant.
    pub fn code(&self) -> &'static str {
        match self {
            LinkFlag::NotHttps => "not-https",
            LinkFlag::DangerousScheme => "dangerous-scheme",
            LinkFlag::InternationalHost => "international-host",
            LinkFlag::IpLiteral => "ip-literal",
            LinkFlag::UserInfo => "user-info",
            LinkFlag::ExplicitPort => "explicit-port",
            LinkFlag::Lookalike { .. } => "lookalike",
        }
    }
}

/// Why a text is not a link.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LinkError {
    /// Longer than [`MAX_LINK_BYTES`].
    #[error("the link is {bytes} bytes long; at most {max} are allowed")]
    TooLong {
        /// Length in bytes.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// Contains whitespace or control characters: it is text, not one link.
    #[error("the text contains whitespace or control characters")]
    NotALink,
    /// Not a parseable absolute URL.
    #[error("not a valid absolute URL: {0}")]
    Invalid(String),
}

impl LinkError {
    /// A stable, kebab-case code for the error's kind, for UIs, logs and
    /// tests that must not match on messages.
    pub fn code(&self) -> &'static str {
        match self {
            LinkError::TooLong { .. } => "too-long",
            LinkError::NotALink => "not-a-link",
            LinkError::Invalid(_) => "invalid",
        }
    }
}

/// A classified URL. Nothing here fetches or opens anything.
#[derive(Clone, PartialEq, Eq)]
pub struct Link {
    /// The text as scanned (surrounding whitespace trimmed).
    pub original: String,
    /// The scheme, lower case, without ":".
    pub scheme: String,
    /// The host as the network sees it (punycode for IDNs; IPs in canonical form).
    pub host_ascii: Option<String>,
    /// The host in Unicode, as a user would read it (equal to `host_ascii` when plain ASCII).
    pub host_unicode: Option<String>,
    /// Everything suspicious, in a stable order.
    pub flags: Vec<LinkFlag>,
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A link may carry a password in its user-info or a token in its
        // query: Debug shows the scheme, host and flags only.
        f.debug_struct("Link")
            .field("scheme", &self.scheme)
            .field("host_ascii", &self.host_ascii)
            .field("host_unicode", &self.host_unicode)
            .field("flags", &self.flags)
            .finish_non_exhaustive()
    }
}

impl Link {
    /// Parses and classifies an absolute URL.
    pub fn parse(text: &str) -> Result<Link, LinkError> {
        if text.len() > MAX_LINK_BYTES {
            return Err(LinkError::TooLong {
                bytes: text.len(),
                max: MAX_LINK_BYTES,
            });
        }
        let trimmed = text.trim();
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(LinkError::NotALink);
        }
        let url = Url::parse(trimmed).map_err(|e| LinkError::Invalid(e.to_string()))?;
        let scheme = url.scheme().to_ascii_lowercase();
        let mut flags = Vec::new();
        if DANGEROUS_SCHEMES.contains(&scheme.as_str()) {
            flags.push(LinkFlag::DangerousScheme);
        }
        if scheme != "https" {
            flags.push(LinkFlag::NotHttps);
        }
        if !url.username().is_empty() || url.password().is_some() {
            flags.push(LinkFlag::UserInfo);
        }
        if url.port().is_some() {
            flags.push(LinkFlag::ExplicitPort);
        }
        let (host_ascii, host_unicode) = match url.host() {
            None => (None, None),
            Some(Host::Ipv4(ip)) => {
                flags.push(LinkFlag::IpLiteral);
                (Some(ip.to_string()), Some(ip.to_string()))
            }
            Some(Host::Ipv6(ip)) => {
                flags.push(LinkFlag::IpLiteral);
                (Some(format!("[{ip}]")), Some(format!("[{ip}]")))
            }
            Some(Host::Domain(d)) => {
                let ascii = d.to_ascii_lowercase();
                let (unicode, _) = idna::domain_to_unicode(&ascii);
                if ascii.split('.').any(|l| l.starts_with("xn--")) {
                    flags.push(LinkFlag::InternationalHost);
                }
                if let Some(brand) = lookalike_brand(&ascii, &unicode) {
                    flags.push(LinkFlag::Lookalike { brand });
                }
                (Some(ascii), Some(unicode))
            }
        };
        Ok(Link {
            original: trimmed.to_owned(),
            scheme,
            host_ascii,
            host_unicode,
            flags,
        })
    }

    /// Whether `flag` is set (for `Lookalike`, any brand matches).
    pub fn has(&self, flag: &LinkFlag) -> bool {
        self.flags.iter().any(|f| match (f, flag) {
            (LinkFlag::Lookalike { .. }, LinkFlag::Lookalike { .. }) => true,
            _ => f == flag,
        })
    }

    /// The brand the host imitates, if any.
    pub fn lookalike(&self) -> Option<&'static str> {
        self.flags.iter().find_map(|f| match f {
            LinkFlag::Lookalike { brand } => Some(*brand),
            _ => None,
        })
    }

    /// Whether nothing at all is suspicious (https, plain name, no tricks).
    pub fn is_clean(&self) -> bool {
        self.flags.is_empty()
    }
}

fn is_genuine(host: &str, domains: &[&str]) -> bool {
    domains.iter().any(|d| {
        host == *d
            || host
                .strip_suffix(d)
                .is_some_and(|prefix| prefix.ends_with('.'))
    })
}

fn skel(s: &str) -> String {
    skeleton(&s.to_lowercase())
        .collect::<String>()
        .to_lowercase()
}

/// The brand a host imitates: some label (or hyphen-separated part of one)
/// whose skeleton equals the brand's, or is one edit away from it for brands
/// of five letters or more, on a host that is not one of the brand's domains.
fn lookalike_brand(ascii: &str, unicode: &str) -> Option<&'static str> {
    for (brand, domains) in BRANDS {
        if is_genuine(ascii, domains) {
            continue;
        }
        let target = skel(brand);
        let hit = unicode.split('.').any(|label| {
            let whole = skel(label);
            if whole == target
                || (target.chars().count() >= 5 && edit_distance_le1(&whole, &target))
            {
                return true;
            }
            label.split('-').any(|part| skel(part) == target)
        });
        if hit {
            return Some(brand);
        }
    }
    None
}

/// Whether two strings are at most one insertion, deletion or substitution apart.
fn edit_distance_le1(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short
        .iter()
        .zip(long.iter())
        .take_while(|(x, y)| x == y)
        .count();
    if short.len() == long.len() {
        // One substitution at most: the rest after the first difference must match.
        short.get(prefix + 1..) == long.get(prefix + 1..)
    } else {
        // One insertion: skip one character of the longer string.
        short.get(prefix..) == long.get(prefix + 1..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(s: &str) -> Link {
        Link::parse(s).unwrap()
    }

    #[test]
    fn flag_codes_are_stable_unique_and_kebab_case() {
        let table = [
            (LinkFlag::NotHttps, "not-https"),
            (LinkFlag::DangerousScheme, "dangerous-scheme"),
            (LinkFlag::InternationalHost, "international-host"),
            (LinkFlag::IpLiteral, "ip-literal"),
            (LinkFlag::UserInfo, "user-info"),
            (LinkFlag::ExplicitPort, "explicit-port"),
            (LinkFlag::Lookalike { brand: "paypal" }, "lookalike"),
        ];
        let mut seen: Vec<&str> = Vec::new();
        for (flag, expected) in &table {
            assert_eq!(flag.code(), *expected, "{flag:?}");
            assert!(
                expected
                    .split('-')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
                "{expected:?}"
            );
            assert!(!seen.contains(expected), "{expected:?} twice");
            seen.push(expected);
        }
    }

    #[test]
    fn clean_https() {
        let l = link("https://www.paypal.com/signin");
        assert!(l.is_clean(), "{l:?}");
        assert_eq!(l.host_ascii.as_deref(), Some("www.paypal.com"));
        assert!(link("https://scanpay.example/pay").is_clean());
        assert!(link("https://weixin.qq.com/x").is_clean());
    }

    #[test]
    fn userinfo_shows_the_real_host() {
        let l = link("https://paypal.com@evil.example/login");
        assert!(l.has(&LinkFlag::UserInfo));
        assert_eq!(l.host_ascii.as_deref(), Some("evil.example"));
        // The password must not leak through Debug.
        let d = format!("{:?}", link("https://user:hunter2@example.com/"));
        assert!(!d.contains("hunter2"), "{d}");
    }

    #[test]
    fn schemes() {
        let l = link("javascript:alert(1)");
        assert!(l.has(&LinkFlag::DangerousScheme));
        assert!(l.has(&LinkFlag::NotHttps));
        assert_eq!(l.host_ascii, None);
        for s in [
            "data:text/html,<b>x</b>",
            "file:///etc/passwd",
            "intent://scan/#Intent;scheme=zxing;end",
            "JavaScript:alert(1)",
        ] {
            assert!(link(s).has(&LinkFlag::DangerousScheme), "{s}");
        }
        let h = link("http://example.com");
        assert_eq!(h.flags, vec![LinkFlag::NotHttps]);
    }

    #[test]
    fn ip_and_port() {
        let l = link("https://192.168.1.1:8443/pay");
        assert!(l.has(&LinkFlag::IpLiteral));
        assert!(l.has(&LinkFlag::ExplicitPort));
        assert!(link("https://[::1]/").has(&LinkFlag::IpLiteral));
        // Decimal-encoded IPv4 is normalised by the URL parser and still flagged.
        let d = link("http://3232235777/");
        assert!(d.has(&LinkFlag::IpLiteral));
        assert_eq!(d.host_ascii.as_deref(), Some("192.168.1.1"));
    }

    #[test]
    fn idn_shows_both_forms_and_lookalikes() {
        // Cyrillic "а" in "pаypal".
        let l = link("https://p\u{0430}ypal.com/");
        assert!(l.has(&LinkFlag::InternationalHost));
        assert_eq!(l.lookalike(), Some("paypal"));
        let ascii = l.host_ascii.clone().unwrap();
        assert!(ascii.starts_with("xn--"), "{ascii}");
        assert_eq!(l.host_unicode.as_deref(), Some("p\u{0430}ypal.com"));

        assert_eq!(link("https://paypa1.com/").lookalike(), Some("paypal"));
        assert_eq!(link("https://gooogle.com/").lookalike(), Some("google"));
        assert_eq!(
            link("https://paypal-login.example/").lookalike(),
            Some("paypal")
        );
        assert_eq!(
            link("https://secure.alipay.co/").lookalike(),
            Some("alipay")
        );
        assert_eq!(link("https://www.google.com/").lookalike(), None);
        assert_eq!(link("https://grab.com/").lookalike(), None);
        // Short brands only match exactly: "crab" is not "grab".
        assert_eq!(link("https://crab.example/").lookalike(), None);
        assert_eq!(link("https://example.com/").lookalike(), None);
    }

    #[test]
    fn not_links() {
        assert_eq!(Link::parse("hello world"), Err(LinkError::NotALink));
        assert!(matches!(Link::parse("no scheme"), Err(LinkError::NotALink)));
        assert!(matches!(
            Link::parse("example.com"),
            Err(LinkError::Invalid(_))
        ));
        let long = format!("https://x.example/{}", "a".repeat(MAX_LINK_BYTES));
        assert!(matches!(Link::parse(&long), Err(LinkError::TooLong { .. })));
    }

    #[test]
    fn edit_distance() {
        assert!(edit_distance_le1("paypal", "paypal"));
        assert!(edit_distance_le1("paypa", "paypal"));
        assert!(edit_distance_le1("paypall", "paypal"));
        assert!(edit_distance_le1("paypbl", "paypal"));
        assert!(!edit_distance_le1("pyapal", "paypal"));
        assert!(!edit_distance_le1("pay", "paypal"));
    }
}
