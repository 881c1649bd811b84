# The library layers and their one direction. Every source directory is one
# static library (models/, datasets/, suite/<dir>/), declared with the layers
# it may use:
#   nrsbench_layer(<target> DIR <dir> [DEPENDS <layer target>...])
# links <target> to its DEPENDS and, at every build, checks each source and
# header of <dir>: an #include of a project directory that is neither <dir>
# nor one of the directories its DEPENDS may include (transitively) fails the
# build, naming the file and the include. The direction is thus declared once,
# by the DEPENDS lists in CMakeLists.txt, and an upward include does not build.
# The check's manifest, layers/<target>.cmake in the build tree, is what
# tests/layering reads to show that a planted upward include is refused.
set(NRS_LAYER_CHECK ${CMAKE_CURRENT_LIST_DIR}/check_layer.cmake)

function(nrsbench_layer tgt)
  cmake_parse_arguments(L "" "DIR" "DEPENDS" ${ARGN})
  set(allowed ${L_DIR})
  foreach(dep ${L_DEPENDS})
    get_target_property(dep_allowed ${dep} NRS_LAYER_ALLOWED)
    if(NOT dep_allowed)
      message(FATAL_ERROR "nrsbench_layer(${tgt}): ${dep} is not a declared layer (declare the layers below first)")
    endif()
    list(APPEND allowed ${dep_allowed})
    target_link_libraries(${tgt} PUBLIC ${dep})
  endforeach()
  list(REMOVE_DUPLICATES allowed)
  set_property(TARGET ${tgt} PROPERTY NRS_LAYER_ALLOWED "${allowed}")
  file(GLOB files CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${L_DIR}/*.cpp ${CMAKE_SOURCE_DIR}/${L_DIR}/*.h)
  set(manifest ${CMAKE_BINARY_DIR}/layers/${tgt}.cmake)
  file(WRITE ${manifest} "set(LAYER \"${L_DIR}\")\nset(ALLOWED \"${allowed}\")\nset(FILES \"${files}\")\n")
  set(stamp ${CMAKE_BINARY_DIR}/layers/${tgt}.ok)
  add_custom_command(OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} -DMANIFEST=${manifest} -DSOURCE_DIR=${CMAKE_SOURCE_DIR} -P ${NRS_LAYER_CHECK}
    COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
    DEPENDS ${files} ${manifest} ${NRS_LAYER_CHECK}
    COMMENT "Layer ${L_DIR}: includes point down only"
    VERBATIM)
  add_custom_target(${tgt}_layer DEPENDS ${stamp})
  add_dependencies(${tgt} ${tgt}_layer)
endfunction()
