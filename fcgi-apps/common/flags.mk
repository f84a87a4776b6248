# The warning flags of every C file of aifb (STYLE.md), in one place: the top Makefile and
# remote-agent/Makefile include this file, and scripts/agent-install copies it with common/ to the
# login node, where the cluster-side programs are built with the same flags.
WARN := -std=c11 -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
        -Wmissing-declarations -Wformat=2 -Wvla -Wimplicit-fallthrough -Wcast-qual -Wwrite-strings -Wundef \
        -fno-common -fstack-protector-strong
