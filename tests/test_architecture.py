"""The layout of docs/architecture.md holds: who may import whom, no cycles, small modules."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Set

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What each package may import of the project's other packages (docs/architecture.md).
MAY_IMPORT: Dict[str, Set[str]] = {
    "settings": set(),
    "privacy": {"settings"},
    "toolkit": {"settings"},
    "web": {"settings"},
    "handover": {"settings", "privacy", "toolkit"},
    "actions": {"handover", "toolkit", "settings", "privacy"},
    "rasa_runtime": {"settings", "privacy", "toolkit"},
    "channels": {"web", "settings", "toolkit", "rasa_runtime", "insights"},
    "desk": {"handover", "toolkit", "settings", "web", "channels", "insights"},
    "spacy_pipeline": {"settings", "toolkit"},
    "launcher": {"settings", "privacy", "rasa_runtime", "spacy_pipeline", "toolkit"},
    "bench": {"launcher", "settings", "privacy", "toolkit", "insights", "handover"},
    "insights": {"settings", "privacy", "toolkit", "handover", "web", "rasa_runtime"},
}
# the review inbox (issue 14): its package, the desk's review tab, `make review-export|retrain`, its benchmark
MAY_IMPORT["review"] = {"settings", "privacy", "toolkit", "handover", "spacy_pipeline"}
MAY_IMPORT["desk"] |= {"review"}
MAY_IMPORT["launcher"] |= {"review", "handover"}
MAY_IMPORT["bench"] |= {"review", "handover"}
MAX_MODULE_LINES = 450


def imported_packages(path: Path) -> Set[str]:
    """The project packages a module imports, at the top or inside functions."""
    found: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in MAY_IMPORT)
    return found


def modules(package: str):
    return sorted((ROOT / package).rglob("*.py"))


def package_graph() -> Dict[str, Set[str]]:
    return {
        package: set().union(*(imported_packages(path) for path in modules(package))) - {package}
        for package in MAY_IMPORT
    }


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_a_package_imports_only_what_the_map_allows(package):
    wrong = [
        f"{path.relative_to(ROOT)} imports {sorted(extra)}"
        for path in modules(package)
        if (extra := imported_packages(path) - MAY_IMPORT[package] - {package})
    ]
    assert wrong == [], "\n".join(wrong)


def test_the_packages_import_each_other_without_a_cycle():
    graph = package_graph()
    seen: Dict[str, str] = {}

    def visit(package: str, trail: tuple) -> None:
        if seen.get(package) == "done":
            return
        assert seen.get(package) != "open", f"import cycle: {' -> '.join(trail + (package,))}"
        seen[package] = "open"
        for other in sorted(graph[package]):
            visit(other, trail + (package,))
        seen[package] = "done"

    for package in sorted(graph):
        visit(package, ())


def test_the_agent_side_and_the_actions_never_import_each_other():
    graph = package_graph()
    assert "desk" not in graph["actions"] and "actions" not in graph["desk"]


def test_no_module_of_the_project_is_over_the_size_limit():
    big = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for package in [*MAY_IMPORT, "tests"]
        for path in modules(package)
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert big == [], "split these by concern:\n" + "\n".join(big)


def test_no_test_module_imports_another_test_module():
    wrong = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                if name.startswith(("tests.test_", "tests.conftest")):
                    wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert wrong == [], "shared test code belongs in tests/helpers/:\n" + "\n".join(wrong)
