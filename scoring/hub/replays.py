"""The session page's replay in the browser: a stored log replayed once on the server, its
image frames re-rendered on demand (small, PNG, cached), with the key frames, the needle's
depth timeline and its 3D path drawn from that same replay.

The renderers are pure views of a state with noise from ``(seed, tick)``, so a frame drawn
here is the frame the trainee saw at that tick (at a smaller size). A replay keeps about
:data:`MAX_FRAMES` states, evenly spaced in time, plus the last one; at most
:data:`MAX_VIEWS` sessions are kept replayed, the least recently used are dropped.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from simulator.errors import InputError
from simulator.state import SimState

MAX_FRAMES = 120
MAX_VIEWS = 4
MAX_PNGS = 400
US_SHAPE = (288, 384)   # rows, cols: half the live view's scan-converted image
FLUORO_SIZE = 256
_PYPLOT = threading.Lock()   # pyplot keeps global state: one figure at a time per process


class NoReplay(Exception):
    """The session cannot be replayed here; the message says why, for the page."""


@dataclass
class ReplayView:
    """One replayed session: ``states`` [(tick, SimState)] in tick order (the frames the
    scrubber steps through), ``modality`` of the frames, and what the key frames and the
    needle-path pictures are drawn from."""

    world: object
    seed: int
    modality: str
    states: list[tuple[int, SimState]]
    key_frames: list
    timeline: object
    key_states: dict
    pngs: dict = field(default_factory=dict)   # name -> PNG bytes, drawn once


class _Sampler:
    """Session observer keeping the state every ``every`` ticks (and the last one)."""

    def __init__(self, every: int):
        self.every = every
        self.states: list[tuple[int, SimState]] = []
        self.last: SimState | None = None

    def __call__(self, prev, state, action, events) -> None:
        if state.tick % self.every == 0:
            self.states.append((state.tick, state))
        self.last = state

    def frames(self) -> list[tuple[int, SimState]]:
        if self.last is not None and (not self.states or self.states[-1][0] != self.last.tick):
            return [*self.states, (self.last.tick, self.last)]
        return self.states


def replay_view(log_path: Path, scenarios: Path | None) -> ReplayView:
    """Replay the log at ``log_path`` once with the assessor's scenario (from ``scenarios``,
    default the shipped ones). Raises :class:`NoReplay` saying why it cannot be replayed."""
    from scoring.report.keyframes import modalities, renderer
    from scoring.report.timeline import Timeline
    from scoring.score import Scorer
    from simulator.replay import open_log, replay

    if not log_path.is_file():
        raise NoReplay("the log file is not on this machine (it was stored from elsewhere "
                       "or moved), so the attempt cannot be replayed here")
    try:
        log, world, _ = open_log(log_path, scenarios=scenarios)
    except InputError as exc:
        raise NoReplay(f"the log cannot be replayed: {exc}") from None
    shown = [m for m in modalities(world) if renderer(m) is not None]
    if not shown:
        raise NoReplay("this installation has no renderer for the scenario's imaging")
    scorer, timeline = Scorer(world), Timeline(world)
    sampler = _Sampler(max(1, -(-log.ticks // MAX_FRAMES)))
    replay(log, world, observers=[scorer, timeline, sampler], verify=False)
    return ReplayView(world, int(log.header.get("seed", 0)), shown[0], sampler.frames(),
                      scorer.key_frames(), timeline, scorer.key_states)


def frame_png(view: ReplayView, state: SimState) -> bytes:
    """The image ``state`` showed, small, as PNG."""
    from scoring.report.keyframes import renderer, to_png

    render = renderer(view.modality)
    if view.modality == "ultrasound":
        frame = render(view.world, state, seed=view.seed, tick=state.tick, image_shape=US_SHAPE)
    else:
        frame = render(view.world, state, seed=view.seed, tick=state.tick, size=FLUORO_SIZE)
    return to_png(frame.image)


def picture_png(view: ReplayView, name: str) -> bytes:
    """``timeline`` (tip depth and tissue over time) or ``path`` (the tip's 3D path)."""
    from scoring.report.figures import path3d_png, timeline_png

    with _PYPLOT:
        if name == "timeline":
            return timeline_png(view.timeline, view.world)
        return path3d_png(view.timeline, view.world, view.key_states)


class Replays:
    """Replayed sessions by session id (least recently used dropped past ``MAX_VIEWS``) and
    their PNGs; safe to use from the server's threads (one replay of a session at a time)."""

    def __init__(self, scenarios: Path | None):
        self.scenarios = scenarios
        self._views: OrderedDict[int, ReplayView] = OrderedDict()
        self._failed: dict[int, str] = {}
        self._lock = threading.Lock()
        self._building: dict[int, threading.Lock] = {}

    def view(self, session_id: int, log_path: str) -> ReplayView:
        """The replay of stored session ``session_id`` (replayed on first use)."""
        with self._lock:
            if session_id in self._failed:
                raise NoReplay(self._failed[session_id])
            if session_id in self._views:
                self._views.move_to_end(session_id)
                return self._views[session_id]
            building = self._building.setdefault(session_id, threading.Lock())
        with building:
            with self._lock:
                if session_id in self._views:
                    return self._views[session_id]
            try:
                view = replay_view(Path(log_path), self.scenarios) if log_path else None
                if view is None:
                    raise NoReplay("no log file was stored with this attempt")
            except NoReplay as exc:
                with self._lock:
                    self._failed[session_id] = str(exc)
                    self._building.pop(session_id, None)
                raise
            with self._lock:
                self._views[session_id] = view
                while len(self._views) > MAX_VIEWS:
                    self._views.popitem(last=False)
                self._building.pop(session_id, None)
            return view

    def png(self, view: ReplayView, name: str, draw) -> bytes:
        """``view``'s PNG ``name``, drawn by ``draw()`` the first time."""
        with self._lock:
            if name in view.pngs:
                return view.pngs[name]
        png = draw()
        with self._lock:
            if len(view.pngs) < MAX_PNGS:
                view.pngs[name] = png
        return png
