"""``dynviz serve``'s page (``dynviz/serve.py``) needs nothing from the internet (an
offline classroom): textual-serve's external font stylesheet is replaced by the fonts
it ships. (Named apart from tests/tui/test_serve.py: tests/ has no packages.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from dynviz.serve import ServeError, external_references, offline_page, offline_templates

pytest.importorskip("textual_serve", reason="textual-serve is not installed")


def test_textual_serves_own_page_needs_the_internet_and_ours_does_not(tmp_path: Path) -> None:
    from dynviz.serve import textual_serve_dir

    original = (textual_serve_dir() / "templates" / "app_index.html").read_text()
    assert external_references(original)  # what this module exists for: if this fails, drop the rewrite
    page = (offline_templates(tmp_path) / "app_index.html").read_text()
    assert external_references(page) == []
    assert '@font-face { font-family: "Roboto Mono"' in page
    fonts = textual_serve_dir() / "static" / "fonts"
    for name in ("RobotoMono-VariableFont_wght.ttf", "RobotoMono-Italic-VariableFont_wght.ttf"):
        assert f"{{{{ config.static.url }}}}fonts/{name}" in page and (fonts / name).is_file()
    assert page.count("</head>") == 1 and 'id="terminal"' in page  # the rest of the page is textual-serve's


@pytest.mark.parametrize("html", [
    '<script src="https://cdn.example.org/x.js"></script>',
    "<img src='//cdn.example.org/x.png'>",
    '<style>@import "https://example.org/a.css";</style>',
    "<style>body { background: url(https://example.org/bg.png) }</style>",
])
def test_any_other_external_reference_is_refused(html: str, tmp_path: Path) -> None:
    assert external_references(html)
    with pytest.raises(ServeError, match="from the internet"):
        offline_page(f"<html><head></head><body>{html}</body></html>", tmp_path)


def test_local_references_and_names_are_not_external() -> None:
    page = ('<link href="{{ config.static.url }}css/x.css"><svg xmlns="http://www.w3.org/2000/svg"></svg>'
            '<a href="/static/x">x</a>')
    assert external_references(page) == []
