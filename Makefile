# Atrium: `make run` to try it, `make test` to check everything. See README.md.
#
# Builds with plain cargo + wasm-bindgen (cargo-leptos works too, see README); installs what is
# missing (the wasm32 target, the pinned wasm-bindgen-cli, Chromium, the npm packages of end2end/),
# each only when absent.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
SITE_DIR := target/site
DATA_DIR ?= .atrium
ADDR ?= 127.0.0.1:3000
WASM_TARGET := wasm32-unknown-unknown
# The wasm-bindgen-cli version must equal the wasm-bindgen crate in Cargo.lock.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ { getline; gsub(/"/, "", $$3); print $$3 }' Cargo.lock)
# Packages built natively; `app` comes in with its `ssr` feature through `server`.
NATIVE_PACKAGES := -p atrium-types -p atrium-descriptor -p atrium-catalog -p atrium-engine -p atrium-platform -p atrium-migrations -p server
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run run-release build site demo serve test fmt-check clippy wasm-fence unit test-postgres api-check e2e site-debug deps \
        deps-wasm deps-e2e deps-api-check screenshots clean-data bench bench-search bench-catalog

help:
	@echo "make run          build (dev profile), deploy the demo mesh into $(DATA_DIR), serve http://$(ADDR)"
	@echo "make run-release  the same with the release build (a much longer first build)"
	@echo "make build        release binary target/release/atrium and site target/site"
	@echo "make test    fmt, clippy, wasm fence, unit + API tests (SQLite, PostgreSQL), the OpenAPI check, browser tests"
	@echo "make bench   TPC-H SF1 (SF=…) through the query API beside DuckDB; writes BENCHMARKS.md"
	@echo "make bench-search   the search index at 10k/100k/1M products beside SQLite FTS5; writes BENCHMARKS.md"
	@echo "make bench-catalog  the portal and the API at 2k and at 100k products under 50 connections; writes BENCHMARKS.md"

# --- run ---------------------------------------------------------------------------------

# `make run` builds in the dev profile, like `make test`: the first run takes minutes instead of a
# release build's twenty; the demo's data is small. `make run-release` serves the release build.
DEV_ATRIUM := $(TARGET_DIR)/debug/atrium
run: site-debug
	$(CARGO) build -p server
	$(MAKE) --no-print-directory demo ATRIUM=$(DEV_ATRIUM)
	$(DEV_ATRIUM) --data-dir $(DATA_DIR) serve --addr $(ADDR)

run-release: build
	$(MAKE) --no-print-directory demo ATRIUM=target/release/atrium
	target/release/atrium --data-dir $(DATA_DIR) serve --addr $(ADDR)

# The demo mesh: TPC-H data (generated once), then the descriptors; a deploy runs what changed.
ATRIUM ?= target/release/atrium
# The first time, the domains, the grants the cross-domain inputs need and the demo accounts
# (examples/mesh/access.sh) come between the deploy and the first run; their logins are printed
# once and kept in $(DATA_DIR)/demo-logins.txt.
demo:
	@[ -f examples/mesh/sales/data/lineitem.csv ] || $(ATRIUM) demo-data --mesh --out examples/mesh
	@if [ -f $(DATA_DIR)/demo-logins.txt ]; then \
	  $(ATRIUM) --data-dir $(DATA_DIR) deploy examples/mesh; \
	  echo "demo logins: $(DATA_DIR)/demo-logins.txt"; \
	else \
	  $(ATRIUM) --data-dir $(DATA_DIR) deploy --no-run examples/mesh && \
	  examples/mesh/access.sh $(ATRIUM) $(DATA_DIR) && \
	  { $(ATRIUM) --data-dir $(DATA_DIR) run --all || echo "two demo products do not run yet; their pages say why"; } && \
	  echo && echo "demo logins (kept in $(DATA_DIR)/demo-logins.txt):" && \
	  cat $(DATA_DIR)/demo-logins.txt && echo; \
	fi

clean-data:
	rm -rf $(DATA_DIR)

build: deps-wasm
	$(CARGO) build --release -p server
	$(CARGO) build --profile wasm-release -p app --lib --target $(WASM_TARGET) --no-default-features --features hydrate
	$(MAKE) --no-print-directory site WASM=$(TARGET_DIR)/$(WASM_TARGET)/wasm-release/app.wasm
	@if [ "$(TARGET_DIR)" != "target" ]; then mkdir -p target/release && cp $(TARGET_DIR)/release/atrium target/release/atrium; fi
	@echo "built target/release/atrium and $(SITE_DIR)"

# The site: the wasm bundle through wasm-bindgen, the stylesheet, the public assets.
site:
	rm -rf $(SITE_DIR) && mkdir -p $(SITE_DIR)/pkg
	wasm-bindgen --target web --no-typescript --out-dir $(SITE_DIR)/pkg --out-name atrium $(WASM)
	cp style/main.css $(SITE_DIR)/pkg/atrium.css
	cp -R public/. $(SITE_DIR)/

site-debug: deps-wasm
	$(CARGO) build -p app --lib --target $(WASM_TARGET) --no-default-features --features hydrate
	$(MAKE) --no-print-directory site WASM=$(TARGET_DIR)/$(WASM_TARGET)/debug/app.wasm

# --- test --------------------------------------------------------------------------------

test: fmt-check clippy wasm-fence unit test-postgres api-check e2e

fmt-check:
	$(CARGO) fmt --all -- --check

clippy: deps-wasm
	$(CARGO) clippy $(NATIVE_PACKAGES) --all-targets -- -D warnings
	$(CARGO) clippy -p app --lib --target $(WASM_TARGET) --no-default-features --features hydrate -- -D warnings

