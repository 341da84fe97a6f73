# Writes the manual page pinsync(1) from the built binary's own help, so the two cannot
# drift: help2man turns `pinsync --help` and `--version` into the page, and each command's
# `pinsync COMMAND --help` (commands as `pinsync --help` lists them) becomes an entry of
# the section COMMANDS. The static sections (files, environment, see also) come from
# scripts/debian/pinsync.h2m. Run by the build (cmake/packaging.cmake) as
#   cmake -DPINSYNC=… -DHELP2MAN=… -DGZIP=… -DINCLUDE=… -DOUT=…/pinsync.1.gz -P manpage.cmake
cmake_minimum_required(VERSION 3.25)
foreach(var PINSYNC HELP2MAN GZIP INCLUDE OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "manpage.cmake: -D${var}=… is required")
  endif()
endforeach()

# roff_escape(VAR TEXT): TEXT as roff source text (backslashes, dashes, leading dots).
function(roff_escape var text)
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${var} "${text}" PARENT_SCOPE)
endfunction()

execute_process(COMMAND "${PINSYNC}" --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "manpage.cmake: ${PINSYNC} --help exited with ${rc}")
endif()
# The command names: the indented lines of the "commands:" block, up to the blank line.
string(REGEX MATCH "\ncommands:\n(  [^\n]*\n)+" block "${help}")
string(REGEX MATCHALL "\n  [a-z][a-z-]*" names "${block}")
if(NOT names)
  message(FATAL_ERROR "manpage.cmake: no \"commands:\" block in `pinsync --help`")
endif()

set(entries "")
foreach(name IN LISTS names)
  string(STRIP "${name}" name)
  execute_process(COMMAND "${PINSYNC}" ${name} --help OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "manpage.cmake: pinsync ${name} --help exited with ${rc}")
  endif()
  # "usage: pinsync sync …" is the entry's tag, the rest its paragraph.
  string(REGEX REPLACE "^usage: ([^\n]*)\n.*$" "\\1" usage "${text}")
  string(REGEX REPLACE "^usage: [^\n]*\n" "" body "${text}")
  string(STRIP "${body}" body)
  roff_escape(usage "${usage}")
  roff_escape(body "${body}")
  string(APPEND entries ".TP\n.B ${usage}\n${body}\n")
endforeach()

# help2man finds no synopsis in a lower-case "usage:" line; the page gets one from it.
string(REGEX MATCH "^usage: pinsync ([^\n]*)" usage "${help}")
if(NOT usage)
  message(FATAL_ERROR "manpage.cmake: `pinsync --help` does not start with \"usage: pinsync\"")
endif()
roff_escape(synopsis "${CMAKE_MATCH_1}")

get_filename_component(dir "${OUT}" DIRECTORY)
file(READ "${INCLUDE}" static)
file(WRITE "${dir}/pinsync.h2m" "[SYNOPSIS]\n.B pinsync\n${synopsis}\n[COMMANDS]\n${entries}\n${static}")
string(REGEX REPLACE "\\.gz$" "" page "${OUT}")
# --locale: help2man writes in its locale's character set (its default, C, turns "±" into "??").
execute_process(
  COMMAND "${HELP2MAN}" --locale=C.UTF-8 --no-info --section=1
          "--name=keep partner spreadsheets and Pinned Events in step"
          "--include=${dir}/pinsync.h2m" "--output=${page}" "${PINSYNC}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "manpage.cmake: help2man exited with ${rc}")
endif()
# The help is UTF-8 ("±"): say so, so that man renders it whatever the locale.
file(READ "${page}" text)
file(WRITE "${page}" ".\\\" -*- coding: UTF-8 -*-\n${text}")
# -n: no name or time stamp in the archive, so the same page gives the same file.
execute_process(COMMAND "${GZIP}" -9nf "${page}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "manpage.cmake: gzip exited with ${rc}")
endif()
