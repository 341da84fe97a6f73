// Which pinsync this is: the version of the CMake project and the source revision it was
// built from, for --version, the manual page and the pinsync_build_info metric.
#pragma once

#include <string_view>

namespace pinsync::build_info {

// "0.1.0": project(VERSION) in CMakeLists.txt.
std::string_view version();
// The git revision the build was configured from ("a1b2c3d", "a1b2c3d-dirty"), the value of
// -DPINSYNC_REVISION=… given to cmake (a packager's), or "unknown" outside a checkout.
std::string_view revision();

}  // namespace pinsync::build_info
