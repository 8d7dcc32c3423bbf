"""web/static/safe-links.js, the one renderer of message text with safe links, in real Chromium.

The widget and the agent page both render through it, so its rules are tested here
once, against the real file: a tiny static server on the loopback serves a test page
that loads it under a strict CSP which also enforces Trusted Types, so any use of
innerHTML (or any other HTML sink) would throw. No assistant is started.
"""

from __future__ import annotations

import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.helpers.paths import ROOT

SAFE_LINKS = ROOT / "web" / "static" / "safe-links.js"
# widget.js and its parts (widget-*.js), which it loads from beside itself when a page has not
WIDGET_FILES = sorted((ROOT / "widget").glob("widget*.js"))
ATTRS = {"target": "_blank", "rel": "noopener noreferrer"}
# Trusted Types make every HTML sink (innerHTML, outerHTML, insertAdjacentHTML, ...) throw.
STRICT_CSP = (
    "default-src 'none'; script-src 'self'; base-uri 'none'; require-trusted-types-for 'script'; trusted-types 'none'"
)
# widget.js sets a script's src when it loads safe-links.js itself, which Trusted Types would refuse.
EMBED_CSP = "default-src 'none'; script-src 'self'; base-uri 'none'"

PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head><body>{body}</body></html>'

SAFE = [
    ("https://example.com/help/pause", "https://example.com/help/pause"),
    ("http://example.com/a?b=1&c=2#d", "http://example.com/a?b=1&c=2#d"),
    ("mailto:help@example.com", "mailto:help@example.com"),
    ("mailto:help@example.com?subject=Pause", "mailto:help@example.com?subject=Pause"),
    ("HTTPS://Example.com/Case", "https://example.com/Case"),
    ("https://en.wikipedia.org/wiki/Hold_(law)", "https://en.wikipedia.org/wiki/Hold_(law)"),
]
UNSAFE = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "JavaScript:alert(document.domain)",
    "javascript://example.com/%0Aalert(1)",
    "\x01javascript:alert(1)",
    "jav&#x61;script:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "VBScript:msgbox(1)",
    "blob:https://example.com/0e5f",
    "file:///etc/passwd",
    "ftp://example.com/file",
    "tel:+15550100",
    "/relative/path",
    "relative/page.html",
    "./here",
    "#fragment",
    "?q=1",
    "mailto",
    "//evil.example/x",
    "\\\\evil.example/x",
    "http:evil.example",
    "https:/evil.example",
    "http://",
    "https://[::1",
]

# Renders `text` into the page's #out with ToolkitText and describes what it made.
RENDER = """([text, options]) => {
  const out = document.getElementById("out");
  out.replaceChildren();
  window.ToolkitText.render(out, text, options || undefined);
  const describe = (node) => {
    if (node.nodeType === Node.TEXT_NODE) return {text: node.data};
    const attrs = {};
    for (const a of node.attributes) attrs[a.name] = a.value;
    return {tag: node.tagName.toLowerCase(), attrs, children: Array.from(node.childNodes).map(describe)};
  };
  return Array.from(out.childNodes).map(describe);
}"""


