#!/usr/bin/env bash
# Builds the Debian package (cpack -G DEB) from BUILD_DIR and tries it the way an installer would, in a fresh
# Debian 12 root made with debootstrap: apt installs it (dependencies come from Debian), then the files, the service
# user, the directories and their modes, `systemd-analyze verify` on the installed unit, `--check-config` on the
# packaged config, `voucher-gate init` as the service user, `voucher-gate report` as a member of the service
# group (read-only), the console started as its unit starts it (login and the report's CSV), a re-install that keeps an edited conffile, remove
# (keeps the ledger and keys) and purge (keeps them too, and says so).
#   packaging/test-install.sh BUILD_DIR        (as root; ./bootstrap.sh package runs it)
# The debootstrapped root (with its apt lists) and the downloaded .debs are cached under VG_PACKAGE_CACHE
# (default /var/cache/voucher-gate-ci): the first run downloads Debian's base and the runtime libraries, later runs
# only unpack them. VG_PACKAGE_REFRESH=1 makes a new root. VG_DEBIAN_MIRROR overrides the mirror.
set -euo pipefail
build=$(cd "${1:?usage: test-install.sh BUILD_DIR}" && pwd)
cache=${VG_PACKAGE_CACHE:-/var/cache/voucher-gate-ci}
mirror=${VG_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
base_tar=$cache/$suite-base.tar
start=$SECONDS

say() { printf 'test-install [%3ds]: %s\n' "$((SECONDS - start))" "$*"; }
fail() {
    printf 'test-install: FAIL: %s\n' "$*" >&2
    exit 1
}
[ "$(id -u)" -eq 0 ] || fail "run as root (debootstrap, chroot and mounts need it)"
for tool in cpack debootstrap dpkg-deb dpkg-shlibdeps chroot findmnt curl; do
    command -v "$tool" >/dev/null || fail "$tool is missing (./bootstrap.sh package installs it)"
done

work=$(mktemp -d /var/tmp/vg-test-install.XXXXXX)
root=$work/root
mounts=()
cleanup() {
    local i
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
        umount "${mounts[i]}" 2>/dev/null || umount -l "${mounts[i]}" 2>/dev/null || true
    done
    # Never delete through a mount that is still there (a bind of the host's /dev or the apt cache).
    if findmnt -rn -o TARGET | grep -q "^$work"; then
        echo "test-install: mounts left under $work, not deleting it" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mount_in() {  # mount_in TARGET mount-args...
    local target=$1
    shift
    mount "$@" "$target"
    mounts+=("$target")
}
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }

# ---- 1. The package -----------------------------------------------------------------------------------------------
say "building the package in $build"
cmake "$build" >/dev/null  # configure again: the package version names the commit being packaged
cmake --build "$build" --target voucher-gated voucher-gate voucher-gate-web >/dev/null
rm -f "$build"/voucher-gate_*.deb
(cd "$build" && cpack -G DEB >"$work/cpack.log" 2>&1) || {
    cat "$work/cpack.log" >&2
    fail "cpack -G DEB failed"
}
debs=("$build"/voucher-gate_*.deb)
[ -f "${debs[0]}" ] || fail "cpack wrote no voucher-gate_*.deb in $build"
deb=${debs[0]}
say "built $(basename "$deb") ($(du -h "$deb" | cut -f1)); Depends: $(dpkg-deb -f "$deb" Depends)"
# Systemd does not run in the check's root, so what the maintainer scripts do to the units is checked by reading
# them: each of prerm (stop), postinst (restart on upgrade) and postrm (forget the enablement) names both units.
dpkg-deb -e "$deb" "$work/control"
for script in prerm postinst postrm; do
    for unit in voucher-gated.service voucher-gate-web.service; do
        grep -q "$unit" "$work/control/$script" || fail "the package's $script leaves out $unit"
    done
done

# ---- 2. A fresh Debian 12 root ------------------------------------------------------------------------------------
mkdir -p "$cache/debootstrap-debs" "$cache/apt-archives/partial"
if [ ! -f "$base_tar" ] || [ "${VG_PACKAGE_REFRESH:-0}" = 1 ]; then
    say "making the cached $suite root with debootstrap (first run only)"
    mkdir -p "$work/base"
    debootstrap --variant=minbase --cache-dir="$cache/debootstrap-debs" "$suite" "$work/base" "$mirror" \
        >"$work/debootstrap.log" 2>&1 || {
        tail -20 "$work/debootstrap.log" >&2
        fail "debootstrap failed"
    }
    cat >"$work/base/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror%/debian}/debian-security $suite-security main
EOF
    tar -C "$work/base" -cf "$base_tar.new" . && mv "$base_tar.new" "$base_tar"
    rm -rf "$work/base"
fi
say "unpacking a fresh root from $base_tar"
mkdir -p "$root"
tar -C "$root" -xf "$base_tar"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 0755 "$root/usr/sbin/policy-rc.d"
mount_in "$root/proc" -t proc proc
mount_in "$root/sys" -t sysfs sysfs
mount_in "$root/dev" --bind /dev
mount_in "$root/run" -t tmpfs -o mode=0755 tmpfs
mount_in "$root/var/cache/apt/archives" --bind "$cache/apt-archives"

# ---- 3. Install with apt --------------------------------------------------------------------------------------------
say "apt-get update and install (dependencies from Debian)"
in_root apt-get update -qq >"$work/apt.log" 2>&1 || {
    cat "$work/apt.log" >&2
    fail "apt-get update in the root failed"
}
cp "$deb" "$root/tmp/"
in_root apt-get install -y -q --no-install-recommends "/tmp/$(basename "$deb")" >"$work/install.log" 2>&1 || {
    tail -40 "$work/install.log" >&2
    fail "apt-get install of the package failed"
}
grep -q "voucher-gate is installed but not enabled" "$work/install.log" || fail "postinst did not say what to do next"
say "installed: $(grep -c '^Setting up' "$work/install.log") packages set up"

# ---- 4. Checks ------------------------------------------------------------------------------------------------------
expect_mode() {  # expect_mode PATH "MODE USER GROUP"
    local got
    # stat inside the root: user names come from the root's /etc/passwd, not the host's.
    got=$(in_root stat -c '%a %U %G' "$1" 2>/dev/null) || fail "$1 is missing"
    [ "$got" = "$2" ] || fail "$1 is '$got', expected '$2'"
}
for f in /usr/sbin/voucher-gated /usr/sbin/voucher-gate-web /usr/bin/voucher-gate; do
    [ -x "$root$f" ] || fail "$f is missing or not executable"
done
for f in /usr/lib/systemd/system/voucher-gated.service /usr/lib/systemd/system/voucher-gate-web.service \
    /usr/lib/sysusers.d/voucher-gate.conf \
    /usr/lib/tmpfiles.d/voucher-gate.conf /usr/share/voucher-gate/models/plate_reader.onnx \
    /usr/share/voucher-gate/models/plate_reader.json /usr/share/voucher-gate/models/plate_detector.onnx \
    /usr/share/voucher-gate/models/plate_detector.json /usr/share/voucher-gate/models/plate_province.onnx \
    /usr/share/voucher-gate/models/plate_province.json /usr/share/doc/voucher-gate/operations.md \
    /usr/share/doc/voucher-gate/configuration.md /etc/voucher-gate/voucher-gate.toml; do
    [ -f "$root$f" ] || fail "$f is missing"
done
for unit in "$root"/usr/lib/systemd/system/voucher-gated.service "$root"/usr/lib/systemd/system/voucher-gate-web.service; do
    # Every program the unit runs and every file its Documentation= names is in the package.
    for f in $(sed -n 's#^Exec[A-Za-z]*=[-@:+!]*\(/[^ ]*\).*#\1#p' "$unit") \
        $(sed -n 's#^Documentation=##p' "$unit" | tr ' ' '\n' | sed -n 's#^file:##p'); do
        [ -e "$root$f" ] || fail "$(basename "$unit") names $f, which is not installed"
    done
done
# shellcheck disable=SC2016 # ${Conffiles} is dpkg-query's field, not the shell's
conffiles=$(in_root dpkg-query -W -f='${Conffiles}\n' voucher-gate)
grep -q '^ /etc/voucher-gate/voucher-gate.toml ' <<<"$conffiles" ||
    fail "/etc/voucher-gate/voucher-gate.toml is not a conffile"
say "files in place; the unit's programs and Documentation= exist; the config is a conffile"

user=$(in_root getent passwd voucher-gate) || fail "no service user voucher-gate"
[[ "$user" == *:/var/lib/voucher-gate:/usr/sbin/nologin ]] || fail "service user voucher-gate is '$user'"
groups=" $(in_root id -nG voucher-gate) "
for g in voucher-gate video dialout; do
    [[ "$groups" == *" $g "* ]] || fail "voucher-gate is not in group $g (groups:$groups)"
done
expect_mode /var/lib/voucher-gate "750 voucher-gate voucher-gate"
expect_mode /run/voucher-gate "750 voucher-gate voucher-gate"
expect_mode /etc/voucher-gate "750 root voucher-gate"
expect_mode /etc/voucher-gate/voucher-gate.toml "640 root voucher-gate"
for u in voucher-gated.service voucher-gate-web.service; do
    state=$(in_root systemctl is-enabled "$u" 2>/dev/null || true)
    [ "$state" = disabled ] || fail "$u should be installed but not enabled, is '$state'"
done
say "user voucher-gate (groups voucher-gate video dialout), directories and modes right, service disabled"

# verify runs inside the root: it needs the installed binaries and systemd's own units, and no running systemd.
in_root systemd-analyze verify /usr/lib/systemd/system/voucher-gated.service \
    /usr/lib/systemd/system/voucher-gate-web.service >"$work/verify.log" 2>&1 || {
    cat "$work/verify.log" >&2
    fail "systemd-analyze verify on the installed unit"
}
[ ! -s "$work/verify.log" ] || {
    cat "$work/verify.log" >&2
    fail "systemd-analyze verify printed warnings"
}
in_root runuser -u voucher-gate -- voucher-gated --config /etc/voucher-gate/voucher-gate.toml --check-config \
    >"$work/check.log" 2>&1 || {
    cat "$work/check.log" >&2
    fail "voucher-gated --check-config on the packaged config"
}
say "systemd-analyze verify clean; --check-config as the service user: $(tail -1 "$work/check.log")"

# The programs find the packaged models (no source tree in this root): scan must not lose its plate reader.
{ printf 'P5\n64 32\n255\n' && head -c 2048 /dev/zero; } >"$root/tmp/blank.pgm"
in_root voucher-gate scan /tmp/blank.pgm >"$work/scan.log" 2>&1 || {
    cat "$work/scan.log" >&2
    fail "voucher-gate scan"
}
! grep -q "plate reader unavailable" "$work/scan.log" || {
    cat "$work/scan.log" >&2
    fail "the installed voucher-gate does not find the packaged models"
}

in_root runuser -u voucher-gate -- voucher-gate init >"$work/init.log" 2>&1 || {
    cat "$work/init.log" >&2
    fail "voucher-gate init as the service user"
}
expect_mode /var/lib/voucher-gate/voucher.keys "640 voucher-gate voucher-gate"
expect_mode /var/lib/voucher-gate/audit.key "640 voucher-gate voucher-gate"
owner=$(in_root stat -c '%U %G' /var/lib/voucher-gate/ledger.db 2>/dev/null) || fail "init made no ledger.db"
[ "$owner" = "voucher-gate voucher-gate" ] || fail "ledger.db belongs to '$owner'"
say "models found; init as the service user made ledger.db and the keys (0640 voucher-gate)"

# A member of the service group who is neither root nor the service user (the committee's clerk) reads the ledger
# read-only: it needs the ledger, its kept -wal and -shm and the keys group-readable, and may change nothing.
for f in ledger.db ledger.db-wal ledger.db-shm; do
    expect_mode "/var/lib/voucher-gate/$f" "640 voucher-gate voucher-gate"
done
in_root useradd --no-create-home --shell /usr/sbin/nologin --groups voucher-gate vg-clerk ||
    fail "useradd vg-clerk"
in_root runuser -u vg-clerk -- voucher-gate report --month 2026-11 >"$work/report.log" 2>&1 || {
    cat "$work/report.log" >&2
    fail "voucher-gate report as a member of the group voucher-gate"
}
if in_root runuser -u vg-clerk -- voucher-gate household add 1-101 --category living-alone \
    >"$work/member-write.log" 2>&1; then
    fail "a member of the group voucher-gate changed the ledger"
fi
grep -q "cannot be written by vg-clerk" "$work/member-write.log" || {
    cat "$work/member-write.log" >&2
    fail "the refused change did not say why"
}
say "a member of the group reads the report and is refused a change, with the reason"

# The installed console, started as its unit starts it (the service user, the packaged config), answers the login
# page on its loopback address; a committee account made with the CLI logs in and downloads the month's report.
printf 'vg-test-password\n' | in_root runuser -u voucher-gate -- voucher-gate user add vg-clerk --role committee \
    --password-stdin >"$work/user.log" 2>&1 || {
    cat "$work/user.log" >&2
    fail "voucher-gate user add as the service user"
}
web_url=http://$(sed -n '/^\[web\]/,/^\[/s/^listen *= *"\(.*\)"/\1/p' "$root/etc/voucher-gate/voucher-gate.toml")
[ "$web_url" != "http://" ] || fail "the packaged config has no [web] listen"
in_root runuser -u voucher-gate -- voucher-gate-web --config /etc/voucher-gate/voucher-gate.toml \
    >"$work/web.log" 2>&1 &
web_pid=$!
stop_web() { kill "$web_pid" 2>/dev/null && wait "$web_pid" 2>/dev/null || true; }
login_page=
for _ in $(seq 50); do
    login_page=$(curl -s -c "$work/cookies" "$web_url/" 2>/dev/null) && [ -n "$login_page" ] && break
    kill -0 "$web_pid" 2>/dev/null || break
    sleep 0.2
done
csrf=$(printf '%s' "$login_page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
[ -n "$csrf" ] || {
    stop_web
    cat "$work/web.log" >&2
    fail "the installed console did not answer its login page at $web_url"
}
status=$(curl -s -o /dev/null -w '%{http_code}' -b "$work/cookies" -c "$work/cookies" \
    --data-urlencode username=vg-clerk --data-urlencode password=vg-test-password --data-urlencode "csrf=$csrf" \
    "$web_url/login")
[ "$status" = 303 ] || {
    stop_web
    cat "$work/web.log" >&2
    fail "logging in to the installed console answered $status, not 303"
}
curl -s -f -b "$work/cookies" "$web_url/report.csv?month=2026-11" >"$work/report.csv" || {
    stop_web
    fail "the installed console refused the committee's report.csv"
}
stop_web
head -c 3 "$work/report.csv" | cmp -s - <(printf '\xef\xbb\xbf') || fail "the console's report.csv has no UTF-8 BOM"
say "the installed console answered its login page at $web_url; a committee account logged in and got report.csv"

# ---- 5. Re-install, remove, purge --------------------------------------------------------------------------------
echo "# edited by the installer" >>"$root/etc/voucher-gate/voucher-gate.toml"
in_root dpkg -i "/tmp/$(basename "$deb")" >"$work/reinstall.log" 2>&1 || {
    cat "$work/reinstall.log" >&2
    fail "re-installing the package"
}
grep -q "edited by the installer" "$root/etc/voucher-gate/voucher-gate.toml" || fail "re-install lost the edited config"
expect_mode /etc/voucher-gate/voucher-gate.toml "640 root voucher-gate"
in_root apt-get remove -y -q voucher-gate >"$work/remove.log" 2>&1 || {
    cat "$work/remove.log" >&2
    fail "apt-get remove"
}
[ ! -e "$root/usr/sbin/voucher-gated" ] || fail "remove left /usr/sbin/voucher-gated"
for f in ledger.db voucher.keys audit.key; do
    [ -f "$root/var/lib/voucher-gate/$f" ] || fail "remove deleted /var/lib/voucher-gate/$f"
done
[ -f "$root/etc/voucher-gate/voucher-gate.toml" ] || fail "remove deleted the config (only purge may)"
in_root apt-get purge -y -q voucher-gate >"$work/purge.log" 2>&1 || {
    cat "$work/purge.log" >&2
    fail "apt-get purge"
}
for f in ledger.db voucher.keys audit.key; do
    [ -f "$root/var/lib/voucher-gate/$f" ] || fail "purge deleted /var/lib/voucher-gate/$f"
done
[ ! -e "$root/etc/voucher-gate/voucher-gate.toml" ] || fail "purge left the config"
grep -q "/var/lib/voucher-gate" "$work/purge.log" || fail "purge did not say what it keeps"
say "re-install kept the edited conffile; remove and purge kept the ledger and keys; purge said so"
say "PASS $(basename "$deb")"
