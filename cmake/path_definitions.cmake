# nrsbench_path_definitions(SOURCES s... DEFINITIONS NAME=value...)
# Puts definitions that hold this checkout's absolute paths only on the
# sources that use them, directly or through a header beside them (the tests'
# util.h): target-wide they would enter every object's ccache key, and two
# checkouts could share no test or CLI object. Source properties are per
# directory: call it where the target is defined.
function(nrsbench_path_definitions)
  cmake_parse_arguments(A "" "" "SOURCES;DEFINITIONS" ${ARGN})
  foreach(def ${A_DEFINITIONS})
    string(REGEX MATCH "^[A-Za-z_0-9]+" name "${def}")
    foreach(src ${A_SOURCES})
      get_filename_component(dir ${src} ABSOLUTE)
      get_filename_component(dir ${dir} DIRECTORY)
      set(pattern "${name}")
      file(GLOB headers ${dir}/*.h)
      foreach(h ${headers})
        file(STRINGS ${h} hit REGEX "${name}")
        if(hit)
          get_filename_component(hname ${h} NAME)
          string(APPEND pattern "|#include \"${hname}\"")
        endif()
      endforeach()
      file(STRINGS ${src} hit REGEX "${pattern}")
      if(hit)
        set_property(SOURCE ${src} APPEND PROPERTY COMPILE_DEFINITIONS "${def}")
      endif()
    endforeach()
  endforeach()
endfunction()