class _Handler(SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header("Content-Security-Policy", EMBED_CSP if self.path.startswith("/embed") else STRICT_CSP)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format, *args):  # quiet
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A static server on a free loopback port: the test pages and copies of the real scripts."""
    root = tmp_path_factory.mktemp("site")
    shutil.copy(SAFE_LINKS, root / "safe-links.js")
    (root / "rules.html").write_text(
        PAGE.format(title="rules", body='<div id="out"></div><script src="safe-links.js"></script>'), encoding="utf-8"
    )
    # the widget embedded in another page, as in the README: with and without safe-links.js beside it
    for name, beside in (("embed", True), ("embed-missing", False)):
        folder = root / "static" / name
        folder.mkdir(parents=True)
        for script in WIDGET_FILES:
            shutil.copy(script, folder / script.name)
        if beside:
            shutil.copy(SAFE_LINKS, folder / "safe-links.js")
        body = f'<div id="toolkit-chat"></div><script src="/static/{name}/widget.js"></script>'
        (root / f"{name}.html").write_text(PAGE.format(title=name, body=body), encoding="utf-8")
    (root / "embed-loaded.html").write_text(
        PAGE.format(
            title="embed-loaded",
            body='<div id="toolkit-chat"></div><script src="/static/embed/safe-links.js"></script>'
            '<script src="/static/embed/widget.js"></script>',
        ),
        encoding="utf-8",
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def open_page(browser, url):
    context = browser.new_context()
    page = context.new_page()
    page.dialogs, page.errors, page.console_errors = [], [], []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.goto(url)
    return page


@pytest.fixture
def page(browser, site):
    page = open_page(browser, f"{site}/rules.html")
    page.wait_for_function("() => !!window.ToolkitText")
    yield page
    errors, dialogs = page.errors + page.console_errors, page.dialogs
    page.context.close()
    assert errors == [] and dialogs == []  # no exception, no CSP or Trusted Types violation, nothing ran


def render(page, text, **options):
    return page.evaluate(RENDER, [text, options])


def elements(nodes):
    """Every element in the rendered tree, depth first."""
    found = []
    for node in nodes:
        if "tag" in node:
            found.append(node)
            found.extend(elements(node["children"]))
    return found


def text_of(node):
    if "text" in node:
        return node["text"]
    return "".join(text_of(child) for child in node["children"])


@pytest.mark.parametrize("target, href", SAFE, ids=[t for t, _ in SAFE])
def test_http_https_and_mailto_targets_become_links_opening_apart(page, target, href):
    nodes = render(page, f"See [the guide]({target}) now.")
    assert [n["tag"] for n in elements(nodes)] == ["p", "a"]
    (paragraph,) = nodes
    assert text_of(paragraph) == "See the guide now."
    (link,) = elements(nodes)[1:]
    assert link["attrs"] == {"href": href, **ATTRS}
    assert text_of(link) == "the guide"


@pytest.mark.parametrize("target", UNSAFE, ids=[ascii(t) for t in UNSAFE])
def test_any_other_target_stays_text_showing_only_the_label(page, target):
    nodes = render(page, f"See [the guide]({target}) now.")
    assert [n["tag"] for n in elements(nodes)] == ["p"]  # no <a>, nothing else
    assert text_of(nodes[0]) == "See the guide now."


def test_several_links_in_one_message_each_follow_the_rule(page):
    nodes = render(page, "Try [this](javascript:alert(3)) or [that](https://example.com/ok) or [mail](mailto:a@b.c).")
    links = [n for n in elements(nodes) if n["tag"] == "a"]
    assert [(text_of(a), a["attrs"]["href"]) for a in links] == [
        ("that", "https://example.com/ok"),
        ("mail", "mailto:a@b.c"),
    ]
    assert text_of(nodes[0]) == "Try this or that or mail."


ATTACK = '<img src=x onerror=alert(1)> <script>alert(2)</script> <b onclick="alert(3)">bold</b>'


@pytest.mark.parametrize("options", [{}, {"links": False}, {"paragraphs": False}], ids=["links", "plain", "inline"])
def test_html_in_the_text_is_shown_as_text_and_creates_no_element(page, options):
    nodes = render(page, f"{ATTACK} [<i>label</i>](javascript:alert(4)) [<u>ok</u>](https://example.com/)", **options)
    label = "[<u>ok</u>](https://example.com/)" if options.get("links") is False else "<u>ok</u>"
    unsafe = "[<i>label</i>](javascript:alert(4))" if options.get("links") is False else "<i>label</i>"
    shown = "".join(text_of(n) for n in nodes)
    assert shown == f"{ATTACK} {unsafe} {label}"
    tags = [n["tag"] for n in elements(nodes)]
    expected = ([] if options.get("paragraphs") is False else ["p"]) + ([] if options.get("links") is False else ["a"])
    assert tags == expected
    page.wait_for_timeout(200)  # an image error handler would have run by now
    assert page.locator("#out img, #out script, #out b, #out i, #out u").count() == 0


def test_paragraphs_split_on_blank_lines_and_single_line_breaks_stay(page):
    nodes = render(page, "One.\n\nTwo, [a link](https://example.com/two).\n\n\nThree,\nstill three.")
    assert [n["tag"] for n in nodes] == ["p", "p", "p"]
    assert [text_of(n) for n in nodes] == ["One.", "Two, a link.", "Three,\nstill three."]  # the pages' CSS: pre-wrap
    assert [n["tag"] for n in elements(nodes[1:2])] == ["p", "a"]


def test_without_paragraphs_the_text_goes_straight_into_the_parent(page):
    nodes = render(page, "One.\n\nTwo, [a link](mailto:help@example.com).", paragraphs=False)
    assert [n["tag"] for n in elements(nodes)] == ["a"]
    assert "".join(text_of(n) for n in nodes) == "One.\n\nTwo, a link."


def test_plain_mode_makes_no_links(page):
    nodes = render(page, "Is [this](https://example.com/) a link?\n\nNo.", links=False)
    assert [n["tag"] for n in elements(nodes)] == ["p", "p"]
    assert [text_of(n) for n in nodes] == ["Is [this](https://example.com/) a link?", "No."]


def test_it_appends_to_what_the_parent_holds(page):
    kept = page.evaluate(
        """() => {
          const out = document.getElementById("out");
          out.replaceChildren(document.createElement("span"));
          ToolkitText.render(out, "a\\n\\nb");
          return Array.from(out.children).map((e) => e.tagName);
        }"""
    )
    assert kept == ["SPAN", "P", "P"]


def test_the_browser_makes_links_only_of_what_the_server_lets_through(page):
    from web.links import safe_text  # here, so only this test needs the server's code

    for target in [t for t, _ in SAFE] + UNSAFE:
        text = f"[x]({target})"
        linked = any(n["tag"] == "a" for n in elements(render(page, text)))
        assert not linked or safe_text(text) == text, target  # never a link the server would strip
        if target in dict(SAFE):
            assert linked and safe_text(text) == text, target


def widget_message(page, text):
    page.wait_for_function("() => !!window.ToolkitChat")
    page.evaluate("text => ToolkitChat.showMessage({text})", text)
    return page.locator(".tk-msg-bot").last


def test_an_embedded_widget_loads_safe_links_from_beside_itself(browser, site):
    page = open_page(browser, f"{site}/embed.html")
    message = widget_message(page, "Read [the guide](https://example.com/g) or [not](javascript:alert(1)).")
    assert [a.get_attribute("href") for a in message.locator("a").all()] == ["https://example.com/g"]
    assert message.locator("a").get_attribute("rel") == "noopener noreferrer"
    assert sorted(page.evaluate("[...document.scripts].map((s) => s.src)")) == sorted(
        [f"{site}/static/embed/safe-links.js"] + [f"{site}/static/embed/{script.name}" for script in WIDGET_FILES]
    )
    assert page.errors == [] and page.dialogs == []
    page.context.close()


def test_an_embedded_widget_uses_safe_links_the_page_already_loaded(browser, site):
    page = open_page(browser, f"{site}/embed-loaded.html")
    message = widget_message(page, "Mail [us](mailto:help@example.com).")
    assert message.locator("a").get_attribute("href") == "mailto:help@example.com"
    assert page.evaluate("document.querySelectorAll('script[src$=\"safe-links.js\"]').length") == 1
    page.context.close()


def test_without_safe_links_an_embedded_widget_still_works_with_text_only(browser, site):
    page = open_page(browser, f"{site}/embed-missing.html")
    message = widget_message(page, "Read [the guide](https://example.com/g) <b>now</b>.")
    assert message.locator("a, b").count() == 0
    assert "Read [the guide](https://example.com/g) <b>now</b>." in message.inner_text()
    assert page.errors == [] and page.dialogs == []
    page.context.close()
