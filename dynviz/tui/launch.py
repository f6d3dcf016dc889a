"""Opening the app in each mode: ``dynviz``, ``dynviz lesson NAME``, ``dynviz replay
FILE``, ``dynviz attach``. Each builds its driver and hands it to the one App."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace

from dynviz.session.lesson import Lesson
from dynviz.session.recording import Session
from dynviz.sim.tuning import tune_for_app
from dynviz.tui.app import DynvizApp
from dynviz.tui.attach import POLL_INTERVAL, open_attached
from dynviz.tui.drivers.attached import AttachedDriver
from dynviz.tui.drivers.lesson import LessonDriver
from dynviz.tui.drivers.live import LiveDriver
from dynviz.tui.drivers.replay import ReplayDriver
from dynviz.tui.dynamodb import AppEndpoint, listen
from dynviz.tui.progress import Progress
from dynviz.tui.tape import DEFAULT_LIMIT
from dynviz.tui.workload import default_config


def run_app(seed: int = 0, nodes: int = 8, record: str | os.PathLike[str] | bool | None = True,
            history: int = DEFAULT_LIMIT, data: str | None = None, welcome: bool = True,
            dynamodb: int | None = None) -> int:
    """Open the live app; records to ``record`` (True: a temp file) and says where.
    With ``data``, every node keeps its versions and hints in DATA/<node>.sqlite (a
    durable cluster; sessions cannot record a cluster on disk, so recording is off).
    ``welcome``: show the welcome screen (unless the learner turned it off).
    ``dynamodb``: serve DynamoDB's HTTP API on the app's cluster on this port of
    127.0.0.1 (ListenError, before the app opens, when it is taken); recording is then
    off, as requests over the wire are not commands a session can replay."""
    tune_for_app()
    endpoint = None
    if dynamodb is not None:
        endpoint = AppEndpoint(listen("127.0.0.1", dynamodb))
        record = None
    config = None
    if data is not None:
        config = replace(default_config(seed, nodes), storage="sqlite", dir=data)
        record = None
    driver = LiveDriver(seed=seed, nodes=nodes, record=record, config=config)
    app = DynvizApp(driver, history=history, welcome=welcome, dynamodb=endpoint)
    app.run()
    if endpoint is not None:
        print(f"dynviz: the DynamoDB endpoint on {endpoint.url} answered "
              f"{endpoint.requests} request{'' if endpoint.requests == 1 else 's'}; "
              "sessions are not recorded with --dynamodb")
    driver.stop_recording()
    if driver.recording_path is not None:
        print(f"dynviz: session recorded to {driver.recording_path} "
              f"(replay it with: dynviz replay {driver.recording_path})")
    elif driver.recording_problem:
        print(f"dynviz: {driver.recording_problem}")
    if app.progress.problem:
        print(f"dynviz: lesson progress: {app.progress.problem}")
    return 0


def run_replay(session: Session, *, playing: bool = True) -> int:
    """Open the app on a recorded session (``dynviz replay FILE``)."""
    tune_for_app()
    DynvizApp(ReplayDriver(session, playing=playing)).run()
    return 0


def run_lesson(lesson: Lesson) -> int:
    """Open the app on a lesson, at its first narration (``dynviz lesson NAME``)."""
    tune_for_app()
    progress = Progress.load()
    DynvizApp(LessonDriver(lesson, progress=progress), progress=progress).run()
    return 0


def run_attach(via: str, secret: bytes, data: str | None = None, interval: float = POLL_INTERVAL,
               history: int = DEFAULT_LIMIT) -> int:
    """``dynviz attach``: probe (its own loop, closed again), then run the app."""
    from dynviz.net.client import NetError

    try:
        cluster = asyncio.run(open_attached(via, secret, data))
    except NetError as exc:
        raise ValueError(f"cannot attach to {via}: {exc}") from None
    tune_for_app()
    DynvizApp(AttachedDriver(cluster, secret, interval=interval), history=history).run()
    return 0
