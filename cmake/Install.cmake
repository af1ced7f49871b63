# Install rules: the library, its headers as <bertology/LAYER/...>, a CMake package
# (bertology::bertology via find_package) and a pkg-config file.
include(CMakePackageConfigHelpers)

install(TARGETS bertology EXPORT bertologyTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(layer IN LISTS BERTOLOGY_LAYERS)
  install(DIRECTORY ${layer}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/bertology/${layer}
    FILES_MATCHING PATTERN "*.h")
endforeach()

set(BERTOLOGY_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/bertology)
install(EXPORT bertologyTargets NAMESPACE bertology:: DESTINATION ${BERTOLOGY_CMAKE_DIR})
configure_package_config_file(cmake/bertologyConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/bertologyConfig.cmake INSTALL_DESTINATION ${BERTOLOGY_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/bertologyConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/bertologyConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/bertologyConfigVersion.cmake DESTINATION ${BERTOLOGY_CMAKE_DIR})

# The .pc file finds the prefix from where it lies (${pcfiledir}), so that `cmake --install
# --prefix P` gives a file that points at P, not at the prefix known when configuring.
file(RELATIVE_PATH BERTOLOGY_PC_TO_PREFIX "${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/$" "" BERTOLOGY_PC_TO_PREFIX "${BERTOLOGY_PC_TO_PREFIX}")
# An instrumented library (BERTOLOGY_SANITIZE) needs the sanitizer runtime wherever it is linked.
set(BERTOLOGY_PC_EXTRA_LIBS "")
if(BERTOLOGY_SANITIZE OR BERTOLOGY_FUZZ)
  list(JOIN BERTOLOGY_SANITIZER_FLAGS " " BERTOLOGY_PC_EXTRA_LIBS)
  string(PREPEND BERTOLOGY_PC_EXTRA_LIBS " ")
endif()
configure_file(cmake/bertology.pc.in ${CMAKE_CURRENT_BINARY_DIR}/bertology.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/bertology.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
