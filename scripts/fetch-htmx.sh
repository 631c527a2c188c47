#!/usr/bin/env bash
# Re-fetch the vendored htmx release from the npm registry and check it is byte-for-byte
# the pinned file. Usage: scripts/fetch-htmx.sh [--check]   (--check: compare only)
set -euo pipefail
VERSION=2.0.11
MIN_SHA=d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717
LICENSE_SHA=d3d2456f76414f2456104660ebd65aff1c04cd7966b942bdabd63f3cdb316a38
here=$(cd "$(dirname "$0")/.." && pwd)
dest="$here/static/vendor/htmx"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "htmx.org@$VERSION" >/dev/null && tar xzf "htmx.org-$VERSION.tgz")
echo "$MIN_SHA  $work/package/dist/htmx.min.js" | sha256sum --check --quiet
echo "$LICENSE_SHA  $work/package/LICENSE" | sha256sum --check --quiet
if [ "${1:-}" = "--check" ]; then
  cmp "$work/package/dist/htmx.min.js" "$dest/htmx.min.js"
  cmp "$work/package/LICENSE" "$dest/LICENSE"
  echo "static/vendor/htmx matches htmx.org@$VERSION"
else
  cp "$work/package/dist/htmx.min.js" "$dest/htmx.min.js"
  cp "$work/package/LICENSE" "$dest/LICENSE"
  echo "vendored htmx.org@$VERSION into static/vendor/htmx"
fi
