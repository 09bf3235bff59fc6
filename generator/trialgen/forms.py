"""The 14 EDC forms of ``docs/extract-contract.md#4-the-14-forms``: columns, code lists, date fields.

One place for the contract as data, so the renderer, the bad-delivery generator and
the tests agree on it.
"""

from __future__ import annotations

import re

COMMON_COLUMNS = ("STUDYID", "SITEID", "SUBJID", "RECID", "RECVER", "RECSTAT", "MODDTC")

# Form -> its own columns, in the spec's order (the common columns come first in files).
FORM_COLUMNS: dict[str, tuple[str, ...]] = {
    "dm": ("ICDAT", "ENRLDAT", "AGE", "SEX", "RACE"),
    "vs": ("VISIT", "VSDAT", "VSTESTCD", "VSORRES"),
    "mh": ("DIAGDAT", "MMTYPE", "LCTYPE"),
    "ecog": ("VISIT", "QSDAT", "ECOG"),
    "pt": ("LINENO", "DRUGS", "PTSTDAT", "PTENDAT", "ASCT", "ASCTDAT", "BESTRESP", "OUTCOME"),
    "fish": ("FISHDAT", "FISHTEST", "FISHSTAT", "PCTPOS"),
    "ex": ("EXTRT", "CYCLE", "CYDAY", "EXSTDAT", "EXPDOSE", "EXDOSE", "EXADJ"),
    "lb": ("VISIT", "LBDAT", "LBTESTCD", "LBORRES", "LBORRESU", "LBNRLO", "LBNRHI"),
    "rs": ("VISIT", "RSDAT", "RSORRES", "RSPDRSN"),
    "ae": (
        "AESPID",
        "AETERM",
        "AEDECOD",
        "AEBODSYS",
        "AESTDAT",
        "AEENDAT",
        "AEONGO",
        "AETOXGR",
        "AESER",
        "AEREL_IXA",
        "AEREL_LEN",
        "AEREL_DEX",
        "AEACN_IXA",
        "AEACN_LEN",
        "AEACN_DEX",
        "AECYDLY",
        "AEDISCON",
        "AEOUT",
    ),
    "ds": ("DSCAT", "DSSTDAT", "DSDECOD"),
    "dd": ("DTHDAT", "DTHCAUS"),
    "fu": ("FUDAT", "FUSTAT"),
    "cm": ("CMTRT", "CMSTDAT"),
}
FORMS = tuple(FORM_COLUMNS)


def file_columns(form: str) -> list[str]:
    """All columns of a form's file, in file order."""
    return [*COMMON_COLUMNS, *FORM_COLUMNS[form]]


YES_NO = ("Y", "N")
RELATION = ("RELATED", "NOT RELATED")
ACTION = ("DOSE NOT CHANGED", "DOSE REDUCED", "DRUG INTERRUPTED", "DRUG WITHDRAWN", "NOT APPLICABLE")
RESPONSE = ("SCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE")
DRUG_CODES = (
    "BORTEZOMIB",
    "CARFILZOMIB",
    "IXAZOMIB",
    "THALIDOMIDE",
    "LENALIDOMIDE",
    "POMALIDOMIDE",
    "DEXAMETHASONE",
    "PREDNISOLONE",
    "MELPHALAN",
    "CYCLOPHOSPHAMIDE",
    "DOXORUBICIN",
    "DARATUMUMAB",
    "ELOTUZUMAB",
    "VINCRISTINE",
    "OTHER",
)
LAB_UNITS = {
    "SPEP": "g/dL",
    "UPEP": "mg/24h",
    "SIFE": None,
    "UIFE": None,
    "KAPPA": "mg/dL",
    "LAMBDA": "mg/dL",
    "BMPC": "%",
    "BMCLON": None,
    "CREAT": "mg/dL",
    "B2M": "mg/L",
    "ALB": "g/dL",
    "NEUT": "10^9/L",
    "PLAT": "10^9/L",
    "HGB": "g/dL",
    "CA": "mg/dL",
}

