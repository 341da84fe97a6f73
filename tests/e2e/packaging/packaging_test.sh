#!/usr/bin/env bash
# Packaging end to end, on the binary already built (nothing is rebuilt):
#   1. `cmake --install` into a temporary DESTDIR: every file where the DEB puts it, the two
#      systemd units alike but for their instance paths, the manual page made from --help;
#   2. another prefix: the units name the binary there;
#   3. `cpack -G DEB`: contents, control fields, stripped binary, changelog and copyright,
#      maintainer scripts, and `lintian --pedantic` (no error, no warning) when installed;
#   4. the maintainer scripts run against a temporary root (DPKG_ROOT) with the system tools
#      they call replaced by recorders: install, upgrade, remove, purge;
#   5. systemd-analyze: both units verify, and their exposure score is at most 2.0.
#   packaging_test.sh BUILD_DIR
set -euo pipefail
build="$(cd "$1" && pwd)"
source_dir="$(cd "$(dirname "$0")/../../.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/pinsync-packaging-XXXXXX")"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. cmake --install with the package's prefix.
DESTDIR="$work/root" cmake --install "$build" --prefix /usr >"$work/install.log"
root="$work/root"
for f in usr/bin/pinsync usr/share/man/man1/pinsync.1.gz \
         usr/share/doc/pinsync/config.example.yaml usr/share/doc/pinsync/README.md \
         usr/share/doc/pinsync/copyright usr/share/doc/pinsync/changelog.gz \
         usr/share/pinsync/pinsync.yaml usr/share/pinsync/pinsync.env \
         usr/lib/systemd/system/pinsync.service usr/lib/systemd/system/pinsync@.service; do
  [ -e "$root/$f" ] || fail "cmake --install did not install /$f"
done
[ -x "$root/usr/bin/pinsync" ] || fail "/usr/bin/pinsync is not executable"
pinsync="$root/usr/bin/pinsync"
"$pinsync" --help >/dev/null || fail "the installed binary does not run"

unit="$root/usr/lib/systemd/system/pinsync.service"
template="$root/usr/lib/systemd/system/pinsync@.service"
grep -qx 'ExecStart=/usr/bin/pinsync run --config /etc/pinsync/pinsync.yaml' "$unit" || fail "ExecStart in $unit"
for key in 'StateDirectory=pinsync' 'User=pinsync' 'NoNewPrivileges=yes' 'ProtectSystem=strict' 'ProtectHome=yes' \
           'PrivateTmp=yes' 'Restart=on-failure' 'EnvironmentFile=/etc/pinsync/pinsync.env' \
           'RestartPreventExitStatus=2 3' 'CapabilityBoundingSet=' 'SystemCallFilter=@system-service' \
           'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' 'MemoryDenyWriteExecute=yes'; do
  grep -qx "$key" "$unit" || fail "the unit lacks $key"
done
# Exit 3 is the configuration error of the README's table: a restart cannot fix it.
grep -q '^| 3 | configuration error' "$source_dir/README.md" || fail "README's exit code 3 is no longer the config error"
# The template differs only in its instance paths (and its comment header).
for key in 'ExecStart=/usr/bin/pinsync run --config /etc/pinsync/%i.yaml' 'EnvironmentFile=/etc/pinsync/%i.env' \
           'StateDirectory=pinsync/%i' 'WorkingDirectory=/var/lib/pinsync/%i'; do
  grep -qx "$key" "$template" || fail "the template unit lacks $key"
done
as_single() {
  sed -e '/^#/d' -e 's|/etc/pinsync/%i\.|/etc/pinsync/pinsync.|' -e 's|pinsync/%i|pinsync|g' \
      -e 's|^Description=pinsync agent %i:|Description=pinsync:|' "$1"
}
diff <(sed '/^#/d' "$unit") <(as_single "$template") >"$work/units.diff" ||
  { cat "$work/units.diff" >&2; fail "pinsync@.service differs from pinsync.service beyond the instance paths"; }

