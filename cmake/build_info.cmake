# Regenerates build_info.h on every build so results name the commit the binary
# was really built from (a configure-time value goes stale after a commit).
execute_process(COMMAND git rev-parse HEAD WORKING_DIRECTORY ${SRC_DIR}
                OUTPUT_VARIABLE NRSBENCH_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SRC_DIR}
                OUTPUT_VARIABLE NRSBENCH_GIT_DIRTY OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT NRSBENCH_GIT_COMMIT)
  set(NRSBENCH_GIT_COMMIT "unknown")
endif()
if(NRSBENCH_GIT_DIRTY)
  set(NRSBENCH_GIT_DIRTY_FLAG 1)
else()
  set(NRSBENCH_GIT_DIRTY_FLAG 0)
endif()
configure_file(${SRC_DIR}/suite/core/build_info.h.in ${OUT_FILE}.new @ONLY)
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT_FILE}.new ${OUT_FILE})
