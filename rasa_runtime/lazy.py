"""Importing a module only when something in it is first used.

Rasa imports TensorFlow and matplotlib at start whatever the pipeline, through
a chain of module-level imports (docs/performance.md); this assistant's model
uses neither. The two tools here cut such a chain without changing what the
imported code does once it runs:

``import_with_deferred(importer, {module: [names] or None})`` imports
``importer`` while ``from module import name`` (or, for ``None``, ``import
module``) gets a stand-in. A stand-in imports the real module when it is first
called, read from or subclassed, and then puts the real object in its place in
the importer's namespace. It suits what a module imports at the top and uses
only inside functions.

It must run before anything else imports the modules concerned, and refuses
(``RuntimeError``) when it is too late rather than silently doing nothing.
(``importlib.util.LazyLoader`` does not do here: the ``import`` statement
itself reads the lazy module's ``__spec__``, which runs its code.)
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
import types
from typing import Any, Iterable, List, Mapping, MutableMapping, Optional, Tuple


class DeferredName:
    """Stands for ``module.name`` until it is used; then imports it and steps aside."""

    def __init__(self, module: str, name: str) -> None:
        self._module = module
        self._name = name
        self._namespace: Optional[MutableMapping[str, Any]] = None

    def resolve(self) -> Any:
        real = getattr(_import_real(self._module), self._name)
        _step_aside(self, real, self._namespace)
        return real

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__") and attribute.endswith("__"):
            raise AttributeError(attribute)  # no import for copy, pickle or typing probes
        return getattr(self.resolve(), attribute)

    def __mro_entries__(self, bases: Tuple[Any, ...]) -> Tuple[Any, ...]:
        return (self.resolve(),)  # ``class C(stand_in)`` subclasses the real class

    def __repr__(self) -> str:
        return f"<deferred {self._module}.{self._name}>"


class DeferredModule(types.ModuleType):
    """Stands for a whole module (``import a.b as c``) until one of its attributes is read."""

    def __init__(self, name: str) -> None:
        super().__init__(name, f"stand-in for {name} until it is used")
        self._namespace: Optional[MutableMapping[str, Any]] = None

    def __getattr__(self, attribute: str) -> Any:  # only for what the stand-in lacks
        if attribute.startswith("__") and attribute.endswith("__"):
            raise AttributeError(attribute)
        real = _import_real(self.__name__)
        _step_aside(self, real, self._namespace)
        return getattr(real, attribute)


def _import_real(module: str) -> types.ModuleType:
    if isinstance(sys.modules.get(module), DeferredModule) or _is_name_stand_in(sys.modules.get(module)):
        raise ImportError(f"{module} was used while its importer was still being imported")
    return importlib.import_module(module)


def _is_name_stand_in(module: Any) -> bool:
    return isinstance(module, types.ModuleType) and getattr(module, "__doc__", "") == _NAMES_STAND_IN


def _step_aside(stand_in: Any, real: Any, namespace: Optional[MutableMapping[str, Any]]) -> None:
    """Put the real object wherever the importer holds the stand-in."""
    if namespace is None:
        return
    for key in [key for key, value in namespace.items() if value is stand_in]:
        namespace[key] = real


_NAMES_STAND_IN = "stand-in for some names of this module until they are used"


def import_with_deferred(importer: str, deferred: Mapping[str, Optional[Iterable[str]]]) -> types.ModuleType:
    """Import ``importer`` with stand-ins for the ``deferred`` modules or names of modules."""
    clash = [name for name in (importer, *deferred) if name in sys.modules]
    if clash:
        raise RuntimeError(f"already imported, too late to defer: {', '.join(clash)}")
    stand_ins: List[Any] = []
    for module_name, names in deferred.items():
        if names is None:
            module_stand_in = DeferredModule(module_name)
            stand_ins.append(module_stand_in)
            sys.modules[module_name] = module_stand_in
            continue
        names_stand_in = types.ModuleType(module_name, _NAMES_STAND_IN)
        for name in names:
            stand_in = DeferredName(module_name, name)
            stand_ins.append(stand_in)
            setattr(names_stand_in, name, stand_in)
        sys.modules[module_name] = names_stand_in
    try:
        module = importlib.import_module(importer)
    finally:
        for module_name in deferred:  # whoever imports these later gets the real modules
            sys.modules.pop(module_name, None)
    for stand_in in stand_ins:
        stand_in._namespace = module.__dict__
    return module


class _Hidden(importlib.abc.MetaPathFinder):
    """Answers "no such module" for some top-level packages."""

    def __init__(self, packages: Iterable[str]) -> None:
        self.packages = set(packages)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name.partition(".")[0] in self.packages:
            raise ModuleNotFoundError(f"{name} is hidden from this import", name=name)
        return None


def import_without(importer: str, hidden: Iterable[str]) -> types.ModuleType:
    """Import ``importer`` as if the ``hidden`` packages were not installed.

    For a library that imports an optional package at the top only to offer
    something with it (thinc and TensorFlow). The packages stay importable by
    everyone else afterwards.
    """
    hidden = list(hidden)
    clash = [name for name in (importer, *hidden) if name in sys.modules]
    if clash:
        raise RuntimeError(f"already imported, too late to hide: {', '.join(clash)}")
    finder = _Hidden(hidden)
    sys.meta_path.insert(0, finder)
    try:
        return importlib.import_module(importer)
    finally:
        sys.meta_path.remove(finder)


# --- what the Rasa server defers ---------------------------------------------------------

# What rasa.utils.train_utils imports from Rasa's TensorFlow modules; it uses them
# only inside functions that train or build a TensorFlow model.
TENSORFLOW_NAMES_IN_TRAIN_UTILS = {
    "rasa.utils.tensorflow.callback": ["RasaTrainingLogger", "RasaModelCheckpoint"],
    "rasa.utils.tensorflow.data_generator": ["RasaBatchDataGenerator"],
}


def defer_unused_imports() -> None:
    """TensorFlow and matplotlib are imported when first used, not at the server's start.

    Rasa imports TensorFlow at start through three chains whatever the
    pipeline: its featurizers' helper module (``rasa.utils.train_utils``, for
    two training callbacks and a batch generator), the model's *training*
    graph (``rasa_runtime/train_schema.py``), and spaCy's thinc, which imports
    TensorFlow when it is installed. Its server imports matplotlib through its
    test module. Together about 4 s of every start here. A pipeline that does
    use TensorFlow still gets it: its components import it as they always did.
    """
    import_with_deferred("rasa.utils.train_utils", TENSORFLOW_NAMES_IN_TRAIN_UTILS)
    # spaCy's thinc imports TensorFlow when installed, for models wrapped from it (ours has none)
    import_without("thinc.compat", ["tensorflow"])
    # Rasa's server imports its test code (for /model/test), which imports its plots
    import_with_deferred("rasa.nlu.test", {"rasa.utils.plotting": None})
