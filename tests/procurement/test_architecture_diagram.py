"""The architecture diagram prints readably (labels of at least 8 pt on its A4 page) and every numbered flow on it
has its row in the flow table."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from pypdf import PdfReader

from docskit.paths import REPO_ROOT
from docskit.procurement.build import render_documents
from docskit.procurement.diagram import architecture_svg
from docskit.procurement.htmldoc import print_environment

MIN_LABEL_PT = 8.0
MM = 72 / 25.4
SVG = "{http://www.w3.org/2000/svg}"
CAPTION = "components, trust boundaries and numbered data flows"


def _svg_root(pack_project, pack_dataset) -> ET.Element:
    return ET.fromstring(architecture_svg(print_environment(pack_project, pack_dataset)))


def _side_margins_pt() -> float:
    """Left plus right page margin of the pack's @page rule, in points."""
    css = (REPO_ROOT / "overrides/print/pack.css.j2").read_text(encoding="utf-8")
    margin = re.search(r"@page \{[^}]*?margin: ([\d.]+)mm ([\d.]+)mm ([\d.]+)mm ([\d.]+)mm", css)
    return (float(margin.group(2)) + float(margin.group(4))) * MM


def _flow_numbers_in_svg(root: ET.Element) -> list[int]:
    numbers = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "edge" and (group.get("id") or "").startswith("flow-"):
            label = "".join(t.text or "" for t in group.iter(f"{SVG}text")).strip()
            numbers.append(int(label))
    return numbers


def test_diagram_labels_print_at_8_pt_or_more_on_its_a4_page(built_pack, pack_project, pack_dataset):
    reader = PdfReader(built_pack.folder / "architecture.pdf")
    page = next(p for p in reader.pages if CAPTION in p.extract_text())
    page_width = float(page.mediabox.width)
    assert page_width == pytest.approx(297 * MM, abs=1), "the diagram page is A4 landscape"
    printable = page_width - _side_margins_pt()
    root = _svg_root(pack_project, pack_dataset)
    svg_width = float(root.get("width").removesuffix("pt"))
    sizes = [float(t.get("font-size")) for t in root.iter(f"{SVG}text")]
    printed = min(sizes) * printable / svg_width
    print(f"svg {svg_width:.0f} pt wide, printable {printable:.0f} pt, smallest label {printed:.1f} pt")
    assert printed >= MIN_LABEL_PT


def test_every_flow_number_on_the_diagram_has_a_row_in_the_flow_table(pack_project, pack_dataset):
    flows = pack_dataset.customer["flows"]
    on_diagram = sorted(_flow_numbers_in_svg(_svg_root(pack_project, pack_dataset)))
    assert on_diagram == list(range(1, len(flows) + 1))
    documents, _ = render_documents(pack_project, pack_dataset)
    for doc_id in ("architecture", "security-overview"):
        html = next(d for d in documents if d.doc.id == doc_id).html
        table = html[html.index('<table class="grid flows"') :]
        rows = re.findall(r"<tr>(.*?)</tr>", table[: table.index("</table>")], re.S)[1:]
        numbers = [int(re.search(r'<td class="flow-number">(\d+)</td>', row).group(1)) for row in rows]
        assert numbers == on_diagram, doc_id
        for row, flow in zip(rows, flows, strict=True):
            assert flow["data"] in row and flow["protection"] in row, (doc_id, flow["id"])


def test_arrows_point_right_except_flows_back_to_an_earlier_trust_boundary(pack_project, pack_dataset):
    root = _svg_root(pack_project, pack_dataset)
    zones = [b["id"] for b in pack_dataset.customer["trust_boundaries"]]
    zone_of = {c["id"]: zones.index(c["boundary"]) for c in pack_dataset.customer["components"]}
    x_of = {
        group.find(f"{SVG}title").text: float(group.find(f"{SVG}text").get("x"))
        for group in root.iter(f"{SVG}g")
        if group.get("class") == "node"
    }
    for flow in pack_dataset.customer["flows"]:
        source, target = flow["source"], flow["target"]
        rightwards = x_of[target] > x_of[source]
        assert rightwards == (zone_of[target] >= zone_of[source]), flow["id"]
