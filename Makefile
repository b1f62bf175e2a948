# netpolicy: `make run` shows the bundled example, `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EXAMPLE := examples/trojanwall

.PHONY: run test lint bench bench-compare install install-test nftables chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Editable installs are not byte-compiled by pip: compile once so start-up never recompiles.
install: $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(BIN)/python -m compileall -q src >/dev/null

install-test: $(BIN)/python nftables chromium
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q src >/dev/null

# Debian's nftables for the lab tests, when we are root and it is missing.
nftables:
	@if [ "$$(id -u)" = "0" ] && ! command -v nft >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's nftables and iproute2 for the lab tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables iproute2 >/dev/null; \
	fi

# Debian's chromium for the report's browser tests (playwright drives it; no browser download).
chromium:
	@if [ "$$(id -u)" = "0" ] && [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

run: install
	$(BIN)/netpolicy matrix -f $(EXAMPLE)/manifests -f $(EXAMPLE)/k8s-policies
	$(BIN)/netpolicy query -f $(EXAMPLE)/manifests -f $(EXAMPLE)/k8s-policies \
		--from trojanwall/trojanwall-django --to trojanwall/postgresql --port 5432

test: install-test
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff check src tests bench

# Timings per size into bench/RESULTS.md; e.g. make bench BENCH_ARGS="--sizes 500,1k --timeout 120".
# The open profiles (about one class per pod) run their own sizes; BENCH_OPEN_ARGS="--sizes 10000/666/666" to narrow.
bench: install
	$(BIN)/python -m bench run $(BENCH_ARGS)
	$(BIN)/python -m bench run --profile varied $(BENCH_OPEN_ARGS)
	$(BIN)/python -m bench run --profile statefulsets $(BENCH_OPEN_ARGS)

# Side by side with network-config-analyzer 2.1.0 (installed into bench/.venv-nca on first use).
bench-compare: install
	$(BIN)/python -m bench compare $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
