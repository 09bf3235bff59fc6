"""Define-XML 2.1: writer from the ADaM specification, validation (XML Schema, offline) and
reading of its dataset/variable metadata.

The writer (`define_xml_bytes`, `write_define_xml`) builds the document from the four tables
of seeds/adam_spec/ alone - datasets, variables, value-level metadata, codelists - in the shape
of the CDISC ADaM pilot (standards/dataset-json-1.1/examples/adam/define.xml); see
docs/DESIGN.md "Submission exports".

The XML Schemas are the CDISC ones shipped in the PyPI package ``odmlib``: Define-XML 2.1
(``odmlib/schemas/define/2.1/define2-1-0.xsd``) and, for a define.xml carrying Analysis
Results Metadata, ARM 1.0 for Define-XML 2.1 (``odmlib/schemas/arm/1.0-define2.1/arm1-0-0.xsd``,
which redefines the Define-XML schema to admit ``arm:AnalysisResultDisplays``). Every
``xs:import``/``xs:include`` in them (ODM 1.3.2 foundation, xml.xsd, xlink.xsd, xmldsig) is a
relative path inside the package; network access is refused, so validation never leaves the
machine.

References
----------
.. [1] CDISC, "Define-XML v2.1 Specification", 2019, sections 3 (document structure) and 4.3
   (ItemGroupDef, ItemRef, ItemDef: DataType, Length, def:DisplayFormat, KeySequence).
.. [2] CDISC, "Analysis Results Metadata v1.0 for Define-XML v2.1", 2021 (the ``arm``
   namespace ``http://www.cdisc.org/ns/arm/v1.0``).
.. [3] CDISC, "ODM v1.3.2 Specification" (the ODM core that Define-XML extends).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

from lxml import etree

__all__ = [
    "ARM_NS",
    "DEF_NS",
    "ODM_NS",
    "OUTPUT_FORMATS",
    "DatasetDef",
    "DefineStudy",
    "DefineXMLError",
    "ItemDefRow",
    "arm_conditions",
    "define_datasets",
    "define_item_defs",
    "define_schema_path",
    "define_xml_bytes",
    "item_group_oid",
    "item_oid",
    "validate_define_xml",
    "where_clause_oid",
    "write_define_xml",
]

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
DEF_NS = "http://www.cdisc.org/ns/def/v2.1"
ARM_NS = "http://www.cdisc.org/ns/arm/v1.0"
_NS = {"odm": ODM_NS, "def": DEF_NS, "arm": ARM_NS}

DEFINE_XSD = ("define", "2.1", "define2-1-0.xsd")
ARM_XSD = ("arm", "1.0-define2.1", "arm1-0-0.xsd")


class _LocalOnly(etree.Resolver):
    """Refuse any schema or entity that is not a local file: validation stays offline."""

    def resolve(self, system_url, public_id, context):
        if system_url and "://" in system_url and not system_url.startswith("file:"):
            raise OSError(f"network access refused while loading the XML Schema: {system_url}")
        return None  # local paths: lxml's default resolution, relative to the including file


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, huge_tree=False)
    parser.resolvers.add(_LocalOnly())
    return parser


def define_schema_path(uses_arm: bool) -> Path:
    """Path of the odmlib-shipped XSD: ARM 1.0 for Define-XML 2.1 if ``uses_arm``, else Define-XML 2.1."""
    parts = ARM_XSD if uses_arm else DEFINE_XSD
    return Path(str(files("odmlib").joinpath("schemas", *parts)))


@cache
def _schema(uses_arm: bool) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(define_schema_path(uses_arm)), _parser()))


def _uses_arm(tree: etree._ElementTree) -> bool:
    # Decided by use, not declaration: a define.xml may declare xmlns:arm and carry no ARM.
    return bool(tree.getroot().xpath("boolean(//arm:*)", namespaces=_NS))


def validate_define_xml(path: str | Path) -> list[str]:
    """Validate a define.xml against the Define-XML 2.1 XML Schema (or ARM 1.0, if it uses ARM).

    Parameters
    ----------
    path : str or Path
        The define.xml.

    Returns
    -------
    list of str
        ``"<file>: line N: <libxml2 message>"`` per schema violation (the message names the
        element and attribute), or one message for a file that is not well-formed XML; empty
        when valid. Schema-valid is necessary, not sufficient: Define-XML 2.1 conformance rules
        beyond the XSD (e.g. OID references resolving) are not checked here.
    """
    file = Path(path)
    try:
        tree = etree.parse(str(file), _parser())
    except (etree.XMLSyntaxError, OSError) as error:
        return [f"{file.name}: not well-formed XML: {error}"]
    schema = _schema(_uses_arm(tree))
    if schema.validate(tree):
        return []
    return [f"{file.name}: line {entry.line}: {entry.message}" for entry in schema.error_log]


@dataclass(frozen=True)
class ItemDefRow:
    """One variable of one dataset as Define-XML describes it ([1]_, 4.3.1-4.3.3).

    ``data_type`` is the Define-XML DataType (``text``, ``integer``, ``float``, ``date``...),
    ``length`` the ItemDef Length, ``display_format`` ``def:DisplayFormat``; ``key_sequence`` and
    ``order_number`` come from the dataset's ItemRef.
    """

    dataset: str
    variable: str
    label: str
    data_type: str
    length: int | None
    display_format: str | None
    item_oid: str
    key_sequence: int | None
    order_number: int | None


@dataclass(frozen=True)
class DatasetDef:
    """One ItemGroupDef: dataset name, label (Description) and OID, with the study's OIDs."""

    name: str
    label: str
    item_group_oid: str
    study_oid: str
    metadata_version_oid: str


