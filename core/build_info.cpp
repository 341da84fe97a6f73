#include "core/build_info.h"

// Both come from CMakeLists.txt, as compile definitions of this one file only, so a new
// revision rebuilds nothing else.
#ifndef PINSYNC_VERSION
#error "PINSYNC_VERSION must be defined by the build"
#endif
#ifndef PINSYNC_REVISION
#error "PINSYNC_REVISION must be defined by the build"
#endif

namespace pinsync::build_info {

std::string_view version() { return PINSYNC_VERSION; }
std::string_view revision() { return PINSYNC_REVISION; }

}  // namespace pinsync::build_info
