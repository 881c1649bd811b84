# nrsbench_path_definitions(SOURCES s... DEFINITIONS NAME=value...)
# Puts definitions that hold this checkout's absolute paths only on the
# sources that use them, directly or through a header they include by a
# relative path (beside it, or from the root: tests/support/*.h):
# target-wide they would enter every object's ccache key, and two checkouts
# could share no test or CLI object. Source properties are per directory:
# call it where the target is defined.
function(nrsbench_path_definitions)
  cmake_parse_arguments(A "" "" "SOURCES;DEFINITIONS" ${ARGN})
  foreach(src ${A_SOURCES})
    get_filename_component(src_abs ${src} ABSOLUTE)
    get_filename_component(dir ${src_abs} DIRECTORY)
    # The source's text plus that of every header it includes as "relative/path.h".
    file(READ ${src_abs} text)
    file(STRINGS ${src_abs} includes REGEX "^#include \"[^\"]+\"")
    foreach(line ${includes})
      string(REGEX REPLACE "^#include \"([^\"]+)\".*" "\\1" rel "${line}")
      foreach(base ${dir} ${CMAKE_SOURCE_DIR})  # "util.h" beside it, or "tests/support/x.h"
        if(EXISTS ${base}/${rel})
          file(READ ${base}/${rel} htext)
          string(APPEND text "${htext}")
          break()
        endif()
      endforeach()
    endforeach()
    foreach(def ${A_DEFINITIONS})
      string(REGEX MATCH "^[A-Za-z_0-9]+" name "${def}")
      string(FIND "${text}" "${name}" at)
      if(NOT at EQUAL -1)
        set_property(SOURCE ${src} APPEND PROPERTY COMPILE_DEFINITIONS "${def}")
      endif()
    endforeach()
  endforeach()
endfunction()