def _description(element: etree._Element) -> str:
    texts = element.xpath("odm:Description/odm:TranslatedText/text()", namespaces=_NS)
    return str(texts[0]).strip() if texts else ""


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value is not None else None


def _metadata_version(path: str | Path) -> etree._Element:
    tree = etree.parse(str(path), _parser())
    found = tree.getroot().xpath("odm:Study/odm:MetaDataVersion", namespaces=_NS)
    if not found:
        raise ValueError(f"{Path(path).name}: no ODM/Study/MetaDataVersion")
    return found[0]


def define_datasets(path: str | Path) -> list[DatasetDef]:
    """The datasets (ItemGroupDefs) of a define.xml, in document order."""
    mdv = _metadata_version(path)
    study_oid = mdv.getparent().get("OID")
    return [
        DatasetDef(group.get("Name"), _description(group), group.get("OID"), study_oid, mdv.get("OID"))
        for group in mdv.xpath("odm:ItemGroupDef", namespaces=_NS)
    ]


def define_item_defs(path: str | Path) -> list[ItemDefRow]:
    """List every (dataset, variable, label, dataType, length, displayFormat) of a define.xml.

    Parameters
    ----------
    path : str or Path
        The define.xml.

    Returns
    -------
    list of ItemDefRow
        One per ItemRef of each ItemGroupDef, in document order (datasets, then ItemRefs).

    Raises
    ------
    ValueError
        An ItemRef whose ItemOID has no ItemDef, named with its dataset.
    """
    mdv = _metadata_version(path)
    item_defs = {item.get("OID"): item for item in mdv.xpath("odm:ItemDef", namespaces=_NS)}
    rows = []
    for group in mdv.xpath("odm:ItemGroupDef", namespaces=_NS):
        for ref in group.xpath("odm:ItemRef", namespaces=_NS):
            oid = ref.get("ItemOID")
            item = item_defs.get(oid)
            if item is None:
                raise ValueError(f"{Path(path).name}: {group.get('Name')}: ItemRef {oid} has no ItemDef")
            rows.append(
                ItemDefRow(
                    dataset=group.get("Name"),
                    variable=item.get("Name"),
                    label=_description(item),
                    data_type=item.get("DataType"),
                    length=_int_or_none(item.get("Length")),
                    display_format=item.get(f"{{{DEF_NS}}}DisplayFormat"),
                    item_oid=oid,
                    key_sequence=_int_or_none(ref.get("KeySequence")),
                    order_number=_int_or_none(ref.get("OrderNumber")),
                )
            )
    return rows


# --------------------------------------------------------------------------------------------
# Writer: Define-XML 2.1 from the ADaM specification (seeds/adam_spec/)
# --------------------------------------------------------------------------------------------

XLINK_NS = "http://www.w3.org/1999/xlink"
DEFINE_VERSION = "2.1.0"
ADAMIG = ("ADaMIG", "1.3")
STYLESHEET = "define2-1.xsl"
"""File name of the stylesheet the define.xml names (``<?xml-stylesheet?>``), beside it."""
# def:Origin/@Source by origin type (Define-XML 2.1 section 5.3.11.2): who provides the value.
_ORIGIN_SOURCE = {"Collected": "Investigator", "Derived": "Sponsor", "Assigned": "Sponsor"}
_SUBJECT_LEVEL = "SUBJECT LEVEL ANALYSIS DATASET"


class DefineXMLError(ValueError):
    """The specification cannot be written as Define-XML 2.1 (names the dataset and variable)."""


@dataclass(frozen=True)
class DefineStudy:
    """Study-level attributes of the define.xml: ODM/@FileOID, Study/@OID, GlobalVariables.

    ``creation_datetime`` is ISO 8601 and passed in (the data cutoff, never the clock), so
    identical input gives byte-identical output.
    """

    study_id: str
    creation_datetime: str
    study_description: str = ""
    ct_version: str | None = None

    @property
    def study_oid(self) -> str:
        return f"STUDY.{self.study_id}"

    @property
    def metadata_version_oid(self) -> str:
        return f"MDV.{self.study_id}.ADaMIG.{ADAMIG[1]}"


def item_group_oid(dataset: str) -> str:
    """ItemGroupDef OID of a dataset, ``IG.ADSL`` (as the CDISC pilot)."""
    return f"IG.{dataset.upper()}"


def item_oid(dataset: str, variable: str) -> str:
    """ItemDef OID of a variable, ``IT.ADSL.AGE`` (as the CDISC pilot)."""
    return f"IT.{dataset.upper()}.{variable}"


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _text(value) -> str:
    return "" if _blank(value) else str(value).strip()


