"""The macro library: loading, validation and rendering of the Client Toolkit.

The library is a YAML file (``toolkit/client_toolkit.yml``) with four sections:

- ``links``: help articles a script can point to (``title``, ``url``);
- ``kb``: internal knowledge-base references for agents (``title``, ``section``);
- ``resources``: the scripts themselves (``title``, ``text``, optional ``link``
  with the ``link_text`` in ``text`` that becomes the link);
- ``macros``: named bundles (``title``, ``include`` of resource or macro ids,
  optional ``kb``), so one resource can be added to several macros; optional
  ``suggest_for`` lists the intents for which agent assist suggests the macro.

Every problem found on load is reported with the file, the line, the entry and
what is wrong, all at once, so an editor can fix the file in one pass.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple
from urllib.parse import urlparse

from settings.read import value as setting
from settings.variables import TOOLKIT_LIBRARY
from toolkit.yamlfile import Node as _Node
from toolkit.yamlfile import YamlFileError, read_yaml

DEFAULT_LIBRARY_PATH = Path(__file__).resolve().parent / "client_toolkit.yml"

SECTIONS = ("links", "kb", "resources", "macros")
REQUIRED_FIELDS: Dict[str, Tuple[str, ...]] = {
    "links": ("title", "url"),
    "kb": ("title", "section"),
    "resources": ("title", "text"),
    "macros": ("title", "include"),
}
OPTIONAL_FIELDS: Dict[str, Tuple[str, ...]] = {
    "links": (),
    "kb": ("guidance",),
    "resources": ("use_when", "link", "link_text"),
    "macros": ("description", "kb", "suggest_for"),
}
ALLOWED_URL_SCHEMES = ("http", "https")


class LibraryError(ValueError):
    """The library file cannot be used; ``problems`` lists every reason."""

    def __init__(self, path: Path, problems: List[str]) -> None:
        self.path = path
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid macro library {path}:\n{listing}")


@dataclass(frozen=True)
class Link:
    id: str
    title: str
    url: str


@dataclass(frozen=True)
class KbReference:
    id: str
    title: str
    section: str
    guidance: str = ""


@dataclass(frozen=True)
class Resource:
    id: str
    title: str
    text: str
    use_when: str = ""
    link: Optional[Link] = None
    link_text: str = ""

    def render_markdown(self) -> str:
        """The text with its ``link_text`` turned into a markdown link (first occurrence)."""
        if self.link is None or not self.link_text:
            return self.text
        return self.text.replace(self.link_text, f"[{self.link_text}]({self.link.url})", 1)


@dataclass(frozen=True)
class Macro:
    id: str
    title: str
    resources: Tuple[Resource, ...]
    description: str = ""
    kb: Optional[KbReference] = None
    suggest_for: Tuple[str, ...] = ()

    def render_markdown(self) -> str:
        """The macro's resources in order, each with its link, as one message."""
        return "\n\n".join(r.render_markdown() for r in self.resources)

    @property
    def links(self) -> Tuple[Link, ...]:
        return tuple(dict((r.link.id, r.link) for r in self.resources if r.link).values())


@dataclass(frozen=True)
class MacroLibrary:
    path: Path
    links: Mapping[str, Link] = field(default_factory=dict)
    kb: Mapping[str, KbReference] = field(default_factory=dict)
    resources: Mapping[str, Resource] = field(default_factory=dict)
    macros: Mapping[str, Macro] = field(default_factory=dict)

    def resource(self, resource_id: str) -> Resource:
        try:
            return self.resources[resource_id]
        except KeyError:
            raise KeyError(f"the macro library {self.path} has no resource '{resource_id}'") from None

    def macro(self, macro_id: str) -> Macro:
        try:
            return self.macros[macro_id]
        except KeyError:
            raise KeyError(f"the macro library {self.path} has no macro '{macro_id}'") from None

    def macros_for(self, intent: str) -> List[Macro]:
        """Macros agent assist suggests for ``intent``, in file order."""
        return [m for m in self.macros.values() if intent in m.suggest_for]

    def macro_of(self, resource_id: str) -> Optional[Macro]:
        """The first macro (in file order) that includes the resource."""
        for macro in self.macros.values():
            if any(r.id == resource_id for r in macro.resources):
                return macro
        return None


