# `cmake --install` layout and the CPack DEB package `pinsync`: the pinsync binary (stripped
# in the package), its manual page, the systemd units pinsync.service and pinsync@.service,
# the templates postinst makes /etc/pinsync/pinsync.{yaml,env} from, and under
# share/doc/pinsync the README, the example config, copyright and changelog. The sandbox and
# the tests are not installed: pinsync-sandbox is a development tool, not part of a service.
include(GNUInstallDirs)

# `cpack` (and a packaging test) installs what is already built instead of building
# everything, tests included, first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(pinsync_docdir ${CMAKE_INSTALL_DATAROOTDIR}/doc/pinsync)
install(TARGETS pinsync RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT pinsync)
install(FILES config.example.yaml README.md scripts/debian/copyright
        DESTINATION ${pinsync_docdir} COMPONENT pinsync)

# Debian's changelog of a native package, compressed as Debian wants it (-9, no time stamp).
find_program(PINSYNC_GZIP gzip REQUIRED)
set(pinsync_changelog ${CMAKE_BINARY_DIR}/packaging/changelog.gz)
add_custom_command(OUTPUT ${pinsync_changelog}
  COMMAND ${PINSYNC_GZIP} -9nc ${PROJECT_SOURCE_DIR}/scripts/debian/changelog > ${pinsync_changelog}
  DEPENDS ${PROJECT_SOURCE_DIR}/scripts/debian/changelog
  COMMENT "changelog.gz")
set(pinsync_package_files ${pinsync_changelog})
install(FILES ${pinsync_changelog} DESTINATION ${pinsync_docdir} COMPONENT pinsync)

# The manual page pinsync(1), from the built binary's --help (cmake/manpage.cmake). Without
# help2man (Debian package help2man) there is none; scripts/lib.sh installs it.
find_program(PINSYNC_HELP2MAN help2man)
if(PINSYNC_HELP2MAN)
  set(pinsync_manpage ${CMAKE_BINARY_DIR}/packaging/pinsync.1.gz)
  add_custom_command(OUTPUT ${pinsync_manpage}
    COMMAND ${CMAKE_COMMAND} -DPINSYNC=$<TARGET_FILE:pinsync> -DHELP2MAN=${PINSYNC_HELP2MAN}
            -DGZIP=${PINSYNC_GZIP} -DINCLUDE=${PROJECT_SOURCE_DIR}/scripts/debian/pinsync.h2m
            -DOUT=${pinsync_manpage} -P ${PROJECT_SOURCE_DIR}/cmake/manpage.cmake
    DEPENDS pinsync ${PROJECT_SOURCE_DIR}/cmake/manpage.cmake ${PROJECT_SOURCE_DIR}/scripts/debian/pinsync.h2m
    COMMENT "pinsync(1) from pinsync --help")
  list(APPEND pinsync_package_files ${pinsync_manpage})
  install(FILES ${pinsync_manpage} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT pinsync)
else()
  message(STATUS "help2man not found: no manual page pinsync(1) (apt install help2man)")
endif()
add_custom_target(pinsync_package_files ALL DEPENDS ${pinsync_package_files})

# What postinst copies to /etc/pinsync when it is missing: the example config with the state
# in the service's state folder, and a commented environment file.
install(FILES scripts/debian/pinsync.env DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/pinsync COMPONENT pinsync)
install(CODE "
  file(READ \"${PROJECT_SOURCE_DIR}/config.example.yaml\" config)
  string(REPLACE \"  path: ./pinsync-state.db\" \"  path: /var/lib/pinsync/state.db\" config \"\${config}\")
  if(NOT config MATCHES \"path: /var/lib/pinsync/state.db\")
    message(FATAL_ERROR \"config.example.yaml: state.path is no longer ./pinsync-state.db; update cmake/packaging.cmake\")
  endif()
  set(dest \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DATAROOTDIR}/pinsync\")
  message(STATUS \"Installing: \${dest}/pinsync.yaml\")
  file(MAKE_DIRECTORY \"\${dest}\")
  file(WRITE \"\${dest}/pinsync.yaml\" \"\${config}\")
" COMPONENT pinsync)

# systemd reads units from <prefix>/lib/systemd/system for the /usr and /usr/local prefixes.
set(PINSYNC_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING "systemd unit folder, relative to the install prefix")
# The units in scripts/ are written for the package (/usr/bin/pinsync); the copies installed
# name the binary under the prefix actually installed to (cpack installs with its own).
foreach(unit pinsync.service pinsync@.service)
  install(CODE "
    file(READ \"${PROJECT_SOURCE_DIR}/scripts/${unit}\" unit)
    string(REPLACE \"ExecStart=/usr/bin/pinsync\" \"ExecStart=\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/pinsync\" unit \"\${unit}\")
    set(dest \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${PINSYNC_SYSTEMD_UNIT_DIR}\")
    message(STATUS \"Installing: \${dest}/${unit}\")
    file(MAKE_DIRECTORY \"\${dest}\")
    file(WRITE \"\${dest}/${unit}\" \"\${unit}\")
  " COMPONENT pinsync)
endforeach()

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "pinsync")
set(CPACK_PACKAGE_VENDOR "pinsync maintainers")
# The team's list; not a person, not localhost. Kept in step with scripts/debian/changelog
# and copyright (the packaging test compares them).
set(CPACK_PACKAGE_CONTACT "pinsync maintainers <pinsync-maintainers@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "sync partner spreadsheets to Pinned Events")
# The extended description (CPack puts the summary above it): lines of at most 80
# characters, as dpkg shows them.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "pinsync keeps partner spreadsheets and Pinned Events in step. Partners
collect their events in Google Sheets, Airtable bases or CSV exports; an
operator marks rows approved; pinsync turns each approved row into exactly
one event on Pinned Events, remembers in a local state file which row became
which event, and turns later edits of the row into updates of that same
event, never a second event.
.
This package contains the pinsync program and the systemd units
pinsync.service (one agent) and pinsync@.service (several agents on one
machine). Installing it creates the system user pinsync and
/etc/pinsync/pinsync.yaml and pinsync.env, but neither enables nor starts
the service: edit both, check them, then enable it.")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, tzdata")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${PROJECT_SOURCE_DIR}/scripts/debian/postinst;${PROJECT_SOURCE_DIR}/scripts/debian/prerm;${PROJECT_SOURCE_DIR}/scripts/debian/postrm")
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
