#!/usr/bin/env bash
# test/standalone.sh: the repository stands alone.  A clone with nothing
# beside it must build, run and pass the suite, so no tracked file may
# point outside the tree at the sibling folder that held the design notes
# and spec copies (SIBLING below, reached as ../SIBLING or /work/SIBLING),
# and what the tests read from outside the source (Twilio's OpenAPI files)
# must come from a pinned dependency inside it.
set -euo pipefail
cd "$(dirname "$0")/.."
unset PIPIT_OAI_DIR # the default is what a clone gets
status=0
SIBLING=shared
if hits=$(git grep -nE "(\\.\\./|/work/)$SIBLING/" -- . ':!test/standalone.sh'); then
  echo "tracked files that reach outside the repository:" >&2
  echo "$hits" >&2
  status=1
fi
spec=$(node -e "import('./test/integration/oai.js').then(m => console.log(m.defaultOaiDir(process.cwd())))")
case $spec in
"$PWD"/node_modules/*) ;;
*) echo "the OpenAPI files are read from $spec, outside the repository" >&2; status=1 ;;
esac
[[ -f $spec/twilio_api_v2010.json ]] || { echo "no twilio_api_v2010.json in $spec" >&2; status=1; }
grep -q '"@twilio-alpha/mcp": "[0-9]' package.json ||
  { echo "@twilio-alpha/mcp is not pinned to one version in package.json" >&2; status=1; }
exit $status
