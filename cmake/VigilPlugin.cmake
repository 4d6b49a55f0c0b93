# SPDX-License-Identifier: MIT
# vigil_add_plugin(KIND NAME SOURCES...): build plugins/<kind>s/<name> as
# vg_<kind>_<name>.so, exactly as a third-party plugin is built: against the
# public header only, hidden visibility, and (outside sanitizer builds) linked
# with -z defs so that no core symbol can be used.
function(vigil_add_plugin kind name)
  set(target vg_${kind}_${name})
  add_library(${target} MODULE ${ARGN})
  set_target_properties(${target} PROPERTIES PREFIX "" OUTPUT_NAME ${target}
    LIBRARY_OUTPUT_DIRECTORY ${VG_PLUGIN_DIR_BUILD} C_VISIBILITY_PRESET hidden)
  target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR}/core/include)
  if(NOT VG_SANITIZE)
    target_link_options(${target} PRIVATE -Wl,-z,defs)
  endif()
  install(TARGETS ${target} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/vigil/plugins)
endfunction()