def _e(parent, tag: str, attrib: dict | None = None, ns: str = ODM_NS) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}")
    for key, value in (attrib or {}).items():
        if value is not None:
            element.set(key, str(value))
    return element


def _d(key: str) -> str:
    return f"{{{DEF_NS}}}{key}"


def _translated(parent, tag: str, text: str, ns: str = ODM_NS) -> etree._Element:
    element = _e(parent, tag, ns=ns)
    translated = _e(element, "TranslatedText", {"{http://www.w3.org/XML/1998/namespace}lang": "en"})
    translated.text = text
    return element


def _records(frame) -> list[dict]:
    """Rows of a polars or pandas frame as dicts (the spec frames may be either)."""
    if hasattr(frame, "to_dicts"):
        return frame.to_dicts()
    return frame.to_dict(orient="records")


def _int(value, where: str, field: str) -> int | None:
    if _blank(value) or (isinstance(value, float) and value != value):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DefineXMLError(f"{where}: {field} {value!r} is not a number") from None
    if number != int(number):
        raise DefineXMLError(f"{where}: {field} {value!r} is not an integer")
    return int(number)


def _method_text(row) -> str:
    """A MethodDef's text: the derivation in words (DESCRIPTION) and where the rule book has it.

    The spec's METHOD is a ``docs/derivations.md#...`` anchor or the method's own text; a
    reviewer reading define.xml needs the words, so an anchor follows the DESCRIPTION.
    """
    method, description = _text(row.get("METHOD")), _text(row.get("DESCRIPTION"))
    if not method.startswith("docs/"):
        return method or description
    if not description:
        return f"Rule book: {method}."
    return description if method in description else f"{description} Rule book: {method}."


def define_data_type(sas_type: str, data_type: str) -> str:
    """The ItemDef DataType of a spec variable.

    A SAS numeric date (TYPE ``Num``, DATA_TYPE ``date``/``datetime``/``time``, e.g. DATE9.)
    is stored as a number of days (seconds) since 1960-01-01: Define-XML types it by that
    storage, ``integer``, with the display format beside it - as the CDISC ADaM pilot's
    define.xml does (standards/). DataType ``date`` means an ISO 8601 *character* value.
    Dataset-JSON keeps ``date`` with targetDataType ``integer`` (submission.export).
    """
    if sas_type == "Num" and data_type in ("date", "datetime", "time"):
        return "integer"
    return data_type


class _Methods:
    """One MethodDef per distinct METHOD text, OID from its first user (spec order)."""

    def __init__(self) -> None:
        self.oids: dict[str, str] = {}
        self.names: dict[str, str] = {}

    def oid(self, text: str, user: str) -> str:
        if text not in self.oids:
            self.oids[text] = f"MT.{user}"
            self.names[text] = f"Algorithm to derive {user}"
        return self.oids[text]


