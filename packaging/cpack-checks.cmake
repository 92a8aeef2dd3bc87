# Read by cpack for every generator run (CPACK_PROJECT_CONFIG_FILE).
if(CPACK_GENERATOR STREQUAL "DEB" AND NOT CPACK_PACKAGING_INSTALL_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR "voucher-gate: the Debian package needs a build configured with -DCMAKE_INSTALL_PREFIX=/usr "
                      "(the programs look for their models under the configured prefix); this one has "
                      "${CPACK_PACKAGING_INSTALL_PREFIX}")
endif()
