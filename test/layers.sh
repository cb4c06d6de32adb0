#!/usr/bin/env bash
# test/layers.sh: tools/check-layers.sh fails where it should.  On a copy of
# src/ it plants an upward include (the engine reaching the HTTP layer), a
# sideways one (the engine reaching SMPP) and another layer's private header
# (the store backend's), and expects a non-zero exit naming each file:line;
# the unplanted copy must pass.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r src "$tmp/"
tools/check-layers.sh "$tmp" || { echo "the unchanged tree fails the check" >&2; exit 1; }
status=0
expect() { # file line text: plant text as the given line, then expect file:line
  sed -i "$(($2 - 1))a $3" "$tmp/$1"
  if out=$(tools/check-layers.sh "$tmp"); then
    echo "planted $1:$2 ($3), and the check passed" >&2
    status=1
  elif ! grep -qF "$1:$2: " <<<"$out"; then
    echo "planted $1:$2 ($3); the check failed without naming it:" >&2
    echo "$out" >&2
    status=1
  fi
}
expect src/engine/engine.c 3 '#include "http/http.h"'
expect src/engine/webhooks.c 4 '#include "channel/smpp/session.h"'
expect src/api/messages.c 5 '#include "store/backend.h"'
exit $status