def define_xml_bytes(
    *,
    datasets,
    variables,
    value_level,
    codelists,
    study: DefineStudy,
    archive_ext: str = "xpt",
    stylesheet: str = STYLESHEET,
    analysis_results=None,
    ard=None,
    tlf_href: str = "",
) -> bytes:
    """Define-XML 2.1 document of the ADaM specification, as UTF-8 bytes.

    Parameters
    ----------
    datasets, variables, value_level, codelists : polars or pandas DataFrame
        The four tables of seeds/adam_spec/ (adam_datasets, adam_variables, adam_value_level,
        adam_codelists), with the columns seeds/adam_spec/_adam_spec__seeds.yml describes.
        Optional columns used when present: ``NCI_CODE`` on codelist terms and
        ``CODELIST_NCI_CODE`` (Alias ``nci:ExtCodeID``), ``XPT_VALUE_FROM`` on variables
        (a def:CommentDef saying what the XPT file carries).
    study : DefineStudy
        Study id and the creation datetime (data cutoff).
    archive_ext : str
        Extension of the dataset files def:leaf points at (``adsl.xpt``).
    stylesheet : str
        href of the ``<?xml-stylesheet?>`` processing instruction.
    analysis_results : polars or pandas DataFrame, optional
        seeds/adam_spec/adam_analysis_results (one row per displayed analysis result and
        analysis dataset). Given and not empty: the document carries Analysis Results Metadata
        (``arm:AnalysisResultDisplays``, [2]_) and needs ``ard``.
    ard : polars or pandas DataFrame, optional
        results.ard (columns ANALYSIS_ID, RESULT_ID, METHOD_ID, METHOD at least): the result
        ids and the method text of each analysis come from its rows.
    tlf_href : str
        Folder of the output files (``<stem>.pdf``, ``<stem>.rtf``) relative to the
        define.xml's folder, ``/``-separated; empty: beside it.

    Returns
    -------
    bytes
        The document; a function of the arguments only (sorted as the spec orders: datasets
        in adam_datasets order, variables by VARNUM, codelists and methods by first use,
        result displays and analysis results in adam_analysis_results order).

    Raises
    ------
    DefineXMLError
        A reference the document could not resolve (a CODELIST without terms, a value-level
        row for an unknown variable, an analysis result without ARD rows or naming an unknown
        dataset or variable), naming dataset and variable.
    """
    ds_rows = _records(datasets)
    var_rows = _records(variables)
    vl_rows = _records(value_level)
    cl_rows = _records(codelists)
    ds_names = [_text(r["DATASET"]) for r in ds_rows]
    by_ds: dict[str, list[dict]] = {name: [] for name in ds_names}
    for row in var_rows:
        name = _text(row["DATASET"])
        if name not in by_ds:
            raise DefineXMLError(f"dataset {name}, variable {row['VARIABLE']}: not in adam_datasets")
        by_ds[name].append(row)
    for name, rows in by_ds.items():
        rows.sort(key=lambda r, n=name: _int(r["VARNUM"], f"dataset {n}, variable {r['VARIABLE']}", "VARNUM"))
        if not rows:
            raise DefineXMLError(f"dataset {name}: no variables in adam_variables")
    terms: dict[str, list[dict]] = {}
    for row in cl_rows:
        terms.setdefault(_text(row["CODELIST"]), []).append(row)
    subject_level = {
        _text(r["VARIABLE"])
        for ds in ds_rows
        if _text(ds.get("CLASS")) == _SUBJECT_LEVEL
        for r in by_ds[_text(ds["DATASET"])]
    }
    subject_ds = next(
        (_text(ds["DATASET"]) for ds in ds_rows if _text(ds.get("CLASS")) == _SUBJECT_LEVEL), ""
    )

    arm_rows = _records(analysis_results) if analysis_results is not None else []
    nsmap = {None: ODM_NS, "def": DEF_NS, "xlink": XLINK_NS}
    if arm_rows:
        nsmap["arm"] = ARM_NS  # declared only when used: a define.xml without ARM is unchanged
    root = etree.Element(f"{{{ODM_NS}}}ODM", nsmap=nsmap)
    for key, value in (
        ("ODMVersion", "1.3.2"),
        ("FileType", "Snapshot"),
        ("FileOID", f"DEFINE.{study.study_id}.ADaM"),
        ("CreationDateTime", study.creation_datetime),
        ("Originator", "ixrd_warehouse"),
        ("SourceSystem", "ixrd_warehouse submission.define_xml"),
        (_d("Context"), "Submission"),
    ):
        root.set(key, value)
    study_el = _e(root, "Study", {"OID": study.study_oid})
    gv = _e(study_el, "GlobalVariables")
    _e(gv, "StudyName").text = study.study_id
    _e(gv, "StudyDescription").text = study.study_description or study.study_id
    _e(gv, "ProtocolName").text = study.study_id
    mdv = _e(
        study_el,
        "MetaDataVersion",
        {
            "OID": study.metadata_version_oid,
            "Name": f"Study {study.study_id} ADaM Data Definitions",
            _d("DefineVersion"): DEFINE_VERSION,
        },
    )
    standards = _e(mdv, "Standards", ns=DEF_NS)
    ig_std = f"STD.{ADAMIG[0]}.{ADAMIG[1]}"
    _e(
        standards,
        "Standard",
        {"OID": ig_std, "Name": ADAMIG[0], "Type": "IG", "Version": ADAMIG[1], "Status": "Final"},
        ns=DEF_NS,
    )
    ct_std = None
    if study.ct_version:
        ct_std = f"STD.CT.ADaM.{study.ct_version}"
        _e(
            standards,
            "Standard",
            {
                "OID": ct_std,
                "Name": "CDISC/NCI",
                "Type": "CT",
                "PublishingSet": "ADaM",
                "Version": study.ct_version,
                "Status": "Final",
            },
            ns=DEF_NS,
        )

    methods = _Methods()
    comments: dict[str, str] = {}
    # value-level metadata: one ValueListDef per (dataset, variable), one WhereClauseDef per PARAMCD
    vl_by_var: dict[tuple[str, str], list[dict]] = {}
    for row in vl_rows:
        key = (_text(row["DATASET"]), _text(row["VARIABLE"]))
        known = {_text(r["VARIABLE"]) for r in by_ds.get(key[0], [])}
        if key[1] not in known:
            raise DefineXMLError(
                f"dataset {key[0]}, variable {key[1]}, PARAMCD {row['PARAMCD']}: value-level row "
                "for a variable not in adam_variables"
            )
        vl_by_var.setdefault(key, []).append(row)
    where_clauses: list[tuple[str, str, str]] = []
    vl_items: list[tuple[dict, dict]] = []  # (value-level row, parent variable row)
    var_index = {(_text(r["DATASET"]), _text(r["VARIABLE"])): r for r in var_rows}
    for name in ds_names:
        for var in by_ds[name]:
            key = (name, _text(var["VARIABLE"]))
            if key not in vl_by_var:
                continue
            vld = _e(mdv, "ValueListDef", {"OID": f"VL.{name.upper()}.{key[1]}"}, ns=DEF_NS)
            for order, row in enumerate(vl_by_var[key], start=1):
                paramcd = _text(row["PARAMCD"])
                wc_oid = where_clause_oid(name, _paramcd_is(paramcd))
                method_text = _method_text(row) if _text(row.get("METHOD")) else ""
                ref = _e(
                    vld,
                    "ItemRef",
                    {
                        "ItemOID": f"{item_oid(name, key[1])}.{paramcd}",
                        "OrderNumber": order,
                        "Mandatory": "No",
                        "MethodOID": methods.oid(method_text, f"{name.upper()}.{key[1]}.{paramcd}")
                        if method_text
                        else None,
                    },
                )
                _e(ref, "WhereClauseRef", {"WhereClauseOID": wc_oid}, ns=DEF_NS)
                if (name, paramcd) not in {(d, p) for d, p, _ in where_clauses}:
                    where_clauses.append((name, paramcd, wc_oid))
                vl_items.append((row, var_index[key]))
    for name, paramcd, wc_oid in where_clauses:
        _range_checks(_e(mdv, "WhereClauseDef", {"OID": wc_oid}, ns=DEF_NS), name, _paramcd_is(paramcd))

    # datasets
    for ds in ds_rows:
        name = _text(ds["DATASET"])
        group = _e(
            mdv,
            "ItemGroupDef",
            {
                "OID": item_group_oid(name),
                "Name": name.upper(),
                "SASDatasetName": name.upper(),
                "Repeating": "No" if _text(ds.get("CLASS")) == _SUBJECT_LEVEL else "Yes",
                "IsReferenceData": "No",
                "Purpose": "Analysis",
                _d("Structure"): _text(ds.get("STRUCTURE")),
                _d("ArchiveLocationID"): f"LF.{name.upper()}",
                _d("StandardOID"): ig_std,
            },
        )
        _translated(group, "Description", _text(ds["LABEL"]))
        for var in by_ds[name]:
            variable = _text(var["VARIABLE"])
            where = f"dataset {name}, variable {variable}"
            method_text = _method_text(var)
            derived = _text(var.get("ORIGIN")) == "Derived"
            _e(
                group,
                "ItemRef",
                {
                    "ItemOID": item_oid(name, variable),
                    "OrderNumber": _int(var["VARNUM"], where, "VARNUM"),
                    "Mandatory": "Yes" if _text(var.get("CORE")) == "Req" else "No",
                    "KeySequence": _int(var.get("KEY_SEQUENCE"), where, "KEY_SEQUENCE"),
                    "MethodOID": methods.oid(method_text, f"{name.upper()}.{variable}")
                    if derived and method_text
                    else None,
                },
            )
        _e(group, "Class", {"Name": _text(ds.get("CLASS"))}, ns=DEF_NS)
        leaf = _e(
            group,
            "leaf",
            {"ID": f"LF.{name.upper()}", f"{{{XLINK_NS}}}href": f"{name.lower()}.{archive_ext}"},
            ns=DEF_NS,
        )
        _e(leaf, "title", ns=DEF_NS).text = f"{name.lower()}.{archive_ext}"

    used_codelists: list[tuple[str, str]] = []  # (codelist, data type), first use order

    def codelist_ref(parent, codelist: str, data_type: str, where: str) -> None:
        if not codelist:
            return
        if codelist not in terms:
            raise DefineXMLError(f"{where}: CODELIST {codelist} has no terms in adam_codelists")
        if codelist not in {c for c, _ in used_codelists}:
            used_codelists.append((codelist, data_type))
        _e(parent, "CodeListRef", {"CodeListOID": f"CL.{codelist}"})

    def origin(parent, var: dict, dataset: str) -> None:
        kind = _text(var.get("ORIGIN"))
        if not kind:
            return
        element = _e(parent, "Origin", {"Type": kind, "Source": _ORIGIN_SOURCE.get(kind)}, ns=DEF_NS)
        variable = _text(var["VARIABLE"])
        if kind == "Predecessor":
            if variable in subject_level and dataset != subject_ds:
                text = f"{subject_ds.upper()}.{variable}"
            else:
                text = _text(var.get("DESCRIPTION")) or variable
            _translated(element, "Description", text)
        elif kind == "Collected" and _text(var.get("DESCRIPTION")):
            _translated(element, "Description", _text(var.get("DESCRIPTION")))

    def item_attrs(oid: str, variable: str, data_type: str, var: dict, where: str) -> dict:
        length = (
            _int(var.get("LENGTH"), where, "LENGTH") if data_type in ("text", "integer", "float") else None
        )
        return {
            "OID": oid,
            "Name": variable,
            "DataType": data_type,
            "Length": length if data_type in ("text", "integer") else None,
            "SASFieldName": variable,
            _d("DisplayFormat"): _text(var.get("DISPLAY_FORMAT")) or None,
        }

    for name in ds_names:
        for var in by_ds[name]:
            variable = _text(var["VARIABLE"])
            where = f"dataset {name}, variable {variable}"
            data_type = define_data_type(_text(var.get("TYPE")), _text(var.get("DATA_TYPE")))
            attrs = item_attrs(item_oid(name, variable), variable, data_type, var, where)
            xpt_from = _text(var.get("XPT_VALUE_FROM"))
            if xpt_from:
                if (name, xpt_from) not in var_index:
                    raise DefineXMLError(f"{where}: XPT_VALUE_FROM {xpt_from} is not a variable of {name}")
                comment_oid = f"COM.{name.upper()}.{variable}.XPT"
                comments[comment_oid] = (
                    f"In the SAS XPORT v5 file ({name.lower()}.xpt, US-ASCII only) {variable} carries the "
                    f"value of {xpt_from}; the Dataset-JSON files ({name.lower()}.json, .ndjson; UTF-8) "
                    f"carry {variable} as collected."
                )
                attrs[_d("CommentOID")] = comment_oid
            item = _e(mdv, "ItemDef", attrs)
            _translated(item, "Description", _text(var["LABEL"]))
            codelist_ref(item, _text(var.get("CODELIST")), data_type, where)
            origin(item, var, name)
            if (name, variable) in vl_by_var:
                _e(item, "ValueListRef", {"ValueListOID": f"VL.{name.upper()}.{variable}"}, ns=DEF_NS)
    for row, parent in vl_items:
        name, variable, paramcd = _text(row["DATASET"]), _text(row["VARIABLE"]), _text(row["PARAMCD"])
        where = f"dataset {name}, variable {variable}, PARAMCD {paramcd}"
        data_type = define_data_type(
            _text(parent.get("TYPE")), _text(row.get("DATA_TYPE")) or _text(parent.get("DATA_TYPE"))
        )
        attrs = item_attrs(f"{item_oid(name, variable)}.{paramcd}", variable, data_type, parent, where)
        attrs[_d("DisplayFormat")] = _text(parent.get("DISPLAY_FORMAT")) or None
        item = _e(mdv, "ItemDef", attrs)
        _translated(item, "Description", _text(row.get("DESCRIPTION")) or _text(parent["LABEL"]))
        codelist_ref(item, _text(row.get("CODELIST")), data_type, where)
        origin(item, parent, name)

    for codelist, data_type in used_codelists:
        rows = sorted(terms[codelist], key=lambda r: _int(r.get("TERM_ORDER"), codelist, "TERM_ORDER") or 0)
        cl = _e(
            mdv,
            "CodeList",
            {
                "OID": f"CL.{codelist}",
                "Name": codelist,
                "DataType": "text" if data_type == "date" else data_type,
                _d("StandardOID"): ct_std if any(not _blank(r.get("NCI_CODE")) for r in rows) else None,
            },
        )
        decoded = any(not _blank(r.get("DECODE")) for r in rows)
        for row in rows:
            attrs = {
                "CodedValue": _text(row["TERM"]),
                "OrderNumber": _int(row.get("TERM_ORDER"), codelist, "TERM_ORDER"),
            }
            if decoded:
                term = _e(cl, "CodeListItem", attrs)
                _translated(term, "Decode", _text(row.get("DECODE")) or _text(row["TERM"]))
            else:
                term = _e(cl, "EnumeratedItem", attrs)
            if not _blank(row.get("NCI_CODE")):
                _e(term, "Alias", {"Name": _text(row["NCI_CODE"]), "Context": "nci:ExtCodeID"})
        list_code = next(
            (_text(r.get("CODELIST_NCI_CODE")) for r in rows if not _blank(r.get("CODELIST_NCI_CODE"))), ""
        )
        if list_code:
            _e(cl, "Alias", {"Name": list_code, "Context": "nci:ExtCodeID"})

    for text, oid in methods.oids.items():
        method = _e(mdv, "MethodDef", {"OID": oid, "Name": methods.names[text], "Type": "Computation"})
        _translated(method, "Description", text)
    for oid, text in comments.items():
        comment = _e(mdv, "CommentDef", {"OID": oid}, ns=DEF_NS)
        _translated(comment, "Description", text)
    if arm_rows:
        if ard is None:
            raise DefineXMLError("analysis results metadata: no ARD (results.ard) given")
        _analysis_result_displays(mdv, arm_rows, _records(ard), by_ds, tlf_href)

    tree = etree.ElementTree(root)
    root.addprevious(etree.ProcessingInstruction("xml-stylesheet", f'type="text/xsl" href="{stylesheet}"'))
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --------------------------------------------------------------------------------------------
# Analysis Results Metadata (ARM 1.0 for Define-XML 2.1, [2]_): docs/DESIGN.md
# "Analysis Results Metadata"
# --------------------------------------------------------------------------------------------