# The config template keeps the state in the service's state folder.
grep -qx '  path: /var/lib/pinsync/state.db' "$root/usr/share/pinsync/pinsync.yaml" ||
  fail "the config template's state.path is not /var/lib/pinsync/state.db"

# The manual page is made from --help: it names the version, every command with its
# usage line, and the text of each command's own help.
page="$work/pinsync.1.txt"
if command -v man >/dev/null; then
  MANWIDTH=2000 man --nh --nj -l "$root/usr/share/man/man1/pinsync.1.gz" 2>"$work/man.err" | col -bx >"$page"
  [ ! -s "$work/man.err" ] || { cat "$work/man.err" >&2; fail "man reports problems in pinsync(1)"; }
else
  zcat "$root/usr/share/man/man1/pinsync.1.gz" | sed -e 's/\\-/-/g' -e 's/\\e/\\/g' >"$page"
fi
version="$("$pinsync" --version | sed -n 's/^pinsync //p')"
[ -n "$version" ] || fail "pinsync --version"
zcat "$root/usr/share/man/man1/pinsync.1.gz" | grep -q "^\.TH PINSYNC \"1\" .*\"pinsync $version\"" ||
  fail "pinsync(1) is not the page of pinsync $version"
squeeze() { tr '\t\n' '  ' | tr -s ' '; }
commands="$("$pinsync" --help | sed -n '/^commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')"
[ "$(wc -w <<<"$commands")" -ge 5 ] || fail "pinsync --help lists too few commands: $commands"
for name in $commands; do
  help="$("$pinsync" "$name" --help)"
  usage="$(head -n 1 <<<"$help" | sed 's/^usage: //')"
  grep -qF -- "$usage" "$page" || fail "pinsync(1) lacks the usage of $name: $usage"
  squeeze <"$page" | grep -qF -- "$(tail -n +2 <<<"$help" | squeeze | sed 's/ $//')" ||
    fail "pinsync(1) lacks the help text of $name"
done

# 2. Another prefix: the installed units name the binary there.
DESTDIR="$work/opt" cmake --install "$build" --prefix /opt/pinsync >/dev/null
for u in pinsync.service pinsync@.service; do
  grep -q '^ExecStart=/opt/pinsync/bin/pinsync run --config /etc/pinsync/' \
    "$work/opt/opt/pinsync/lib/systemd/system/$u" || fail "ExecStart of $u under /opt/pinsync"
done

# 3. The DEB.
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; fail "cpack -G DEB"; }
deb="$(ls "$work"/pkg/pinsync_*.deb)"
listing="$(dpkg-deb -c "$deb")"
for f in ./usr/bin/pinsync ./usr/share/man/man1/pinsync.1.gz ./usr/share/doc/pinsync/copyright \
         ./usr/share/doc/pinsync/changelog.gz ./usr/share/doc/pinsync/config.example.yaml \
         ./usr/share/pinsync/pinsync.yaml ./usr/share/pinsync/pinsync.env \
         ./usr/lib/systemd/system/pinsync.service ./usr/lib/systemd/system/pinsync@.service; do
  grep -q " $f\$" <<<"$listing" || { echo "$listing" >&2; fail "the package lacks $f"; }
done
if grep -q "pinsync-sandbox" <<<"$listing"; then fail "the package must not contain the sandbox"; fi
if grep -q " \./etc/" <<<"$listing"; then fail "the package must not ship /etc: postinst makes the config"; fi
[ "$(dpkg-deb -f "$deb" Package)" = pinsync ] || fail "package name"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "package version $(dpkg-deb -f "$deb" Version), binary $version"
depends="$(dpkg-deb -f "$deb" Depends)"
for lib in adduser libcurl4 libpocofoundation80 libyaml-cpp0.7; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
maintainer="$(dpkg-deb -f "$deb" Maintainer)"
grep -qE '^[^<]+ <[^@>]+@[^>]+\.[a-z]+>$' <<<"$maintainer" || fail "Maintainer is not a name and address: $maintainer"
if grep -qi 'localhost' <<<"$maintainer"; then fail "Maintainer at localhost: $maintainer"; fi
[ "$(dpkg-deb -f "$deb" Description | wc -l)" -ge 5 ] || fail "the extended description is empty"
for script in postinst prerm postrm; do
  dpkg-deb -I "$deb" "$script" >/dev/null || fail "the package has no $script"
