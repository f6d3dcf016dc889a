"""``dynviz serve`` in a real browser: headless Chromium (Debian's ``chromium``) loads
the page, textual-serve starts the app behind a websocket, and the screenshot shows
the app (its status bar, the ring's colours), not the splash screen.

``chromium --headless --screenshot`` shoots at the page's load event, before the app
has started and drawn (xterm.js draws into a canvas, after the websocket's first
bytes), so this test drives Chromium over the DevTools protocol instead: navigate,
wait for textual-serve's ``-first-byte`` marker, then take screenshots until the app's
colours are on screen. Chromium resolves no host but 127.0.0.1, as in an offline
classroom: the page must get everything, its font included, from dynviz serve. Skipped,
with the reason, when chromium or textual-serve is not installed. Every process it
starts is ended (by process group) and time-bounded.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request
import zlib
from collections import Counter
from pathlib import Path

import pytest

from dynviz.tui.progress import Progress

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
STATUS_BLUE = (0, 83, 170)  # the status bar ($primary-darken-2 of the default theme)
SPLASH = (12, 24, 31)  # textual-serve's page background, before the app draws

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen) -> None:
    """End a process started in its own session, with everything it started."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes) to RGB pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    height = channels = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and color in (2, 6), (depth, color, interlace)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytearray] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    pixels = [tuple(row[x * channels:x * channels + 3]) for row in rows for x in range(width)]
    return width, height, pixels  # type: ignore[return-value]


async def browse(url: str, profile: Path, out: Path, deadline: float) -> tuple[bool, Counter, bool]:
    """Open ``url`` in headless Chromium over the DevTools protocol, offline (no host
    but 127.0.0.1 resolves); write the final screenshot to ``out``. Returns (the app's
    terminal appeared, colour counts, the page's Roboto Mono font face loaded)."""
    import aiohttp

    chrome = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         "--window-size=1400,900", "--remote-debugging-port=0",
         "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        port_file = profile / "DevToolsActivePort"
        while not (port_file.exists() and port_file.read_text().strip()):
            assert time.monotonic() < deadline, "chromium did not start its DevTools endpoint"
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        async with aiohttp.ClientSession() as http:
            targets = await (await http.get(f"http://127.0.0.1:{port}/json")).json()
            page = next(t for t in targets if t["type"] == "page")
            async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                ids = iter(range(1, 1 << 30))

                async def call(method: str, **params: object) -> dict:
                    n = next(ids)
                    await ws.send_json({"id": n, "method": method, "params": params})
                    async for msg in ws:
                        reply = json.loads(msg.data)
                        if reply.get("id") == n:
                            return reply.get("result", {})
                    raise AssertionError("the DevTools connection closed")

                async def evaluate(expression: str) -> object:
                    reply = await call("Runtime.evaluate", expression=expression, returnByValue=True)
                    return reply.get("result", {}).get("value")

                await call("Page.navigate", url=url)
                started = False
                while time.monotonic() < deadline:
                    if await evaluate("!!document.body && document.body.classList.contains('-first-byte')"):
                        started = True
                        break
                    await asyncio.sleep(0.25)
                assert await evaluate("!!document.querySelector('#terminal')"), "no terminal container"
                colours: Counter = Counter()
                font = ("[...document.fonts].some(f => f.family.replace(/[\"']/g, '') === 'Roboto Mono'"
                        " && f.status === 'loaded')")
                while True:  # the app draws a moment after its first bytes
                    shot = base64.b64decode((await call("Page.captureScreenshot", format="png"))["data"])
                    out.write_bytes(shot)
                    _, _, pixels = png_pixels(shot)
                    colours = Counter(pixels)
                    loaded = bool(await evaluate(font))
                    if (colours[STATUS_BLUE] > 5000 and loaded) or time.monotonic() > deadline:
                        return started, colours, loaded
                    await asyncio.sleep(0.5)
    finally:
        stop(chrome)


def test_serve_shows_the_app_in_headless_chromium(tmp_path: Path) -> None:
    pytest.importorskip("textual_serve", reason="textual-serve is not installed")
    pytest.importorskip("aiohttp", reason="aiohttp (a textual-serve dependency) is not installed")
    port = free_port()
    # The served app's recordings land in TMPDIR; its lesson progress in DYNVIZ_DATA_DIR,
    # saying the welcome was turned off, so the page opens on the main screen (the
    # welcome has tests of its own).
    data = tmp_path / "data"
    progress = Progress.load(data)
    progress.set_show_welcome(False)
    assert progress.save(), progress.problem
    env = {**os.environ, "TMPDIR": str(tmp_path), "DYNVIZ_DATA_DIR": str(data)}
    server = subprocess.Popen([sys.executable, "-m", "dynviz", "serve", "--host", "127.0.0.1",
                               "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    page = response.read().decode()
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
                assert time.monotonic() < deadline, "dynviz serve did not answer"
                time.sleep(0.05)  # a poll interval: the loop waits on the server, with a deadline
        assert "textual-terminal" in page and "dynviz" in page
        fetched = re.findall(r"""(?:href|src)\s*=\s*["']([^"']+)|url\(\s*["']?([^"')]+)""", page)
        urls = [a or b for a, b in fetched]
        assert urls and all(u.startswith(url) for u in urls), f"the page fetches from elsewhere: {urls}"
        assert "fonts.googleapis" not in page
        png = tmp_path / "serve.png"
        started, colours, font = asyncio.run(browse(url, tmp_path / "profile", png, time.monotonic() + 45))
        assert started, "the app never sent its first bytes to the page"
        assert font, "the page's Roboto Mono did not load from dynviz serve (offline)"
        total = sum(colours.values())
        assert colours[STATUS_BLUE] > 5000, f"no status bar in {png}: {colours.most_common(5)}"
        assert colours[SPLASH] < total // 2, f"{png} still shows textual-serve's splash"
        assert len(colours) > 500, f"{png} has too few colours for the ring: {len(colours)}"
    finally:
        stop(server)
