#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, if missing: chromium for the
# real-browser page test; R (r-base-core) with haven (r-cran-haven) as the independent
# SAS XPORT reader of the submission tests. Uses the distribution's packages only
# (no browser or CRAN download).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v Rscript >/dev/null 2>&1 || need+=(r-base-core)
if ! command -v Rscript >/dev/null 2>&1 || ! Rscript -e 'quit(status = !requireNamespace("haven", quietly = TRUE))' >/dev/null 2>&1; then
  need+=(r-cran-haven)
fi
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${need[*]} (run: sudo apt-get install ${need[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${need[@]}" >/dev/null
