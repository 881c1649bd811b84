# Finds LibTorch: Debian's libtorch-dev (CPU) by default, or the one Torch_DIR
# names (e.g. the CUDA LibTorch inside PyPI's torch wheel, scripts/setup
# --libtorch pypi). Works around what TorchConfig/Caffe2Config get wrong when
# both are installed, and finds the CUDA toolkit a CUDA LibTorch needs.
# Sets NRSBENCH_WITH_CUDA, NRSBENCH_CXX20 and NRSBENCH_HAVE_C10D_NCCL.

if(Torch_DIR)
  get_filename_component(NRS_TORCH_PREFIX "${Torch_DIR}/../../.." ABSOLUTE)
  # TorchConfig looks up Caffe2Config and libc10 with PATHS, which CMake
  # searches after the system prefixes: with libtorch-dev installed it would
  # silently take Debian's Caffe2 targets and libc10 (CPU, 1.13) next to the
  # other LibTorch's headers. Our prefix first makes both come from Torch_DIR.
  list(PREPEND CMAKE_PREFIX_PATH "${NRS_TORCH_PREFIX}")
  if(NOT Caffe2_DIR AND EXISTS "${Torch_DIR}/../Caffe2/Caffe2Config.cmake")
    get_filename_component(Caffe2_DIR "${Torch_DIR}/../Caffe2" ABSOLUTE)
  endif()
endif()

# A CUDA LibTorch runs enable_language(CUDA) and FindCUDA inside
# find_package(Torch): give them the toolkit when nvcc is not on PATH (CI's
# shell need not have /usr/local/cuda/bin there). Harmless for a CPU LibTorch.
if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX})
  find_program(NRS_NVCC nvcc HINTS ENV CUDA_HOME ENV CUDA_PATH /usr/local/cuda PATH_SUFFIXES bin)
  if(NRS_NVCC)
    set(CMAKE_CUDA_COMPILER "${NRS_NVCC}")
    get_filename_component(NRS_CUDA_ROOT "${NRS_NVCC}/../.." ABSOLUTE)
    set(CUDA_TOOLKIT_ROOT_DIR "${NRS_CUDA_ROOT}" CACHE PATH "CUDA toolkit (for a CUDA LibTorch)")
    set(CUDAToolkit_ROOT "${NRS_CUDA_ROOT}")
  endif()
endif()
# We compile no CUDA sources: TORCH_CUDA_ARCH_LIST only silences Caffe2's GPU
# probe ("Automatic GPU detection failed") on machines without one, and the
# old CMP0104 behaviour keeps enable_language(CUDA) from defining
# CMAKE_CUDA_ARCHITECTURES, which Caffe2 warns about and then ignores.
if(NOT TORCH_CUDA_ARCH_LIST AND NOT DEFINED ENV{TORCH_CUDA_ARCH_LIST})
  set(TORCH_CUDA_ARCH_LIST "8.0;9.0")
endif()
cmake_policy(SET CMP0104 OLD)

# ("library kineto not found" from the wheel's TorchConfig is harmless: the
# wheel links Kineto into libtorch_cpu.)
find_package(Torch REQUIRED)

# A recent LibTorch compiles us as C++20 (its target requires cxx_std_20).
get_target_property(NRS_TORCH_FEATURES torch INTERFACE_COMPILE_FEATURES)
if("cxx_std_20" IN_LIST NRS_TORCH_FEATURES)
  set(NRSBENCH_CXX20 ON)
else()
  set(NRSBENCH_CXX20 OFF)
endif()

# Every Torch library must come from one install.
if(Torch_DIR)
  foreach(lib ${c10_LIBRARY} ${C10_CUDA_LIBRARY})
    string(FIND "${lib}" "${NRS_TORCH_PREFIX}/" at)
    if(NOT at EQUAL 0)
      message(FATAL_ERROR "LibTorch from ${NRS_TORCH_PREFIX}, but ${lib} is from elsewhere: "
                          "delete ${CMAKE_BINARY_DIR}/CMakeCache.txt and configure again")
    endif()
  endforeach()
endif()

# The wheel's libraries find their nvidia-* siblings (site-packages/nvidia/*/lib)
# through RUNPATH $ORIGIN/../../nvidia/...; the linker, checking them at link
# time, would search our -rpath (/usr/local/cuda/lib64, whose older NCCL lacks
# symbols libtorch_cuda uses) first. -rpath-link comes before both.
if(Torch_DIR)
  file(GLOB NRS_TORCH_SIBLING_LIBS LIST_DIRECTORIES true "${NRS_TORCH_PREFIX}/../nvidia/*/lib")
  foreach(dir ${NRS_TORCH_SIBLING_LIBS})
    add_link_options("LINKER:-rpath-link,${dir}")
  endforeach()
endif()

# A CUDA LibTorch (Caffe2Config sets CAFFE2_USE_CUDA) brings the CUDA headers
# that CUDA-event step timing needs.
if(CAFFE2_USE_CUDA)
  set(NRSBENCH_WITH_CUDA ON)
  message(STATUS "nrsbench: CUDA LibTorch ${Torch_VERSION}, CUDA ${CUDAToolkit_VERSION} (CUDA-event step timing)")
else()
  set(NRSBENCH_WITH_CUDA OFF)
  message(STATUS "nrsbench: CPU LibTorch ${Torch_VERSION}")
endif()

# Availability of c10d's NCCL process group, for data-parallel training later:
# the header (compiled only with USE_C10D_NCCL defined) and nccl.h, preferring
# the NCCL that came with the LibTorch (PyPI's nvidia-nccl wheel) over the
# toolkit's. Nothing is built with it yet.
set(NRSBENCH_HAVE_C10D_NCCL OFF)
if(NRSBENCH_WITH_CUDA)
  find_path(NRS_C10D_NCCL_HPP torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp PATHS ${TORCH_INCLUDE_DIRS} NO_DEFAULT_PATH)
  find_path(NRS_NCCL_INCLUDE nccl.h HINTS "${NRS_TORCH_PREFIX}/../nvidia/nccl/include" ${CUDAToolkit_INCLUDE_DIRS})
  if(NRS_C10D_NCCL_HPP AND NRS_NCCL_INCLUDE)
    set(NRSBENCH_HAVE_C10D_NCCL ON)
    message(STATUS "nrsbench: c10d NCCL available (ProcessGroupNCCL.hpp; nccl.h in ${NRS_NCCL_INCLUDE}); not used yet")
  else()
    message(STATUS "nrsbench: c10d NCCL not available")
  endif()
endif()
