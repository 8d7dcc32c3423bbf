"""The macro library: the seed's wording kept verbatim, and clear errors for bad edits."""

from __future__ import annotations

import os
import re
import shutil
import textwrap

import pytest

from tests.helpers.paths import ROOT, SEED
from toolkit.library import LibraryCache, LibraryError, load_library

LIBRARY = ROOT / "toolkit" / "client_toolkit.yml"
HELP_ARTICLE = "https://support.upwork.com/hc/en-us/articles/211062218"


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def write(tmp_path, body: str):
    path = tmp_path / "library.yml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


VALID = """\
    version: 1
    links:
      pause:
        title: Put an hourly contract on hold
        url: https://example.com/pause
    kb:
      best:
        title: Best practices
        section: Best practices
    resources:
      script_a:
        title: A
        text: Pause it. Please click here.
        link: pause
        link_text: click here
      script_b:
        title: B
        text: No link in this one.
    macros:
      toolkit:
        title: Toolkit
        include: [script_a]
        kb: best
      other:
        title: Another macro that reuses the toolkit
        include: [script_b, toolkit]
    """


def test_the_shipped_library_is_valid_and_has_the_client_toolkit():
    library = load_library(LIBRARY)
    macro = library.macro("cs_client_toolkit")
    assert macro.title == "CS > Client Toolkit"
    assert [r.id for r in macro.resources] == ["pause_script_specific_concern", "pause_script_what_if"]
    assert macro.kb is not None
    assert macro.kb.title == "Client Contract Issues Best Practices"
    assert macro.kb.section == "Client Contract Issues Best Practices"
    assert library.links["pause_hourly_contract"].url == HELP_ARTICLE


@pytest.mark.parametrize("resource_id", ["pause_script_specific_concern", "pause_script_what_if"])
def test_scripts_are_verbatim_from_the_seed(resource_id):
    if not SEED.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"the seed page {SEED} is missing beside the checkout")
        pytest.skip(f"the seed page {SEED} is not beside this checkout")
    seed = _normalise(SEED.read_text(encoding="utf-8"))
    script = load_library(LIBRARY).resource(resource_id).text
    assert _normalise(script) in seed


def test_scripts_render_click_here_as_the_help_link():
    library = load_library(LIBRARY)
    for resource_id in ("pause_script_specific_concern", "pause_script_what_if"):
        rendered = library.resource(resource_id).render_markdown()
        assert rendered.count(f"[click here]({HELP_ARTICLE})") == 1
        assert rendered.replace(f"[click here]({HELP_ARTICLE})", "click here") == library.resource(resource_id).text


def test_a_resource_can_be_included_into_other_macros(tmp_path):
    library = load_library(write(tmp_path, VALID))
    assert [r.id for r in library.macro("other").resources] == ["script_b", "script_a"]
    assert library.macro_of("script_a").id == "toolkit"


@pytest.mark.parametrize(
    "change, line, message",
    [
        (("    text: No link in this one.\n", ""), 16, "resources.script_b: missing field 'text'"),
        (
            ("include: [script_b, toolkit]", "include: [script_b, nowhere]"),
            26,
            "macros.other: unknown include 'nowhere'",
        ),
        (
            ("url: https://example.com/pause", "url: javascript:alert(1)"),
            5,
            "links.pause: url 'javascript:alert(1)' is not an http(s) link",
        ),
        (
            ("url: https://example.com/pause", "url: ftp://example.com/x"),
            5,
            "links.pause: url 'ftp://example.com/x' is not an http(s) link",
        ),
        (("    link: pause\n", "    link: nope\n"), 14, "resources.script_a: unknown link 'nope'"),
        (
            ("link_text: click here", "link_text: tap here"),
            15,
            "resources.script_a: link_text 'tap here' does not occur in the text",
        ),
        (("    kb: best\n", "    kb: worst\n"), 23, "macros.toolkit: unknown kb reference 'worst'"),
        (
            ("include: [script_a]", "include: [script_a, other]"),
            26,
            "macros.other: include cycle toolkit → other → toolkit",
        ),
        (("    title: B\n", "    title: B\n    colour: blue\n"), 18, "resources.script_b: unknown field 'colour'"),
    ],
)
def test_invalid_entries_name_file_line_entry_and_problem(tmp_path, change, line, message):
    old, new = change
    body = textwrap.dedent(VALID)
    assert old in body
    path = write(tmp_path, body.replace(old, new))
    with pytest.raises(LibraryError) as error:
        load_library(path)
    assert any(p.startswith(f"{path}:{line}: {message}") for p in error.value.problems), error.value.problems


def test_every_problem_is_reported_at_once(tmp_path):
    body = textwrap.dedent(VALID).replace("https://example.com/pause", "mailto:x@example.com")
    body = body.replace("include: [script_b, toolkit]", "include: [ghost]")
    with pytest.raises(LibraryError) as error:
        load_library(write(tmp_path, body))
    assert len(error.value.problems) == 2
    assert str(tmp_path / "library.yml") in str(error.value)


def test_broken_yaml_and_duplicate_keys_name_the_line(tmp_path):
    path = write(tmp_path, "version: 1\nlinks:\n  a: [unclosed\n")
    with pytest.raises(LibraryError, match=rf"{re.escape(str(path))}:\d+: not valid YAML"):
        load_library(path)
    path = write(tmp_path, textwrap.dedent(VALID) + "links:\n  again: {}\n")
    with pytest.raises(LibraryError, match=r"found the key 'links' twice"):
        load_library(path)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(LibraryError, match="cannot read"):
        load_library(tmp_path / "nope.yml")


def test_an_edit_takes_effect_and_a_bad_edit_keeps_the_last_good_library(tmp_path):
    path = tmp_path / "library.yml"
    shutil.copy(LIBRARY, path)
    cache = LibraryCache(path)
    assert cache.get().links["pause_hourly_contract"].url == HELP_ARTICLE

    new_url = "https://support.example.com/pause-a-contract"
    path.write_text(LIBRARY.read_text(encoding="utf-8").replace(HELP_ARTICLE, new_url), encoding="utf-8")
    os.utime(path, ns=(1, 1))  # a different stamp even within the same clock tick
    assert cache.get().links["pause_hourly_contract"].url == new_url
    assert cache.last_error is None

    path.write_text(LIBRARY.read_text(encoding="utf-8").replace(HELP_ARTICLE, "javascript:alert(1)"), encoding="utf-8")
    os.utime(path, ns=(2, 2))
    assert cache.get().links["pause_hourly_contract"].url == new_url
    assert cache.last_error is not None and "is not an http(s) link" in str(cache.last_error)


def test_with_no_good_version_yet_a_bad_library_raises(tmp_path):
    path = write(tmp_path, "version: 1\nresources:\n  x: {title: X}\n")
    with pytest.raises(LibraryError, match="missing field 'text'"):
        LibraryCache(path).get()
