# `cmake --install <build> [--prefix P]` for the C++ client library:
#   P/lib/libfluss_*.a                      fluss_client and the static libraries it links
#   P/include/fluss/client.h                the public API
#   P/include/fluss/{common,types,format}/  the value-type headers client.h includes ("common/status.h")
#   P/lib/cmake/fluss/                      package `fluss`: find_package(fluss) → fluss::fluss_client
# Consumers compile with -I P/include (for "fluss/client.h") and -I P/include/fluss (for the headers
# client.h includes); the exported targets carry both. Generated headers (flatbuffers *_generated.h,
# fluss_api.pb.h) stay internal: nothing installed includes them (tests/install checks this).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(FLUSS_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/fluss)
set(FLUSS_INSTALL_HEADERDIR ${CMAKE_INSTALL_INCLUDEDIR}/fluss)

# fluss_rpc links asio_standalone (header-only, ASIO_STANDALONE + Threads) publicly, so it is exported too.
install(TARGETS fluss_client fluss_format fluss_types fluss_common fluss_rpc fluss_rpc_proto asio_standalone
  EXPORT flussTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} ${FLUSS_INSTALL_HEADERDIR})

install(FILES ${PROJECT_SOURCE_DIR}/include/fluss/client.h DESTINATION ${FLUSS_INSTALL_HEADERDIR})
# The value types: every header of common/, types/ and format/ except the internal ones that include
# the flatbuffers-generated Arrow headers.
foreach(dir common types format)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/${dir} DESTINATION ${FLUSS_INSTALL_HEADERDIR}
    FILES_MATCHING PATTERN "*.h"
    PATTERN "*_internal.h" EXCLUDE
    PATTERN "arrow_type.h" EXCLUDE)
endforeach()

install(EXPORT flussTargets NAMESPACE fluss:: DESTINATION ${FLUSS_INSTALL_CMAKEDIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/flussConfig.cmake.in
  ${PROJECT_BINARY_DIR}/flussConfig.cmake
  INSTALL_DESTINATION ${FLUSS_INSTALL_CMAKEDIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/flussConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/flussConfig.cmake ${PROJECT_BINARY_DIR}/flussConfigVersion.cmake
  DESTINATION ${FLUSS_INSTALL_CMAKEDIR})
