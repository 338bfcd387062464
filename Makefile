# The project's commands. Each target installs what it needs first (scripts/bootstrap.sh).
.PHONY: up test gen lint setup bench bench-quick clean help

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

up: ## run the whole mesh: NATS, workers, gateway (Ctrl-C stops it)
	@scripts/up.sh

test: ## run every test suite; ends with "N passed, N failed, N skipped"
	@scripts/test.sh

gen: setup ## regenerate gen/ts and gen/python from proto/
	@scripts/gen.sh

lint: setup ## contract checks only (buf lint, format, breaking, stale gen/, tsc)
	@scripts/check-contracts.sh

bench: setup ## the side-by-side benchmark, mesh vs the ADR's HTTP/JSON design (~30 min); report in bench/results/latest/
	@node --import tsx bench/src/main.ts

bench-quick: setup ## the benchmark in quick mode (< 2 min): both stacks answer correctly, no speeds
	@node --import tsx bench/src/main.ts --quick

setup: ## install what is missing (npm packages, .venv, nats-server)
	@scripts/bootstrap.sh

clean: ## remove build output and local data (keeps node_modules and .venv)
	rm -rf build data
