# Two commands on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
STAMP := $(VENV)/.installed

.PHONY: run test test-fast install lexicon browser index bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) lexicon

# The lexicon kb reads in place (kb/lexicon.py): WordNet and FreeDict's English<->French dictionaries.
LEXICON_FILES := /usr/share/wordnet/index.noun /usr/share/dictd/freedict-eng-fra.index /usr/share/dictd/freedict-fra-eng.index
lexicon:
	@missing=; for f in $(LEXICON_FILES); do [ -e $$f ] || missing=1; done; [ -z "$$missing" ] || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wordnet-base \
	      dict-freedict-eng-fra dict-freedict-fra-eng >/dev/null) \
	      || echo "make: could not install the lexicon; kb will answer with its glossary only"; \
	  else echo "make: lexicon missing and apt-get not available; kb will answer with its glossary only"; fi; }

run: install
	$(BIN)/kb serve --host $(HOST) --port $(PORT)

index: install
	$(BIN)/kb index

# Debian's chromium for the browser test; skipped (the test says why) where apt-get is not allowed.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "make: could not install chromium; the browser test will be skipped"; \
	  else echo "make: chromium missing and apt-get not available; the browser test will be skipped"; fi; }

test: install browser
	$(BIN)/python -m pytest -q

# The inner loop: everything but the tests marked slow (real servers, the browser, load and bench runs).
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

bench: install
	$(BIN)/python bench/run_all.py

lint: install
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
