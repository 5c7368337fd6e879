#!/usr/bin/env bash
# The page-quality suite: starts a fresh Masthead site (the demo plus the first 60 articles of the
# BBC News corpus), then checks every public page type with real external validators: the Nu HTML
# Checker (vnu.jar) and axe-core (WCAG 2.x A/AA) in Debian's Chromium, plus HTTP status codes
# (check.mjs); validates every feed kind (feedparser, a JSON Feed schema) and every sitemap
# (xmllint against ../shared/schemas); then walks the newsroom's front door end to end in the same browser, validating
# every newsroom page it visits and scanning the server's log for secrets (newsroom.mjs).
# Rust tests cannot see what a browser and a validator see, so CI runs this (from .ci/run).
#
# Environment: MASTHEAD_BIN   use this binary instead of building one (cargo build --release)
#              MASTHEAD_CORPUS the JSONL corpus (default: the repository's ../shared/corpus/bbc-news.jsonl)
#              CI=true         a missing corpus is a failure, not a skip
#              SHOTS_DIR       where the screenshots go (default /tmp/masthead-shots)
# Exits non-zero on any failure.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CORPUS=${MASTHEAD_CORPUS:-$ROOT/../shared/corpus/bbc-news.jsonl}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/tmp/masthead-target}
phase() { echo "== $1 ($((SECONDS - T0))s since the last phase)"; T0=$SECONDS; }
T0=$SECONDS

# ---- Install what is missing ----
if [ ! -x /usr/bin/chromium ]; then
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi
if ! java -version >/dev/null 2>&1; then
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y default-jre-headless
fi
# The feed and sitemap validators: feedparser, jsonschema (Debian's Python), xmllint.
if ! /usr/bin/python3 -c 'import feedparser, jsonschema' >/dev/null 2>&1 || ! command -v xmllint >/dev/null 2>&1; then
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y python3-feedparser python3-jsonschema libxml2-utils
fi
# --ignore-scripts: vnu-jar's postinstall would download a JRE; we use the system's Java.
if ! (cd "$HERE" && npm ls --silent >/dev/null 2>&1); then
  (cd "$HERE" && npm ci --ignore-scripts --no-audit --no-fund)
fi
phase "installed"

# ---- The binary ----
if [ -n "${MASTHEAD_BIN:-}" ]; then
  BIN=$MASTHEAD_BIN
else
  (cd "$ROOT" && cargo build --release) # a no-op when it is up to date
  BIN=$CARGO_TARGET_DIR/release/masthead
fi
[ -x "$BIN" ] || { echo "no masthead binary at $BIN" >&2; exit 1; }
phase "built"

# ---- A fresh site on a free port ----
WORK=$(mktemp -d /tmp/masthead-pages.XXXXXX)
SERVER=
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
BASE_URL=http://127.0.0.1:$PORT
# Run from $WORK so that no masthead.toml of the current folder is picked up.
# Verbose logging: the newsroom suite scans this log for every secret it handled.
(cd "$WORK" && MASTHEAD_LOG=${MASTHEAD_LOG:-debug,hyper=info,h2=info} exec "$BIN" serve --data "$WORK/data" --addr "127.0.0.1:$PORT" --timezone Europe/London) >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 120); do
  curl -fs "$BASE_URL/healthz" >/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || break
  sleep 0.5
done
if ! curl -fs "$BASE_URL/healthz" >/dev/null; then
  echo "the server did not start; its log:" >&2; cat "$WORK/server.log" >&2; exit 1
fi

CORPUS_IMPORTED=0
if [ -f "$CORPUS" ]; then
  head -n 60 "$CORPUS" >"$WORK/corpus.jsonl"
  (cd "$WORK" && "$BIN" import jsonl "$WORK/corpus.jsonl" --data "$WORK/data" --quiet)
  # Wait until an imported article is on the home page (the page cache follows the change log).
  FIRST=$(curl -fs "$BASE_URL/api/v1/articles?per_page=100" | node -e 'let s="";process.stdin.on("data",d=>s+=d)
    .on("end",()=>console.log((JSON.parse(s).find(a=>!String(a.external_id).startsWith("demo:"))||{}).url))')
  on_home() { curl -fs "$BASE_URL/" | grep -F "href=\"$FIRST\"" >/dev/null; }
  for _ in $(seq 1 60); do on_home && break; sleep 0.5; done
  on_home || { echo "the imported articles never reached the home page ($FIRST)" >&2; exit 1; }
  CORPUS_IMPORTED=1
else
  printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
  echo "!!! SKIPPED: no corpus at $CORPUS: imported articles are NOT checked (demo only)." >&2
  printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
fi
phase "site started on $BASE_URL"

# ---- The checks ----
STATUS=0
BASE_URL=$BASE_URL CORPUS_IMPORTED=$CORPUS_IMPORTED node "$HERE/check.mjs" || STATUS=$?
phase "public pages checked"
# Every feed kind parsed by feedparser (no bozo) and the JSON Feed against its schema;
# every sitemap against the schemas in ../shared/schemas (the demo's stories are hours old,
# so the news sitemap has articles to validate).
/usr/bin/python3 "$ROOT/tests/feeds/check.py" "$BASE_URL" || STATUS=$?
"$ROOT/tests/sitemaps/check.sh" "$BASE_URL" || STATUS=$?
phase "feeds and sitemaps validated"
BASE_URL=$BASE_URL SERVER_LOG=$WORK/server.log MAIL_DIR=$WORK/data/mail SITE_TIMEZONE=Europe/London \
  node "$HERE/newsroom.mjs" || STATUS=$?
phase "newsroom end to end"
if [ "$CORPUS_IMPORTED" = 0 ] && [ "${CI:-}" = true ]; then
  echo "!!! FAILED: CI=true and the corpus is missing, so the suite was incomplete." >&2
  STATUS=1
fi
exit "$STATUS"
