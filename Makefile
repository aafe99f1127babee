# Coffer — one entry point. See README.md.
#   make            build lib/libcoffer.a and the tools into bin/
#   make check      unit + end-to-end tests, normal and ASan+UBSan builds
#   make demo       the disaster-recovery story, narrated
#   make bench      benchmarks (figures go to bench/RESULTS.md by hand)
#   make fuzz       libFuzzer harnesses (clang) into build/fuzz/
#   make install    PREFIX=/usr/local DESTDIR=
# bin/libcoffer-pkcs11.so is the PKCS#11 module (docs/pkcs11.md).
# V=1 shows the commands.

CC ?= cc
PREFIX ?= /usr/local
BUILD ?= build/default
BINDIR ?= bin
OPT ?= -O2 -g

# -Wconversion is left out on purpose: with OpenSSL's int lengths it buries
# real warnings under casts; bounds are enforced by buf instead.
WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wpointer-arith -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Werror
CFLAGS ?= $(OPT)
override CFLAGS += -std=c11 -D_GNU_SOURCE $(WARN) -fstack-protector-strong \
	-MMD -MP -Ilib $(SANFLAGS)
ifeq ($(findstring -O0,$(CFLAGS)),)
override CFLAGS += -D_FORTIFY_SOURCE=2
endif
LDFLAGS += $(SANFLAGS)
LDLIBS := -lssl -lcrypto -lsodium -lzstd -larchive -ljansson -lsqlite3 -lpthread -lcurl -lexpat

ifeq ($(V),1)
Q :=
else
Q := @
endif

TOOL_NAMES := hsm clone domains mofn backupd restore rbs
TOOLS := $(foreach t,$(TOOL_NAMES),$(if $(wildcard $(t)/main.c),$(t)))
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libcoffer.a
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNITS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_BINS := $(TOOLS:%=$(BINDIR)/%)

# The PKCS#11 module is a shared object: lib/ once more, position
# independent, in $(BUILD)/pic, and pkcs11/ on top. Only the C_* functions
# are exported (pkcs11/exports.map), so libcoffer's names cannot clash
# with an application's.
P11KIT_CFLAGS ?= $(shell pkg-config --cflags p11-kit-1 2>/dev/null || \
	echo -I/usr/include/p11-kit-1)