_COMPARATORS = ("EQ", "NE", "LT", "LE", "GT", "GE", "IN", "NOTIN")
_DISPLAY_FIELDS = ("DISPLAY_NAME", "DISPLAY_DESCRIPTION", "OUTPUT_STEM")
_RESULT_FIELDS = (
    "DISPLAY_ID",
    "RESULT_NAME",
    "REASON",
    "PURPOSE",
    "DOCUMENTATION",
    "PROGRAM",
    "PROGRAM_CONTEXT",
)
OUTPUT_FORMATS = ("pdf", "rtf")
"""Files of one display that def:leaf points at: ``<OUTPUT_STEM>.pdf`` and ``.rtf``."""


def arm_conditions(
    dataset: str, paramcd: str, where: str, known: set[str]
) -> list[tuple[str, str, list[str]]]:
    """Selection criteria of one analysis dataset as (variable, comparator, values).

    Parameters
    ----------
    dataset : str
        The dataset (names the error).
    paramcd : str
        The parameter (``PARAMCD EQ <paramcd>`` comes first), or empty.
    where : str
        adam_analysis_results.WHERE_CLAUSE: ``VARIABLE COMPARATOR VALUE`` conditions joined by
        `` AND ``; the values of IN / NOTIN separated by ``|``; comparators as Define-XML's
        RangeCheck (EQ, NE, LT, LE, GT, GE, IN, NOTIN).
    known : set of str
        The dataset's variables.

    Returns
    -------
    list of tuple
        One per condition, in the order written.

    Raises
    ------
    DefineXMLError
        A condition that does not parse or names a variable the dataset lacks.

    Examples
    --------
    >>> arm_conditions("adae", "", "TRTEMFL EQ Y AND AETOXGR GE 3", {"TRTEMFL", "AETOXGR"})
    [('TRTEMFL', 'EQ', ['Y']), ('AETOXGR', 'GE', ['3'])]
    """
    conditions = [("PARAMCD", "EQ", [paramcd])] if paramcd else []
    for part in where.split(" AND ") if where else []:
        tokens = part.strip().split(" ", 2)
        if len(tokens) != 3 or tokens[1] not in _COMPARATORS:
            raise DefineXMLError(
                f"dataset {dataset}: WHERE_CLAUSE condition {part.strip()!r} is not "
                f"'VARIABLE COMPARATOR VALUE' with a comparator of {', '.join(_COMPARATORS)}"
            )
        variable, comparator, value = tokens
        values = value.split("|") if comparator in ("IN", "NOTIN") else [value]
        conditions.append((variable, comparator, values))
    for variable, _, _ in conditions:
        if variable not in known:
            raise DefineXMLError(
                f"dataset {dataset}, variable {variable}: selection criterion on a variable not in adam_variables"
            )
    return conditions


