"""skops' lists of trusted types, kept in a file instead of rebuilt at every start.

The intent classifier is stored with skops, which decides what a model file
may contain by lists of trusted type names. ``skops.io._trusted_types`` builds
those lists at import by importing every scikit-learn module and searching
numpy and scipy: about 2 s of each Rasa server start here, for lists that only
change when one of those packages does.

``write()`` (the set-up runs it) imports the real module and saves its lists
with the versions they were built from; ``install()`` (the Rasa server, before
it imports skops) puts a module with the same lists in its place when the
saved versions are the installed ones. Otherwise skops builds them itself, as
before. A file that is not exactly what ``write`` makes is not used.

    python -m rasa_runtime.trusted_types    # (re)write build/skops-trusted-types.json
"""

from __future__ import annotations

import builtins
import importlib
import json
import logging
import os
import sys
import types
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, Optional

logger = logging.getLogger(__name__)

MODULE = "skops.io._trusted_types"
PACKAGES = ("skops", "scikit-learn", "scipy", "numpy")
PATH = Path(__file__).resolve().parent.parent / "build" / "skops-trusted-types.json"
FORMAT = 1


def versions() -> Dict[str, str]:
    """What the lists depend on: the packages' versions and Python's."""
    found = {name: metadata.version(name) for name in PACKAGES}
    found["python"] = ".".join(map(str, sys.version_info[:3]))
    return found


def snapshot(module: types.ModuleType) -> Optional[Dict[str, Any]]:
    """The module's lists as JSON data; None if it holds anything else (then it is not cached)."""
    lists: Dict[str, Any] = {}
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        if isinstance(value, types.ModuleType):
            continue  # what the module imported (numpy, scipy)
        if isinstance(value, types.FunctionType | type) and value.__module__ != MODULE:
            continue  # functions it imported (all_estimators, get_type_name, ...)
        if isinstance(value, str):  # (a comprehension's variable leaks out as one)
            lists[name] = {"string": value}
        elif _strings(value):
            lists[name] = {"strings": value}
        elif isinstance(value, list) and all(getattr(builtins, getattr(t, "__name__", ""), None) is t for t in value):
            lists[name] = {"builtins": [t.__name__ for t in value]}
        else:
            return None
    return lists


def write(path: Path = PATH) -> bool:
    """Import skops' real module and save its lists; False if they cannot be cached."""
    module = sys.modules.get(MODULE) or importlib.import_module(MODULE)
    if isinstance(module, _CachedTrustedTypes):
        raise RuntimeError("the cached lists are in use in this process; write from a fresh one")
    lists = snapshot(module)
    if lists is None:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps({"format": FORMAT, "versions": versions(), "lists": lists}))
    temporary.replace(path)  # a reader sees the old file or the new one, never half of one
    return True


def read(path: Path = PATH) -> Optional[Dict[str, Any]]:
    """The saved lists as Python values, if the file is valid and matches the installed packages."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        logger.warning("Not using %s (%s); skops builds its trusted types itself.", path, e)
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("versions") != versions():
        return None
    lists: Dict[str, Any] = {}
    for name, entry in (data.get("lists") or {}).items():
        if isinstance(entry, dict) and isinstance(entry.get("string"), str):
            lists[name] = entry["string"]
        elif isinstance(entry, dict) and _strings(entry.get("strings")):
            lists[name] = list(entry["strings"])
        elif isinstance(entry, dict) and _strings(entry.get("builtins")):
            kinds = [getattr(builtins, kind, None) for kind in entry["builtins"]]
            if not all(isinstance(kind, type) for kind in kinds):
                return None
            lists[name] = kinds
        else:
            logger.warning("Not using %s: %r is not a name or a list of type names.", path, name)
            return None
    return lists or None


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


class _CachedTrustedTypes(types.ModuleType):
    """skops.io._trusted_types, with its lists read from the file."""


def install(path: Path = PATH) -> bool:
    """Import skops.io with the saved lists if they are current. True if they are used.

    Call it before anything imports skops; when the lists are not current it
    imports nothing and skops builds them itself on its import.
    """
    if MODULE in sys.modules:
        return isinstance(sys.modules[MODULE], _CachedTrustedTypes)
    lists = read(path)
    if lists is None:
        return False
    module = _CachedTrustedTypes(MODULE, f"skops' trusted type lists, read from {path}")
    module.__dict__.update(lists)
    sys.modules[MODULE] = module
    package = importlib.import_module(MODULE.rpartition(".")[0])  # skops.io, with these lists
    setattr(package, MODULE.rpartition(".")[2], module)
    return True


if __name__ == "__main__":
    if write():
        print(f"==> skops' trusted types saved: {PATH}")
    else:
        sys.exit(f"error: {MODULE} holds more than lists of names; it was not cached")
