# lib/: aifb's portable C library, the code that needs neither FastCGI nor libpq (arena, buffers,
# errors, inputs and their validation, configuration, logging, the workload parser, ...). The four
# apps, the cluster-side programs and the fuzzers all build it from this one list; the top Makefile
# and remote-agent/Makefile include this file with LIB set to the folder's path from where they run,
# and scripts/agent-install copies the folder to the login node beside remote-agent/.
LIB ?= lib
LIB_SRC := $(wildcard $(LIB)/*.c)
LIB_HDR := $(wildcard $(LIB)/*.h $(LIB)/*.def)
# Libraries its code calls: jansson only.
LIB_PKGS := jansson

# The warning flags of every C file of aifb (STYLE.md), in one place, so that the login node builds
# the cluster-side programs with the same flags.
WARN := -std=c11 -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wmissing-declarations -Wformat=2 -Wvla -Wimplicit-fallthrough -Wcast-qual -Wwrite-strings -Wundef \
        -fno-common -fstack-protector-strong
