# `cmake --install <build> [--prefix P]` for the C++ client library:
#   P/lib/libfluss_*.a        fluss_client and the static libraries it links
#   P/include/fluss/*.h       the public SDK, include/fluss/ of the source tree, and nothing else:
#                             no internal header (src/), no generated one (flatbuffers, protobuf)
#   P/lib/cmake/fluss/        package `fluss`: find_package(fluss) → fluss::fluss_client
# Consumers compile with -I P/include and write #include "fluss/client.h"; the exported targets carry
# that include directory and nothing of the source or build tree (tests/install checks all of this).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(FLUSS_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/fluss)

# fluss_rpc links asio_standalone (header-only, ASIO_STANDALONE + Threads) publicly, so it is exported too.
install(TARGETS fluss_client fluss_format fluss_types fluss_common fluss_rpc fluss_rpc_proto asio_standalone
  EXPORT flussTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/fluss DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

install(EXPORT flussTargets NAMESPACE fluss:: DESTINATION ${FLUSS_INSTALL_CMAKEDIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/flussConfig.cmake.in
  ${PROJECT_BINARY_DIR}/flussConfig.cmake
  INSTALL_DESTINATION ${FLUSS_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/flussConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/flussConfig.cmake ${PROJECT_BINARY_DIR}/flussConfigVersion.cmake
  DESTINATION ${FLUSS_INSTALL_CMAKEDIR})
