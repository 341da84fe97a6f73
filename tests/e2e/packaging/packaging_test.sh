#!/usr/bin/env bash
# Packaging end to end, on the binary already built (nothing is rebuilt):
# `cmake --install` into a temporary DESTDIR, `cpack -G DEB`, and what `dpkg-deb` lists.
#   packaging_test.sh BUILD_DIR
set -euo pipefail
build="$(cd "$1" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/pinsync-packaging-XXXXXX")"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. cmake --install with the package's prefix: the three files where a DEB puts them.
DESTDIR="$work/root" cmake --install "$build" --prefix /usr >"$work/install.log"
for f in usr/bin/pinsync usr/share/doc/pinsync/config.example.yaml usr/share/doc/pinsync/README.md \
         usr/lib/systemd/system/pinsync.service; do
  [ -e "$work/root/$f" ] || fail "cmake --install did not install /$f"
done
[ -x "$work/root/usr/bin/pinsync" ] || fail "/usr/bin/pinsync is not executable"
unit="$work/root/usr/lib/systemd/system/pinsync.service"
grep -qx 'ExecStart=/usr/bin/pinsync run --config /etc/pinsync/pinsync.yaml' "$unit" || fail "ExecStart in $unit"
for key in 'StateDirectory=pinsync' 'User=pinsync' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' \
           'PrivateTmp=yes' 'Restart=on-failure' 'EnvironmentFile=/etc/pinsync/pinsync.env'; do
  grep -qx "$key" "$unit" || fail "the unit lacks $key"
done
"$work/root/usr/bin/pinsync" --help >/dev/null || fail "the installed binary does not run"

# 2. Another prefix: the installed unit names the binary there.
DESTDIR="$work/opt" cmake --install "$build" --prefix /opt/pinsync >/dev/null
grep -qx 'ExecStart=/opt/pinsync/bin/pinsync run --config /etc/pinsync/pinsync.yaml' \
  "$work/opt/opt/pinsync/lib/systemd/system/pinsync.service" || fail "ExecStart under /opt/pinsync"

# 3. The DEB.
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; fail "cpack -G DEB"; }
deb="$(ls "$work"/pkg/pinsync_*.deb)"
listing="$(dpkg-deb -c "$deb")"
for f in ./usr/bin/pinsync ./usr/share/doc/pinsync/config.example.yaml ./usr/lib/systemd/system/pinsync.service; do
  grep -q " $f\$" <<<"$listing" || { echo "$listing" >&2; fail "the package lacks $f"; }
done
if grep -q "pinsync-sandbox" <<<"$listing"; then fail "the package must not contain the sandbox"; fi
[ "$(dpkg-deb -f "$deb" Package)" = pinsync ] || fail "package name"
depends="$(dpkg-deb -f "$deb" Depends)"
for lib in adduser libcurl4 libpocofoundation80 libyaml-cpp0.7; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
dpkg-deb -I "$deb" postinst >/dev/null || fail "the package has no postinst (creates the pinsync user)"

# 4. systemd's own opinion of the unit, where systemd-analyze can run (often not in a container).
if command -v systemd-analyze >/dev/null; then
  sed "s|^ExecStart=/usr/bin/pinsync|ExecStart=$work/root/usr/bin/pinsync|" "$unit" >"$work/pinsync.service"
  if out="$(systemd-analyze verify "$work/pinsync.service" 2>&1)"; then
    echo "systemd-analyze verify: ok"
  elif grep -qiE "failed to (initialize|set up|connect)|no such file or directory.*bus|not booted|Operation not permitted" <<<"$out"; then
    echo "systemd-analyze verify skipped: $out"
  else
    echo "$out" >&2
    fail "systemd-analyze verify"
  fi
else
  echo "systemd-analyze not installed: unit not verified by systemd"
fi
echo "packaging ok: $deb"
echo "$listing"
