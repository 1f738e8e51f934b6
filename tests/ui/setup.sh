#!/usr/bin/env bash
# Installs what the browser tests (tests/ui/run.sh) need:
#   - Debian's Chromium (/usr/bin/chromium), through apt, only when it is missing. Playwright's
#     own browser download cannot work here (no network but the package registries), so the
#     tests drive this system Chromium through playwright-core's `executablePath`.
#   - playwright-core, pinned exactly in tests/ui/package.json and package-lock.json, into
#     tests/ui/node_modules (git-ignored), only when that exact version is not there already.
# Idempotent and quick once done; prints the Chromium version it will test with.
set -euo pipefail
cd "$(dirname "$0")"
PLAYWRIGHT_VERSION=1.64.1

if [ ! -x /usr/bin/chromium ]; then
    # Not root (a developer's own machine): say what is missing rather than fail inside apt.
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

installed="$(node -p 'require("./node_modules/playwright-core/package.json").version' 2>/dev/null || true)"
if [ "$installed" != "$PLAYWRIGHT_VERSION" ]; then
    # `npm ci` installs exactly what package-lock.json records (and fails if package.json
    # and the lock disagree); PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD keeps it from trying to fetch
    # a browser build of its own.
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi

echo "ui tests: $(/usr/bin/chromium --version 2>/dev/null), playwright-core $(node -p 'require("./node_modules/playwright-core/package.json").version')"
