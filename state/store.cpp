// Placeholder until the store lands.
#include "state/store.h"

namespace pinsync::state {

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& path, const Clock&) {
  return fail(ErrorKind::internal, path.string() + ": the state store is not built yet");
}

}  // namespace pinsync::state
