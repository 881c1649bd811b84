# Shows that the build refuses an include against the declared direction
# (cmake/layers.cmake), on a real layer's declaration: the manifest the build
# itself checks. CTest runs it as Layering.PlantedIncludes (label unit).
#   cmake -DMANIFEST=<build>/layers/nrs_optim.cmake -DCHECK=cmake/check_layer.cmake
#         -DSOURCE_DIR=<source> -DWORK=<scratch dir> -P planted_include_test.cmake
cmake_minimum_required(VERSION 3.16)
include(${MANIFEST})
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

# Runs the check on the real layer plus one planted file holding `text`;
# sets rc and err in the caller.
function(check_with_planted text)
  set(planted ${WORK}/planted.cpp)
  file(WRITE ${planted} "${text}")
  set(m ${WORK}/manifest.cmake)
  file(WRITE ${m} "set(LAYER \"${LAYER}\")\nset(ALLOWED \"${ALLOWED}\")\nset(FILES \"${FILES};${planted}\")\n")
  execute_process(COMMAND ${CMAKE_COMMAND} -DMANIFEST=${m} -DSOURCE_DIR=${SOURCE_DIR} -P ${CHECK}
                  RESULT_VARIABLE code ERROR_VARIABLE out)
  set(rc ${code} PARENT_SCOPE)
  set(err "${out}" PARENT_SCOPE)
endfunction()

function(expect_refused text inc)
  check_with_planted("${text}")
  if(rc EQUAL 0)
    message(FATAL_ERROR "layer ${LAYER}: a planted #include \"${inc}\" passed the check")
  endif()
  string(FIND "${err}" "planted.cpp includes \"${inc}\"" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "layer ${LAYER}: the refusal does not name the file and \"${inc}\":\n${err}")
  endif()
endfunction()

function(expect_passes text)
  check_with_planted("${text}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "layer ${LAYER}: should pass:\n${err}")
  endif()
endfunction()

# The real layer as committed passes, and so do its own and declared includes.
expect_passes("// nothing\n")
expect_passes("#include \"suite/optim/strategies.h\"\n#include \"models/net.h\"\n#include <torch/torch.h>\n")
# Up: the trainer, the matrix, the CLI. Sideways: hessian is not below optim.
expect_refused("#include \"suite/run/run.h\"\n" "suite/run/run.h")
expect_refused("  #  include \"suite/matrix/runner.h\"\n" "suite/matrix/runner.h")
expect_refused("#include \"suite/cli/cli_common.h\"\n" "suite/cli/cli_common.h")
expect_refused("#include \"suite/hessian/operator.h\"\n" "suite/hessian/operator.h")
file(REMOVE_RECURSE ${WORK})
message(STATUS "layer ${LAYER}: the committed sources pass; 4 planted includes against the direction are refused")
