# Hardening for the programs we ship, as Debian builds its own packages: stack protector,
# stack-clash protection, _FORTIFY_SOURCE=2 where the code is optimised, full RELRO with
# immediate binding, and PIE. Each is added only when the flags the build was given
# (CMAKE_CXX_FLAGS / CXXFLAGS, CMAKE_EXE_LINKER_FLAGS / LDFLAGS) do not already choose that
# setting, so a distribution's own flags (dpkg-buildflags' -D_FORTIFY_SOURCE=3,
# -fno-stack-protector, …) win; -DPINSYNC_HARDENING=OFF adds none of them.
# Included from the top-level CMakeLists.txt once pinsync_options exists.
if(NOT PINSYNC_HARDENING)
  return()
endif()
include(CheckCXXCompilerFlag)
include(CheckPIESupported)

# The flags chosen from outside, for every configuration (the per-configuration ones too).
set(pinsync_given_compile "${CMAKE_CXX_FLAGS}")
set(pinsync_given_link "${CMAKE_EXE_LINKER_FLAGS}")
foreach(config DEBUG RELEASE RELWITHDEBINFO MINSIZEREL)
  string(APPEND pinsync_given_compile " ${CMAKE_CXX_FLAGS_${config}}")
  string(APPEND pinsync_given_link " ${CMAKE_EXE_LINKER_FLAGS_${config}}")
endforeach()

if(NOT pinsync_given_compile MATCHES "-f(no-)?stack-protector")
  target_compile_options(pinsync_options INTERFACE -fstack-protector-strong)
endif()
if(NOT pinsync_given_compile MATCHES "-f(no-)?stack-clash-protection")
  check_cxx_compiler_flag(-fstack-clash-protection PINSYNC_HAS_STACK_CLASH_PROTECTION)
  if(PINSYNC_HAS_STACK_CLASH_PROTECTION)
    target_compile_options(pinsync_options INTERFACE -fstack-clash-protection)
  endif()
endif()
# _FORTIFY_SOURCE needs optimisation (glibc warns without it) and gets in the sanitizers' way.
# Test code compiled at -O0 undefines it again (tests/CMakeLists.txt).
if(NOT pinsync_given_compile MATCHES "_FORTIFY_SOURCE" AND NOT PINSYNC_SANITIZE AND NOT PINSYNC_FUZZ)
  target_compile_definitions(pinsync_options INTERFACE
    $<$<CONFIG:Release,RelWithDebInfo,MinSizeRel>:_FORTIFY_SOURCE=2>)
endif()
if(NOT pinsync_given_link MATCHES "relro")
  target_link_options(pinsync_options INTERFACE LINKER:-z,relro)
endif()
if(NOT pinsync_given_link MATCHES "-z,(now|lazy)")
  target_link_options(pinsync_options INTERFACE LINKER:-z,now)
endif()
# Position-independent executables (g++ on Debian makes them by default; other compilers may
# not). -fPIE rather than CMAKE_POSITION_INDEPENDENT_CODE, which would compile our static
# libraries as -fPIC: they only ever go into an executable.
if(NOT DEFINED CMAKE_POSITION_INDEPENDENT_CODE AND NOT pinsync_given_compile MATCHES "-f(no-)?(pie|PIE|pic|PIC)"
   AND NOT pinsync_given_link MATCHES "-(no-)?pie")
  check_pie_supported(LANGUAGES CXX OUTPUT_VARIABLE pinsync_pie_output)
  if(CMAKE_CXX_LINK_PIE_SUPPORTED)
    target_compile_options(pinsync_options INTERFACE -fPIE)
    target_link_options(pinsync_options INTERFACE -pie)
  endif()
endif()
