/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the syslog header parser: any bytes must parse to an
 * event with @timestamp and a message, without reading outside the input. The
 * first input byte picks the options (default zone, keep_original), the rest is
 * the line. Not built by CMake; from the repository root:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *     -Icore/src -Icore/include -Ibuild/core/include \
 *     test/fuzz/fuzz_syslog.c core/src/syslog.c core/src/syslog_bsd.c core/src/syslog_time.c \
 *     core/src/event.c core/src/util.c \
 *     $(pkg-config --cflags --libs libfastjson) -o fuzz_syslog
 *   ./fuzz_syslog -max_len=4096 test/fuzz/corpus/syslog
 *
 * (build/core/include holds the generated vigil/version.h of any configured build.)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "event.h"
#include "syslog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct syslog_opts opts = {1728734400000LL, 0, 0}; /* 2024-10-12T12:00:00Z */
    struct vg_event *ev;

    if (size == 0) {
        return 0;
    }
    opts.default_tz_min = ((int)(data[0] & 0x7f) - 64) * 15;
    opts.keep_original = data[0] >> 7;
    ev = event_new();
    syslog_parse((const char *)data + 1, size - 1, &opts, ev);
    if (event_get(ev, "@timestamp").ptr == NULL || event_get(ev, "message").ptr == NULL) {
        abort();
    }
    event_unref(ev);
    return 0;
}
