#!/usr/bin/env bash
# A coverage-guided run of one fuzz target (libFuzzer through cargo-fuzz, stable toolchain,
# no sanitizer). See tests/fuzz/README.md.
#
#   tests/fuzz/libfuzzer.sh <target> <seconds>          fuzz; new inputs go to a scratch corpus
#   KEEP=1 tests/fuzz/libfuzzer.sh <target> <seconds>   then merge (minimize) them into the kept
#                                                       corpus tests/fuzz/corpus/<target>/
#
# Targets: personnummer dto headers cursor audit. A crash or a hang (> 10 s on one input) stops
# the run with the input in tests/fuzz/targets/artifacts/<target>/; fix the bug and copy the
# input to tests/fuzz/regressions/<target>/ (replayed by `cargo test`).
set -euo pipefail
target=${1:?usage: libfuzzer.sh <target> <seconds>}
seconds=${2:?usage: libfuzzer.sh <target> <seconds>}
cd "$(dirname "$0")/targets"
kept=../corpus/$target
scratch=${FUZZ_SCRATCH:-${TMPDIR:-/tmp}/kvar-fuzz}/$target
mkdir -p "$scratch"
flags=(--fuzz-dir . --sanitizer none --codegen-units 16)
cargo fuzz build "${flags[@]}" "$target"
# Scratch first: libFuzzer writes new inputs to the first directory only.
cargo fuzz run "${flags[@]}" "$target" "$scratch" "$kept" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -print_final_stats=1
if [ "${KEEP:-0}" = 1 ]; then
    bin=target/x86_64-unknown-linux-gnu/release/$target
    merged=$(mktemp -d)
    "$bin" -merge=1 -max_len=4096 "$merged" "$kept" "$scratch"
    rm -f "$kept"/*
    cp "$merged"/* "$kept"/
    rm -rf "$merged"
    echo "kept corpus: $(ls "$kept" | wc -l) inputs, $(du -sh "$kept" | cut -f1)"
fi