PKCS11_SRCS := $(wildcard pkcs11/*.c)
PKCS11_OBJS := $(LIB_SRCS:%.c=$(BUILD)/pic/%.o) \
	$(PKCS11_SRCS:%.c=$(BUILD)/pic/%.o)
PKCS11 := $(BINDIR)/libcoffer-pkcs11.so

.SECONDARY:
.PHONY: all units man check demo bench fuzz install clean deps
# A test driver for tests/e2e/pkcs11-wrap.sh (not installed): the calls
# OpenSC 0.23's pkcs11-tool cannot make. It loads a module; it links nothing.
P11DRV := $(BINDIR)/p11drv
all: $(TOOL_BINS) $(PKCS11) $(P11DRV)

$(P11DRV): $(BUILD)/tests/e2e/helpers/p11drv.o
	@mkdir -p $(BINDIR)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -ldl
$(BUILD)/tests/e2e/helpers/p11drv.o: override CFLAGS += $(P11KIT_CFLAGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) $(if $(filter lib/p11mod% tests/unit/test_p11mod%,$<),$(P11KIT_CFLAGS)) \
		-c -o $@ $<

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $< (pic)")
	$(Q)$(CC) $(CFLAGS) -fPIC $(if $(filter pkcs11/% lib/p11mod%,$<),$(P11KIT_CFLAGS)) \
		-c -o $@ $<

$(PKCS11): $(PKCS11_OBJS) pkcs11/exports.map
	@mkdir -p $(BINDIR)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) -shared $(LDFLAGS) -Wl,--version-script=pkcs11/exports.map \
		-o $@ $(PKCS11_OBJS) $(LDLIBS)

$(LIB): $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

define tool_rule
$(BINDIR)/$(1): $(patsubst %.c,$(BUILD)/%.o,$(wildcard $(1)/*.c)) $(LIB)
	@mkdir -p $(BINDIR)
	@$$(if $(Q),echo "  LD      $$@")
	$(Q)$(CC) $(LDFLAGS) -o $$@ $$^ $(LDLIBS)
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t))))

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

# The module's unit test links the module's objects (not PIC) directly.
PKCS11_TOBJS := $(PKCS11_SRCS:%.c=$(BUILD)/%.o)
$(PKCS11_TOBJS) $(BUILD)/tests/unit/test_pkcs11.o: \
	override CFLAGS += $(P11KIT_CFLAGS) -Ipkcs11
$(BUILD)/tests/test_pkcs11: $(BUILD)/tests/unit/test_pkcs11.o \
	$(PKCS11_TOBJS) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

units: $(UNITS)

# Man pages: each tool's docs/TOOL.md, rendered by scripts/man.sh (lowdown).
MAN_TOOLS := $(foreach t,$(TOOLS),$(if $(wildcard docs/$(t).md),$(t)))
MANS := $(MAN_TOOLS:%=build/man/%.1)
build/man/%.1: docs/%.md scripts/man.sh lib/version.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  MAN     $@")
	$(Q)sh scripts/man.sh $< >$@.tmp && mv $@.tmp $@

man: $(MANS)

deps:
	@sh scripts/deps.sh

ASAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer

check: deps
	$(Q)$(MAKE) --no-print-directory all units man
	$(Q)$(MAKE) --no-print-directory BUILD=build/asan BINDIR=build/asan/bin \
		OPT="-O1 -g" SANFLAGS="$(ASAN)" all units
	$(Q)tests/run.sh "normal:bin:build/default/tests" \
		"asan:build/asan/bin:build/asan/tests"

demo: deps all
	$(Q)scripts/demo.sh

bench: deps all
	$(Q)bench/run.sh

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS := $(FUZZ_SRCS:tests/fuzz/%.c=build/fuzz/%)
fuzz: deps
	$(Q)$(MAKE) --no-print-directory CC=clang BUILD=build/fuzz/obj \
		BINDIR=build/fuzz/bin OPT="-O1 -g" \
		SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined" \
		build/fuzz/obj/libcoffer.a $(FUZZERS)

build/fuzz/%: tests/fuzz/%.c build/fuzz/obj/libcoffer.a
	@mkdir -p $(dir $@)
	$(Q)clang -std=c11 -D_GNU_SOURCE -g -O1 -Ilib \
		-fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

# The tools go to $(LIBEXECDIR), where their short names cannot shadow a
# system command (Debian's restore(8)); the `coffer` front command goes to
# $(PREFIX)/bin ("coffer restore ...", or `export PATH="$$(coffer path):$$PATH"`
# for the short names). Then their documents (the runbook must be on the
# machine that needs it when the network is down), man pages (coffer-TOOL.1),
# bash completion, and the systemd units with the installed paths.
DOCDIR ?= $(PREFIX)/share/doc/coffer
MANDIR ?= $(PREFIX)/share/man
COMPDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR ?= $(PREFIX)/lib/systemd/system
LIBEXECDIR ?= $(PREFIX)/libexec/coffer
install: all man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBEXECDIR) \
		$(DESTDIR)$(DOCDIR)/runbooks $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPDIR)
	install -m 0755 $(TOOL_BINS) $(DESTDIR)$(LIBEXECDIR)/
	install -d $(DESTDIR)$(PREFIX)/lib
	install -m 0644 $(PKCS11) $(DESTDIR)$(PREFIX)/lib/
	sed 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' scripts/coffer.in \
		>$(DESTDIR)$(PREFIX)/bin/coffer
	chmod 0755 $(DESTDIR)$(PREFIX)/bin/coffer
	install -m 0644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 docs/runbooks/*.md $(DESTDIR)$(DOCDIR)/runbooks/
	install -d $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 scripts/monitoring/coffer-alerts.rules.yml \
		$(DESTDIR)$(DOCDIR)/examples/
	for t in $(MAN_TOOLS); do install -m 0644 build/man/$$t.1 \
		$(DESTDIR)$(MANDIR)/man1/coffer-$$t.1; done
	install -m 0644 scripts/completion/coffer.bash $(DESTDIR)$(COMPDIR)/coffer
	for t in $(TOOLS); do ln -sf coffer $(DESTDIR)$(COMPDIR)/$$t; done
	for u in scripts/systemd/*.service scripts/systemd/*.timer; do \
		[ -f "$$u" ] || continue; \
		sed 's|/usr/local/libexec/coffer|$(LIBEXECDIR)|g' "$$u" \
			>$(DESTDIR)$(UNITDIR)/$$(basename "$$u"); \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename "$$u"); \
	done

clean:
	rm -rf build bin

-include $(LIB_OBJS:.o=.d) $(UNITS:$(BUILD)/tests/%=$(BUILD)/tests/unit/%.d)
-include $(PKCS11_OBJS:.o=.d) $(PKCS11_TOBJS:.o=.d)
-include $(foreach t,$(TOOLS),$(patsubst %.c,$(BUILD)/%.d,$(wildcard $(t)/*.c)))