# --- validation -------------------------------------------------------------


class _Checker:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: List[str] = []

    def fail(self, line: int, where: str, what: str) -> None:
        self.problems.append(f"{self.path}:{line}: {where}: {what}")

    def text_field(self, entry: _Node, where: str, name: str) -> str:
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip():
            line = entry.key_lines.get(name, entry.line)
            self.fail(line, where, f"'{name}' must be non-empty text")
            return ""
        return value


def _check_url(checker: _Checker, entry: _Node, where: str, url: str) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ALLOWED_URL_SCHEMES or not parsed.netloc:
        checker.fail(
            entry.key_lines.get("url", entry.line),
            where,
            f"url '{url}' is not an http(s) link",
        )


def _entries(checker: _Checker, doc: _Node, section: str) -> Dict[str, _Node]:
    raw = doc.get(section)
    if raw is None:
        return {}
    if not isinstance(raw, _Node):
        checker.fail(doc.key_lines.get(section, doc.line), section, "must be a mapping of id → entry")
        return {}
    entries: Dict[str, _Node] = {}
    for entry_id, entry in raw.items():
        where = f"{section}.{entry_id}"
        line = raw.key_lines.get(str(entry_id), raw.line)
        if not isinstance(entry, _Node):
            checker.fail(line, where, "must be a mapping of fields")
            continue
        known = REQUIRED_FIELDS[section] + OPTIONAL_FIELDS[section]
        for name in REQUIRED_FIELDS[section]:
            if name not in entry:
                checker.fail(line, where, f"missing field '{name}'")
        for name in entry:
            if name not in known:
                checker.fail(
                    entry.key_lines.get(str(name), line),
                    where,
                    f"unknown field '{name}' (known: {', '.join(known)})",
                )
        entries[str(entry_id)] = entry
    return entries


def _build(path: Path, doc: Any) -> MacroLibrary:
    checker = _Checker(path)
    if not isinstance(doc, _Node):
        raise LibraryError(path, [f"{path}:1: the file must be a YAML mapping"])
    for key in doc:
        if key not in SECTIONS and key != "version":
            checker.fail(doc.key_lines[str(key)], str(key), f"unknown section (known: {', '.join(SECTIONS)})")
    if doc.get("version") != 1:
        checker.fail(doc.key_lines.get("version", 1), "version", "must be 1")

    raw = {section: _entries(checker, doc, section) for section in SECTIONS}

    links: Dict[str, Link] = {}
    for link_id, entry in raw["links"].items():
        where = f"links.{link_id}"
        url = checker.text_field(entry, where, "url") if "url" in entry else ""
        title = checker.text_field(entry, where, "title") if "title" in entry else ""
        if url:
            _check_url(checker, entry, where, url)
        links[link_id] = Link(link_id, title, url)

    kb: Dict[str, KbReference] = {}
    for kb_id, entry in raw["kb"].items():
        where = f"kb.{kb_id}"
        kb[kb_id] = KbReference(
            kb_id,
            checker.text_field(entry, where, "title") if "title" in entry else "",
            checker.text_field(entry, where, "section") if "section" in entry else "",
            str(entry.get("guidance", "") or ""),
        )

    resources: Dict[str, Resource] = {}
    for resource_id, entry in raw["resources"].items():
        where = f"resources.{resource_id}"
        text = checker.text_field(entry, where, "text") if "text" in entry else ""
        title = checker.text_field(entry, where, "title") if "title" in entry else ""
        link: Optional[Link] = None
        link_text = ""
        if "link" in entry:
            link_id = entry["link"]
            link = links.get(str(link_id))
            if link is None:
                checker.fail(entry.key_lines["link"], where, f"unknown link '{link_id}' (not in 'links')")
            link_text = checker.text_field(entry, where, "link_text")
            if link_text and text and link_text not in text:
                checker.fail(
                    entry.key_lines["link_text"],
                    where,
                    f"link_text '{link_text}' does not occur in the text",
                )
        elif "link_text" in entry:
            checker.fail(entry.key_lines["link_text"], where, "link_text given without a link")
        resources[resource_id] = Resource(
            resource_id, title, text, str(entry.get("use_when", "") or ""), link, link_text
        )

    macros = _build_macros(checker, raw["macros"], resources, kb)
    if checker.problems:
        raise LibraryError(path, checker.problems)
    return MacroLibrary(path, links, kb, resources, macros)


