"""Define-XML 2.1 validation (XML Schema, offline) and reading of its dataset/variable metadata.

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
    "DatasetDef",
    "ItemDefRow",
    "define_datasets",
    "define_item_defs",
    "define_schema_path",
    "validate_define_xml",
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