def where_clause_oid(dataset: str, conditions: list[tuple[str, str, list[str]]]) -> str:
    """WhereClauseDef OID of conditions, ``WC.ADRS.PARAMCD.EQ.BOR`` - the value-level form, so
    one condition on PARAMCD shares the value-level metadata's WhereClauseDef."""
    parts = [
        f"{dataset.upper()}.{variable}.{comparator}.{'.'.join(values)}"
        for variable, comparator, values in conditions
    ]
    return "WC." + ".".join(parts).replace(" ", "_")


def _paramcd_is(paramcd: str) -> list[tuple[str, str, list[str]]]:
    """The value-level condition ``PARAMCD EQ <paramcd>`` in the form of `arm_conditions`."""
    return [("PARAMCD", "EQ", [paramcd])]


def _range_checks(where_clause: etree._Element, dataset: str, conditions) -> None:
    """One soft RangeCheck per condition in a WhereClauseDef: the value-level metadata's and the
    ARM's selection criteria are written by this one piece, so a shared OID means one clause."""
    for variable, comparator, values in conditions:
        check = _e(
            where_clause,
            "RangeCheck",
            {"SoftHard": "Soft", _d("ItemOID"): item_oid(dataset, variable), "Comparator": comparator},
        )
        for value in values:
            _e(check, "CheckValue").text = value


