# catdog developer tasks. Every target uses the virtual environment in .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Dataset used by `make demo`; it is copied first, because clean-data moves files.
DATA ?= ../shared/data/PetImages
DEMO_DIR ?= demo

.PHONY: install test demo lint bench clean

install:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e '.[dev]'

test:
	$(PY) -m pytest -q

demo:
	rm -rf $(DEMO_DIR)/PetImages
	mkdir -p $(DEMO_DIR)
	cp -r $(DATA) $(DEMO_DIR)/PetImages
	$(VENV)/bin/catdog clean-data $(DEMO_DIR)/PetImages
	$(VENV)/bin/catdog cv --config configs/quick.toml --data $(DEMO_DIR)/PetImages --out $(DEMO_DIR)/runs --quiet
	$(VENV)/bin/catdog gan --loss mse --epochs 3 --data $(DEMO_DIR)/PetImages --out $(DEMO_DIR)/runs

lint:
	$(PY) -m ruff check catdog tests benchmarks

bench:
	$(PY) benchmarks/run_all.py

clean:
	rm -rf build dist *.egg-info .pytest_cache
