# The two set-up commands of the README. Both create/refresh .venv by themselves.
#   make run    the default study (paper), locally: data/paper/, reports/paper/
#   make test   the whole test suite (unit, end-to-end pipeline, real local Slurm)
VENV ?= .venv
PY := $(VENV)/bin/python
SMK := $(VENV)/bin/snakemake
STUDY ?= paper

.PHONY: run test test-fast lint clean-study

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test,cluster]"
	touch $@

# Progress and results only: each job's details stay in logs/<study>/<rule>/ and `snakemake -n`.
QUIET := --quiet rules host
run: $(VENV)/.installed
	$(SMK) --workflow-profile profiles/default $(QUIET) --config study=$(STUDY)
	$(SMK) --workflow-profile profiles/default $(QUIET) --config study=$(STUDY) --report reports/$(STUDY)/report.zip
	@tail -n +2 logs/$(STUDY)/publish/publish.log

test: $(VENV)/.installed
	$(PY) -m pytest -q -n 2 --dist loadfile --durations=15

test-fast: $(VENV)/.installed
	$(PY) -m pytest -q -n 2 -m "not slow"

lint: $(VENV)/.installed
	$(SMK) --lint --config study=tiny
