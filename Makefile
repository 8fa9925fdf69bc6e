# Parley — the two commands: `make dev` and `make test`. See README.md.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
STATE ?= .state

.PHONY: help dev test setup setup-test build web edge lint fmt clippy unit size dry-run e2e bench clean setup-code deploy

help:
	@echo "make dev    install what is missing, build, serve everything on http://127.0.0.1:8787"
	@echo "make test   install what is missing, then lint, unit tests, wasm builds, size budgets, e2e"
	@echo "make bench  benchmarks (not part of make test)"
	@echo "make deploy create the D1 databases if missing, migrate them, set PARLEY_SECRET, deploy (DRY_RUN=1: no Cloudflare)"
	@echo "make setup-code  the code /console/setup asks for (from PARLEY_SECRET, else .dev.vars)"

setup:
	@bash scripts/setup.sh

setup-test:
	@bash scripts/setup.sh test

## Build ------------------------------------------------------------------------------------

web:
	@bash scripts/build-web.sh

edge:
	@bash scripts/build-edge.sh

build: web edge

## Serve ------------------------------------------------------------------------------------

dev: setup
	@PARLEY_NO_WASM_OPT=1 bash scripts/build-web.sh
	@PARLEY_EDGE_DEV=1 bash scripts/build-edge.sh
	@bash scripts/dev.sh "$(STATE)"

## Deploy -----------------------------------------------------------------------------------

deploy:
	@bash scripts/deploy.sh $(if $(DRY_RUN),--dry-run,)

setup-code:
	@source scripts/env.sh && if [[ -z "$${PARLEY_SECRET:-}" && -f .parley-secret ]]; then \
	  export PARLEY_SECRET="$$(sed -n 's/^PARLEY_SECRET=//p' .parley-secret)"; fi; \
	  cargo run -q -p parley-tools -- setup-code

## Test -------------------------------------------------------------------------------------

test: setup-test lint unit build size dry-run e2e
	@echo "make test: all steps passed"

lint: fmt clippy

fmt:
	@source scripts/env.sh && step "cargo fmt --check" && cargo fmt --all --check

clippy:
	@source scripts/env.sh && step "clippy (native)" && \
	  cargo clippy -p parley-protocol -p parley-core -p parley-reports -p parley-chat-client -p parley-tools -p parley-edge -p parley-push -p parley-mail --all-targets -- -D warnings
	@source scripts/env.sh && step "clippy (wasm32)" && \
	  cargo clippy --target wasm32-unknown-unknown -p parley-protocol -p parley-core -p parley-reports -p parley-chat-client -p parley-client -p parley-edge -p parley-push -p parley-mail \
	    -p parley-widget -p parley-console -- -D warnings

unit:
	@source scripts/env.sh && step "cargo test (protocol, core, reports, chat-client, console, widget, tools, edge, push, mail)" && \
	  cargo test -p parley-protocol -p parley-core -p parley-reports -p parley-chat-client -p parley-console -p parley-widget -p parley-tools -p parley-edge -p parley-push -p parley-mail

size:
	@source scripts/env.sh && step "widget size budgets (loader <= 2 KB brotli, app <= 118.3 KB brotli)" && "$$NODE" scripts/size-report.mjs

dry-run:
	@PARLEY_SKIP_EDGE_BUILD=1 bash scripts/deploy.sh --dry-run

e2e:
	@source scripts/env.sh && step "end-to-end (wrangler dev + headless Chromium)" && \
	  PARLEY_SKIP_EDGE_BUILD=1 "$$NODE" --disable-warning=ExperimentalWarning --test --test-reporter=spec --test-concurrency=1 tests/e2e/*.test.mjs

bench: setup build
	@source scripts/env.sh && step "routing benchmark (decisions per second, 10/100/1000 operators)" && \
	  cargo run -q --release -p parley-tools -- bench-routing
	@source scripts/env.sh && step "wake benchmark (a 5,000-message conversation's object: whole transcript vs tail)" && \
	  cargo run -q --release -p parley-tools -- bench-wake
	@source scripts/env.sh && step "reports benchmark (Conversations CSV of 100,000 generated conversations, 500 per page: time, peak memory)" && \
	  cargo run -q --release -p parley-tools -- bench-reports
	@source scripts/env.sh && step "delivery benchmark (wrangler dev, visitor -> operator; the same against a plain Durable Object room)" && \
	  "$$NODE" scripts/bench-delivery.mjs
	@source scripts/env.sh && step "tally benchmark (wrangler dev, 20,000 events into one channel, CSV totals exact)" && \
	  "$$NODE" scripts/bench-events.mjs
	@source scripts/env.sh && step "CPU per request benchmark (wrangler dev, workerd CPU time per request of the heavy routes; fails over budget)" && \
	  "$$NODE" scripts/bench-cpu.mjs
	@source scripts/env.sh && step "page-cost benchmark (headless Chromium, CPU 4x slower, 400 ms RTT 1.6 Mbit/s: what the widget costs the host page)" && \
	  "$$NODE" scripts/bench-page.mjs

clean:
	rm -rf target edge/build public/pkg .state .wrangler tests/artifacts