done
# The changelog's latest entry is this version and this maintainer; copyright is DEP-5.
dpkg-deb -x "$deb" "$work/deb"
zcat "$work/deb/usr/share/doc/pinsync/changelog.gz" | head -n 1 | grep -q "^pinsync ($version) " ||
  fail "changelog.gz does not start with version $version"
zcat "$work/deb/usr/share/doc/pinsync/changelog.gz" | grep -qF " -- $maintainer  " ||
  fail "changelog.gz's latest entry is not signed by $maintainer"
head -n 1 "$work/deb/usr/share/doc/pinsync/copyright" |
  grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' || fail "copyright is not DEP-5"
if readelf -S "$work/deb/usr/bin/pinsync" | grep -qE '\.symtab|\.debug_'; then fail "the packaged binary is not stripped"; fi
readelf -d "$work/deb/usr/bin/pinsync" | grep -q 'BIND_NOW' || fail "the packaged binary is not linked with -z now"
readelf -lW "$work/deb/usr/bin/pinsync" | grep -q 'GNU_RELRO' || fail "the packaged binary has no RELRO segment"
readelf -h "$work/deb/usr/bin/pinsync" | grep -q 'DYN ' || fail "the packaged binary is not position-independent"

if command -v lintian >/dev/null; then
  # --pedantic shows P: and I: tags too; only E: and W: fail the test.
  lintian --pedantic --no-cfg "$deb" >"$work/lintian.txt" 2>&1 || true
  cat "$work/lintian.txt"
  if grep -qE '^(E|W): ' "$work/lintian.txt"; then fail "lintian reports errors or warnings"; fi
  if grep -qE '^(internal error|error:)' "$work/lintian.txt"; then fail "lintian did not run"; fi
  echo "lintian --pedantic: no error, no warning"
else
  echo "lintian not installed: package not checked by lintian"
fi

# 4. The maintainer scripts, against a temporary root. The system tools they call are
# recorders on PATH; their files land under DPKG_ROOT.
fake="$work/fakeroot"
mkdir -p "$fake/usr/share" "$work/stubs"
cp -r "$work/deb/usr/share/pinsync" "$fake/usr/share/"
# Answers as on a machine that never had pinsync: no user, no enable state recorded.
stub() {
  printf '#!/bin/sh\necho "%s $*" >>"%s/calls.log"\n%s\n' "$1" "$work" "$2" >"$work/stubs/$1"
  chmod +x "$work/stubs/$1"
}
stub getent 'exit 2'
stub adduser 'exit 0'
stub deb-systemd-helper 'case "$*" in debian-installed*|*was-enabled*) exit 1 ;; esac'
stub deb-systemd-invoke 'exit 0'
stub systemctl 'exit 0'
scripts="$work/control"
dpkg-deb -e "$deb" "$scripts"
run_script() { PATH="$work/stubs:$PATH" DPKG_ROOT="$fake" sh -e "$scripts/$1" "${@:2}"; }
run_script postinst configure || fail "postinst configure"
grep -q '^adduser --system --group --home /var/lib/pinsync --no-create-home --quiet pinsync$' "$work/calls.log" ||
  fail "postinst did not create the system user pinsync"
