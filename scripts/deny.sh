#!/usr/bin/env bash
# Supply-chain gate, configured in deny.toml:
#   - licences (allow-list), bans (aws-lc-rs, aws-lc-sys, OpenSSL) and sources
#     (crates.io only);
#   - known advisories (RustSec), OFFLINE, against a snapshot of the advisory
#     database: $SCANPAY_ADVISORY_DB, default ../shared/advisory-db (beside the
#     repository). When that folder is absent the advisories check is skipped
#     with a message saying so; the other checks still run.
#
# Installs cargo-deny $CARGO_DENY_VERSION when it is missing or another version
# (compiles for about 5 minutes once): the version tested with this script and
# deny.toml.
#
# cargo-deny reads an advisory database only as a git checkout, at
# <db-path>/advisory-db-<16 hex digits of XxHash64 of the database URL>
# (src/advisories/helpers/db.rs, url_to_db_path). This script copies the
# snapshot into a fresh git repository of that name under
# ${CARGO_TARGET_DIR:-target}/advisory-dbs (never ~/.cargo), commits it once
# (author, committer and date set inline, so the user's git config is not
# needed), rebuilds it only when the snapshot's content changes, and points
# deny.toml's db-path at it through SCANPAY_ADVISORY_DBS.
#
# Usage: scripts/deny.sh
#   SCANPAY_ADVISORY_DB=/path/to/advisory-db scripts/deny.sh   # a fresher copy
# A fresher copy is any checkout or unpacked archive of the RustSec
# advisory-db repository (the folder holding crates/ and rust/); a SNAPSHOT
# file in it ("rustsec/advisory-db <commit> (<YYYY-MM-DD>)") is optional and
# only used for the date shown.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

CARGO_DENY_VERSION=0.20.2
# The folder name cargo-deny 0.20 derives from its default database URL
# (https://github.com/RustSec/advisory-db, lower-cased, XxHash64 with seed
# 0xca80de71). Checked below: a wrong name makes cargo-deny fail to open it.
DB_DIR_NAME=advisory-db-3157b0e258782691
STALE_DAYS=90

installed=$(cargo deny --version 2>/dev/null | awk '{print $2}' || true)
if [[ "$installed" != "$CARGO_DENY_VERSION" ]]; then
  echo "cargo-deny ${installed:-not found}: installing $CARGO_DENY_VERSION (cargo install --locked cargo-deny --version $CARGO_DENY_VERSION)…" >&2
  cargo install --locked cargo-deny --version "$CARGO_DENY_VERSION"
fi

cargo deny --log-level warn check licenses bans sources

src=${SCANPAY_ADVISORY_DB:-$root/../shared/advisory-db}
if [[ ! -d "$src/crates" ]]; then
  echo "deny: advisories SKIPPED: no advisory database at $src (no crates/ folder)." >&2
  echo "deny: set SCANPAY_ADVISORY_DB to a copy of the RustSec advisory-db to check known advisories." >&2
  exit 0
fi
src=$(cd "$src" && pwd)

cargo_target=$(mkdir -p "${CARGO_TARGET_DIR:-target}" && cd "${CARGO_TARGET_DIR:-target}" && pwd)
dbs="$cargo_target/advisory-dbs"
db="$dbs/$DB_DIR_NAME"

# What the snapshot is: its content hash decides whether to rebuild (a copy
# replaced in place under the same SNAPSHOT line is still noticed).
snapshot_line=$(head -n 1 "$src/SNAPSHOT" 2>/dev/null || echo "$src (no SNAPSHOT file)")
content=$(cd "$src" && find . -path ./.git -prune -o -type f -print0 | LC_ALL=C sort -z \
  | xargs -0 sha256sum | sha256sum | cut -c1-64)
snapshot_date=$(sed -n 's/.*(\([0-9]\{4\}-[0-9]\{2\}-[0-9]\{2\}\)).*/\1/p' <<<"$snapshot_line")

if [[ "$(cat "$db/.scanpay-snapshot" 2>/dev/null || true)" != "$content" ]]; then
  echo "deny: building the advisory database checkout $db from $src" >&2
  rm -rf "$db.tmp"
  mkdir -p "$db.tmp"
  (cd "$src" && tar --exclude=./.git -cf - .) | (cd "$db.tmp" && tar -xf -)
  # The snapshot may be read-only (CI's copy of shared/ has no write bits):
  # the checkout must stay removable when the snapshot changes.
  chmod -R u+w "$db.tmp"
  date_env=()
  if [[ -n "$snapshot_date" ]]; then
    date_env=(GIT_AUTHOR_DATE="${snapshot_date}T00:00:00Z" GIT_COMMITTER_DATE="${snapshot_date}T00:00:00Z")
  fi
  (
    cd "$db.tmp"
    git init -q -b main .
    git add -A .
    env "${date_env[@]}" GIT_AUTHOR_NAME=scanpay GIT_AUTHOR_EMAIL=scanpay@localhost \
      GIT_COMMITTER_NAME=scanpay GIT_COMMITTER_EMAIL=scanpay@localhost \
      git -c commit.gpgsign=false commit -q -m "$snapshot_line"
  )
  # The marker lives outside .git and is ignored by cargo-deny (it reads
  # crates/ and rust/ only).
  printf '%s\n' "$content" >"$db.tmp/.scanpay-snapshot"
  rm -rf "$db"
  mv "$db.tmp" "$db"
fi
# cargo-deny --offline refuses a checkout "fetched" more than 90 days ago,
# judged by .git/FETCH_HEAD's time, else HEAD's. That would measure when this
# folder was built, not how old the snapshot is; the snapshot's own age is
# reported below instead, so mark the checkout as fetched now.
git -C "$db" rev-parse HEAD >"$db/.git/FETCH_HEAD"

age=""
if [[ -n "$snapshot_date" ]]; then
  age=$(( ($(date -u +%s) - $(date -u -d "$snapshot_date" +%s)) / 86400 ))
fi
echo "deny: advisories against $snapshot_line${age:+, $age days old}" >&2
if [[ -n "$age" && "$age" -gt "$STALE_DAYS" ]]; then
  echo "deny: WARNING: the advisory snapshot is over $STALE_DAYS days old: advisories published since are not checked;" >&2
  echo "deny:          point SCANPAY_ADVISORY_DB at a fresh copy (see docs/testing.md, Supply chain)." >&2
fi
SCANPAY_ADVISORY_DBS="$dbs" cargo deny --offline --log-level warn check advisories
