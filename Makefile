# synovia — one non-recursive GNU Makefile.
#
#   make            build the library and the program (build/release/)
#   make test       everything: unit tests (plain and ASan/UBSan), language
#                   tables, docs examples, reference solutions, HDF5 readers,
#                   fuzz-corpus replay, CLI tests; ends with "N passed, N failed, N skipped"
#   make demo       run the built-in demonstration and draw its figure
#   make install    install the program, synovia-plot, the Slurm templates,
#                   models, examples and docs, and the C library (libsynovia.so,
#                   headers, synovia.pc; docs/c-api.md) (PREFIX=/usr/local, DESTDIR)
#   make lib        build the shared library build/release/libsynovia.so (make does too)
#   make bench      interpreter vs hand-written C, start-up cost, sweep throughput,
#                   the compiler's scaling (check at 10^3..10^5 states), `run` on 10^4
#                   and 10^5 states (time, memory, file size), HIRES against scipy
#                   LSODA and R deSolve
#   make coverage   recovery and interval coverage of `synovia fit` on R (100)
#                   synthetic knee datasets (~20 min; docs/fitting.md)
#   make fuzz       run the libFuzzer harness (FUZZ_SECONDS, default 60)
#   make fuzz-scenario  the same for the scenario parser and loader
#   make valgrind   a full `synovia run` under valgrind
#   make deps       install the missing Debian packages of the build and the
#                   tests (as root) or say which (scripts/deps.sh)
#   make deps-check check that includes respect the layering
#   make clean      remove the build, except the SUNDIALS build (a cache)
#   make distclean  remove the whole build folder
#
# Build configurations live in build/<config>/: release (-O2), test (-O2 with
# the test hooks of -DSYN_TESTING) and asan (ASan + UBSan, test hooks).
# The build is quiet ("  CC src/x.c"); V=1 shows the full commands. A fresh
# machine without make or a compiler starts with ./synovia.sh instead.

SHELL    := /bin/sh
CC       ?= cc
ifeq ($(origin CC),default)
CC       := gcc
endif
BUILD    := build
PYTHON   ?= /usr/bin/python3

# --- quiet output: "  CC src/x.c" per step, the full commands with V=1 --------------
V ?= 0
ifeq ($(V),1)
step =
else
step = @printf '  %-5s %s\n' '$(1)' '$(2)';
endif

# --- Debian packages -------------------------------------------------------------
# Before anything asks pkg-config for flags, make sure the packages are there:
# scripts/deps.sh installs what is missing (as root, quietly, the apt log in
# $(BUILD)/deps.log) or names the exact apt-get line and fails. The program
# needs the "build" packages; the tests also need the "test" ones. It runs
# once per build directory and profile (the stamp).
DEPS_TEST_GOALS := test build-for-test unit-bins tools fuzz fuzz-scenario valgrind \
                   $(BUILD)/test/% $(BUILD)/asan/% $(BUILD)/fuzz/%
DEPS_PROFILE := $(if $(filter $(DEPS_TEST_GOALS),$(MAKECMDGOALS)),test,build)
DEPS_STAMP := $(BUILD)/.deps-$(DEPS_PROFILE)-ok
DEPS_RUN := DEPS_LOG=$(abspath $(BUILD))/deps.log scripts/deps.sh
ifeq ($(filter clean distclean deps deps-check,$(MAKECMDGOALS)),)
ifeq ($(wildcard $(DEPS_STAMP)),)
DEPS_RESULT := $(shell $(DEPS_RUN) $(DEPS_PROFILE) >&2 && mkdir -p $(BUILD) && touch $(DEPS_STAMP) && echo ok)
ifneq ($(DEPS_RESULT),ok)
$(error missing Debian packages (see the message above))
endif
endif
endif

# --- third-party flags (Debian 12 paths; see DESIGN §7) ----------------------
HDF5_PC      ?= hdf5-serial
HDF5_CFLAGS  := $(shell pkg-config --cflags $(HDF5_PC) 2>/dev/null)
HDF5_LIBS    := $(shell pkg-config --libs $(HDF5_PC) 2>/dev/null) -lhdf5_hl
LAPACK_LIBS  := -llapacke -llapack
# LINK=shared links as before: every library shared, all of them (MPI too)
# recorded and loaded at start-up whether called or not.
LD_AS_NEEDED := -Wl,--as-needed
MPI_LINKED   :=
# LINK=static (the default): HDF5 and LAPACK from Debian's static archives
# (libhdf5-dev, liblapacke-dev, liblapack-dev, libblas-dev ship them). The
# shared ones cost the loader 40 libraries at every start (HDF5's curl, ssl,
# krb5, ldap, which synovia never calls; LAPACK's gfortran); static, only the
# objects synovia calls are linked. LINK=shared: all shared, as before.
LINK ?= static
ifeq ($(LINK),static)
HDF5_LIBDIR  := $(patsubst -L%,%,$(filter -L%,$(shell pkg-config --libs-only-L $(HDF5_PC) 2>/dev/null)))
HDF5_A       := $(wildcard $(HDF5_LIBDIR)/libhdf5_hl.a $(HDF5_LIBDIR)/libhdf5.a)
ifeq ($(words $(HDF5_A)),2)
# libhdf5.settings' "Extra libraries"; --as-needed drops those not called
HDF5_LIBS    := $(HDF5_A) -lcrypto -lcurl -lpthread -lsz -lz -ldl -lm
endif
MULTIARCH    := $(shell $(CC) -print-multiarch 2>/dev/null)
LAPACK_A     := $(wildcard $(addprefix /usr/lib/$(MULTIARCH)/,liblapacke.a lapack/liblapack.a blas/libblas.a))
ifeq ($(words $(LAPACK_A)),3)
# LAPACK is Fortran: its run-time static too where installed (libgfortran-12-dev)
FORTRAN_STATIC := -Wl,-Bstatic -lgfortran -lquadmath -Wl,-Bdynamic
LAPACK_LIBS  := $(LAPACK_A) \
                $(if $(filter /%,$(shell $(CC) -print-file-name=libgfortran.a)),$(FORTRAN_STATIC),-lgfortran)