[ "$(stat -c %a "$fake/etc/pinsync/pinsync.env")" = 600 ] || fail "/etc/pinsync/pinsync.env is not mode 0600"
[ "$(stat -c %a "$fake/etc/pinsync/pinsync.yaml")" = 644 ] || fail "/etc/pinsync/pinsync.yaml is not mode 0644"
cmp -s "$fake/etc/pinsync/pinsync.yaml" "$fake/usr/share/pinsync/pinsync.yaml" || fail "pinsync.yaml is not the template"
if grep -E '^(deb-systemd-helper|systemctl) enable' "$work/calls.log"; then fail "postinst enabled the service on install"; fi
# An upgrade keeps what the administrator wrote.
echo 'PINNED_EVENTS_API_KEY="kept"' >>"$fake/etc/pinsync/pinsync.env"
echo '# edited' >>"$fake/etc/pinsync/pinsync.yaml"
run_script postinst configure "$version" || fail "postinst configure (upgrade)"
grep -q 'kept' "$fake/etc/pinsync/pinsync.env" || fail "an upgrade overwrote /etc/pinsync/pinsync.env"
grep -q '^# edited$' "$fake/etc/pinsync/pinsync.yaml" || fail "an upgrade overwrote /etc/pinsync/pinsync.yaml"
# Remove keeps everything; purge removes what postinst made and the enable links, and keeps
# the state and the administrator's own instance files.
mkdir -p "$fake/var/lib/pinsync" "$fake/etc/systemd/system/multi-user.target.wants"
touch "$fake/var/lib/pinsync/state.db" "$fake/etc/pinsync/partner-b.yaml" \
      "$fake/etc/systemd/system/multi-user.target.wants/pinsync@partner-b.service"
run_script prerm remove || fail "prerm remove"
run_script postrm remove || fail "postrm remove"
[ -e "$fake/etc/pinsync/pinsync.env" ] || fail "remove deleted /etc/pinsync/pinsync.env"
run_script postrm purge 2>"$work/purge.err" || fail "postrm purge"
grep -q '^deb-systemd-helper purge pinsync.service$' "$work/calls.log" || fail "purge did not purge the unit's state"
[ ! -e "$fake/etc/pinsync/pinsync.env" ] && [ ! -e "$fake/etc/pinsync/pinsync.yaml" ] ||
  fail "purge left /etc/pinsync/pinsync.{yaml,env}"
[ ! -e "$fake/etc/systemd/system/multi-user.target.wants/pinsync@partner-b.service" ] ||
  fail "purge left the enable link of pinsync@partner-b"
[ -e "$fake/etc/pinsync/partner-b.yaml" ] || fail "purge removed the administrator's own partner-b.yaml"
[ -e "$fake/var/lib/pinsync/state.db" ] || fail "purge removed the state"
grep -q 'kept /var/lib/pinsync' "$work/purge.err" || fail "purge did not say it kept the state"
echo "maintainer scripts: ok"

# 5. systemd's own opinion of the units. Documentation=man:pinsync(1) is looked up in the
# installed tree; ExecStart must name an existing binary.
if command -v systemd-analyze >/dev/null; then
  mkdir -p "$work/units"
  for u in pinsync.service pinsync@.service; do
    sed "s|^ExecStart=/usr/bin/pinsync|ExecStart=$pinsync|" "$root/usr/lib/systemd/system/$u" >"$work/units/$u"
  done
  MANPATH="$root/usr/share/man" systemd-analyze verify "$work/units/pinsync.service" \
    "$work/units/pinsync@.service" "$work/units/pinsync@partner-b.service" >"$work/verify.txt" 2>&1 ||
    { cat "$work/verify.txt" >&2; fail "systemd-analyze verify"; }
  [ ! -s "$work/verify.txt" ] || { cat "$work/verify.txt" >&2; fail "systemd-analyze verify has remarks"; }
  echo "systemd-analyze verify: ok"
  for u in pinsync.service pinsync@partner-b.service; do
    score="$(systemd-analyze security --offline=true "$work/units/$u" 2>&1 |
      sed -n 's/^→ Overall exposure level for .*: \([0-9.]*\) .*/\1/p')"
    [ -n "$score" ] || fail "systemd-analyze security gave no score for $u"
    awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "$u: exposure $score, more than 2.0"
    echo "systemd-analyze security $u: $score"
  done
else
  echo "systemd-analyze not installed: units not verified by systemd"
fi
echo "packaging ok: $deb"
echo "$listing"
