#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole test suite, as CI runs it: install dependencies, build with -Werror,
# lint the shipped rules and templates, then build with ASan+UBSan and run every
# unit and integration test (ctest) under the sanitizers.
set -euo pipefail
cd "$(dirname "$0")/.."
./contrib/install-deps.sh --test
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVG_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
./build/core/vigilctl rule lint

cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DVG_WERROR=ON \
      -DVG_SANITIZE=address,undefined >/dev/null
cmake --build build-asan -j "$jobs"
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 VG_NO_DLCLOSE=1
cd build-asan
ctest --output-on-failure -j "$jobs" --timeout 600
