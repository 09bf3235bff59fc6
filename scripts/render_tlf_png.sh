#!/usr/bin/env bash
# First page of every TLF PDF (and the contents page of tlf_all.pdf) as PNG, for looking at
# what the nightly build wrote: build/screenshots/tlf/<output>-1.png.
#   scripts/render_tlf_png.sh [tlf folder] [out folder] [dpi]
# Default folder: $CTWH_TLF_DIR (default build/tlf), written by `dbt build` (docs/DESIGN.md
# "Tables and figures"). Needs poppler-utils (pdftoppm).
set -euo pipefail
cd "$(dirname "$0")/.."
tlf="${1:-${CTWH_TLF_DIR:-build/tlf}}"
out="${2:-build/screenshots/tlf}"
dpi="${3:-80}"
command -v pdftoppm >/dev/null || { echo "pdftoppm not found: apt-get install poppler-utils" >&2; exit 1; }
shopt -s nullglob
pdfs=("$tlf"/*.pdf)
if [ ${#pdfs[@]} -eq 0 ]; then
  echo "no PDF in $tlf (run dbt build first; PDFs need LibreOffice: scripts/install_system_deps.sh)" >&2
  exit 1
fi
mkdir -p "$out"
for pdf in "${pdfs[@]}"; do
  stem="$(basename "$pdf" .pdf)"
  pdftoppm -png -r "$dpi" -f 1 -l 1 -singlefile "$pdf" "$out/$stem-1"
  echo "$out/$stem-1.png"
done
