# SPDX-License-Identifier: MIT
# Warning flags of STYLE.md 4.1; -Werror only when VG_WERROR is on (CI).
set(VG_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
    -Wformat=2 -Wcast-qual)
if(VG_WERROR)
  list(APPEND VG_WARNINGS -Werror)
endif()
add_compile_options(${VG_WARNINGS})
add_compile_definitions(_POSIX_C_SOURCE=200809L _DEFAULT_SOURCE)
