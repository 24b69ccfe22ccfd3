# The two sacred commands: `make run` starts the rig on the built-in default setup,
# `make test` runs every test. Both work on a fresh machine: whatever a test needs
# (a Python client, the AWS CLI) is installed here, under build/, never by hand.

CARGO  ?= cargo
BUILD  := build
VENV   := $(BUILD)/venv
PYTHON := $(VENV)/bin/python

.PHONY: all build run test lint fmt clippy cargo-test pytest venv bench bench-ab clean wheel wheel-test \
	browser-test fuzz fuzz-short fuzz-build fuzz-lint fuzz-repro

all: build

build:
	$(CARGO) build --workspace --bins

# Starts the issuer and sts-mock together on the built-in default setup, wired to each other.
run: build venv
	./scripts/run.sh

test: lint cargo-test pytest wheel-test browser-test fuzz-short

lint: fmt clippy

fmt:
	$(CARGO) fmt --all -- --check
	cd fuzz && $(CARGO) fmt -- --check

clippy: fuzz-lint
	$(CARGO) clippy --workspace --all-targets -- -D warnings

cargo-test:
	$(CARGO) test --workspace

# Python clients (boto3, the AWS CLI) live in a virtualenv under build/.
venv: $(VENV)/.installed

$(VENV)/.installed: tests/python/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
	touch $@

# The Python tests find the binaries through RIG_BIN_DIR (cargo's target dir may be moved).
pytest: venv build
	RIG_BIN_DIR="$(or $(CARGO_TARGET_DIR),$(CURDIR)/target)/debug" $(PYTHON) -m pytest -q tests/python

# The wheel oidc-sts-rig into dist/: sts-mock and the issuer, the development keys, the Python
# package and its pytest plugin (docs/python.md). maturin builds sts-mock (bindings = "bin"); its
# bin bindings take one cargo package's binaries, so the issuer, built by the same cargo with the
# same profile, comes in through the wheel's data directory (scripts/, installed beside
# sts-mock). WHEEL_PROFILE=release for an optimised wheel; the default, dev, is the profile
# `make build` and the tests already compiled, so the wheel costs no second build.
MATURIN_VENV  := $(BUILD)/maturin
WHEEL_PROFILE ?= dev
WHEEL_BINS    := $(abspath $(or $(CARGO_TARGET_DIR),target))/$(if $(filter dev,$(WHEEL_PROFILE)),debug,$(WHEEL_PROFILE))

$(MATURIN_VENV)/.installed: python/build-requirements.txt
	python3 -m venv $(MATURIN_VENV)
	$(MATURIN_VENV)/bin/pip install --quiet --disable-pip-version-check -r python/build-requirements.txt
	touch $@

wheel: $(MATURIN_VENV)/.installed
	$(CARGO) build --profile $(WHEEL_PROFILE) -p issuer --bin issuer
	@$(CARGO) metadata --no-deps --format-version 1 | python3 -c 'import json, sys; \
	  v = {p["name"]: p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] in ("issuer", "sts-mock")}; \
	  sys.exit(None if len(set(v.values())) == 1 else f"make wheel: the wheel has one version, but the crates say {v}")'
	rm -rf $(BUILD)/wheel dist/oidc_sts_rig-*.whl
	mkdir -p $(BUILD)/wheel/data/scripts
	ln -s $(WHEEL_BINS)/issuer $(BUILD)/wheel/data/scripts/issuer
	cd python && $(CURDIR)/$(MATURIN_VENV)/bin/maturin build --profile $(WHEEL_PROFILE) --out $(CURDIR)/dist
	rm -rf $(BUILD)/wheel

# The wheel as its users get it: a fresh virtualenv, the wheel installed with no package index
# (it needs nothing), and its suite (python/tests, plus the example tests of docs/python.md and
# README.md, written out by doc_examples.py) run outside the repository's sources, in a network
# namespace with nothing but loopback: nothing is fetched at run time, and ports 9400/9401 are
# free there whatever else this machine runs.
WHEEL_VENV  := $(BUILD)/wheel-venv
WHEEL_TESTS := $(BUILD)/wheel-tests

wheel-test: wheel
	rm -rf $(WHEEL_VENV) $(WHEEL_TESTS)
	python3 -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/pip install --quiet --disable-pip-version-check -r python/tests/requirements.txt
	$(WHEEL_VENV)/bin/pip install --quiet --disable-pip-version-check --no-index dist/oidc_sts_rig-*.whl
	mkdir -p $(WHEEL_TESTS)
	cp python/tests/conftest.py python/tests/test_*.py $(WHEEL_TESTS)/
	python3 python/tests/doc_examples.py $(WHEEL_TESTS) docs/python.md README.md
	@command -v ip >/dev/null || { apt-get update -q && apt-get install -y -q iproute2; }
	@if unshare --map-root-user --net true 2>/dev/null; then \
	  cd $(WHEEL_TESTS) && unshare --map-root-user --net \
	    sh -c 'ip link set lo up && exec "$$0" -m pytest -q -p no:cacheprovider' $(CURDIR)/$(WHEEL_VENV)/bin/python; \
	else \
	  echo "wheel-test: no network namespaces here (unshare --net refused): running with every proxy pointed at a closed port instead, so a download still fails"; \
	  cd $(WHEEL_TESTS) && http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost \
	    $(CURDIR)/$(WHEEL_VENV)/bin/python -m pytest -q -p no:cacheprovider; \
	fi

