"""``dynviz serve``: the app in a web page that needs nothing from the internet.

textual-serve's page template loads its font with a stylesheet from a web font service
(``<link href="https://fonts.googleapis.com/...">``), so in an offline classroom the
page waits on a request that never answers and the terminal falls back to whatever
monospace font the browser has. textual-serve already ships that font (Roboto Mono, in
its ``static/fonts``) and lets a server use its own templates (``templates_path``), so
dynviz serves textual-serve's own page with the external stylesheet replaced by
``@font-face`` rules pointing at the shipped files. The page is rewritten at start-up
rather than copied into dynviz, so it keeps in step with the installed textual-serve;
if a later textual-serve adds another external reference, :func:`offline_page` refuses
to serve it rather than serve something that silently needs the internet.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

FONT_FAMILY = "Roboto Mono"
_EXTERNAL_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']https?://[^>]*>\s*", re.IGNORECASE)
_URL = re.compile(r"""(?:\b(?:href|src|action)\s*=\s*["']?|url\(\s*["']?|@import\s+(?:url\(\s*)?["']?)"""
                  r"""\s*((?:https?:)?//[^"'\s)>]+)""", re.IGNORECASE)


class ServeError(ValueError):
    """textual-serve is missing or its page cannot be made to work offline."""


def textual_serve_dir() -> Path:
    try:
        import textual_serve
    except ImportError:
        raise ServeError("'dynviz serve' needs textual-serve: pip install textual-serve") from None
    return Path(textual_serve.__file__).resolve().parent


def external_references(html: str) -> list[str]:
    """Where ``html`` makes the browser fetch from another host: absolute ``http(s)://``
    or protocol-relative ``//`` URLs in ``href``/``src``/``action`` attributes, CSS
    ``url()`` and ``@import``. (An SVG's ``xmlns`` is a name, never fetched.) Template
    placeholders (``{{ config.static.url }}``) resolve to the server's own URL."""
    return [m.group(1) for m in _URL.finditer(html)]


def _font_faces(fonts: Path) -> str:
    """``@font-face`` rules for the Roboto Mono files textual-serve ships, if it does."""
    rules = []
    for name, style in (("RobotoMono-VariableFont_wght.ttf", "normal"),
                        ("RobotoMono-Italic-VariableFont_wght.ttf", "italic")):
        if (fonts / name).is_file():
            rules.append(f'      @font-face {{ font-family: "{FONT_FAMILY}"; font-style: {style}; '
                         f'font-weight: 100 700; font-display: block; '
                         f'src: url("{{{{ config.static.url }}}}fonts/{name}") format("truetype"); }}')
    if not rules:
        return ""  # no shipped font: the page's font stacks fall back to local monospace fonts
    return "<style>\n" + "\n".join(rules) + "\n    </style>\n    "


def offline_page(template: str, fonts: Path) -> str:
    """textual-serve's page template with its external stylesheet links replaced by
    ``@font-face`` rules for the fonts in ``fonts``. Raises :class:`ServeError` when the
    result would still fetch anything from another host."""
    page, replaced = _EXTERNAL_LINK.subn("", template)
    if replaced:
        page = page.replace("</head>", "  " + _font_faces(fonts) + "</head>", 1) if "</head>" in page else page
    left = external_references(page)
    if left:
        raise ServeError(f"textual-serve's page still loads {', '.join(left)} from the internet; "
                         f"dynviz cannot serve it offline (is this textual-serve version supported?)")
    return page


def offline_templates(directory: Path) -> Path:
    """Write the offline page into ``directory`` (as ``app_index.html``, the name the
    server renders) and return it, for textual-serve's ``templates_path``."""
    base = textual_serve_dir()
    source = base / "templates" / "app_index.html"
    try:
        template = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ServeError(f"cannot read textual-serve's page template {source}: {exc.strerror}") from None
    (directory / "app_index.html").write_text(offline_page(template, base / "static" / "fonts"), encoding="utf-8")
    return directory


def serve(command: str, host: str, port: int, title: str, public_url: str) -> None:
    """Run textual-serve for ``command`` with the offline page until interrupted."""
    base = textual_serve_dir()
    from textual_serve.server import Server

    with tempfile.TemporaryDirectory(prefix="dynviz-serve-") as tmp:
        server = Server(command, host=host, port=port, title=title, public_url=public_url,
                        statics_path=base / "static", templates_path=offline_templates(Path(tmp)))
        server.serve()
