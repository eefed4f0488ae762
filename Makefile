# lab-fleet: one Makefile for the server, the agent, the tests and the bench.
#
#   make            build build/lab-fleet and build/lab-fleet-agent
#   make run        install what is missing, build, serve on 127.0.0.1:8686
#   make test       unit tests, the same under ASan+UBSan, API and UI suites
#   make check      unit tests under ASan+UBSan only
#   make bench      baseline vs lab-fleet, ratios in one table
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX	?= /usr/local
DESTDIR	?=
CC	?= cc
BUILD	:= build

PKGS_SERVER	:= libmicrohttpd jansson sqlite3 libsodium libcurl
PKGS_AGENT	:= libcurl jansson
PKGS_TEST	:= check

WARN	:= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	   -Wformat=2 -Wcast-qual -fno-common -Werror
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c17 -D_GNU_SOURCE $(WARN) -MMD -MP

# Sources are picked up by directory: every file in src/ belongs to the
# server, every file in agent/ to the agent. main.c holds only main() in
# each, so the unit tests can link everything else.
SERVER_SRC	:= $(sort $(wildcard src/*.c))
SERVER_LIB_SRC	:= $(filter-out src/main.c,$(SERVER_SRC))
AGENT_SRC	:= $(sort $(wildcard agent/*.c))
AGENT_LIB_SRC	:= $(filter-out agent/main.c,$(AGENT_SRC))

SERVER_CFLAGS	= $(shell pkg-config --cflags $(PKGS_SERVER))
SERVER_LIBS	= $(shell pkg-config --libs $(PKGS_SERVER)) -lpthread -lm
AGENT_CFLAGS	= $(shell pkg-config --cflags $(PKGS_AGENT))
AGENT_LIBS	= $(shell pkg-config --libs $(PKGS_AGENT)) -lm
TEST_CFLAGS	= $(shell pkg-config --cflags $(PKGS_TEST))
TEST_LIBS	= $(shell pkg-config --libs $(PKGS_TEST))

# Unit tests: tests/unit/test_agent_*.c link the agent, the rest the server.
UNIT_SRC	:= $(sort $(wildcard tests/unit/test_*.c))
UNIT_AGENT_SRC	:= $(filter tests/unit/test_agent_%,$(UNIT_SRC))
UNIT_SERVER_SRC	:= $(filter-out $(UNIT_AGENT_SRC),$(UNIT_SRC))

# Two object trees: the normal one and one instrumented with sanitizers.
SAN_FLAGS	:= -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=undefined

define objs
$(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))
endef

.PHONY: all run test check clang-build unit unit-san api-test api-test-san agent-test ui ui-test test-ui bench \
	install clean deps format

all: $(BUILD)/lab-fleet $(BUILD)/lab-fleet-agent

deps:
	@scripts/deps.sh

$(BUILD)/obj/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SERVER_CFLAGS) -c $< -o $@
$(BUILD)/obj/agent/%.o: agent/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(AGENT_CFLAGS) -c $< -o $@
$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SERVER_CFLAGS) $(AGENT_CFLAGS) $(TEST_CFLAGS) -Isrc -Iagent -c $< -o $@

$(BUILD)/san/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(SERVER_CFLAGS) -c $< -o $@
$(BUILD)/san/agent/%.o: agent/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(AGENT_CFLAGS) -c $< -o $@
$(BUILD)/san/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $(SERVER_CFLAGS) $(AGENT_CFLAGS) $(TEST_CFLAGS) -Isrc -Iagent -c $< -o $@

$(BUILD)/lab-fleet: $(call objs,obj,$(SERVER_SRC))
	$(CC) $(CFLAGS) -o $@ $^ $(SERVER_LIBS)
$(BUILD)/lab-fleet-agent: $(call objs,obj,$(AGENT_SRC))
	$(CC) $(CFLAGS) -o $@ $^ $(AGENT_LIBS)

# One binary per unit test file, in both trees.
UNIT_BINS	:= $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRC))
UNIT_SAN_BINS	:= $(patsubst tests/unit/%.c,$(BUILD)/unit-san/%,$(UNIT_SRC))

$(BUILD)/unit/test_agent_%: $(BUILD)/obj/tests/unit/test_agent_%.o $(call objs,obj,$(AGENT_LIB_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(AGENT_LIBS) $(TEST_LIBS)
$(BUILD)/unit/test_%: $(BUILD)/obj/tests/unit/test_%.o $(call objs,obj,$(SERVER_LIB_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(SERVER_LIBS) $(TEST_LIBS)
$(BUILD)/unit-san/test_agent_%: $(BUILD)/san/tests/unit/test_agent_%.o $(call objs,san,$(AGENT_LIB_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(AGENT_LIBS) $(TEST_LIBS)
$(BUILD)/unit-san/test_%: $(BUILD)/san/tests/unit/test_%.o $(call objs,san,$(SERVER_LIB_SRC))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(SERVER_LIBS) $(TEST_LIBS)

unit: $(UNIT_BINS)
	@scripts/run-unit.sh $(UNIT_BINS)

unit-san: $(UNIT_SAN_BINS)
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		scripts/run-unit.sh $(UNIT_SAN_BINS)

check: unit-san api-test-san

# The whole tree must also build warning-free with clang.
clang-build:
	$(MAKE) CC=clang BUILD=$(BUILD)/clang all

api-test: all
	python3 tests/api/run.py

# The API suite against a server built with ASan+UBSan: a report in any
# server's log fails the run.
$(BUILD)/san/lab-fleet: $(call objs,san,$(SERVER_SRC))
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(SERVER_LIBS)

api-test-san: $(BUILD)/san/lab-fleet
	ASAN_OPTIONS=detect_leaks=1 LAB_FLEET_BINARY=$(BUILD)/san/lab-fleet \
		TEST_LABEL=api-san python3 tests/api/run.py

agent-test: all
	python3 tests/agent/run.py

ui:
	@scripts/build-ui.sh

test-ui: all ui
	@scripts/test-ui.sh

test: deps
	$(MAKE) all
	$(MAKE) clang-build
	$(MAKE) unit
	$(MAKE) unit-san
	$(MAKE) api-test
	$(MAKE) api-test-san
	$(MAKE) agent-test
	$(MAKE) test-ui

run: deps
	$(MAKE) all
	@scripts/build-ui.sh
	@mkdir -p data
	@echo "lab-fleet: dashboard at http://127.0.0.1:8686/lab/ - user admin, password in data/initial-admin-password (written on the first start)"
	$(BUILD)/lab-fleet serve --port 8686 --bind 127.0.0.1 --db ./data/fleet.db --ui ./ui/dist

bench: deps all
	python3 bench/run.py

install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/lab-fleet $(BUILD)/lab-fleet-agent $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system $(DESTDIR)$(PREFIX)/share/lab-fleet/hooks
	for u in lab-fleet.service lab-fleet-agent.service; do \
		sed 's|@PREFIX@|$(PREFIX)|g' deploy/$$u > $(DESTDIR)$(PREFIX)/lib/systemd/system/$$u && \
		chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/$$u || exit 1; done
	install -m 0755 deploy/hooks/restart deploy/hooks/rebuild deploy/hooks/update $(DESTDIR)$(PREFIX)/share/lab-fleet/hooks/
	install -m 0644 deploy/traefik.yml README.md docs/agent.md docs/rules.md $(DESTDIR)$(PREFIX)/share/lab-fleet/
	if [ -d ui/dist ]; then install -d $(DESTDIR)$(PREFIX)/share/lab-fleet/ui && \
		cp -R ui/dist/. $(DESTDIR)$(PREFIX)/share/lab-fleet/ui/; fi

format:
	clang-format -i src/*.c src/*.h agent/*.c agent/*.h tests/unit/*.c tests/unit/*.h 2>/dev/null || true

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