# (form, column) -> allowed codes. Columns not listed are free text, numbers or dates.
CODE_LISTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("dm", "SEX"): ("M", "F"),
    ("dm", "RACE"): ("ASIAN", "WHITE", "BLACK OR AFRICAN AMERICAN", "OTHER"),
    ("vs", "VSTESTCD"): ("HEIGHT", "WEIGHT"),
    ("mh", "MMTYPE"): ("IGG", "IGA", "IGD", "IGM", "BENCE-JONES", "LIGHT CHAIN ONLY", "NON-SECRETORY"),
    ("mh", "LCTYPE"): ("KAPPA", "LAMBDA"),
    ("pt", "ASCT"): YES_NO,
    ("pt", "BESTRESP"): (*RESPONSE, "UNK"),
    ("pt", "OUTCOME"): ("RELAPSED", "REFRACTORY", "NOT PROGRESSED"),
    ("fish", "FISHTEST"): ("DEL17P", "T4_14", "T14_16", "T11_14", "DEL13"),
    ("fish", "FISHSTAT"): ("DONE", "NOT DONE", "FAILED"),
    ("ex", "EXTRT"): ("IXAZOMIB", "LENALIDOMIDE", "DEXAMETHASONE"),
    ("ex", "EXADJ"): ("ADVERSE EVENT", "DOSE LEVEL REDUCED", "MISSED", "OTHER"),
    ("lb", "LBTESTCD"): tuple(LAB_UNITS),
    ("rs", "RSORRES"): RESPONSE,
    ("rs", "RSPDRSN"): ("LABORATORY", "NEW BONE LESION", "PLASMACYTOMA", "HYPERCALCEMIA", "OTHER"),
    ("ae", "AEONGO"): YES_NO,
    ("ae", "AESER"): YES_NO,
    ("ae", "AEREL_IXA"): RELATION,
    ("ae", "AEREL_LEN"): RELATION,
    ("ae", "AEREL_DEX"): RELATION,
    ("ae", "AEACN_IXA"): ACTION,
    ("ae", "AEACN_LEN"): ACTION,
    ("ae", "AEACN_DEX"): ACTION,
    ("ae", "AECYDLY"): YES_NO,
    ("ae", "AEDISCON"): YES_NO,
    ("ae", "AEOUT"): (
        "RECOVERED/RESOLVED",
        "RECOVERING/RESOLVING",
        "NOT RECOVERED/NOT RESOLVED",
        "RECOVERED/RESOLVED WITH SEQUELAE",
        "FATAL",
        "UNKNOWN",
    ),
    ("ds", "DSCAT"): ("END OF TREATMENT", "END OF STUDY"),
    ("ds", "DSDECOD"): (
        "PROGRESSIVE DISEASE",
        "ADVERSE EVENT",
        "DEATH",
        "WITHDRAWAL BY SUBJECT",
        "PHYSICIAN DECISION",
        "LOST TO FOLLOW-UP",
        "STUDY TERMINATED BY SPONSOR",
        "COMPLETED",
        "OTHER",
    ),
    ("dd", "DTHCAUS"): ("PROGRESSIVE DISEASE", "ADVERSE EVENT", "OTHER", "UNKNOWN"),
    ("fu", "FUSTAT"): ("ALIVE", "DEAD", "LOST TO FOLLOW-UP"),
}
RECSTAT_CODES = ("ACTIVE", "DELETED")

# (form, column) -> True when the spec marks the date as *partial*.
DATE_COLUMNS: dict[tuple[str, str], bool] = {
    ("dm", "ICDAT"): False,
    ("dm", "ENRLDAT"): False,
    ("vs", "VSDAT"): False,
    ("mh", "DIAGDAT"): True,
    ("ecog", "QSDAT"): False,
    ("pt", "PTSTDAT"): True,
    ("pt", "PTENDAT"): True,
    ("pt", "ASCTDAT"): True,
    ("fish", "FISHDAT"): False,
    ("ex", "EXSTDAT"): False,
    ("lb", "LBDAT"): False,
    ("rs", "RSDAT"): False,
    ("ae", "AESTDAT"): True,
    ("ae", "AEENDAT"): True,
    ("ds", "DSSTDAT"): False,
    ("dd", "DTHDAT"): False,
    ("fu", "FUDAT"): False,
    ("cm", "CMSTDAT"): False,
}
# History dates must lie before consent; every other date is on study (on/after consent).
HISTORY_DATE_COLUMNS = {("mh", "DIAGDAT"), ("pt", "PTSTDAT"), ("pt", "PTENDAT"), ("pt", "ASCTDAT")}

FULL_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PARTIAL_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
SUBJID_RE = re.compile(r"^(\d{3})-\d{3}$")
TRANSFER_ID_RE = re.compile(r"^\d{8}T\d{4}$")
VISIT_RE = re.compile(r"^(SCREENING|C\d+D\d+|EOT|PFSFU\d+|OSFU\d+|UNSCHEDULED)$")
MANIFEST_COLUMNS = ("SITEID", "FORM", "FILE", "ROWS", "SHA256")
