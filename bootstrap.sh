#!/usr/bin/env bash
# Set-up in one command on a fresh Debian 12 machine (run as root, or with sudo available):
#   ./bootstrap.sh demo          install what is missing, build, run the bundled demo
#   ./bootstrap.sh test [asan]   install what is missing, build, run the whole test suite (optionally ASan+UBSan)
#   ./bootstrap.sh build [asan]  install and build only
#   ./bootstrap.sh lint          install the style tools, configure, run tools/lint.sh (clang-format, bans, clang-tidy)
#   ./bootstrap.sh package       build, make the .deb (cpack) and test-install it into a fresh Debian 12 root
#   ./bootstrap.sh deps          install the Debian packages and the browser test's playwright-core only
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

# Everything the build, the tests and the demo need (and `cpack -G DEB`: dpkg-dev comes with build-essential, file
# is listed; the runtime-only tzdata, fonts-noto-cjk and espeak-ng are also the .deb's Depends/Recommends,
# packaging/CMakeLists.txt). Training (vision/training) additionally needs
# python3-torch, python3-opencv and fonts, listed in vision/training/README.md; CI never trains.
PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libopencv-dev libopencv-contrib-dev libboost-dev
  libsqlitecpp-dev libsqlite3-dev sqlite3
  libgtest-dev libgmock-dev
  libsodium-dev libtomlplusplus-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libgpiod-dev libmodbus-dev libsystemd-dev systemd
  libzxing-dev libhowardhinnant-date-dev tzdata
  libcairo2-dev fonts-noto-cjk fonts-opendin poppler-utils espeak-ng file
  libxlsxwriter-dev unzip
)

# The style tools (tools/lint.sh): Debian 12's clang-format and clang-tidy 16 (14 cannot parse C++23's std::expected).
# The console's browser test (tests/web/browser): Debian's chromium, driven by playwright-core from npm (pinned in
# tests/web/browser/package-lock.json; it never downloads a browser of its own).
BROWSER_PACKAGES=(chromium unzip)

LINT_PACKAGES=(clang-format clang-tidy-16 python3 git)

# The Debian package and its install check (packaging/test-install.sh): cpack's DEB generator uses dpkg-shlibdeps
# (dpkg-dev) and file; the check makes a Debian 12 root with debootstrap and asks the installed console with curl.
PACKAGE_PACKAGES=(dpkg-dev debootstrap curl)

install_deps() {
  local missing=()
  for p in "${PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "bootstrap: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# Node.js and npm from Debian when the machine has none (a machine with its own Node.js >= 18 keeps it), then
# playwright-core exactly as the lock file says.
browser_deps() {
  install_deps "${BROWSER_PACKAGES[@]}"
  if ! command -v npm >/dev/null; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "bootstrap: installing nodejs npm"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm
  fi
  local dir="$here/tests/web/browser"
  # npm writes node_modules/.package-lock.json at each install: newer than the lock file means up to date.
  if ! [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    echo "bootstrap: npm ci in tests/web/browser"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

build() {
  local preset=${1:-default}
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$(nproc)"
}

cmd=${1:-}
case "$cmd" in
  deps) install_deps; browser_deps ;;
  lint)
    install_deps "${LINT_PACKAGES[@]}"
    cmake --preset default >/dev/null  # compile_commands.json for clang-tidy
    exec "$here/tools/lint.sh" build/default
    ;;
  build) install_deps; build "${2:-default}" ;;
  test)
    install_deps
    browser_deps
    preset=${2:-default}
    build "$preset"
    ctest --preset "$preset"
    ;;
  package)
    # The install check mounts and chroots: root only (the other modes use sudo for apt alone).
    [ "$(id -u)" -eq 0 ] || exec sudo "$0" "$@"
    install_deps "${PACKAGE_PACKAGES[@]}"
    build default
    exec "$here/packaging/test-install.sh" "$here/build/default"
    ;;
  demo)
    install_deps
    build default
    exec "$here/daemon/demo/run-demo.sh" "$here/build/default"
    ;;
  *)
    sed -n '2,8p' "$0" >&2
    exit 2
    ;;
esac