def _build_macros(
    checker: _Checker,
    raw: Dict[str, _Node],
    resources: Dict[str, Resource],
    kb: Dict[str, KbReference],
) -> Dict[str, Macro]:
    """Resolve ``include`` lists: resource ids, or other macros' ids (no cycles)."""
    resolved: Dict[str, Tuple[Resource, ...]] = {}

    def resolve(macro_id: str, trail: Tuple[str, ...]) -> Tuple[Resource, ...]:
        if macro_id in resolved:
            return resolved[macro_id]
        entry = raw[macro_id]
        where = f"macros.{macro_id}"
        include = entry.get("include")
        line = entry.key_lines.get("include", entry.line)
        if not isinstance(include, list) or not include:
            checker.fail(line, where, "'include' must be a non-empty list of resource or macro ids")
            resolved[macro_id] = ()
            return ()
        out: List[Resource] = []
        for item in include:
            item = str(item)
            if item in resources:
                out.append(resources[item])
            elif item in raw:
                if item in trail:
                    cycle = " → ".join(trail + (item,))
                    checker.fail(line, where, f"include cycle {cycle}")
                    continue
                out.extend(resolve(item, trail + (item,)))
            else:
                checker.fail(line, where, f"unknown include '{item}' (no resource or macro with that id)")
        unique = tuple(dict((r.id, r) for r in out).values())
        resolved[macro_id] = unique
        return unique

    macros: Dict[str, Macro] = {}
    for macro_id, entry in raw.items():
        where = f"macros.{macro_id}"
        title = checker.text_field(entry, where, "title") if "title" in entry else ""
        kb_ref: Optional[KbReference] = None
        if "kb" in entry:
            kb_ref = kb.get(str(entry["kb"]))
            if kb_ref is None:
                checker.fail(entry.key_lines["kb"], where, f"unknown kb reference '{entry['kb']}'")
        macros[macro_id] = Macro(
            macro_id,
            title,
            resolve(macro_id, (macro_id,)),
            str(entry.get("description", "") or ""),
            kb_ref,
            _intent_list(checker, entry, where),
        )
    return macros


def _intent_list(checker: _Checker, entry: _Node, where: str) -> Tuple[str, ...]:
    if "suggest_for" not in entry:
        return ()
    value = entry["suggest_for"]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        checker.fail(entry.key_lines["suggest_for"], where, "'suggest_for' must be a non-empty list of intent names")
        return ()
    return tuple(value)


def load_library(path: Optional[os.PathLike] = None) -> MacroLibrary:
    """Read and validate a library file; raises ``LibraryError`` naming every problem."""
    library_path = Path(path or setting(TOOLKIT_LIBRARY) or DEFAULT_LIBRARY_PATH)
    try:
        doc = read_yaml(library_path)
    except YamlFileError as e:
        raise LibraryError(library_path, [str(e)]) from e
    return _build(library_path, doc)


class LibraryCache:
    """Serves the library, re-reading the file when it changes on disk.

    An edit takes effect on the next call without a restart. An edit that does
    not validate is logged by the caller and the last good library keeps being
    served, so a typo never takes the assistant down; with no good library yet,
    the error is raised.
    """

    def __init__(self, path: Optional[os.PathLike] = None) -> None:
        self._explicit_path = Path(path) if path else None
        self._lock = threading.Lock()
        self._stamp: Optional[Tuple[str, int, int]] = None
        self._library: Optional[MacroLibrary] = None
        self.last_error: Optional[LibraryError] = None

    @property
    def path(self) -> Path:
        return Path(self._explicit_path or setting(TOOLKIT_LIBRARY) or DEFAULT_LIBRARY_PATH)

    def get(self) -> MacroLibrary:
        path = self.path
        try:
            st = path.stat()
            stamp = (str(path), st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = (str(path), -1, -1)
        with self._lock:
            if self._library is not None and stamp == self._stamp:
                return self._library
            try:
                library = load_library(path)
            except LibraryError as e:
                self._stamp = stamp
                self.last_error = e
                if self._library is None:
                    raise
                return self._library
            self._library, self._stamp, self.last_error = library, stamp, None
            return library
