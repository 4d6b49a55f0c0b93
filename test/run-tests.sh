#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite, as CI runs it (STYLE.md 4.12):
#   1. install what is missing (contrib/install-deps.sh --test)
#   2. clang-format check of every C file
#   3. gcc build with -Werror; vigilctl rule lint --test of the shipped rules and templates
#      (every template sample and every rule test case)
#   4. clang build with -Werror (both compilers must stay clean)
#   5. ASan+UBSan build; every unit and integration test (ctest) under it
#   6. TSan build; every test again under it
set -euo pipefail
cd "$(dirname "$0")/.."
./contrib/install-deps.sh --test
jobs=$(nproc 2>/dev/null || echo 2)
step() { printf '\n== %s\n' "$*"; }

step "format check"
bad=$(git ls-files '*.c' '*.h' 2>/dev/null | while read -r f; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || echo "$f"
done)
[ -z "$bad" ] || { echo "not clang-formatted (run clang-format -i):"; echo "$bad"; exit 1; }

step "gcc -Werror build and rule lint"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVG_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
./build/core/vigilctl rule lint --test
./build/core/vigilctl rule lint --test rules/examples test/bench/rules

step "clang -Werror build"
CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=Debug -DVG_WERROR=ON >/dev/null
cmake --build build-clang -j "$jobs"

export VG_NO_DLCLOSE=1
step "ASan+UBSan build and tests"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVG_WERROR=ON \
      -DVG_SANITIZE=address,undefined >/dev/null
cmake --build build-asan -j "$jobs"
(cd build-asan && ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest --output-on-failure -j "$jobs" --timeout 600)

step "TSan build and tests"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DVG_WERROR=ON -DVG_SANITIZE=thread >/dev/null
cmake --build build-tsan -j "$jobs"
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j "$jobs" --timeout 600)
