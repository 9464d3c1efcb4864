#!/usr/bin/env bash
# The staff-console tests drive Debian's chromium through Playwright (Playwright's own browser download is
# not possible here). Install it from Debian's packages when missing and we may; otherwise say so loudly.
# The layout checks take screenshots of Chinese pages: without a CJK font every character is a box and
# line heights differ, so fonts-noto-cjk is installed alongside. ffmpeg turns WeChat voices (AMR) into MP3 for
# the ticket page's player; its tests need it too.
set -u
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q "ok installed" || missing+=(fonts-noto-cjk)
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's ${missing[*]} for the browser tests..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) || {
    echo "could not install ${missing[*]}" >&2; exit 1; }
  exit 0
fi
if [[ " ${missing[*]} " == *" chromium "* ]]; then
  echo "chromium is missing: install Debian's 'chromium' package (the browser tests need /usr/bin/chromium)" >&2
  exit 1
fi
echo "fonts-noto-cjk is missing: screenshots of the console will show boxes for Chinese text" >&2
exit 0
