# NRSBENCH_CCACHE=ON (scripts/build sets it when ccache is installed): every
# C++ compile goes through ccache, with the settings it needs baked into the
# launcher so a plain `cmake --build` hits the cache too:
#   sloppiness  the precompiled header (-include cmake_pch.hxx, .gch) is only
#               cacheable with pch_defines,time_macros; include_file_mtime and
#               _ctime let a header generated in this build (build_info.h) be
#               hashed by content instead of refusing it;
#   base_dir    paths under the checkout are hashed relative to the build
#               directory, so two checkouts share entries;
#   nohashdir   with -g (the RelWithDebInfo sanitizer and fuzz builds) ccache
#               otherwise hashes the working directory, so no two clones share;
#               the price is that a cached object's debug info names the
#               directory of the clone that first compiled it. Not enough for
#               clang builds: clang's .pch embeds the checkout's absolute
#               paths, so objects compiled against it still miss in another
#               clone (docs/robustness.md, "Cost in CI");
#   pch_external_checksum
#               meant to hash cmake_pch.hxx.gch.sum (nrsbench_pch_checksum()
#               below) instead of GCC's .gch, which is not byte-reproducible.
#               It is NOT in effect: ccache 4's variable is CCACHE_PCH_EXTSUM,
#               not CCACHE_PCH_EXTERNAL_CHECKSUM (found 2026-11-29 in a ccache
#               debug log, "(default) pch_external_checksum = false"). The
#               GCC builds' fresh-clone hits (77 %, measured 2026-11-28) do not
#               come from it; which objects hit and why is not established.
#               Correcting the name changes the key of every object that
#               uses the PCH: one fully cold CI run (both LibTorch builds,
#               estimated above CI's 90 minutes on 2 cores) unless the cache
#               is warmed first, so it is left for a change that does that.
option(NRSBENCH_CCACHE "Compile through ccache" OFF)
if(NRSBENCH_CCACHE)
  find_program(NRS_CCACHE ccache REQUIRED)
  set(CMAKE_CXX_COMPILER_LAUNCHER
      env CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
          CCACHE_PCH_EXTERNAL_CHECKSUM=true CCACHE_BASEDIR=${CMAKE_SOURCE_DIR} CCACHE_NOHASHDIR=true ${NRS_CCACHE})
endif()

# Writes <target's PCH>.gch.sum (see above). `header` is the file given to
# target_precompile_headers; it must include only external headers (a change
# to one of those comes with a new compiler, LibTorch or package version,
# which the sum includes).
function(nrsbench_pch_checksum target header)
  file(SHA256 ${CMAKE_SOURCE_DIR}/${header} header_sha)
  string(TOUPPER "${CMAKE_BUILD_TYPE}" config)
  set(content "nrsbench PCH checksum 1
header ${header} ${header_sha}
compiler ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}
flags ${CMAKE_CXX_FLAGS} ${CMAKE_CXX_FLAGS_${config}} std=$<TARGET_PROPERTY:${target},CXX_STANDARD>
features $<TARGET_PROPERTY:${target},COMPILE_FEATURES>
options $<TARGET_PROPERTY:${target},COMPILE_OPTIONS>
definitions $<TARGET_PROPERTY:${target},COMPILE_DEFINITIONS>
torch ${Torch_VERSION} cuda=${NRSBENCH_WITH_CUDA} cxx20=${NRSBENCH_CXX20} abi=${TORCH_CXX_FLAGS}
json ${nlohmann_json_VERSION}
sanitize ${NRSBENCH_SANITIZE}
")
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/CMakeFiles/${target}.dir/cmake_pch.hxx.gch.sum CONTENT "${content}")
endfunction()
