"""rasa_runtime/lazy.py: a module imported when first used, and the same behaviour once it is."""

from __future__ import annotations

import sys
import textwrap

import pytest

from rasa_runtime.lazy import import_with_deferred, import_without


@pytest.fixture
def modules(tmp_path, monkeypatch):
    """Write throw-away modules; each test's are gone from sys.modules afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    written = []

    def write(name: str, source: str) -> None:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
        written.append(name)

    yield write
    for name in written:
        sys.modules.pop(name, None)


def test_a_deferred_name_is_imported_on_first_use_and_then_is_the_real_object(modules):
    modules("heavy_a", "LOADED = True\nclass Trainer:\n    def __init__(self, n):\n        self.n = n\n")
    modules(
        "user_a",
        """
        from heavy_a import Trainer

        def train(n):
            return Trainer(n)
        """,
    )
    user = import_with_deferred("user_a", {"heavy_a": ["Trainer"]})
    assert "heavy_a" not in sys.modules

    trainer = user.train(3)
    assert "heavy_a" in sys.modules
    assert trainer.n == 3 and type(trainer) is sys.modules["heavy_a"].Trainer
    assert user.Trainer is sys.modules["heavy_a"].Trainer  # the stand-in stepped aside


def test_a_deferred_class_can_still_be_subclassed(modules):
    modules("heavy_b", "class Base:\n    kind = 'base'\n")
    modules("user_b", "from heavy_b import Base\n")
    user = import_with_deferred("user_b", {"heavy_b": ["Base"]})

    class Child(user.Base):
        pass

    assert Child.kind == "base" and issubclass(Child, sys.modules["heavy_b"].Base)


def test_a_deferred_module_is_imported_on_first_attribute(modules):
    modules("heavy_c", "def plot():\n    return 'plotted'\n")
    modules("user_c", "import heavy_c as plots\n\ndef report():\n    return plots.plot()\n")
    user = import_with_deferred("user_c", {"heavy_c": None})
    assert "heavy_c" not in sys.modules

    assert user.report() == "plotted"
    assert user.plots is sys.modules["heavy_c"]


def test_a_missing_name_fails_when_used_as_the_real_import_would(modules):
    modules("heavy_d", "X = 1\n")
    modules("user_d", "from heavy_d import Missing\n\ndef use():\n    return Missing()\n")
    user = import_with_deferred("user_d", {"heavy_d": ["Missing"]})
    with pytest.raises(AttributeError, match="Missing"):
        user.use()


def test_deferring_what_is_already_imported_is_refused(modules):
    modules("heavy_e", "X = 1\n")
    modules("user_e", "from heavy_e import X\n")
    import heavy_e  # noqa: F401

    with pytest.raises(RuntimeError, match="too late to defer: heavy_e"):
        import_with_deferred("user_e", {"heavy_e": ["X"]})


def test_a_hidden_package_looks_absent_to_that_import_only(modules):
    modules("optional_f", "\n")
    modules(
        "user_f",
        """
        try:
            import optional_f
            HAS_OPTIONAL = True
        except ImportError:
            HAS_OPTIONAL = False
        """,
    )
    user = import_without("user_f", ["optional_f"])
    assert user.HAS_OPTIONAL is False
    import optional_f  # everyone else still gets it

    assert optional_f is sys.modules["optional_f"]
