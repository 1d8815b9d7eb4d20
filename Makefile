# ispstack: `make demo` installs everything and runs the demo ISP;
# `make test` installs everything and runs every check and test.
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTHON ?= python3

.PHONY: demo test lint typecheck serve system-deps clean netbox-peer bench-billing bench-radius bench-search bench-lists bench-console bench-portal bench-tickets bench-orders bench-reports bench-vouchers bench-collections bench-api screenshots

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# FreeRADIUS, dovecot (IMAP), poppler, Chromium, Redis and PostgreSQL with ICU (NetBox's
# peer, when the test server lacks it) for the integration tests (Debian packages; root).
system-deps:
	@missing=""; \
	command -v freeradius >/dev/null || missing="$$missing freeradius freeradius-postgresql freeradius-utils"; \
	command -v dovecot >/dev/null || missing="$$missing dovecot-imapd"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	  else echo "install as root: apt-get install$$missing"; exit 1; fi; \
	fi

demo: $(STAMP)
	$(BIN)/ispstack migrate --noinput -v0
	$(BIN)/ispstack demo
	$(BIN)/ispstack serve

serve: $(STAMP)
	$(BIN)/ispstack serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench docs
	$(BIN)/ruff format --check src tests bench docs/*.py

typecheck: $(STAMP)
	$(BIN)/mypy

# The NetBox peer is built (once per machine: about 2 minutes) in the background
# while the static checks run; its tests wait for it on its lock, and fail
# loudly themselves if it cannot be built (its log says why).
test: $(STAMP) system-deps
	PYTHONPATH=src:. $(BIN)/python tests/netbox_peer.py prepare >$(VENV)/netbox-peer.log 2>&1 & peer=$$!; \
	$(BIN)/ruff check src tests bench docs && \
	$(BIN)/mypy && \
	$(BIN)/ispstack makemigrations --check --dry-run -v1 && \
	$(BIN)/lint-imports && \
	$(BIN)/pytest; status=$$?; \
	wait $$peer || echo "the NetBox peer could not be built: $(VENV)/netbox-peer.log"; \
	exit $$status

# The NetBox test peer: installed into its own Python 3.12 virtualenv (about 2
# minutes) and its shipped migrated schema restored, once per machine; for a
# NetBox version without a shipped schema it migrates (about 11 minutes) and
# writes tests/fixtures/netbox/migrated-<version>.dump to commit.
netbox-peer: $(STAMP)
	PYTHONPATH=src:. $(BIN)/python tests/netbox_peer.py prepare

bench-billing: $(STAMP)
	$(BIN)/python bench/billing_run.py

bench-search: $(STAMP)
	$(BIN)/python bench/console_search.py

bench-radius: $(STAMP) system-deps
	PYTHON=$(BIN)/python bash bench/radius_auth.sh
	$(BIN)/python bench/usage_rollup.py

# The console's invoice list on 10 million invoices (INVOICES=1000000 for less).
bench-lists: $(STAMP)
	$(BIN)/python bench/console_lists.py --invoices $(or $(INVOICES),10000000) --reuse

# The finance reports (MRR movements, growth by plan, aging) at 100,000 subscribers.
bench-reports: $(STAMP)
	$(BIN)/python bench/reports.py

# The customer 360 view and search at 100,000 customers against a bare primary-key read.
bench-console: $(STAMP)
	$(BIN)/python bench/console.py

# The portal dashboard under 50 concurrent customers (20,000 of them) against a bare primary-key read.
bench-portal: $(STAMP)
	$(BIN)/python bench/portal.py

# The SLA breach scan on 1,000,000 tickets (5 % open) against one SELECT of the breached ones.
bench-tickets: $(STAMP)
	$(BIN)/python bench/tickets_sla.py

# 100,000 vouchers generated and sold, and FreeRADIUS authenticating vouchers
# against ordinary subscribers on the same database (target ratio >= 0.9).
bench-vouchers: $(STAMP) system-deps
	$(BIN)/python bench/vouchers.py

bench-orders: $(STAMP)
	$(BIN)/python bench/orders.py

# One collections run on 100,000 accounts (10 % overdue, three dunning
# campaigns) against one SELECT of the accounts due for a step (target <= 3x).
bench-collections: $(STAMP)
	$(BIN)/python bench/collections_run.py

# 50 API clients listing invoices (5 years of monthly invoices each) and
# fetching one, against a bare DRF view returning the same rows (target <= 3x).
bench-api: $(STAMP)
	$(BIN)/python bench/api.py

# The revenue recognition run on 100,000 subscriptions x 12 monthly invoices against one plain INSERT ... SELECT.
bench-revenue: $(STAMP)
	$(BIN)/python bench/revenue.py

# docs/img/console-*.png from the demo ISP, in Debian's Chromium.
screenshots: $(STAMP) system-deps
	$(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
