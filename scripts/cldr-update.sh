#!/usr/bin/env bash
# Refreshes the trimmed CLDR copy in core/i18n/cldr/ (issue 13, ADR 0024).
#
# Fetches the npm packages cldr-numbers-full and cldr-core at $VERSION with
# `npm pack`, checks each tarball against the integrity hash recorded below
# (so a changed or substituted package fails here, not silently in the data),
# and extracts with node only the values core/build/cldr.rs reads:
#   numbers.json        per generated number-format locale: symbols, the
#                       decimal and currency patterns, unit patterns
#   currencies.json     per locale: currency symbols and display names, for
#                       the currencies of core/src/money.rs only, and for a
#                       child locale only what differs from its parent (as
#                       CLDR's own XML stores it; the generator inherits)
#   currencyData.json   fraction digits (supplemental currencyData)
#   plurals.json        cardinal rules with CLDR's samples, en/zh/ms/id (and
#                       $TEST_PLURAL_LANGS, for the compiler's test only)
#   parentLocales.json  parentLocale entries of en, zh, ms, id
#   likelySubtags.json  likely subtags of en, zh, ms, id (+ region forms)
#   aliases.json        language aliases that resolve to en, zh, ms or id
# plus LICENSE (Unicode-3.0, from the package) and SOURCE.md.
#
# To move to a new CLDR release: change VERSION, run once, copy the integrity
# values npm reports into the two *_INTEGRITY lines after checking them
# against `npm view cldr-core@VERSION dist.integrity`, run again, rebuild and
# regenerate tests/vectors/i18n/money.json.
#
# Usage: scripts/cldr-update.sh   (needs node and npm; network to the registry)
set -euo pipefail

VERSION=48.2.0
NUMBERS_INTEGRITY="sha512-0EQ+UkVDsyXOlxnWnL1RIENVZFqCnb04D1Yrku0obnOyttbuZz8tHmUd5c5AEvhGS/Gg2zI4fTaCm51LSGITog=="
CORE_INTEGRITY="sha512-zfmLothncSwfv2jlevoSrgI2VGgH8SDGHXst6jUEotHA8nq9Igeg9jzdJDFtBso9pgJuG89DK16TzrmZDdo2Bg=="

# The number-format locales the core generates (docs/i18n.md).
LOCALES="en en-001 en-SG en-MY en-ID zh-Hans zh-Hans-SG zh-Hans-HK ms ms-SG ms-ID id"
# The catalogue languages (plural rules, parent locales, likely subtags).
LANGS="en zh ms id"
# Plural rules kept only to test the build's rule compiler on CLDR's harder
# rules (%, ranges, lists, the f/t/w/e operands); nothing ships for them.
TEST_PLURAL_LANGS="fr ru ar lv br gd sl is he lt cy mt"

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/core/i18n/cldr"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cd "$tmp"
npm pack --silent "cldr-numbers-full@$VERSION" "cldr-core@$VERSION" >/dev/null

# npm's integrity string: "sha512-" + base64 of the tarball's SHA-512.
integrity() {
    node -e 'const c=require("crypto"),f=require("fs");
        process.stdout.write("sha512-"+c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$1"
}
check() {
    local file="$1" want="$2" got
    got="$(integrity "$file")"
    if [ "$got" != "$want" ]; then
        echo "cldr-update: $file: integrity $got, expected $want" >&2
        exit 1
    fi
}
check "cldr-numbers-full-$VERSION.tgz" "$NUMBERS_INTEGRITY"
check "cldr-core-$VERSION.tgz" "$CORE_INTEGRITY"

mkdir numbers core
tar -xzf "cldr-numbers-full-$VERSION.tgz" -C numbers
tar -xzf "cldr-core-$VERSION.tgz" -C core

mkdir -p "$out"
LOCALES="$LOCALES" LANGS="$LANGS" TEST_PLURAL_LANGS="$TEST_PLURAL_LANGS" OUT="$out" MONEY_RS="$root/core/src/money.rs" \
    NUMBERS="$tmp/numbers/package" CORE="$tmp/core/package" node - <<'EOF'
const fs = require("fs");
const path = require("path");
const env = process.env;
const locales = env.LOCALES.split(" ");
const langs = env.LANGS.split(" ");
const die = (msg) => { console.error("cldr-update: " + msg); process.exit(1); };
const read = (p) => JSON.parse(fs.readFileSync(p, "utf8"));

// Keys sorted at every level, two-space indent, final newline: stable diffs.
const sorted = (v) => Array.isArray(v) ? v.map(sorted)
    : v && typeof v === "object"
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]))
        : v;
const write = (name, data) =>
    fs.writeFileSync(path.join(env.OUT, name), JSON.stringify(sorted(data), null, 2) + "\n");

