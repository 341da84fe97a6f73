# Shared by demo.sh, test.sh, fuzz.sh and bench.sh: install missing Debian packages, build.
# Sourced, not run.

PINSYNC_PACKAGES=(
  g++ cmake ninja-build pkg-config
  libcurl4-openssl-dev libsimdjson-dev libyaml-cpp-dev
  libsqlitecpp-dev libsqlite3-dev libpoco-dev libssl-dev
  doctest-dev libhowardhinnant-date-dev tzdata sqlite3 curl
)

# ensure_packages [PACKAGE…]: installs whichever of the named packages (default:
# PINSYNC_PACKAGES) are missing (needs root, as on CI).
ensure_packages() {
  local wanted=("$@")
  if [ "${#wanted[@]}" -eq 0 ]; then wanted=("${PINSYNC_PACKAGES[@]}"); fi
  local missing=()
  local p
  for p in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  echo "==> installing Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# build_release: the normal build in build/ (optimised, no debug info: builds fastest).
build_release() {
  build build -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG"
}

# build_sanitized: build-asan/, unoptimised with line tables (enough for stack traces),
# AddressSanitizer + UndefinedBehaviorSanitizer.
build_sanitized() {
  build build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DPINSYNC_SANITIZE=ON
}

# build DIR [extra cmake args…]: configures once, then builds everything, or only the
# targets named in BUILD_TARGETS (space-separated) when it is set.
build() {
  local dir="$1"
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  fi
  # shellcheck disable=SC2086  # BUILD_TARGETS is a word list on purpose
  cmake --build "$dir" -j "$(nproc)" ${BUILD_TARGETS:+--target $BUILD_TARGETS}
}
