# `cmake --install` layout and the CPack DEB package: the pinsync binary, the example
# config and README under share/doc/pinsync, and the systemd unit. The sandbox and the
# tests are not installed.
include(GNUInstallDirs)

# `cpack` (and a packaging test) installs what is already built instead of building
# everything, tests included, first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(TARGETS pinsync RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT pinsync)
install(FILES config.example.yaml README.md DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/pinsync COMPONENT pinsync)

# systemd reads units from <prefix>/lib/systemd/system for the /usr and /usr/local prefixes.
set(PINSYNC_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING "systemd unit folder, relative to the install prefix")
# The unit in scripts/ is written for the package (/usr/bin/pinsync); the copy installed
# names the binary under the prefix actually installed to (cpack installs with its own).
install(CODE "
  file(READ \"${PROJECT_SOURCE_DIR}/scripts/pinsync.service\" unit)
  string(REPLACE \"ExecStart=/usr/bin/pinsync\" \"ExecStart=\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/pinsync\" unit \"\${unit}\")
  set(dest \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${PINSYNC_SYSTEMD_UNIT_DIR}\")
  message(STATUS \"Installing: \${dest}/pinsync.service\")
  file(MAKE_DIRECTORY \"\${dest}\")
  file(WRITE \"\${dest}/pinsync.service\" \"\${unit}\")
" COMPONENT pinsync)

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "pinsync")
set(CPACK_PACKAGE_VENDOR "pinsync maintainers")
set(CPACK_PACKAGE_CONTACT "pinsync maintainers <ops@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Keeps partner spreadsheets and Pinned Events in step")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, tzdata")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${PROJECT_SOURCE_DIR}/scripts/debian/postinst")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The runtime libraries (libcurl, Poco, yaml-cpp, SQLiteCpp, …) are derived from the binary
# where dpkg-shlibdeps exists, and listed by hand otherwise.
find_program(PINSYNC_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(PINSYNC_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  # SQLiteCpp links statically; the rest as Debian 12 names them.
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, libc6, libstdc++6, libgcc-s1, libcurl4, libyaml-cpp0.7, libsqlite3-0, \
libsimdjson14, libdate-tz3, libpocofoundation80, libpoconet80, libpocojson80, libpococrypto80, libpocojwt80, libssl3, tzdata")
endif()
include(CPack)
