"""axe-core in a page under test: its serious and critical violations, described.

axe-core comes from tests/axe/package-lock.json (the test command installs it
with npm ci; never a CDN). The page's context must be made with
``bypass_csp=True``: our pages forbid inline script, and the checker is added
as one.
"""

from __future__ import annotations

from typing import Any, Dict, List

from tests.helpers.missing import unavailable
from tests.helpers.paths import ROOT

AXE = ROOT / "tests" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def violations(page, include: str = "html") -> List[Dict[str, Any]]:
    """The serious and critical violations axe finds in ``include`` of ``page`` (WCAG 2 A/AA and best practice)."""
    if not AXE.is_file():
        unavailable(f"axe-core is not installed at {AXE.relative_to(ROOT)}: run the test command once (npm ci there)")
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async (include) => {
          const tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];
          const options = {resultTypes: ["violations"], runOnly: {type: "tag", values: tags}};
          const found = await axe.run(include, options);
          return found.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary}))}));
        }""",
        include,
    )
    return [v for v in result if v["impact"] in BLOCKING]


def describe(found: List[Dict[str, Any]]) -> str:
    """One readable block per violation, naming each element axe found."""
    lines = []
    for v in found:
        lines.append(f"{v['impact']}: {v['id']} ({v['help']})")
        lines += [f"    {n['target']}: {(n['summary'] or '').splitlines()[-1:]}" for n in v["nodes"]]
    return "\n".join(lines)


def assert_accessible(page, include: str = "html") -> None:
    found = violations(page, include)
    assert not found, "axe-core found:\n" + describe(found)
