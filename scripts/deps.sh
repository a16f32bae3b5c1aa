#!/bin/sh
# synovia — make sure the Debian packages a step needs are here.
#
#   scripts/deps.sh [--check] [build|test]    (default: build)
#   scripts/deps.sh --list [build|test]       print the packages with their reasons
#
# build: what building the program and running it (`demo`, `run`, sweeps, the
#        figures of scripts/synovia-plot) needs.
# test:  build, plus what only the test suite needs.
#
# As root, installs what is missing with apt-get, quietly: one line on stderr,
# the whole apt log in $DEPS_LOG (default build/deps.log). As another user,
# prints the exact apt-get line to run as root and fails. --check only says
# what is missing. This table is the one place where a package is listed, with
# its reason; README.md names the same packages (tests/integration/fresh_machine.sh
# checks that the two agree).
set -eu

# group<TAB>package<TAB>why
TABLE='build	make	runs the build (the Makefile)
build	gcc	the C11 compiler
build	pkg-config	finds the compiler and linker flags of HDF5, GSL and Open MPI
build	cmake	configures the build of SUNDIALS (CVODE, KINSOL) from the Debian source package (scripts/sundials.sh)
build	dpkg-dev	dpkg-source unpacks that source package and applies the Debian patches
build	libsuitesparse-dev	KLU, the sparse linear solver for large models
build	libgsl-dev	random numbers, quasi-random sequences and statistics of sweeps; the GSL cross-check integrator; the Levenberg-Marquardt optimiser
build	libnlopt-dev	the bound-constrained optimisers of fits (L-BFGS, SLSQP, BOBYQA)
build	libyaml-dev	reads the problem files of PEtab (synovia fit problem.yaml)
build	libhdf5-dev	writes and reads the result files (HDF5, NetCDF-4 compatible)
build	nettle-dev	SHA-256 of models and configurations (provenance, resume)
build	libsbml5-dev	reads and writes SBML models (synovia import, .xml models wherever a model is taken, synovia export --sbml); its static library is linked
build	libxml2-dev	the static archive of libSBML is linked with the XML parser it was built on
build	libbz2-dev	the static archive of libSBML also reads bzip2-compressed SBML, so the link needs libbz2
build	liblapacke-dev	eigenvalues that tell an attracting steady state from a saddle
build	libgfortran-12-dev	the Fortran run-time of LAPACK as a static library (nothing more to load at start-up)
build	libopenmpi-dev	sweeps over many processes (the program runs without mpirun too)
build	openmpi-bin	mpirun, to run a sweep over several processes
build	python3	runs scripts/synovia-plot
build	python3-numpy	arrays for scripts/synovia-plot
build	python3-h5py	scripts/synovia-plot reads result files with it
build	python3-matplotlib	scripts/synovia-plot draws the figures (the demo figure included)
test	libcmocka-dev	the C unit tests
test	libsundials-dev	the (unoptimised) SUNDIALS of Debian: make bench compares it with the optimised build side by side
test	clang	the libFuzzer harnesses (make fuzz; the fuzz corpus replay)
test	libclang-rt-14-dev	the sanitizer and libFuzzer runtimes of clang
test	valgrind	a full run under valgrind (make valgrind and its test)
test	strace	checks that a result file is fsynced and renamed into place
test	time	/usr/bin/time: the peak memory of a sweep (rank 0 flat in the samples; also make bench)
test	chromium	renders the HTML report headless to check its figures load
test	hdf5-tools	h5dump and h5ls, the HDF5 command-line readers (a second opinion on the files)
test	netcdf-bin	ncdump: the files open as NetCDF-4
test	python3-xarray	the files open in xarray as the docs show
test	python3-h5netcdf	the h5netcdf engine of xarray
test	python3-netcdf4	the netcdf4 engine of xarray and the netCDF4 module
test	python3-pandas	the CSV export and the pandas examples of the docs
test	python3-scipy	solve_ivp: the independent simulation of the PEtab benchmark that synovia is checked against (tests/python/test_boehm.py)
test	python3-sbml5	libsbml: that independent simulation reads the SBML model of the benchmark with it
test	slurm-wlm	a single-node Slurm cluster runs the job templates of scripts/slurm/
test	munge	authentication for that Slurm cluster
test	r-base-core	the R examples of docs/output-format.md
test	r-cran-hdf5r	R reads the files with hdf5r
test	r-cran-ncdf4	R reads the files with ncdf4
test	r-bioc-rhdf5	R reads the files with rhdf5
test	octave	the Octave recipe of docs/output-format.md
test	octave-netcdf	Octave reads the files with its netcdf package'

check_only=0
list_only=0
profile=build
for a in "$@"; do
  case $a in
  --check) check_only=1 ;;
  --list) list_only=1 ;;
  build | test) profile=$a ;;
  *) echo "synovia: scripts/deps.sh: unknown argument '$a' (use [--check|--list] [build|test])" >&2; exit 2 ;;
  esac
done

# the rows of the profile: build, or build and test
rows() {
  if [ "$profile" = test ]; then printf '%s\n' "$TABLE"
  else printf '%s\n' "$TABLE" | grep '^build	'; fi
}

if [ $list_only = 1 ]; then
  rows | awk -F '\t' '{ printf "%-5s  %-20s %s\n", $1, $2, $3 }'
  exit 0
fi

missing=""
for p in $(rows | cut -f2); do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done

[ -z "$missing" ] && exit 0
n=$(echo $missing | wc -w)
apt_line="apt-get install -y --no-install-recommends$missing"

if [ $check_only = 1 ]; then
  echo "synovia: missing Debian packages:$missing" >&2
  exit 1
fi

[ $n = 1 ] && what="1 Debian package is" || what="$n Debian packages are"
if [ "$(id -u)" != 0 ]; then
  echo "synovia: $what missing; install them as root (su or sudo), then run this again:" >&2
  echo "  $apt_line" >&2
  exit 1
fi

top=$(cd "$(dirname "$0")/.." && pwd)
log=${DEPS_LOG:-$top/build/deps.log}
mkdir -p "$(dirname "$log")"
shown=$log
case $log in "$top"/*) shown=${log#"$top"/} ;; esac
[ $n = 1 ] && word=package || word=packages
echo "synovia: installing $n Debian $word for '$profile' (log: $shown) ..." >&2
export DEBIAN_FRONTEND=noninteractive
{
  echo "# $(date -u '+%Y-%m-%d %H:%M:%S UTC') $apt_line"
  # shellcheck disable=SC2086
  apt-get -o DPkg::Lock::Timeout=300 update &&
    apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends $missing
} >>"$log" 2>&1 || {
  echo "synovia: apt-get failed; the end of $shown:" >&2
  tail -n 15 "$log" | sed 's/^/  /' >&2
  exit 1
}
