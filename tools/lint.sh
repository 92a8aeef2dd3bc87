#!/usr/bin/env bash
# The style tools decide (issue 13). Run by .ci/run through `./bootstrap.sh lint`; exits non-zero on any finding.
#   tools/lint.sh [BUILD_DIR]     BUILD_DIR holds compile_commands.json for clang-tidy (default build/default)
#   VG_LINT_TIDY=0 tools/lint.sh  skips clang-tidy (format and bans only: seconds instead of minutes)
# 1. clang-format --dry-run -Werror over every tracked C++ file (.clang-format).
# 2. Bans: std::sto* anywhere (std::from_chars, gate/parse_number.h, takes no "12abc" and throws nothing); and
#    steady_clock::now / system_clock::now / sleep_for outside the composition roots (daemon/main.cpp,
#    cli/main.cpp), the real clocks they hand down (gate/site_time.h, vision/frame_source.*), the test harness
#    (tests/) and the measuring tools (bench/): everything else takes its clock, so tests drive it.
# 3. clang-tidy (.clang-tidy, warnings as errors) over the libraries and programs (not tests/), with the
#    Debian 12 clang-tidy-16. clang 16 does not yet announce C++20 concepts in full (__cpp_concepts), which
#    libstdc++ 12 needs for std::expected, so the macro is set for it; -std=c++2b is clang 16's name for C++23.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/default}
status=0

mapfile -t sources < <(git ls-files '*.cpp' '*.h' '*.hpp')

echo "lint: clang-format (${#sources[@]} files)"
if ! clang-format --dry-run -Werror "${sources[@]}"; then
    echo "lint: clang-format: run clang-format -i on the files above" >&2
    status=1
fi

echo "lint: bans"
if git grep -nE 'std::sto(i|l|ll|ul|ull|f|d|ld)\(' -- '*.cpp' '*.h' '*.hpp'; then
    echo "lint: std::sto* is banned: use std::from_chars (gate/parse_number.h)" >&2
    status=1
fi
clock_allowed=(':!tests/' ':!bench/' ':!daemon/main.cpp' ':!cli/main.cpp' ':!gate/site_time.h'
    ':!vision/frame_source.h' ':!vision/frame_source.cpp')
if git grep -nE '(steady_clock|system_clock)::now|sleep_for' -- '*.cpp' '*.h' '*.hpp' "${clock_allowed[@]}"; then
    echo "lint: a clock or sleep outside the composition root: take a gate::Clock or vision::FrameClock" >&2
    status=1
fi

if [ "${VG_LINT_TIDY:-1}" != 0 ]; then
    tidy=$(command -v run-clang-tidy-16 || true)
    if [ -z "$tidy" ] || [ ! -f "$build/compile_commands.json" ]; then
        echo "lint: clang-tidy needs run-clang-tidy-16 (./bootstrap.sh lint installs it) and $build/compile_commands.json" >&2
        exit 1
    fi
    mapfile -t units < <(python3 -c '
import json, sys
root = sys.argv[2] + "/"
for f in sorted({e["file"] for e in json.load(open(sys.argv[1]))}):
    if f.startswith(root) and not f.startswith(root + "tests/") and not f.startswith(root + "build/"):
        print(f)' "$build/compile_commands.json" "$PWD")
    echo "lint: clang-tidy (${#units[@]} translation units)"
    # Headers count as much as sources (the public fields are declared there); the project's own folders only.
    log=$(mktemp /tmp/vg-lint-tidy.XXXXXX.log)  # one per run: several worktrees may lint at once
    header_filter="^$PWD/(config|gate|plate|options|control|reports|vision|cards|sim|daemon|cli|web|bench)/"
    if ! "$tidy" -p "$build" -quiet -j "$(nproc)" -header-filter="$header_filter" \
        -extra-arg=-std=c++2b -extra-arg=-U__cpp_concepts -extra-arg=-D__cpp_concepts=202002L \
        "${units[@]}" > "$log" 2>&1; then
        grep -E 'warning:|error:' "$log" | grep -v 'warnings generated' | sort -u >&2
        echo "lint: clang-tidy found the above (full log $log)" >&2
        status=1
    else
        rm -f "$log"
    fi
fi
[ $status = 0 ] && echo "lint: clean"
exit $status
