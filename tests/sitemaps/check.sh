#!/usr/bin/env bash
# Validates a running site's sitemaps against the XML schemas in ../shared/schemas/:
#   tests/sitemaps/check.sh BASE_URL        (e.g. http://127.0.0.1:8080)
# Fetches /sitemap.xml (checked against siteindex.xsd), every sitemap it lists (against
# sitemap-with-extensions.xsd, which imports sitemap.xsd) and /news-sitemap.xml (against
# the same wrapper, which also loads the Google News schema from the same folder, so
# nothing is fetched from the network). The news sitemap must list at least one
# article: run this against a site with fresh stories (the demo's are hours old).
# Prints a summary; exits non-zero on any failure.
set -uo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BASE_URL" >&2
  exit 2
fi
base=${1%/}
schemas="$(cd "$(dirname "$0")/../../../shared/schemas" && pwd)" || {
  echo "no schema folder at $(dirname "$0")/../../../shared/schemas" >&2
  exit 2
}

if ! command -v xmllint >/dev/null 2>&1; then
  echo "xmllint is missing: installing libxml2-utils" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get install -y libxml2-utils >/dev/null 2>&1 \
    || { $sudo_cmd apt-get update >/dev/null 2>&1 && $sudo_cmd apt-get install -y libxml2-utils >/dev/null 2>&1; } \
    || { echo "cannot install libxml2-utils" >&2; exit 2; }
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
checked=0
failed=0

fail() {
  echo "FAIL $1" >&2
  failed=$((failed + 1))
}

# fetch URL FILE: the body into FILE; fails unless 200 with an XML content type.
fetch() {
  local type
  type=$(curl -sS -o "$2" -w '%{http_code} %{content_type}' "$1") || return 1
  case "$type" in
    "200 application/xml"*) return 0 ;;
    *) echo "  $1 answered: $type" >&2; return 1 ;;
  esac
}

# validate URL SCHEMA NAME
validate() {
  local url=$1 schema=$2 file="$work/$3"
  checked=$((checked + 1))
  if ! fetch "$url" "$file"; then
    fail "$url (fetch)"
    return 1
  fi
  if out=$(xmllint --noout --nonet --schema "$schemas/$schema" "$file" 2>&1); then
    echo "ok   $url ($schema)"
  else
    echo "$out" | sed 's/^/  /' | head -20 >&2
    fail "$url ($schema)"
    return 1
  fi
}

if validate "$base/sitemap.xml" siteindex.xsd index.xml; then
  # The sitemaps the index lists.
  mapfile -t listed < <(xmllint --xpath \
    "//*[local-name()='sitemap']/*[local-name()='loc']/text()" "$work/index.xml" 2>/dev/null \
    | sed 's/&amp;/\&/g' | grep -v '^$')
  if [ "${#listed[@]}" -eq 0 ]; then
    fail "$base/sitemap.xml lists no sitemaps"
  fi
  n=0
  for url in "${listed[@]}"; do
    n=$((n + 1))
    validate "$url" sitemap-with-extensions.xsd "listed-$n.xml"
  done
fi

if validate "$base/news-sitemap.xml" sitemap-with-extensions.xsd news.xml; then
  fresh=$(grep -o '<news:news>' "$work/news.xml" | wc -l)
  if [ "$fresh" -eq 0 ]; then
    fail "$base/news-sitemap.xml lists no fresh article (run against a site with stories from the last 48 hours)"
  else
    echo "     news sitemap: $fresh article(s)"
  fi
fi

echo "sitemaps: $checked checked, $failed failed"
[ "$failed" -eq 0 ]