# The hydrate build must never pull the server's engines (STYLE.md, "wasm fence").
FORBIDDEN_IN_WASM := tokio sea-orm sqlx tantivy datafusion object_store deltalake mio atrium-platform atrium-catalog
wasm-fence: deps-wasm
	$(CARGO) check -p app --lib --target $(WASM_TARGET) --no-default-features --features hydrate
	@tree=$$($(CARGO) tree -p app --target $(WASM_TARGET) --no-default-features --features hydrate -e normal --prefix none | awk '{print $$1}' | sort -u); \
	for crate in $(FORBIDDEN_IN_WASM); do \
	  if grep -qx "$$crate" <<< "$$tree"; then echo "wasm fence broken: the hydrate build depends on $$crate"; exit 1; fi; \
	done; echo "wasm fence holds: none of $(FORBIDDEN_IN_WASM)"

unit:
	$(CARGO) test $(NATIVE_PACKAGES)

# The API tests again, on a real PostgreSQL: a private cluster on a free port, started and
# stopped here (Debian's postgresql is installed when missing); one database per test.
test-postgres:
	@port=$$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); \
	dir=$$(mktemp -d /tmp/atrium-postgres.XXXXXX) && chmod 755 $$dir; \
	trap 'scripts/postgres.sh stop '$$dir EXIT; \
	scripts/postgres.sh start $$dir/cluster $$port; \
	TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$$port/postgres $(CARGO) test -p server --test api $(TESTS)

# The REST API held to its OpenAPI document by schemathesis (from PyPI, in a virtualenv beside the
# build cache) against the real server with the demo mesh: no 5xx, every status, content type and
# body as documented. SEED=… replays another run.
SCHEMATHESIS_VERSION := 4.32.5
SCHEMATHESIS_VENV ?= $(HOME)/.cache/atrium/schemathesis-$(SCHEMATHESIS_VERSION)
SEED ?= 20261202
api-check: deps-api-check
	$(CARGO) test $(NATIVE_PACKAGES) --no-run
	scripts/api-check.sh $(abspath $(TARGET_DIR))/debug/atrium $(SCHEMATHESIS_VENV)/bin/schemathesis $(SEED)

# The server binary is built as `unit` builds it (`cargo test` puts it in debug/ for the CLI tests),
# so the two share one set of compiled dependencies.
e2e: site-debug deps-e2e
	$(CARGO) test $(NATIVE_PACKAGES) --no-run
	cd end2end && E2E_ATRIUM_BIN=$(abspath $(TARGET_DIR))/debug/atrium E2E_SITE_ROOT=$(abspath $(SITE_DIR)) npx playwright test

# TPC-H through the query API beside DuckDB, ingestion and stream appends: writes BENCHMARKS.md.
# Release build; DuckDB and its TPC-H extension (for the 22 query texts) from PyPI, in bench/.venv.
SF ?= 1
DUCKDB_VERSION := 1.5.5
bench:
	$(CARGO) build --release -p server
	@[ -x bench/.venv/bin/python ] || { python3 -m venv bench/.venv && \
	  bench/.venv/bin/pip install -q 'duckdb==$(DUCKDB_VERSION)' 'duckdb-extension-tpch==$(DUCKDB_VERSION)'; }
	bench/.venv/bin/python bench/tpch.py --atrium $(TARGET_DIR)/release/atrium --sf $(SF) --work bench/work --out BENCHMARKS.md

# The search index at 10k, 100k and 1M synthetic products beside SQLite FTS5 (SIZES=…): build
# throughput, size, memory, query latency with facets and the access filter; into BENCHMARKS.md.
SIZES ?= 10000,100000,1000000
bench-search:
	$(CARGO) run --release -p atrium-search --example bench_search -- --sizes $(SIZES) --out BENCHMARKS.md

# The catalog at 100k synthetic products (PRODUCTS=…): deploy time, then the home, product and
# domain pages and the products API under 50 connections (wrk), and idle RSS; into BENCHMARKS.md.
PRODUCTS ?= 100000
bench-catalog:
	$(CARGO) build --release -p server
	@command -v wrk > /dev/null || $(SUDO) apt-get install -y -q wrk
	python3 bench/catalog.py --atrium $(TARGET_DIR)/release/atrium --products 2000 --work bench/work-catalog --out BENCHMARKS.md
	python3 bench/catalog.py --atrium $(TARGET_DIR)/release/atrium --products $(PRODUCTS) --work bench/work-catalog --out BENCHMARKS.md

# README screenshots, from a server started with `make run`.
screenshots: deps-e2e
	cd end2end && node screenshot.mjs http://$(ADDR) ../docs

# --- what the two commands install when missing ------------------------------------------

deps-wasm:
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)
	@if [ "$$(wasm-bindgen --version 2>/dev/null | awk '{print $$2}')" != "$(WASM_BINDGEN_VERSION)" ]; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (a few minutes, once)"; \
	  $(CARGO) install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi

deps-api-check:
	@[ -x $(SCHEMATHESIS_VENV)/bin/schemathesis ] || { echo "installing schemathesis $(SCHEMATHESIS_VERSION) (once)"; \
	  python3 -m venv $(SCHEMATHESIS_VENV) && $(SCHEMATHESIS_VENV)/bin/pip install -q 'schemathesis==$(SCHEMATHESIS_VERSION)'; }

deps-e2e:
	@command -v $${CHROMIUM:-chromium} > /dev/null || { \
	  echo "installing Debian's chromium"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends chromium > /dev/null; }
	@[ -d end2end/node_modules/@playwright/test ] || \
	  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