# sts-mock's decisions page in a real browser (tests/browser): headless Chromium, Debian's
# `chromium` (installed with apt when missing; no test tool downloads a browser), driven by
# playwright-core from npm, installed under build/browser from tests/browser's lock file when
# missing (nothing is fetched after that). The tests start the binaries on free ports.
# `SCREENSHOT=docs/decisions-page.png make browser-test` also takes the README's picture.
BROWSER := $(BUILD)/browser

$(BROWSER)/.installed: tests/browser/package.json tests/browser/package-lock.json
	@command -v npm >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm; }
	mkdir -p $(BROWSER)
	cp tests/browser/package.json tests/browser/package-lock.json $(BROWSER)/
	cd $(BROWSER) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

browser-test: build $(BROWSER)/.installed
	@command -v chromium >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }
	RIG_BIN_DIR="$(or $(CARGO_TARGET_DIR),$(CURDIR)/target)/debug" CHROMIUM="$$(command -v chromium)" \
	  NODE_PATH="$(CURDIR)/$(BROWSER)/node_modules" node --test tests/browser/page.test.js

# Fuzzing (fuzz/README.md): cargo-fuzz targets (libFuzzer) of every parser that takes outside
# input, in their own cargo workspace (fuzz/) because they need libFuzzer's instrumentation.
# One `cargo fuzz build` of every target, then each runs for a bounded time from its committed
# seeds, FUZZ_JOBS at a time; any crash fails the run. `make fuzz` runs each FUZZ_SECONDS
# (default 60); `make test` runs each FUZZ_SHORT_SECONDS (default 20) so CI catches regressions.
# cargo-fuzz is installed under build/ when missing; RUSTC_BOOTSTRAP=1 lets the stable toolchain
# take the nightly-only flags cargo-fuzz passes. No sanitizer by default: the code is safe Rust,
# whose memory errors are panics already (debug assertions are on), while AddressSanitizer
# lengthens the build and its leak checks took most of the server targets' time (measured:
# fuzz/README.md); FUZZ_SANITIZER=address for a run with it.
FUZZ_SANITIZER     ?= none
CARGO_FUZZ_VERSION := 0.13.2
CARGO_FUZZ         := $(BUILD)/cargo-fuzz/bin/cargo-fuzz
FUZZ_TARGET_DIR    := $(CURDIR)/fuzz/target
FUZZ_TARGETS       ?= jwt jwks iam_policy dt_policy query_shape rest_json sigv4 sts_setup sts_state issuer_setup mint sts_http issuer_http
FUZZ_SECONDS       ?= 60
FUZZ_SHORT_SECONDS ?= 20
FUZZ_JOBS          ?= 2

$(CARGO_FUZZ):
	$(CARGO) install --locked --quiet --root $(BUILD)/cargo-fuzz cargo-fuzz --version $(CARGO_FUZZ_VERSION)

fuzz-build: $(CARGO_FUZZ)
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CURDIR)/$(CARGO_FUZZ) build --sanitizer $(FUZZ_SANITIZER) --target-dir $(FUZZ_TARGET_DIR)

fuzz: fuzz-build
	FUZZ_TARGET_DIR=$(FUZZ_TARGET_DIR) ./fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

fuzz-short: fuzz-build
	FUZZ_TARGET_DIR=$(FUZZ_TARGET_DIR) ./fuzz/run.sh $(FUZZ_SHORT_SECONDS) $(FUZZ_JOBS) $(FUZZ_TARGETS)

# One input again, e.g. a crash: make fuzz-repro TARGET=jwt INPUT=build/fuzz/artifacts/jwt/crash-...
fuzz-repro: fuzz-build
	$(FUZZ_TARGET_DIR)/x86_64-unknown-linux-gnu/release/$(TARGET) $(INPUT)

# The fuzz crate is outside the root workspace, so the root's clippy does not see it. Its
# clippy run shares the root's target directory: its dependencies are the root's, already
# checked there, so it costs seconds instead of a build of its own.
fuzz-lint:
	cd fuzz && $(CARGO) clippy --all-targets --target-dir $(or $(CARGO_TARGET_DIR),$(CURDIR)/target) -- -D warnings

# Release build + load runs against our servers and the tools we compare with (wrk, moto,
# oauth2-mock-server and openssl are installed by the script, under build/ where possible);
# writes BENCHMARKS.md. BENCH_DURATION=2 for a quick check.
bench:
	CARGO="$(CARGO)" ./scripts/bench.sh

# sts-mock's instructions per request for BASE (a git rev) and the working tree, side by side
# (callgrind: repeatable where wall-clock runs are not). E.g. make bench-ab BASE=HEAD~10
bench-ab:
	BASE="$(BASE)" ./bench/ab_instructions.sh

clean:
	$(CARGO) clean
	rm -rf fuzz/target
	rm -rf $(BUILD)
