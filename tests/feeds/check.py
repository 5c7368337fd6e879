#!/usr/bin/env python3
"""Checks a running Masthead site's feeds with independent parsers.

Usage: python3 tests/feeds/check.py BASE_URL    (e.g. http://127.0.0.1:8080)

Fetches the site's RSS, Atom and JSON feeds, one section's, one tag's and one
author's (slugs found through /api/v1/sections, /api/v1/tags and /api/v1/authors), and
one article's comment feeds (an article from /api/v1/articles, its url + "feed/").
Every RSS and Atom feed must parse with feedparser without `bozo`; RSS items need a
guid and a date; Atom entries need unique ids, `updated` and authors; JSON Feeds must
validate against jsonfeed-1.1.schema.json (next to this file).

Needs python3 with feedparser and jsonschema (Debian: python3-feedparser,
python3-jsonschema). Exits non-zero, naming every failure, when anything is wrong.
"""

import json
import pathlib
import sys
import urllib.error
import urllib.parse
import urllib.request

try:
    import feedparser
    import jsonschema
except ImportError as e:  # pragma: no cover - environment problem
    sys.exit(
        f"check.py: {e}; install python3-feedparser and python3-jsonschema "
        "(or pip install feedparser jsonschema)"
    )

SCHEMA_PATH = pathlib.Path(__file__).with_name("jsonfeed-1.1.schema.json")
TYPES = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}

failures = []
summary = []


def fail(what, why):
    failures.append(f"{what}: {why}")


def get(base, path):
    """(status, content type, body bytes) of GET base+path, following no redirects."""
    url = urllib.parse.urljoin(base, path)
    req = urllib.request.Request(url, headers={"User-Agent": "masthead-feed-check"})
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, res.headers.get("Content-Type", ""), res.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()
    except (urllib.error.URLError, OSError) as e:
        sys.exit(f"check.py: cannot fetch {url}: {e}")


def api_list(base, path):
    status, _, body = get(base, path)
    if status != 200:
        fail(path, f"answered {status}")
        return []
    data = json.loads(body)
    if isinstance(data, dict):
        for key in ("items", "articles", "data", "results"):
            if isinstance(data.get(key), list):
                return data[key]
        fail(path, "no list in the answer")
        return []
    return data


def fetch_feed(base, path, kind):
    status, ctype, body = get(base, path)
    if status != 200:
        fail(path, f"answered {status}")
        return None
    if not ctype.startswith(TYPES[kind]):
        fail(path, f"content type {ctype!r}, expected {TYPES[kind]}")
    return body


def check_rss(base, path):
    body = fetch_feed(base, path, "rss")
    if body is None:
        return
    d = feedparser.parse(body)
    if d.bozo:
        fail(path, f"feedparser bozo: {d.bozo_exception!r}")
        return
    if not d.version.startswith("rss"):
        fail(path, f"not RSS (feedparser says {d.version!r})")
    if not d.feed.get("title"):
        fail(path, "the channel has no title")
    if not any(l.get("rel") == "self" for l in d.feed.get("links", [])):
        fail(path, 'no atom:link rel="self"')
    for n, e in enumerate(d.entries):
        what = f"{path} item {n + 1}"
        if not e.get("id"):
            fail(what, "no guid")
        if not e.get("published_parsed"):
            fail(what, "no (parseable) pubDate")
        if not str(e.get("link", "")).startswith(("http://", "https://")):
            fail(what, f"link is not absolute: {e.get('link')!r}")
        for enc in e.get("enclosures", []):
            if not enc.get("length") or not enc.get("type"):
                fail(what, f"enclosure without length or type: {enc}")
    summary.append(f"RSS   {path}: {len(d.entries)} items")


def check_atom(base, path):
    body = fetch_feed(base, path, "atom")
    if body is None:
        return
    d = feedparser.parse(body)
    if d.bozo:
        fail(path, f"feedparser bozo: {d.bozo_exception!r}")
        return
    if d.version != "atom10":
        fail(path, f"not Atom 1.0 (feedparser says {d.version!r})")
    if not d.feed.get("updated"):
        fail(path, "the feed has no updated")
    if not any(l.get("rel") == "self" for l in d.feed.get("links", [])):
        fail(path, 'no link rel="self"')
    feed_authors = d.feed.get("authors") or []
    ids = [e.get("id") for e in d.entries]
    if any(not i for i in ids):
        fail(path, "an entry has no id")
    if len(set(ids)) != len(ids):
        fail(path, "entry ids are not unique")
    for n, e in enumerate(d.entries):
        what = f"{path} entry {n + 1}"
        if not e.get("updated_parsed"):
            fail(what, "no (parseable) updated")
        authors = [a for a in e.get("authors", []) if a.get("name")]
        if not authors and not feed_authors:
            fail(what, "no author (and the feed names none)")
    summary.append(f"Atom  {path}: {len(d.entries)} entries")


def check_json(base, path, schema):
    body = fetch_feed(base, path, "json")
    if body is None:
        return
    try:
        doc = json.loads(body)
    except ValueError as e:
        fail(path, f"not JSON: {e}")
        return
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    for e in errors[:10]:
        where = "/".join(str(p) for p in e.path) or "(top)"
        fail(path, f"schema: {where}: {e.message}")
    ids = [i.get("id") for i in doc.get("items", [])]
    if len(set(ids)) != len(ids):
        fail(path, "item ids are not unique")
    summary.append(f"JSON  {path}: {len(ids)} items")


def check_all_kinds(base, feed_path, schema):
    check_rss(base, feed_path)
    check_atom(base, feed_path + "atom/")
    check_json(base, feed_path + "json/", schema)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    base = sys.argv[1].rstrip("/") + "/"
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)

    scopes = ["/feed/"]
    for api, word in (("sections", "section"), ("tags", "tag"), ("authors", "author")):
        terms = api_list(base, f"api/v1/{api}")
        if not terms:
            fail(f"/api/v1/{api}", f"no {api} to check a {word} feed with")
            continue
        slug = terms[0]["slug"]
        scopes.append(f"/{word}/{urllib.parse.quote(slug, safe='')}/feed/")
    articles = api_list(base, "api/v1/articles")
    if articles:
        # The most-commented story, so the comment feed has something in it.
        a = max(articles, key=lambda a: a.get("comment_count") or 0)
        path = urllib.parse.urlsplit(a["url"]).path
        scopes.append(path.rstrip("/") + "/feed/")
    else:
        fail("/api/v1/articles", "no article to check a comment feed with")

    for scope in scopes:
        check_all_kinds(base, scope, schema)

    print("\n".join(summary))
    if failures:
        print(f"\n{len(failures)} problem(s):", file=sys.stderr)
        for f in failures:
            print(f"  FAIL {f}", file=sys.stderr)
        sys.exit(1)
    print(f"All {len(summary)} feeds are well formed.")


if __name__ == "__main__":
    main()
