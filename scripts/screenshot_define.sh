#!/usr/bin/env bash
# Screenshots of the submission folder's define.xml as a reviewer opens it: rendered by its
# stylesheet (define2-1.xsl, beside it) in headless chromium - a check that the XSLT renders
# the tables, not raw XML. One tall page shot, cut into screens:
# build/screenshots/define_xml_01.png (study, standards, datasets, ADSL), _02.png, ...
#   scripts/screenshot_define.sh [define.xml] [out folder]
# Default define.xml: the one under $CTWH_SUBMISSION_DIR (default build/submission), written
# by `dbt build` (docs/DESIGN.md "Submission exports"). file:// XSLT needs
# --allow-file-access-from-files (the stylesheet is a second file). Needs chromium and the
# project's virtual environment (Pillow, for the cutting).
set -euo pipefail
cd "$(dirname "$0")/.."
root="${CTWH_SUBMISSION_DIR:-build/submission}"
define="${1:-$(find "$root"/m5/datasets -path '*/analysis/adam/datasets/define.xml' 2>/dev/null | sort | head -n 1)}"
out="${2:-build/screenshots}"
height="${SCREENSHOT_PAGE_HEIGHT:-24000}"  # pixels: more than the demo's rendered page (~19,500)
if [ -z "$define" ] || [ ! -f "$define" ]; then
  echo "no define.xml (run dbt build first, or give its path)" >&2
  exit 1
fi
mkdir -p "$out"
tall="$(mktemp --suffix=.png)"
trap 'rm -f "$tall"' EXIT
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --allow-file-access-from-files \
  --window-size="1400,$height" --screenshot="$tall" "file://$(realpath "$define")" >/dev/null 2>&1
rm -f "$out"/define_xml_*.png
.venv/bin/python - "$tall" "$out" <<'PY'
import sys
from pathlib import Path

import numpy as np
from PIL import Image

Image.MAX_IMAGE_PIXELS = None
page = Image.open(sys.argv[1]).convert("RGB")
ink = np.flatnonzero((np.asarray(page.convert("L")) < 250).any(axis=1))
bottom = int(ink.max()) + 20 if ink.size else page.height
if bottom >= page.height:
    sys.exit(f"the rendered page is taller than {page.height} px: raise SCREENSHOT_PAGE_HEIGHT")
screen = 2000
for number, top in enumerate(range(0, bottom, screen), start=1):
    path = Path(sys.argv[2]) / f"define_xml_{number:02d}.png"
    page.crop((0, top, page.width, min(top + screen, bottom))).save(path)
    print(path)
PY
