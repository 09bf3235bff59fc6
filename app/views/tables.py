"""Tables 1-7 page: the results laid out as the paper prints them.

The layout itself is :mod:`tlf.layout` (shared with the RTF outputs, docs/DESIGN.md
"Tables and figures"); this module keeps the names the page and the other views use.
"""

from __future__ import annotations

from tlf.layout import (
    _T3_ROWS,
    INDENT,
    T7_COLUMNS,
    TABLE_IDS,
    PaperTable,
    _pt_items,
    paper_table,
    paper_tables,
    table1,
    table2,
    table3,
    table4,
    table5,
    table6,
    table7,
)

__all__ = [
    "INDENT",
    "T7_COLUMNS",
    "TABLE_IDS",
    "_T3_ROWS",
    "PaperTable",
    "_pt_items",
    "paper_table",
    "paper_tables",
    "table1",
    "table2",
    "table3",
    "table4",
    "table5",
    "table6",
    "table7",
]