// The currencies the core knows: the ISO table of core/src/money.rs.
const money = fs.readFileSync(env.MONEY_RS, "utf8");
const codes = [...money.matchAll(/^\s*\(([A-Z]{3}), \d+, \d, "/gm)].map((m) => m[1]);
if (codes.length < 150) die(`found only ${codes.length} currencies in money.rs`);

const core = env.CORE, numbersDir = env.NUMBERS;
const sup = (f) => read(path.join(core, "supplemental", f)).supplemental;
const parentLocale = sup("parentLocales.json").parentLocales.parentLocale;
const ofLang = (tag) => langs.some((l) => tag === l || tag.startsWith(l + "-"));

// The parent a generated locale inherits from, among the generated ones.
const parentOf = (loc) => {
    let p = parentLocale[loc] ?? (loc.includes("-") ? loc.slice(0, loc.lastIndexOf("-")) : null);
    while (p && !locales.includes(p)) {
        p = parentLocale[p] ?? (p.includes("-") ? p.slice(0, p.lastIndexOf("-")) : null);
    }
    return p === "und" || p === "root" ? null : p;
};

const numbers = {}, currencies = {};
const resolved = {};
for (const loc of locales) {
    const n = read(path.join(numbersDir, "main", loc, "numbers.json")).main[loc].numbers;
    const ns = n.defaultNumberingSystem;
    if (ns !== "latn") die(`${loc}: default numbering system ${ns}, only latn is handled`);
    const sym = n["symbols-numberSystem-latn"], cur = n["currencyFormats-numberSystem-latn"];
    const dec = n["decimalFormats-numberSystem-latn"];
    numbers[loc] = {
        defaultNumberingSystem: ns,
        minimumGroupingDigits: n.minimumGroupingDigits,
        // No minusSign: amounts are unsigned (core/src/money.rs).
        "symbols-numberSystem-latn": { decimal: sym.decimal, group: sym.group },
        "decimalFormats-numberSystem-latn": { standard: dec.standard },
        "currencyFormats-numberSystem-latn": Object.fromEntries(
            ["standard", "standard-alphaNextToNumber", "currencySpacing"]
                .concat(Object.keys(cur).filter((k) => k.startsWith("unitPattern-count-")))
                .map((k) => [k, cur[k]])),
    };
    const c = read(path.join(numbersDir, "main", loc, "currencies.json")).main[loc].numbers.currencies;
    const keep = {};
    for (const code of codes) {
        if (!c[code]) continue;
        keep[code] = Object.fromEntries(Object.entries(c[code])
            .filter(([k]) => k === "symbol" || k.startsWith("displayName-count-")));
    }
    resolved[loc] = keep;
}
// Children keep only what differs from the parent; a key the parent has and
// the child lacks cannot be said that way, so it stops the script.
for (const loc of locales) {
    const parent = parentOf(loc);
    const mine = resolved[loc];
    if (!parent) { currencies[loc] = { _parent: null, ...mine }; continue; }
    const theirs = resolved[parent];
    const diff = {};
    for (const code of new Set([...Object.keys(mine), ...Object.keys(theirs)])) {
        const a = mine[code] ?? {}, b = theirs[code] ?? {};
        for (const k of Object.keys(b)) {
            if (!(k in a)) die(`${loc} ${code}: ${k} is inherited away from ${parent}`);
        }
        const d = Object.fromEntries(Object.entries(a).filter(([k, v]) => b[k] !== v));
        if (Object.keys(d).length) diff[code] = d;
    }
    currencies[loc] = { _parent: parent, ...diff };
}
write("numbers.json", { main: numbers });
write("currencies.json", { main: currencies });

const fractions = sup("currencyData.json").currencyData.fractions;
write("currencyData.json", { supplemental: { currencyData: { fractions: Object.fromEntries(
    Object.entries(fractions).filter(([k]) => k === "DEFAULT" || codes.includes(k))) } } });

const plurals = sup("plurals.json")["plurals-type-cardinal"];
write("plurals.json", { supplemental: { "plurals-type-cardinal": Object.fromEntries(
    langs.concat(env.TEST_PLURAL_LANGS.split(" ")).map((l) => { if (!plurals[l]) die(`no plural rules for ${l}`); return [l, plurals[l]]; })) } });

write("parentLocales.json", { supplemental: { parentLocales: { parentLocale: Object.fromEntries(
    Object.entries(parentLocale).filter(([k]) => ofLang(k))) } } });

const likely = sup("likelySubtags.json").likelySubtags;
write("likelySubtags.json", { supplemental: { likelySubtags: Object.fromEntries(
    Object.entries(likely).filter(([k]) => ofLang(k))) } });

// Only plain language-code aliases (in → id, zsm → ms): the negotiation maps
// the language subtag alone.
const alias = sup("aliases.json").metadata.alias.languageAlias;
write("aliases.json", { supplemental: { metadata: { alias: { languageAlias: Object.fromEntries(
    Object.entries(alias).filter(([k, v]) => /^[a-z]{2,3}$/.test(k) && langs.includes(v._replacement))) } } } });
EOF

cp "$tmp/numbers/package/LICENSE" "$out/LICENSE"
cmp -s "$tmp/numbers/package/LICENSE" "$tmp/core/package/LICENSE" \
    || { echo "cldr-update: the two packages' LICENSE files differ" >&2; exit 1; }

cat >"$out/SOURCE.md" <<EOF
# CLDR data (trimmed)

Generated by \`scripts/cldr-update.sh\`; do not edit by hand. \`core/build/cldr.rs\`
turns these files into the tables of \`scanpay_core::i18n\` (ADR 0024).

| package | version | integrity (npm, checked by the script) |
|---|---|---|
| cldr-numbers-full | $VERSION | \`$NUMBERS_INTEGRITY\` |
| cldr-core | $VERSION | \`$CORE_INTEGRITY\` |

Unicode CLDR $VERSION, © Unicode, Inc., under the Unicode License v3
(SPDX \`Unicode-3.0\`): the text is in \`LICENSE\` beside this file, copied from
the package.

What is kept: number-format locales $LOCALES;
catalogue languages $LANGS (plurals.json also has $TEST_PLURAL_LANGS, whose
rules only test the build's rule compiler). The JSON paths are CLDR's own (\`main.<locale>.numbers…\`,
\`supplemental…\`), trimmed to the keys the generator reads. In \`currencies.json\`
a locale other than a root language lists only what differs from \`_parent\`
(the nearest generated locale on CLDR's parent chain), as CLDR's XML does;
currencies are limited to those of \`core/src/money.rs\`.
EOF
echo "cldr-update: wrote $(ls "$out" | wc -l) files to core/i18n/cldr (CLDR $VERSION)"