def _same(rows: list[dict], fields: tuple[str, ...], what: str) -> dict:
    first = rows[0]
    for row in rows[1:]:
        for field in fields:
            if _text(row.get(field)) != _text(first.get(field)):
                raise DefineXMLError(
                    f"{what}: {field} differs between its rows of adam_analysis_results "
                    f"({_text(first.get(field))!r} vs {_text(row.get(field))!r})"
                )
    return first


def _analysis_result_displays(
    mdv, arm_rows: list[dict], ard_rows: list[dict], by_ds: dict, tlf_href: str
) -> None:
    """Append the output files' def:leaf and arm:AnalysisResultDisplays to MetaDataVersion, and
    the WhereClauseDefs they use before its first ItemGroupDef (the schema's order)."""
    by_analysis: dict[str, list[dict]] = {}
    for row in ard_rows:
        by_analysis.setdefault(_text(row["ANALYSIS_ID"]), []).append(row)
    displays: dict[str, dict[str, list[dict]]] = {}  # display -> analysis -> dataset rows
    shown_in: dict[str, str] = {}
    for row in arm_rows:
        display_id, analysis_id = _text(row["DISPLAY_ID"]), _text(row["ANALYSIS_ID"])
        # one AnalysisResult OID per analysis: a second display of it would duplicate the OID
        if shown_in.setdefault(analysis_id, display_id) != display_id:
            raise DefineXMLError(
                f"analysis result {analysis_id}: in displays {shown_in[analysis_id]} and {display_id} "
                "of adam_analysis_results (one display each)"
            )
        displays.setdefault(display_id, {}).setdefault(analysis_id, []).append(row)

    existing = {wc.get("OID") for wc in mdv.xpath("def:WhereClauseDef", namespaces=_NS)}
    first_group = mdv.find(f"{{{ODM_NS}}}ItemGroupDef")
    href = f"{tlf_href.rstrip('/')}/" if tlf_href else ""
    arm_root = etree.Element(f"{{{ARM_NS}}}AnalysisResultDisplays")
    for display_id, analyses in displays.items():
        display = _same(
            [r for rows in analyses.values() for r in rows], _DISPLAY_FIELDS, f"display {display_id}"
        )
        stem = _text(display["OUTPUT_STEM"])
        leaf_ids = [f"LF.{stem}.{ext}" for ext in OUTPUT_FORMATS]
        for leaf_id, ext in zip(leaf_ids, OUTPUT_FORMATS, strict=True):
            leaf = _e(mdv, "leaf", {"ID": leaf_id, f"{{{XLINK_NS}}}href": f"{href}{stem}.{ext}"}, ns=DEF_NS)
            _e(leaf, "title", ns=DEF_NS).text = f"{_text(display['DISPLAY_NAME'])} ({stem}.{ext})"
        rd = _e(
            arm_root,
            "ResultDisplay",
            {"OID": f"RD.{display_id}", "Name": _text(display["DISPLAY_NAME"])},
            ns=ARM_NS,
        )
        _translated(rd, "Description", _text(display["DISPLAY_DESCRIPTION"]))
        for leaf_id in leaf_ids:
            _e(rd, "DocumentRef", {"leafID": leaf_id}, ns=DEF_NS)
        for analysis_id, rows in analyses.items():
            what = f"analysis result {analysis_id}"
            result = _same(rows, _RESULT_FIELDS, what)
            ard = by_analysis.get(analysis_id)
            if not ard:
                raise DefineXMLError(f"{what}: no rows with this ANALYSIS_ID in results.ard")
            conditions = []
            for row in rows:
                name = _text(row["DATASET"]).lower()
                if name not in by_ds:
                    raise DefineXMLError(f"{what}: dataset {name} is not in adam_datasets")
                known = {_text(v["VARIABLE"]) for v in by_ds[name]}
                conditions.append(
                    (
                        name,
                        arm_conditions(
                            name, _text(row.get("PARAMCD")), _text(row.get("WHERE_CLAUSE")), known
                        ),
                    )
                )
                for variable in _text(row.get("VARIABLES")).split():
                    if variable not in known:
                        raise DefineXMLError(
                            f"{what}: dataset {name}, variable {variable}: not in adam_variables"
                        )
            parameter = [
                name for (name, _), row in zip(conditions, rows, strict=True) if _text(row.get("PARAMCD"))
            ]
            ar = _e(
                rd,
                "AnalysisResult",
                {
                    "OID": f"AR.{analysis_id}",
                    "ParameterOID": item_oid(parameter[0], "PARAMCD") if parameter else None,
                    "AnalysisReason": _text(result["REASON"]),
                    "AnalysisPurpose": _text(result["PURPOSE"]),
                },
                ns=ARM_NS,
            )
            _translated(ar, "Description", _text(result["RESULT_NAME"]))
            datasets_el = _e(ar, "AnalysisDatasets", ns=ARM_NS)
            for (name, conds), row in zip(conditions, rows, strict=True):
                ads = _e(datasets_el, "AnalysisDataset", {"ItemGroupOID": item_group_oid(name)}, ns=ARM_NS)
                if conds:
                    wc_oid = where_clause_oid(name, conds)
                    _e(ads, "WhereClauseRef", {"WhereClauseOID": wc_oid}, ns=DEF_NS)
                    if wc_oid not in existing:
                        existing.add(wc_oid)
                        wc = etree.Element(f"{{{DEF_NS}}}WhereClauseDef", {"OID": wc_oid})
                        _range_checks(wc, name, conds)
                        first_group.addprevious(wc)
                for variable in _text(row.get("VARIABLES")).split():
                    _e(ads, "AnalysisVariable", {"ItemOID": item_oid(name, variable)}, ns=ARM_NS)
            # one home for the method text and the result ids: the ARD rows of this analysis
            methods = dict.fromkeys((_text(r["METHOD_ID"]), _text(r["METHOD"])) for r in ard)
            lines = [_text(result["DOCUMENTATION"])] if _text(result["DOCUMENTATION"]) else []
            lines += [f"Method {method_id}: {text}" for method_id, text in methods]
            lines.append(
                f"Results (results.ard RESULT_ID, shown in {stem}.pdf and {stem}.rtf): "
                + ", ".join(_text(r["RESULT_ID"]) for r in ard)
            )
            doc = _e(ar, "Documentation", ns=ARM_NS)
            _translated(doc, "Description", "\n".join(lines))
            for leaf_id in leaf_ids:
                _e(doc, "DocumentRef", {"leafID": leaf_id}, ns=DEF_NS)
            code = _e(ar, "ProgrammingCode", {"Context": _text(result["PROGRAM_CONTEXT"]) or None}, ns=ARM_NS)
            _e(code, "Code", ns=ARM_NS).text = "\n".join(
                [
                    "# programs computing these results (paths in the warehouse repository)",
                    *_text(result["PROGRAM"]).split(),
                ]
            )
    mdv.append(arm_root)


def write_define_xml(path: str | Path, **kwargs) -> Path:
    """Write :func:`define_xml_bytes` to ``path`` (same keyword arguments); returns the path."""
    out = Path(path)
    out.write_bytes(define_xml_bytes(**kwargs))
    return out
