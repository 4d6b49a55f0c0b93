# SPDX-License-Identifier: MIT
# -DVG_SANITIZE=address,undefined (or thread) builds everything instrumented.
if(VG_SANITIZE)
  add_compile_options(-fsanitize=${VG_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${VG_SANITIZE})
endif()
