# The optional CUDA backend (-DBERTOLOGY_CUDA=ON): tensor/cuda/*.cu compiled by nvcc into the same
# library, for sm_90 (H100/H200) machine code plus sm_90 PTX that newer GPUs compile at load time.
# The CPU-only build (the default) neither needs nor sees any of this.
if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
  set(CMAKE_CUDA_ARCHITECTURES "90-real;90-virtual")
endif()
if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
  set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
endif()
enable_language(CUDA)
find_package(CUDAToolkit REQUIRED)

file(GLOB BERTOLOGY_CUDA_SOURCES CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/tensor/cuda/*.cu")
target_sources(bertology PRIVATE ${BERTOLOGY_CUDA_SOURCES})
# Public: kernels::kCudaBuilt (on_device.h) must read the same in the library and its users.
target_compile_definitions(bertology PUBLIC BERTOLOGY_WITH_CUDA=1)
# The target was made before CUDA was enabled, so it takes the architectures explicitly.
set_target_properties(bertology PROPERTIES CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON
  CUDA_ARCHITECTURES "${CMAKE_CUDA_ARCHITECTURES}")
# Each host thread launches on its own default stream; warnings as for the C++ sources.
target_compile_options(bertology PRIVATE
  $<$<COMPILE_LANGUAGE:CUDA>:--default-stream=per-thread -Xcompiler=-Wall,-Wextra>)
target_link_libraries(bertology PUBLIC CUDA::cudart CUDA::cublas)