endif
else
LD_AS_NEEDED :=
MPI_LINKED    = -Wl,--no-as-needed $(MPI_LIBS) -Wl,--as-needed
endif
# SUNDIALS: by default Debian's source package of the version Debian 12 ships,
# built optimised (-O2) and static into the build tree by scripts/sundials.sh
# (Debian's own libsundials-dev is built without optimisation: 2-2.5x slower,
# same results). Built once per build tree, again only when its version or
# flags change; `make clean` keeps it (it is a cache of a third-party build),
# `make distclean` drops it. Instead:
#   SUNDIALS_DIR=system   Debian's shared libsundials-dev (make bench compares)
#   SUNDIALS_DIR=/prefix  a site installation, SUNDIALS 6.x or 7.x (Spack, a
#                         module): PREFIX/include and PREFIX/lib or lib64
SUNDIALS_VERSION := 6.4.1
SUNDIALS_DIR ?=
SUN_NAMES := cvodes kinsol sunlinsolklu sunlinsoldense sunmatrixsparse sunmatrixdense nvecserial
ifeq ($(SUNDIALS_DIR),)
SUN_PREFIX    := $(BUILD)/sundials/$(SUNDIALS_VERSION)
SUN_STAMP     := $(SUN_PREFIX)/.stamp
SUN_CFLAGS    := -I$(SUN_PREFIX)/include
SUNDIALS_LIBS := $(patsubst %,$(SUN_PREFIX)/lib/libsundials_%.a,$(SUN_NAMES))
else ifeq ($(SUNDIALS_DIR),system)
ifeq ($(filter clean distclean deps deps-check,$(MAKECMDGOALS))$(wildcard /usr/include/cvode/cvode.h),)
$(error SUNDIALS_DIR=system: Debian's SUNDIALS is not installed (apt-get install libsundials-dev, as root))
endif
SUN_CFLAGS    :=
SUNDIALS_LIBS := $(patsubst %,-lsundials_%,$(SUN_NAMES))
else
SUN_LIBDIR    := $(firstword $(foreach d,lib64 lib,$(if $(wildcard $(SUNDIALS_DIR)/$(d)/libsundials_cvodes.*),$(SUNDIALS_DIR)/$(d))))
ifeq ($(wildcard $(SUNDIALS_DIR)/include/cvode/cvode.h),)
$(error SUNDIALS_DIR=$(SUNDIALS_DIR) has no include/cvode/cvode.h (give the prefix of a SUNDIALS 6.x or 7.x installation, or SUNDIALS_DIR=system for Debian's))
endif
ifeq ($(SUN_LIBDIR),)
$(error SUNDIALS_DIR=$(SUNDIALS_DIR) has no lib/ or lib64/ with libsundials_cvodes (give the prefix of a SUNDIALS 6.x or 7.x installation))
endif
# -isystem: a site installation is third-party code; its headers need not build under our warnings
# (7.5 tests __cplusplus in a header, which -Wundef refuses)
SUN_CFLAGS    := -isystem $(SUNDIALS_DIR)/include
# 7.x puts what the packages share in libsundials_core
SUNDIALS_LIBS := -L$(SUN_LIBDIR) -Wl,-rpath,$(abspath $(SUN_LIBDIR)) $(patsubst %,-lsundials_%,$(SUN_NAMES)) \
                 $(if $(wildcard $(SUN_LIBDIR)/libsundials_core.*),-lsundials_core)
endif
# The objects that include SUNDIALS' headers; they are rebuilt when SUNDIALS_DIR
# changes (the choice is kept in $(SUN_CHOICE)).
SUN_USERS  := $(wildcard src/solve/*.c)
SUN_CHOICE := $(BUILD)/.sundials-dir
ifneq ($(filter clean distclean deps deps-check,$(MAKECMDGOALS)),)
else ifneq ($(shell cat $(SUN_CHOICE) 2>/dev/null),$(or $(SUNDIALS_DIR),built))
$(shell mkdir -p $(BUILD) && echo '$(or $(SUNDIALS_DIR),built)' >$(SUN_CHOICE))
endif
KLU_CFLAGS   := -I/usr/include/suitesparse
KLU_LIBS     := -lklu
GSL_LIBS     := $(shell pkg-config --libs gsl 2>/dev/null || echo -lgsl -lgslcblas)
# NLopt (src/optim/nlopt.c): Debian ships it shared only (libnlopt-dev has no
# .a); it needs only libm and libc, and --as-needed records it only in a
# program that calls the optimisers.
NLOPT_LIBS   := $(shell pkg-config --libs nlopt 2>/dev/null || echo -lnlopt)
# MPI (Open MPI on Debian): only src/sweep/mpi/plugin.c calls it. It is a
# small shared object linked with libmpi, embedded in the program, that
# syn_parallel_begin loads only under a launcher (src/sweep/mpi_ops.h): the
# program itself is not linked with MPI, so it does not load it at every start.
# libyaml (src/fit/petab_read.c): the problem files of PEtab; shared, small,
# needing only libc.
YAML_LIBS    := $(shell pkg-config --libs yaml-0.1 2>/dev/null || echo -lyaml)
MPI_CFLAGS   := $(shell pkg-config --cflags ompi-c 2>/dev/null)
MPI_LIBS     := $(shell pkg-config --libs ompi-c 2>/dev/null || echo -lmpi)
# --as-needed (Debian's gcc default, made explicit): the program records (and
# the loader loads at start-up) only the shared libraries it calls.
# libSBML (SBML import and export): only the SBML plugin calls it
# (src/sbml/plugin/, sbml/plugin_ops.h), a shared object embedded in the
# library and loaded on the first SBML import or export, so the program does
# not run libSBML's C++ static initialisers, nor map libxml2 and the C++ run
# time, at every start. The plugin is linked with Debian's static archive where
# it is installed (libsbml5-dev ships libsbml-static.a, position-independent):
# nothing more to install beside the program than libxml2 and libstdc++,
# which it loads then; else (or with LINK=shared) with the shared libsbml.
SBML_A       := $(wildcard /usr/lib/$(shell $(CC) -print-multiarch 2>/dev/null)/libsbml-static.a)
ifeq ($(LINK)$(words $(SBML_A)),static1)
SBML_LIBS    := $(SBML_A) -lxml2 -lbz2 -lz -lstdc++ -lm
else
SBML_LIBS    := -lsbml
endif
LIBS         := $(LD_AS_NEEDED) $(SUNDIALS_LIBS) $(KLU_LIBS) $(GSL_LIBS) $(NLOPT_LIBS) $(HDF5_LIBS) $(LAPACK_LIBS) \
                $(YAML_LIBS) $(MPI_LINKED) -lnettle -lm

# --- the git revision in syn_version() ---------------------------------------------
# $(GIT_REV_H) defines SYN_GIT_REV: HEAD's short hash, "-dirty" when tracked
# files differ from it ("" outside a git checkout). It is remade at every make
# but rewritten only when its text changes, so a commit (or the first edit
# after one) recompiles src/base/version.c alone and relinks; nothing else
# depends on it. (The hash used to be a -D flag of every compile line: make
# did not see it change, and objects kept naming an old commit.) Its rule is
# after the fuzz targets, which it names.
GIT_REV_H := $(BUILD)/gen/git_rev.h

# --- warnings are errors ------------------------------------------------------
WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wwrite-strings -Wcast-align -Wvla -Wdouble-promotion -Wformat=2 -Wundef \
        -Wold-style-definition -Wnull-dereference -Werror
STD  := -std=c11 -D_POSIX_C_SOURCE=200809L
INC  := -Iinclude -Isrc $(SUN_CFLAGS) $(HDF5_CFLAGS) $(KLU_CFLAGS) $(MPI_CFLAGS)
DEFS := -DSYN_GIT_REV_H='"$(abspath $(GIT_REV_H))"'

OPT_release := -O2 -g
OPT_test    := -O2 -g -DSYN_TESTING
OPT_asan    := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
               -fno-sanitize-recover=undefined -DSYN_TESTING
LDOPT_asan  := -fsanitize=address,undefined

# --- sources ------------------------------------------------------------------
LIB_DIRS := base lang model sbml io optim solve scenario problem sweep fit
LIB_SRC  := $(foreach d,$(LIB_DIRS),$(wildcard src/$(d)/*.c))
# The built-in demonstration's files, embedded in the program (src/cli/demo.h).
DEMO_FILES := examples/knee_ia_vs_iv.scenario models/knee_oa.model models/parts/msc_pk.model \
              models/parts/joint_network.model models/parts/systemic.model
DEMO_C   := $(BUILD)/gen/demo_files.c
CLI_SRC  := $(wildcard src/cli/*.c) $(DEMO_C)
# The MPI plugin and the C source holding its bytes (part of the library).
MPI_PLUGIN   := $(BUILD)/mpi/synovia-mpi.so
MPI_PLUGIN_C := $(BUILD)/gen/mpi_plugin.c
# The SBML plugin (src/sbml/plugin/ with the pure code of base/status.c and
# base/strbuf.c), one per configuration (the ASan build's is instrumented too),
# and the C source that embeds its bytes (part of that configuration's library).
SBML_PLUGIN_SRC := $(wildcard src/sbml/plugin/*.c) src/base/status.c src/base/strbuf.c
sbml_plugin   = $(BUILD)/$(1)/sbml/synovia-sbml.so
sbml_plugin_c = $(BUILD)/$(1)/gen/sbml_plugin.c
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_NAMES := $(patsubst tests/unit/%.c,%,$(UNIT_SRC))
HELPER_SRC := $(wildcard tests/support/*.c)

obj = $(patsubst %.c,$(BUILD)/$(1)/obj/%.o,$(2))

LIB_release := $(BUILD)/release/libsynovia.a
LIB_test    := $(BUILD)/test/libsynovia.a
LIB_asan    := $(BUILD)/asan/libsynovia.a
BIN         := $(BUILD)/release/synovia
BIN_asan    := $(BUILD)/asan/synovia

.PHONY: bench-base distclean all build-for-build build-for-test test demo install bench fuzz fuzz-scenario valgrind deps deps-check clean unit-bins tools
.DEFAULT_GOAL := all

all: $(BIN)

# Installs missing packages once (as root), or says what to install.
$(DEPS_STAMP): scripts/deps.sh
	@mkdir -p $(BUILD)
	@$(DEPS_RUN) $(DEPS_PROFILE)
	@touch $@

$(DEMO_C): scripts/embed.sh Makefile $(DEMO_FILES)
	@mkdir -p $(dir $@)
	$(call step,GEN,$@) scripts/embed.sh $@ $(DEMO_FILES)

$(MPI_PLUGIN): src/sweep/mpi/plugin.c src/sweep/mpi_ops.h | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(call step,CC,$@) $(CC) $(STD) -O2 -fPIC -shared $(WARN) $(INC) -o $@ $< $(MPI_LIBS)

$(MPI_PLUGIN_C): $(MPI_PLUGIN)
	@mkdir -p $(dir $@)
	$(call step,GEN,$@) { echo '/* Generated from $< (see src/sweep/mpi_ops.h) -- do not edit. */'; \
	  echo '#include "sweep/mpi_ops.h"'; echo 'const unsigned char sweep_mpi_plugin[] = {'; \
	  od -An -v -tx1 $< | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; echo '};'; \
	  echo 'const size_t sweep_mpi_plugin_size = sizeof sweep_mpi_plugin;'; } >$@.tmp && mv $@.tmp $@

deps:
	@$(DEPS_RUN) test
	@mkdir -p $(BUILD) && touch $(BUILD)/.deps-build-ok $(BUILD)/.deps-test-ok

# --- per-configuration rules ----------------------------------------------------
# The SBML plugin: position-independent objects in $(BUILD)/<config>/sbml/obj/,
# linked with libSBML; everything but its table is local (sbml_plugin.map), and
# -z defs: all it calls of synovia is in it (src/sbml/plugin/host.c). Its bytes
# are embedded with .incbin (a C array of megabytes would take long to compile),
# the path relative to the top, where make runs.
define CONFIG_RULES
$(BUILD)/$(1)/sbml/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	$$(call step,CC,$$<) $$(CC) $(STD) $(OPT_$(1)) -fPIC -fvisibility=hidden $(WARN) $(INC) -MMD -MP -c $$< -o $$@

$(call sbml_plugin,$(1)): $(patsubst %.c,$(BUILD)/$(1)/sbml/obj/%.o,$(SBML_PLUGIN_SRC)) src/sbml/plugin/sbml_plugin.map
	$$(call step,LD,$$@) $$(CC) $(OPT_$(1)) $(LDOPT_$(1)) -shared -Wl,-z,defs -Wl,--exclude-libs,ALL \
	  -Wl,--version-script=src/sbml/plugin/sbml_plugin.map -Wl,-S -o $$@ $$(filter %.o,$$^) $(SBML_LIBS)

$(call sbml_plugin_c,$(1)): $(call sbml_plugin,$(1))
	@mkdir -p $$(dir $$@)
	$$(call step,GEN,$$@) printf '%s\n' \
	  '/* Generated: the bytes of $$< (see src/sbml/plugin_ops.h) -- do not edit. */' \
	  '#include "sbml/plugin_ops.h"' \
	  '_Static_assert(sizeof(size_t) == 8, "syn_sbml_plugin_size is written as a .quad");' \
	  '__asm__(".section .rodata.syn_sbml_plugin, \"a\"\n.balign 64\n"' \
	  '        ".globl syn_sbml_plugin\n.hidden syn_sbml_plugin\n.type syn_sbml_plugin, @object\n"' \
	  '        "syn_sbml_plugin:\n.incbin \"$$<\"\nsyn_sbml_plugin_end:\n"' \
	  '        ".size syn_sbml_plugin, syn_sbml_plugin_end - syn_sbml_plugin\n.balign 8\n"' \
	  '        ".globl syn_sbml_plugin_size\n.hidden syn_sbml_plugin_size\n"' \
	  '        ".type syn_sbml_plugin_size, @object\nsyn_sbml_plugin_size:\n"' \
	  '        ".quad syn_sbml_plugin_end - syn_sbml_plugin\n.size syn_sbml_plugin_size, 8\n.previous\n");' \
	  >$$@.tmp && mv $$@.tmp $$@

$(BUILD)/$(1)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	$$(call step,CC,$$<) $$(CC) $(STD) $(OPT_$(1)) $(WARN) $(INC) $(DEFS) -MMD -MP -c $$< -o $$@

$(LIB_$(1)): $(call obj,$(1),$(LIB_SRC) $(MPI_PLUGIN_C) $(call sbml_plugin_c,$(1)))
	@mkdir -p $$(dir $$@)
	$$(call step,AR,$$@) rm -f $$@ && ar rcs $$@ $$^

$(BUILD)/$(1)/synovia: $(call obj,$(1),$(CLI_SRC)) $(LIB_$(1))
	$$(call step,LD,$$@) $$(CC) $(OPT_$(1)) $(LDOPT_$(1)) -o $$@ $$^ $(LIBS)

$(BUILD)/$(1)/tests/%: tests/unit/%.c $(call obj,$(1),$(HELPER_SRC)) $(LIB_$(1)) | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	$$(call step,CC,$$@) $$(CC) $(STD) $(OPT_$(1)) $(WARN) $(INC) -Itests $(LDOPT_$(1)) -MMD -MP -o $$@ $$< \
	  $(call obj,$(1),$(HELPER_SRC)) $(LIB_$(1)) -lcmocka $(LIBS)

-include $(patsubst %.c,$(BUILD)/$(1)/obj/%.d,$(LIB_SRC) $(CLI_SRC) $(HELPER_SRC))
-include $(patsubst %.c,$(BUILD)/$(1)/sbml/obj/%.d,$(SBML_PLUGIN_SRC))
-include $(patsubst %,$(BUILD)/$(1)/tests/%.d,$(UNIT_NAMES))
endef
$(eval $(call CONFIG_RULES,release))
$(eval $(call CONFIG_RULES,test))
$(eval $(call CONFIG_RULES,asan))

# --- the shared library: libsynovia.so --------------------------------------------------
# The same library objects again, position-independent and compiled with
# -fvisibility=hidden: only what the public headers declare is exported (each
# include/synovia/*.h wraps its declarations in `#pragma GCC visibility
# push(default)`/pop), every internal function stays hidden, as Lua's LUAI_FUNC
# does. -fno-semantic-interposition: calls inside the library bind to its own
# functions, as in the program. A separate object set (build/release/pic/, ~10 s
# of CPU), so the program and its static library are compiled exactly as before.
# Linked with: SUNDIALS' static archives (built PIC by scripts/sundials.sh; kept
# out of the dynamic table by --exclude-libs), and the shared HDF5 and LAPACK:
# Debian's static archives of those are not PIC and cannot go into a shared
# object. Versioned: libsynovia.so.MAJOR.MINOR.PATCH (version.h), soname
# libsynovia.so.MAJOR, and the link-time name libsynovia.so (docs/c-api.md).
syn_version_part = $(shell sed -n 's/^\#define SYN_VERSION_$(1) \([0-9][0-9]*\).*/\1/p' include/synovia/version.h)
SO_MAJOR   := $(call syn_version_part,MAJOR)
SO_VERSION := $(SO_MAJOR).$(call syn_version_part,MINOR).$(call syn_version_part,PATCH)
SO_NAME    := libsynovia.so.$(SO_MAJOR)
SO         := $(BUILD)/release/libsynovia.so.$(SO_VERSION)
SO_LINKS   := $(BUILD)/release/$(SO_NAME) $(BUILD)/release/libsynovia.so
pic = $(patsubst %.c,$(BUILD)/release/pic/%.o,$(1))
PIC_FLAGS  := -fPIC -fvisibility=hidden -fno-semantic-interposition
# What libsynovia.so is linked with besides SUNDIALS (also synovia.pc's Libs.private).
SO_HDF5_PC   := $(shell pkg-config --libs $(HDF5_PC) 2>/dev/null)
SO_HDF5_LIBS := $(filter -L%,$(SO_HDF5_PC)) -lhdf5_hl $(filter-out -L%,$(SO_HDF5_PC))
SO_DEPS    := $(KLU_LIBS) $(GSL_LIBS) $(NLOPT_LIBS) $(YAML_LIBS) $(SO_HDF5_LIBS) -llapacke -llapack -lnettle -lm
SO_LDFLAGS := -shared -Wl,-soname,$(SO_NAME) -Wl,-z,defs -Wl,--as-needed -Wl,--exclude-libs,ALL

$(BUILD)/release/pic/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(call step,CC,$@) $(CC) $(STD) $(OPT_release) $(PIC_FLAGS) $(WARN) $(INC) $(DEFS) -MMD -MP -c $< -o $@
-include $(patsubst %.c,$(BUILD)/release/pic/%.d,$(LIB_SRC))

$(SO): $(call pic,$(LIB_SRC) $(MPI_PLUGIN_C) $(call sbml_plugin_c,release))
	$(call step,LD,$@) $(CC) $(OPT_release) $(SO_LDFLAGS) -o $@ $^ $(SUNDIALS_LIBS) $(SO_DEPS)
$(SO_LINKS): $(SO)
	$(call step,LN,$@) ln -sf $(notdir $<) $@
lib: $(SO_LINKS)
all: $(SO_LINKS)
.PHONY: lib
# The program's own objects linked with libsynovia.so instead of the static
# library (a test artifact): the CLI uses only the public API, so this links
# only when the library exports all of it, and tests/integration/libapi.sh
# checks that its result files are those of the program, bit for bit.
SO_CLI := $(BUILD)/release/synovia-shared
$(SO_CLI): $(call obj,release,$(CLI_SRC)) $(SO_LINKS)
	$(call step,LD,$@) $(CC) $(OPT_release) -o $@ $(call obj,release,$(CLI_SRC)) \
	  -L$(BUILD)/release -lsynovia -Wl,-rpath,$(abspath $(BUILD)/release) $(GSL_LIBS)

# SUNDIALS is built before the objects that include it (only those: a build of
# anything else does not wait for it); they are rebuilt when it is, or when
# SUNDIALS_DIR changes, and the programs relinked through the library.
ifneq ($(SUN_STAMP),)
$(SUN_STAMP): scripts/sundials.sh | $(DEPS_STAMP)
	@CC='$(CC)' scripts/sundials.sh $(SUN_PREFIX)
endif
$(foreach c,release test asan,$(call obj,$(c),$(SUN_USERS))): $(SUN_CHOICE) | $(SUN_STAMP)
$(call pic,$(SUN_USERS)): $(SUN_CHOICE) | $(SUN_STAMP)

# The unit tests' shared helpers are objects only pattern rules name: without
# this, make deletes them as intermediates after the build, and prints the rm
# after the test summary.
.SECONDARY: $(foreach c,release test asan,$(call obj,$(c),$(HELPER_SRC)))

UNIT_test := $(addprefix $(BUILD)/test/tests/,$(UNIT_NAMES))
UNIT_asan := $(addprefix $(BUILD)/asan/tests/,$(UNIT_NAMES))

# Small helper programs the test scripts drive (language tables, references).
TOOL_SRC   := $(wildcard tests/tools/*.c)
TOOL_NAMES := $(patsubst tests/tools/%.c,%,$(TOOL_SRC))
TOOLS_asan := $(addprefix $(BUILD)/asan/tools/,$(TOOL_NAMES))
TOOLS_test := $(addprefix $(BUILD)/test/tools/,$(TOOL_NAMES))
define TOOL_RULES
$(BUILD)/$(1)/tools/%: tests/tools/%.c $(LIB_$(1)) | $(DEPS_STAMP)
	@mkdir -p $$(dir $$@)
	$$(call step,CC,$$@) $$(CC) $(STD) $(OPT_$(1)) $(WARN) $(INC) -Itests $(LDOPT_$(1)) -MMD -MP -o $$@ $$< \
	  $(LIB_$(1)) $(LIBS)
-include $(patsubst %,$(BUILD)/$(1)/tools/%.d,$(TOOL_NAMES))
endef
$(eval $(call TOOL_RULES,test))
$(eval $(call TOOL_RULES,asan))

unit-bins: $(UNIT_test) $(UNIT_asan)
tools: $(TOOLS_test) $(TOOLS_asan)

# --- fuzzing (clang libFuzzer) -----------------------------------------------------
FUZZ_BIN := $(BUILD)/fuzz/fuzz_model
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -fsanitize=fuzzer,address,undefined \
               -fno-sanitize-recover=undefined -DSYN_TESTING $(INC)
$(FUZZ_BIN): tests/fuzz/fuzz_model.c $(LIB_SRC) $(MPI_PLUGIN_C) $(call sbml_plugin_c,release) | $(DEPS_STAMP) $(SUN_STAMP)
	@mkdir -p $(dir $@)
	$(call step,CC,$@) clang $(FUZZ_CFLAGS) $(DEFS) -o $@ tests/fuzz/fuzz_model.c $(LIB_SRC) $(MPI_PLUGIN_C) $(call sbml_plugin_c,release) $(LIBS)

fuzz: $(FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/new
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -dict=tests/fuzz/model.dict \
	  $(BUILD)/fuzz/new tests/fuzz/corpus

FUZZ_SCN_BIN := $(BUILD)/fuzz/fuzz_scenario
$(FUZZ_SCN_BIN): tests/fuzz/fuzz_scenario.c $(LIB_SRC) $(MPI_PLUGIN_C) $(call sbml_plugin_c,release) | $(DEPS_STAMP) $(SUN_STAMP)
	@mkdir -p $(dir $@)
	$(call step,CC,$@) clang $(FUZZ_CFLAGS) $(DEFS) -o $@ tests/fuzz/fuzz_scenario.c $(LIB_SRC) $(MPI_PLUGIN_C) $(call sbml_plugin_c,release) $(LIBS)

fuzz-scenario: $(FUZZ_SCN_BIN)
	@mkdir -p $(BUILD)/fuzz/new_scenario
	$(FUZZ_SCN_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -dict=tests/fuzz/scenario.dict \
	  $(BUILD)/fuzz/new_scenario tests/fuzz/scenario_corpus

# The git revision (see GIT_REV_H above).
$(GIT_REV_H): FORCE
	@mkdir -p $(dir $@)
	@rev=$$(git describe --always --dirty --exclude='*' 2>/dev/null || git rev-parse --short HEAD 2>/dev/null || :); \
	  printf '/* Generated by the Makefile -- do not edit. */\n#define SYN_GIT_REV "%s"\n' "$$rev" >$@.tmp; \
	  if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
# every object of version.c: the three configurations, and the shared
# library's position-independent set where the Makefile has one ($(call pic))
$(foreach c,release test asan,$(call obj,$(c),src/base/version.c)) \
  $(call pic,src/base/version.c): $(GIT_REV_H)
$(FUZZ_BIN) $(FUZZ_SCN_BIN): $(GIT_REV_H)
.PHONY: FORCE
FORCE:

# --- make bench: the interpreter against hand-written C (stiff20, HIRES) -------------
BENCH_INTERP := $(BUILD)/release/bench-interp
$(BENCH_INTERP): tests/bench/interp.c $(LIB_release) | $(DEPS_STAMP)
	$(call step,CC,$@) $(CC) $(STD) $(OPT_release) $(WARN) $(INC) -o $@ $< $(LIB_release) $(LIBS)
bench: bench-interp
bench-interp: $(BENCH_INTERP)
	@sh tests/bench/interp.sh $(BENCH_INTERP)
.PHONY: bench-interp
# HIRES by synovia against scipy's LSODA and R's deSolve lsoda (skipped, saying
# so, where they are not installed): tests/bench/hires_peers.py
bench: bench-peers
bench-peers: $(BENCH_INTERP)
	@$(PYTHON) tests/bench/hires_peers.py $(BENCH_INTERP)
.PHONY: bench-peers

# --- the suite ------------------------------------------------------------------------
TEST_BINS := $(BIN) $(BIN_asan) $(UNIT_test) $(UNIT_asan) $(TOOLS_test) $(TOOLS_asan) \
             $(FUZZ_BIN) $(FUZZ_SCN_BIN) $(SO_LINKS) $(SO_CLI)
# what ./synovia.sh builds (quietly, into a log) before it runs demo or test
build-for-build: $(BIN)
build-for-test: $(TEST_BINS)

test: $(TEST_BINS)
	@LC_ALL=C BUILD=$(BUILD) PYTHON=$(PYTHON) tests/run.sh

demo: $(BIN)
	@scripts/demo.sh $(abspath $(BIN))

BENCH_BIN := $(BUILD)/release/bench
$(BENCH_BIN): tests/bench/bench.c $(LIB_release) | $(DEPS_STAMP)
	$(call step,CC,$@) $(CC) $(STD) $(OPT_release) $(WARN) $(INC) -Itests -o $@ $< $(LIB_release) $(LIBS)

# The same program and bench built as before this build had its own SUNDIALS
# (Debian's libsundials-dev, every library shared), for the side by side.
BENCH_BASE := $(BUILD)/bench-debian
bench-base:
	@if dpkg-query -W -f='$${Status}' libsundials-dev 2>/dev/null | grep -q "install ok installed"; then \
	  $(MAKE) -s --no-print-directory BUILD=$(BENCH_BASE) SUNDIALS_DIR=system LINK=shared \
	    $(BENCH_BASE)/release/synovia $(BENCH_BASE)/release/bench; \
	else echo "bench: libsundials-dev is not installed: no side by side with Debian's SUNDIALS"; fi

bench: $(BIN) $(BENCH_BIN) bench-base
	@echo "== with the SUNDIALS of this build ($(or $(SUNDIALS_DIR),$(SUNDIALS_VERSION) -O2 static))"
	@$(BENCH_BIN) tests/bench
	@if [ -x $(BENCH_BASE)/release/bench ]; then \
	  echo "== the same with Debian's SUNDIALS (unoptimised, shared)"; $(BENCH_BASE)/release/bench tests/bench; fi
	@sh tests/bench/sweep.sh $(BIN)
	@sh tests/bench/compiler.sh $(BIN)
	@sh tests/bench/run_scale.sh $(BIN)
	@$(PYTHON) tests/bench/startup.py $(BIN) $(BENCH_BASE)/release/synovia
	@sh tests/bench/sbml.sh $(BIN) $(PYTHON)

# A knee sample's cost split (baseline, arms, metrics): tests/bench/knee_split.c
KNEE_SPLIT_BIN := $(BUILD)/release/bench_knee_split
$(KNEE_SPLIT_BIN): tests/bench/knee_split.c $(LIB_release) | $(DEPS_STAMP)
	$(call step,CC,$@) $(CC) $(STD) $(OPT_release) $(WARN) $(INC) -o $@ $< $(LIB_release) $(LIBS)
bench: bench-knee-split
bench-knee-split: $(KNEE_SPLIT_BIN)
	@$(KNEE_SPLIT_BIN)
.PHONY: bench-knee-split

# A fit's objective and gradient against a plain solve: tests/bench/fit_objective.c
FIT_OBJ_BIN := $(BUILD)/release/bench_fit_objective
$(FIT_OBJ_BIN): tests/bench/fit_objective.c tests/bench/timing.h $(LIB_release) | $(DEPS_STAMP)
	$(call step,CC,$@) $(CC) $(STD) $(OPT_release) $(WARN) $(INC) -Itests/bench -o $@ $< $(LIB_release) $(LIBS)
bench: bench-fit-objective
bench-fit-objective: $(FIT_OBJ_BIN)
	@$(FIT_OBJ_BIN)
.PHONY: bench-fit-objective

# The 10-parameter knee fit, 64 starts, serial and under mpirun -np 2
# (tests/bench/fit_knee10.sh); the optimisers compared on the knee fits and
# Boehm, and Boehm from 100 random starts (tests/bench/fit_optimisers.py;
# docs/optimisers.md, docs/benchmarks.md)
bench: bench-fit
bench-fit: $(BIN)
	@sh tests/bench/fit_knee10.sh $(BIN)
	@$(PYTHON) tests/bench/fit_optimisers.py $(BIN)
.PHONY: bench-fit

# Recovery and interval coverage of `synovia fit` over R synthetic knee datasets
# (tests/bench/coverage/; ~20 min; not part of make test or make bench): R=100
coverage: $(BIN)
	@$(PYTHON) tests/bench/coverage/coverage.py -R $(or $(R),100) --synovia $(BIN)
.PHONY: coverage

# The states' own absolute tolerances against one scalar atol: steps per arm and
# the metrics' error against an rtol 1e-10 reference (tests/bench/state_tol.py)
bench: bench-state-tol
bench-state-tol: $(BIN)
	@$(PYTHON) tests/bench/state_tol.py $(BIN)
.PHONY: bench-state-tol

# Dense LU against KLU and what `linear-solver auto` picks: tests/bench/linsolve.c
LINSOLVE_BIN := $(BUILD)/release/bench_linsolve
$(LINSOLVE_BIN): tests/bench/linsolve.c $(LIB_release) | $(DEPS_STAMP)
	$(call step,CC,$@) $(CC) $(STD) $(OPT_release) $(WARN) $(INC) -o $@ $< $(LIB_release) $(LIBS)
bench: bench-linsolve
bench-linsolve: $(LINSOLVE_BIN)
	@$(LINSOLVE_BIN) tests/bench
.PHONY: bench-linsolve

valgrind: $(BIN)
	valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	  $(BIN) run models/two_compartment.model -o $(BUILD)/valgrind.h5

# --- install -------------------------------------------------------------------------
# PREFIX/bin: synovia and synovia-plot side by side (synovia report finds the
# plot script next to the program); PREFIX/share/synovia: the Slurm templates
# (slurm/), the models and the examples (the scenarios' "../models/…" paths
# hold there); PREFIX/share/doc/synovia: README.md and docs/. DESTDIR is
# prepended to every path (staged installs, packages).
# The C library: PREFIX/lib/libsynovia.so.MAJOR.MINOR.PATCH with its soname
# and link-time symlinks, the public headers in PREFIX/include/synovia/, and
# PREFIX/lib/pkgconfig/synovia.pc. LIBDIR (default PREFIX/lib, which Debian's
# loader and pkg-config search under /usr/local) may name another, e.g.
# LIBDIR=/usr/lib/x86_64-linux-gnu for PREFIX=/usr.
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
DESTDIR ?=
INST_LIB   := $(DESTDIR)$(LIBDIR)
INST_INC   := $(DESTDIR)$(PREFIX)/include/synovia
INST_BIN   := $(DESTDIR)$(PREFIX)/bin
INST_SHARE := $(DESTDIR)$(PREFIX)/share/synovia
INST_DOC   := $(DESTDIR)$(PREFIX)/share/doc/synovia
INST_TREES := models models/parts examples examples/teaching examples/c
install: $(BIN) $(SO) synovia.pc.in
	$(call step,INST,$(INST_LIB)/$(notdir $(SO))) install -d $(INST_LIB)/pkgconfig $(INST_INC) && \
	  install -m 755 $(SO) $(INST_LIB)/ && \
	  ln -sf $(notdir $(SO)) $(INST_LIB)/$(SO_NAME) && \
	  ln -sf $(notdir $(SO)) $(INST_LIB)/libsynovia.so && \
	  install -m 644 include/synovia/*.h $(INST_INC)/ && \
	  sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@VERSION@|$(SO_VERSION)|g' \
	    -e 's|@LIBS_PRIVATE@|$(strip $(SO_DEPS))|g' synovia.pc.in >$(INST_LIB)/pkgconfig/synovia.pc
	$(call step,INST,$(INST_BIN)/synovia) install -d $(INST_BIN) && \
	  install -m 755 $(BIN) $(INST_BIN)/synovia && \
	  install -m 755 scripts/synovia-plot $(INST_BIN)/synovia-plot
	$(call step,INST,$(INST_SHARE)/) install -d $(INST_SHARE)/slurm \
	  $(addprefix $(INST_SHARE)/,$(INST_TREES)) && \
	  install -m 644 scripts/slurm/*.sbatch $(INST_SHARE)/slurm/ && \
	  for d in $(INST_TREES); do \
	    for f in $$d/*; do [ -f "$$f" ] && install -m 644 "$$f" $(INST_SHARE)/$$d/ || :; done; \
	  done
	$(call step,INST,$(INST_DOC)/) install -d $(INST_DOC)/img && \
	  install -m 644 README.md docs/*.md $(INST_DOC)/ && \
	  install -m 644 docs/img/*.png $(INST_DOC)/img/

deps-check:
	@scripts/deps-check.sh

# clean keeps the SUNDIALS build ($(BUILD)/sundials/, a cache; it is rebuilt
# when its version or flags change); distclean removes it too.
clean:
	rm -rf $(filter-out $(BUILD)/sundials,$(wildcard $(BUILD)/* $(BUILD)/.[!.]*))

distclean:
	rm -rf $(BUILD)
