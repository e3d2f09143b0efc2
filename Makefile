# The two commands of the README, plus the sanitizer builds CI uses.
#   make run    build, then run the default demo
#   make test   build, then run every test
#   make install  the library, headers, pkg-config file, command, man page and
#               scenarios under the build's prefix (/usr/local unless
#               `meson configure build -Dprefix=...`; DESTDIR is honoured)
BUILD      ?= build
MESON_DEPS := meson ninja-build pkg-config liburcu-dev libcmocka-dev python3-jsonschema liburing-dev g++

.PHONY: all run test install deps asan tsan bench fuzz clean kernel-test

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

# Installs what the build needs on a fresh Debian machine (as root).
deps:
	@missing=""; for p in $(MESON_DEPS); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "hugepfn needs these Debian packages:$$missing"; \
			echo "run as root, or: sudo apt-get install -y$$missing"; exit 1; \
		fi; \
	fi

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD)

run: all
	./$(BUILD)/tools/hugepfn demo

test: all
	meson test -C $(BUILD) --print-errorlogs

install: all
	meson install -C $(BUILD) --no-rebuild

# AddressSanitizer + UndefinedBehaviorSanitizer, and ThreadSanitizer builds
# (TSan runs the exhaustive checker 10-30x slower: three times the timeouts).
asan: | deps
	[ -f build-asan/build.ninja ] || meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
	ninja -C build-asan
	meson test -C build-asan --print-errorlogs

tsan: | deps
	[ -f build-tsan/build.ninja ] || CC=clang meson setup build-tsan -Db_sanitize=thread -Db_lundef=false
	ninja -C build-tsan
	meson test -C build-tsan --print-errorlogs --timeout-multiplier 3

# Speed and memory: writes bench/results/latest.{json,txt,png}.  Also runs the
# interleaving checker's bench-only scenario, and reads make kernel-test's counts.
bench: all
	@command -v gnuplot >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
		apt-get install -y -qq gnuplot-nox >/dev/null; } || \
		{ echo "make bench needs gnuplot (apt-get install gnuplot-nox)"; exit 1; }
	mkdir -p bench/results
	./$(BUILD)/bench/hugepfn-bench --checker $(BUILD)/tests/model/hp-model \
		-o bench/results/latest.json | tee bench/results/latest.txt
	bench/plot.sh bench/results/latest.json bench/results/latest.png

# libFuzzer on the scenario parser and on operation sequences, FUZZ_SECONDS
# each; crashes land in build-fuzz/crash-*, to become inputs in fuzz/corpus/.
FUZZ_SECONDS ?= 60
FUZZ_HARNESSES ?= scenario ops
fuzz: | deps
	[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=false \
		-Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link
	ninja -C build-fuzz
	for h in $(FUZZ_HARNESSES); do \
		mkdir -p build-fuzz/corpus-$$h && \
		./build-fuzz/fuzz/fuzz-$$h -max_total_time=$(FUZZ_SECONDS) -close_fd_mask=3 \
			-artifact_prefix=build-fuzz/crash-$$h- -print_final_stats=1 \
			build-fuzz/corpus-$$h fuzz/corpus/$$h || exit 1; \
	done

# The TTM huge fault series for Linux 6.12, proven in QEMU against an
# unpatched and a control kernel (kernel/README.md). ~17 min cold, ~10 s warm.
kernel-test:
	kernel/run-tests.sh

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz
