#!/usr/bin/env bash
# tools/check-layers.sh: fails, naming file:line, on an #include under src/
# that points to a layer its own may not include, or to a header private to
# another folder.  The layers, their order and the private headers are
# written once, in src/LAYERS (docs/internals/layers.md).
#   tools/check-layers.sh [ROOT]   ROOT holds src/; default this repository.
# Exit 0 clean, 1 on a violation, 2 on a bad src/LAYERS.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
[[ -f src/LAYERS ]] || { echo "check-layers: no src/LAYERS under $root" >&2; exit 2; }
mapfile -t files < <(find src -type f \( -name '*.c' -o -name '*.h' -o -name '*.def' \) | LC_ALL=C sort)
awk -v spec=src/LAYERS '
function fail(where, msg) { print where ": " msg; bad++ }
# The longest layer that path p (relative to src/, a file) lies in, or "".
function layer_of(p,   d) {
  d = p
  while (sub(/\/[^\/]*$/, "", d))
    if (d in known) return d
  return ""
}
function is_private(inc,   i, base) {
  base = inc; sub(/.*\//, "", base)
  for (i = 1; i <= npriv; i++) {
    if (priv[i] ~ /^\*/) { if (substr(base, length(base) - length(priv[i]) + 2) == substr(priv[i], 2)) return 1 }
    else if (inc == priv[i]) return 1
  }
  return 0
}
BEGIN {
  while ((getline line < spec) > 0) {
    ln++
    sub(/#.*/, "", line)
    if (line !~ /:/) { if (line ~ /[^ \t]/) { print spec ":" ln ": expected `layer: layers`"; exit 2 } continue }
    name = line; sub(/:.*/, "", name); gsub(/[ \t]/, "", name)
    rest = line; sub(/^[^:]*:/, "", rest)
    n = split(rest, w, /[ \t]+/)
    if (name == "private") { for (i = 1; i <= n; i++) if (w[i] != "") priv[++npriv] = w[i]; continue }
    known[name] = ln
    for (i = 1; i <= n; i++) if (w[i] != "") { allow[name, w[i]] = 1; named[name, w[i]] = ln }
  }
  close(spec)
  for (k in named) { split(k, kv, SUBSEP)
    if (!(kv[2] in known)) { print spec ":" named[k] ": " kv[1] " names " kv[2] ", which is no layer"; exit 2 }
    # Down only: a layer names lower lines, or a folder its own sub- or parent folder.
    if (known[kv[2]] > known[kv[1]] && index(kv[2], kv[1] "/") != 1 && index(kv[1], kv[2] "/") != 1) {
      print spec ":" named[k] ": " kv[1] " names " kv[2] ", a layer above it"; exit 2 } }
}
/^[ \t]*#[ \t]*include[ \t]*["<]/ {
  inc = $0; sub(/^[^"<]*["<]/, "", inc); sub(/[">].*$/, "", inc)
  quoted = ($0 ~ /include[ \t]*"/)
  if (inc !~ /\//) next                     # beside the file, or a system header
  file = FILENAME; sub(/^src\//, "", file)
  from = layer_of(file); to = layer_of(inc)
  if (inc ~ /(^|\/)\.\.?\//) { fail(FILENAME ":" FNR, "includes \"" inc "\": name headers from src/, as \"layer/file.h\""); next }
  if (to == "") { if (quoted) fail(FILENAME ":" FNR, "includes \"" inc "\", in no layer of src/LAYERS"); next }
  if (from == "") { fail(FILENAME ":" FNR, "is in no layer of src/LAYERS"); next }
  if (from != to && !((from, to) in allow))
    fail(FILENAME ":" FNR, "includes \"" inc "\": layer " from " may not include " to " (src/LAYERS)")
  if (is_private(inc)) {
    owner = inc; sub(/\/[^\/]*$/, "", owner)
    if (index(file, owner "/") != 1)
      fail(FILENAME ":" FNR, "includes \"" inc "\", private to src/" owner "/ (src/LAYERS)")
  }
}
END { if (bad) { print bad " include(s) break the layers (src/LAYERS)"; exit 1 } }' "${files[@]}"
