# NRSBENCH_CCACHE=ON (scripts/build sets it when ccache is installed): every
# C++ compile goes through ccache, with the settings it needs baked into the
# launcher so a plain `cmake --build` hits the cache too:
#   sloppiness  the precompiled header (-include cmake_pch.hxx, .gch) is only
#               cacheable with pch_defines,time_macros; include_file_mtime and
#               _ctime let a header generated in this build (the .gch,
#               build_info.h) be hashed by content instead of refusing it;
#   base_dir    paths under the checkout are hashed relative to the build
#               directory, so two checkouts share entries.
option(NRSBENCH_CCACHE "Compile through ccache" OFF)
if(NRSBENCH_CCACHE)
  find_program(NRS_CCACHE ccache REQUIRED)
  set(CMAKE_CXX_COMPILER_LAUNCHER
      env CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
          CCACHE_BASEDIR=${CMAKE_SOURCE_DIR} ${NRS_CCACHE})
endif()
