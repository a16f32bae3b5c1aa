#!/bin/sh
# synovia — make sure the Debian packages the build and the tests need are here.
# As root, installs what is missing with apt-get; otherwise prints the exact
# command to run and fails. Usage: scripts/deps.sh [--check]
set -eu

PACKAGES="gcc make pkg-config libsundials-dev libsuitesparse-dev libgsl-dev libhdf5-dev hdf5-tools netcdf-bin
nettle-dev liblapacke-dev libopenmpi-dev openmpi-bin libcmocka-dev clang libclang-rt-14-dev valgrind
python3 python3-numpy python3-h5py python3-h5netcdf python3-matplotlib python3-xarray python3-netcdf4 python3-pandas strace chromium"

missing=""
for p in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

[ -z "$missing" ] && exit 0

if [ "${1:-}" = "--check" ]; then
  echo "synovia: missing Debian packages:$missing" >&2
  exit 1
fi

if [ "$(id -u)" = 0 ]; then
  echo "synovia: installing missing Debian packages:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >&2
  exit 0
fi

echo "synovia: these Debian packages are missing:$missing" >&2
echo "Install them with:" >&2
echo "  sudo apt-get install -y$missing" >&2
exit 1
