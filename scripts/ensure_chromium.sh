#!/usr/bin/env bash
# The staff-console tests drive Debian's chromium through Playwright (Playwright's own browser download is
# not possible here). Install it from Debian's packages when missing and we may; otherwise say so loudly.
set -u
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || {
    echo "could not install chromium" >&2; exit 1; }
  exit 0
fi
echo "chromium is missing: install Debian's 'chromium' package (the browser tests need /usr/bin/chromium)" >&2
exit 1
