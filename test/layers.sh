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
expect() { # file text: plant text after the file's first #include, expect file:line
  local n
  n=$(grep -n -m1 '^#include' "$tmp/$1" | cut -d: -f1)
  n=$((n + 1))
  sed -i "$((n - 1))a $2" "$tmp/$1"
  if out=$(tools/check-layers.sh "$tmp"); then
    echo "planted $1:$n ($2), and the check passed" >&2
    status=1
  elif ! grep -qF "$1:$n: " <<<"$out"; then
    echo "planted $1:$n ($2); the check failed without naming it:" >&2
    echo "$out" >&2
    status=1
  fi
}
expect src/engine/engine.c '#include "http/http.h"'
expect src/engine/webhooks.c '#include "channel/smpp/session.h"'
expect src/api/messages.c '#include "store/backend.h"'
exit $status
