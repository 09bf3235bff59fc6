#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, if missing: chromium for the
# real-browser page test, with a Japanese font (fonts-ipafont-gothic); R (r-base-core) with haven (r-cran-haven) as the independent
# SAS XPORT reader of the submission tests; LibreOffice Writer (libreoffice-writer-nogui,
# soffice: the PDFs of the TLF outputs) and poppler-utils (pdftotext, pdftoppm: the TLF tests
# read the PDFs back). Uses the distribution's packages only (no browser or CRAN download).
set -euo pipefail
browser=()
command -v chromium >/dev/null 2>&1 || browser+=(chromium)
# a Japanese font: the sites' verbatim terms (AETERM, CMTRT) are Japanese, and without one
# chromium draws them as empty boxes on the review pages and in the screenshots
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=ja 2>/dev/null)" ]; then
  browser+=(fonts-ipafont-gothic)
fi
r=()   # R's recommends (r-base-dev: compilers, r-recommended) are not needed to read XPT
command -v Rscript >/dev/null 2>&1 || r+=(r-base-core)
if ! command -v Rscript >/dev/null 2>&1 || ! Rscript -e 'quit(status = !requireNamespace("haven", quietly = TRUE))' >/dev/null 2>&1; then
  r+=(r-cran-haven)
fi
office=()   # recommends (fonts beyond the defaults, Java) are not needed to write PDFs
command -v soffice >/dev/null 2>&1 || office+=(libreoffice-writer-nogui)
command -v pdftotext >/dev/null 2>&1 || office+=(poppler-utils)
need=("${browser[@]}" "${r[@]}" "${office[@]}")
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${need[*]} (run: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ ${#browser[@]} -gt 0 ]; then apt-get install -y -qq "${browser[@]}" >/dev/null; fi
if [ ${#r[@]} -gt 0 ]; then apt-get install -y -qq --no-install-recommends "${r[@]}" >/dev/null; fi
if [ ${#office[@]} -gt 0 ]; then apt-get install -y -qq --no-install-recommends "${office[@]}" >/dev/null; fi
