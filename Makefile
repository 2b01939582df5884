# The whole local loop: `make serve`, `make test-fast` while editing, `make test`, `make lint`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080

# `make test-fast` is the edit-run loop (unit, contract and property tests, as two pytest
# processes side by side: scripts/test_fast.py); `make test` is everything, before a push.
.PHONY: serve test test-fast test-examples lint format clean chromium screenshot checkov soak bench fixtures-tools
CHECKOV_VENV := .venv-checkov
TOOLS_VENV := .venv-tools
TOOLS_NODE := .tools

# The venv is rebuilt when pyproject.toml changes; each stamp records a finished install.
# `make serve` installs what the chat needs to run (and the terminal client's prompt);
# `make test` and the other targets add the dev toolchain (playwright, moto, mypy …).
$(BIN)/.installed-serve: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[client]'
	touch $@

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,client]'
	touch $(BIN)/.installed-serve $@

# `make serve PORT=9000 HOST=0.0.0.0` to choose where it listens.
serve: $(BIN)/.installed-serve
	$(BIN)/serverless-chat serve --host $(HOST) --port $(PORT)

# The browser tests drive Debian's Chromium: install it when it is missing and apt can.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (apt-get) for the browser tests"; \
	    apt-get update -qq >/dev/null && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing and apt-get is not usable: browser tests will be skipped"; fi; }

# checkov pins old versions of common packages (urllib3 …): it gets a venv of its own.
$(CHECKOV_VENV)/bin/.installed: Makefile
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==3.3.30
	touch $@

checkov: $(CHECKOV_VENV)/bin/.installed

# The tools' own output that tests/integration/test_tool_output.py serves, regenerated from
# this suite's projects by the tools themselves (needs node and npm; not part of `make test`).
# Pinned to the versions the committed output came from; a venv and node_modules of their own.
$(TOOLS_VENV)/bin/.installed: Makefile
	$(PYTHON) -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/python -m pip install --quiet aws-cdk-lib==2.275.0 constructs==10.8.1 \
	    aws-sam-cli==1.170.0
	touch $@

$(TOOLS_NODE)/.installed: Makefile
	@command -v npm >/dev/null || { echo "fixtures-tools needs node and npm"; exit 1; }
	mkdir -p $(TOOLS_NODE)
	npm install --silent --prefix $(TOOLS_NODE) aws-cdk@2.1149.0 serverless@3.40.0
	touch $@

fixtures-tools: $(TOOLS_VENV)/bin/.installed $(TOOLS_NODE)/.installed
	cd tests/fixtures/cdk_chat && rm -rf cdk.out && PATH=$(CURDIR)/$(TOOLS_VENV)/bin:$$PATH \
	    CDK_DISABLE_VERSION_CHECK=1 $(CURDIR)/$(TOOLS_NODE)/node_modules/.bin/cdk synth \
	    --no-notices --no-version-reporting --quiet
	rm -rf tests/fixtures/cdk_chat/chat/__pycache__
	cd tests/fixtures/serverless_chat_sls && rm -rf .serverless .serverless-individually && \
	    export SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off && \
	    $(CURDIR)/$(TOOLS_NODE)/node_modules/.bin/serverless package \
	        --config serverless-individually.yml --package .serverless-individually && \
	    $(CURDIR)/$(TOOLS_NODE)/node_modules/.bin/serverless package
	cd tests/fixtures/sam_simpletable && rm -rf .aws-sam && \
	    SAM_CLI_TELEMETRY=0 $(CURDIR)/$(TOOLS_VENV)/bin/sam build

# The slowest tests are named at the end, so that what makes the run long is in its output.
test: $(BIN)/.installed $(CHECKOV_VENV)/bin/.installed chromium
	$(BIN)/python -m pytest -q --durations=15
	$(MAKE) test-examples

# A project outside the package tested with the local gateway's pytest plugin, as its users
# would (docs/testing.md): its own template, handlers and tests, the plugin from the entry point.
test-examples: $(BIN)/.installed
	cd examples/sam-app-with-tests && $(CURDIR)/$(BIN)/python -m pytest -q

test-fast: $(BIN)/.installed
	$(BIN)/python scripts/test_fast.py

# The long runs: a 5-minute fuzz, then 1,000 connections for 10 minutes.
soak: $(BIN)/.installed
	$(BIN)/python -m serverless_chat.loadgen.fuzz --seconds 300
	$(BIN)/python -m serverless_chat.loadgen.soak --connections 1000 --seconds 600

# Benchmarks that print their figures as ratios against a baseline measured in the same run.
bench: $(BIN)/.installed
	$(BIN)/python bench/coldstart.py --json bench/results/coldstart.json
	-$(BIN)/python bench/coldstart_fork.py --json bench/results/coldstart-fork.json
	$(BIN)/serverless-chat bench --clients 100 --senders 5 --messages 200 \
	    --rounds 5 --json bench/results/throughput.json
	$(BIN)/serverless-chat bench --clients 100 --senders 5 --messages 200 --compress --rounds 5 \
	    --json bench/results/throughput-deflate.json
	$(BIN)/serverless-chat bench --clients 100 --senders 5 --messages 200 \
	    --template bench/ceiling/template.yaml --rounds 5 --json bench/results/throughput-ceiling.json
	$(BIN)/serverless-chat bench --clients 100 --senders 5 --messages 200 \
	    --baseline coalescing --rounds 3 --json bench/results/throughput-coalescing.json
	$(BIN)/python bench/foreign.py --json bench/results/foreign.json
	$(BIN)/python bench/readcost.py --json bench/results/readcost.json
	$(BIN)/python bench/dynamodb_cost.py --json bench/results/dynamodb-cost.json
	$(BIN)/python bench/fanout.py --max 10000 --json bench/results/fanout.json
	$(BIN)/python bench/capacity.py --connections 15000 --json bench/results/capacity.json
	$(BIN)/python scripts/performance_report.py

# infra/template.yaml, generated from infra/base.yaml and the function table in
# src/serverless_chat/routes.py (a test fails when the committed file is not what they make).
.PHONY: template
template: $(BIN)/.installed
	$(BIN)/python -m serverless_chat.deploy.stack_template infra/template.yaml

# src/serverless_chat/chat/confusables.py, the name keys, scripts and invisible characters of
# Unicode's security data (UTS #39), generated from ICU through PyICU, which builds against
# the system's ICU (Debian's libicu-dev) in a venv of its own: nothing of it ships.
CONFUSABLES_VENV := .venv-confusables
$(CONFUSABLES_VENV)/bin/.installed: Makefile
	@pkg-config --exists icu-uc || { echo "make confusables needs libicu-dev (apt-get install libicu-dev pkg-config)"; exit 1; }
	$(PYTHON) -m venv $(CONFUSABLES_VENV)
	$(CONFUSABLES_VENV)/bin/pip install --quiet PyICU==2.17
	touch $@

.PHONY: confusables
confusables: $(CONFUSABLES_VENV)/bin/.installed
	$(CONFUSABLES_VENV)/bin/python scripts/confusables.py src/serverless_chat/chat/confusables.py

# docs/screenshot.png (1280x800) and docs/screenshot-360.png (360x740), from a real browser
# chatting with a real gateway.
screenshot: $(BIN)/.installed chromium
	$(BIN)/python scripts/screenshot.py docs/screenshot.png

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports --config .importlinter

format: $(BIN)/.installed
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) $(CONFUSABLES_VENV) .pytest_cache .mypy_cache .ruff_cache
