#!/usr/bin/env bash
# fuzz/run.sh TARGET SECONDS [libFuzzer options...]
#
# Builds the `fuzz` preset (clang, libFuzzer, ASan+UBSan) and runs TARGET
# (fuzz/TARGET.c: fuzz_form, fuzz_dates, fuzz_segments, fuzz_route,
# fuzz_smpp_pdu, fuzz_smpp_dlr, fuzz_twiml, fuzz_cidr, fuzz_audit, fuzz_verify,
# fuzz_phone, fuzz_http, fuzz_webauthn_cbor, fuzz_webauthn_json) for SECONDS.
#
#   fuzz/corpus/TARGET/   committed seeds, only read
#   fuzz/corpus-TARGET/   work corpus (gitignored): seeded from the above,
#                         grows across runs
#   fuzz/crashes/         crash-/leak-/timeout- reproducers, named TARGET-...
#   build/fuzz/fuzz/TARGET.log   the run's output (under PP_FUZZ_BUILD_DIR)
#
# Environment: PP_FUZZ_BUILD_DIR (default build/fuzz) is the preset's build
# directory; PP_FUZZ_NO_BUILD=1 skips the build step.
# Extra arguments go to libFuzzer, e.g. -jobs=4 -workers=4, or -runs=0 to
# only replay the corpus.  To replay one reproducer:
#   build/fuzz/fuzz/TARGET fuzz/crashes/TARGET-crash-...
# Exit status: 0 when the run ended without a finding, libFuzzer's otherwise.
set -euo pipefail

usage() { echo "usage: $0 TARGET SECONDS [libFuzzer options...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
target=$1 secs=$2
shift 2
[[ $secs =~ ^[0-9]+$ ]] || usage

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [[ ! $target =~ ^fuzz_[a-z0-9_]+$ ]] || [ ! -f "fuzz/$target.c" ]; then
  echo "$0: unknown target '$target' (one of: $(cd fuzz && ls fuzz_*.c | sed 's/\.c$//' | tr '\n' ' '))" >&2
  exit 2
fi
build=${PP_FUZZ_BUILD_DIR:-build/fuzz}
if [ -z "${PP_FUZZ_NO_BUILD:-}" ]; then
  cmake --preset fuzz -B "$build" >/dev/null
  cmake --build "$build" --target "$target"
fi
bin=$build/fuzz/$target
[ -x "$bin" ] || { echo "$0: $bin not built" >&2; exit 1; }

seeds=fuzz/corpus/$target work=fuzz/corpus-$target
mkdir -p "$work" fuzz/crashes
cp -n "$seeds"/* "$work"/ 2>/dev/null || true

dict=()
[ -f "fuzz/dict/$target.dict" ] && dict=(-dict="fuzz/dict/$target.dict")

# UBSan is compiled in recover mode; halt so that libFuzzer keeps the input.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}

log=$build/fuzz/$target.log
echo "fuzzing $target for ${secs}s; work corpus $work; log $log"
set +e
"$bin" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="fuzz/crashes/$target-" "${dict[@]}" \
  "$@" "$work" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
echo "corpus: $(ls "$work" | wc -l) files in $work; exit status $rc"
exit "$rc"
