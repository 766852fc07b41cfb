#!/usr/bin/env bash
# Install the Debian packages evsynth's tests need, when they are missing and we may.
# Chromium drives the browser tests (Playwright is pointed at /usr/bin/chromium); pango is
# WeasyPrint's text layout library for the PDF report.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages: ${missing[*]} (install them with apt-get; browser tests need chromium)" >&2
fi
