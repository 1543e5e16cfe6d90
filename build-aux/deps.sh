# build-aux/deps.sh — sourced by build-aux/run and build-aux/check.
# Installs what Wirespeed needs to build, test and run on Debian 12 (or
# says exactly what to run when it cannot), then configures and builds.

# Debian packages, one per line: build tools, libraries, run-time modules,
# the tools the tests spawn and the tools bench/ compares against. A fresh
# Debian 12 machine gets nothing else (../shared/tools/fresh-deps checks).
WS_DEPS="
meson
ninja-build
pkg-config
gcc
gettext
libglib2.0-dev
libglib2.0-bin
libgtk-4-dev
libadwaita-1-dev
libjson-glib-dev
libsqlite3-dev
libpq-dev
postgresql-15
libsoup-3.0-dev
glib-networking
desktop-file-utils
appstream
libgtk-4-bin
nftables
iproute2
xvfb
xauth
dbus-daemon
iperf3
nginx
curl
chromium
openssl
python3
procps
util-linux
sockperf
qperf
imagemagick
stress-ng
clang
libclang-rt-14-dev
"

ws_missing_packages () {
  local pkg missing=""
  for pkg in $WS_DEPS ${WS_EXTRA_DEPS:-}; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing="$missing $pkg"
    fi
  done
  echo "$missing"
}

ws_install_deps () {
  local missing sudo=""
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "build-aux: not a Debian-like system; install the equivalents of:$WS_DEPS" | tr '\n' ' ' >&2
    echo >&2
    return 0
  fi
  missing=$(ws_missing_packages)
  [ -z "$missing" ] && return 0

  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo"
    else
      echo "build-aux: missing packages:$missing" >&2
      echo "build-aux: install them with:" >&2
      echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
      return 1
    fi
  fi
  echo "build-aux: installing$missing" >&2
  $sudo apt-get update -q >&2 || return 1
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing >&2
}

# ws_build BUILDDIR [meson setup options...]
ws_build () {
  local builddir=$1
  shift
  if [ ! -f "$builddir/build.ninja" ]; then
    meson setup "$builddir" "$@" >&2 || return 1
  fi
  meson compile -C "$builddir" >&2
}
