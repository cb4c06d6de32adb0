# Pipit: the two commands of the README's quick start, and helpers.
#   make run   install what is needed, build (release), start pipit serve
#   make test  install what is needed, build (asan), run every test
SHELL := /bin/bash
APT_PKGS := build-essential cmake ninja-build pkg-config \
            libsodium-dev libssl-dev libjansson-dev libsqlite3-dev \
            libexpat1-dev libcurl4-openssl-dev libqrencode-dev libpng-dev \
            curl sqlite3 libfido2-dev libcbor-dev
DATA ?= ./pipit-data
LISTEN ?= 127.0.0.1:8080
SMSC ?= 127.0.0.1:2775
SMSC_CONTROL ?= 127.0.0.1:2776

.PHONY: run test deps npm-deps build-release build-asan bench clean format format-check \
        layers-check

deps:
	@missing=$$(for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	command -v node >/dev/null && command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq $$missing; \
	fi

npm-deps: deps
	@if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
	  npm ci --no-audit --no-fund; fi

build-release: deps
	cmake --preset release >/dev/null
	cmake --build --preset release

build-asan: deps
	cmake --preset asan >/dev/null
	cmake --build --preset asan

run: build-release
	@mkdir -p -m 700 $(DATA)
	@if [ ! -s $(DATA)/demo-account.json ]; then \
	  umask 077; ./build/release/pipit admin --data $(DATA) account create --name Demo --number +15017122661 --json \
	    > $(DATA)/demo-account.json; fi
	@printf 'pipit\n' | ./build/release/pipit admin --data $(DATA) carrier add demo \
	  --smpp $(SMSC) --system-id pipit --password-file -
	@./build/release/pipit admin --data $(DATA) route add --prefix + --carrier demo
	@sid=$$(sed -E 's/.*"sid":"([^"]+)".*/\1/' $(DATA)/demo-account.json); \
	tok=$$(sed -E 's/.*"auth_token":"([^"]+)".*/\1/' $(DATA)/demo-account.json); \
	echo; echo "Demo account SID: $$sid"; echo "Demo auth token:  $$tok"; echo; \
	echo "Send a message (it goes to the development SMSC on $(SMSC)):"; \
	echo "  curl -u $$sid:$$tok -X POST http://$(LISTEN)/2010-04-01/Accounts/$$sid/Messages.json \\"; \
	echo "       --data-urlencode To=+15558675310 --data-urlencode From=+15017122661 \\"; \
	echo "       --data-urlencode 'Body=Hello from Pipit'"; \
	echo "See what the SMSC received: curl http://$(SMSC_CONTROL)/messages"; \
	echo "Send a reply from a handset: curl -X POST http://$(SMSC_CONTROL)/mo -d From=%2B15558675310 -d To=%2B15017122661 -d Body=hi"; echo
	@./build/release/pipit smsc --listen $(SMSC) --control $(SMSC_CONTROL) & smsc=$$!; \
	trap 'kill $$smsc 2>/dev/null' EXIT INT TERM; \
	./build/release/pipit serve --data $(DATA) --listen $(LISTEN)

# The release build too, so `make run` cannot break unnoticed (-O3 finds
# warnings the asan build does not).
test: build-asan build-release npm-deps
	ctest --preset asan

# Every tracked C file as the repository's .clang-format says (CI runs the
# check; `make format` rewrites in place).
format-check:
	@command -v clang-format >/dev/null || { export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq clang-format; }
	@bad=$$(git ls-files '*.c' '*.h' | while read -r f; do \
	  clang-format --dry-run -Werror "$$f" >/dev/null 2>&1 || echo "$$f"; done); \
	if [ -n "$$bad" ]; then echo "not formatted (make format):"; echo "$$bad"; exit 1; fi

format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

# No include under src/ points up a layer or at another folder's private
# header (src/LAYERS; CI runs it, and `make test` as the CTest entry layers).
layers-check:
	@bash tools/check-layers.sh

bench: build-release
	bash bench/run.sh

clean:
	rm -rf build
