# Checks one layer's includes (see cmake/layers.cmake). MANIFEST sets LAYER
# (its directory), ALLOWED (the directories it may include) and FILES.
# An include of a project directory (models/, datasets/, suite/...) outside
# ALLOWED is an error naming the file and the include. Other includes
# (system, LibTorch, generated nrsbench/, a test's own "fixtures.h") pass.
#   cmake -DMANIFEST=build/layers/nrs_optim.cmake -DSOURCE_DIR=. -P cmake/check_layer.cmake
cmake_minimum_required(VERSION 3.16)
include(${MANIFEST})
set(bad "")
foreach(f IN LISTS FILES)
  file(STRINGS "${f}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"")
  foreach(line IN LISTS lines)
    if(NOT line MATCHES "\"([^\"]+)\"")
      continue()
    endif()
    set(inc "${CMAKE_MATCH_1}")
    get_filename_component(dir "${inc}" DIRECTORY)
    if(NOT dir MATCHES "^(models|datasets|suite)(/|$)")
      continue()
    endif()
    if(NOT dir IN_LIST ALLOWED)
      file(RELATIVE_PATH rel "${SOURCE_DIR}" "${f}")
      string(APPEND bad "  ${rel} includes \"${inc}\" (${dir})\n")
    endif()
  endforeach()
endforeach()
if(bad)
  string(REPLACE ";" ", " may "${ALLOWED}")
  message(FATAL_ERROR "layer ${LAYER}: includes outside its layers (it may include ${may}; "
                      "the direction is declared by nrsbench_layer in CMakeLists.txt):\n${bad}")
endif()
