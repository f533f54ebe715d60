"""Frame-time statistics for ``jointsim run --profile`` and the app benchmark."""

from __future__ import annotations

import time

import numpy as np

PHASES = ("simulate", "imaging", "scene3d", "hud", "flip")


class _Frame:
    def __init__(self):
        self.t0 = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = self.laps.get(name, 0.0) + now - self.last
        self.last = now


class FrameStats:
    """Durations of each frame and of its phases (the last ``keep`` frames)."""

    def __init__(self, keep: int = 20_000):
        self.keep = keep
        self.frames: list[float] = []
        self.phases: dict[str, list[float]] = {p: [] for p in PHASES}
        self.stamps: list[float] = []

    def start(self) -> _Frame:
        return _Frame()

    def finish(self, frame: _Frame) -> None:
        end = time.perf_counter()
        self.frames.append(end - frame.t0)
        self.stamps.append(end)
        for p in PHASES:
            self.phases[p].append(frame.laps.get(p, 0.0))
        if len(self.frames) > self.keep:
            cut = len(self.frames) - self.keep
            del self.frames[:cut], self.stamps[:cut]
            for p in PHASES:
                del self.phases[p][:cut]

    def fps(self, window_s: float = 1.0) -> float:
        """Frames presented per second over the last ``window_s`` of wall time."""
        if len(self.stamps) < 2:
            return 0.0
        end = self.stamps[-1]
        recent = [s for s in self.stamps[-240:] if s >= end - window_s]
        if len(recent) < 2:
            return 0.0
        return (len(recent) - 1) / max(recent[-1] - recent[0], 1e-9)

    def report(self, imaging_times: dict | None = None, scene_times=None) -> dict:
        """Summary in milliseconds: mean, median, 95th percentile and max per phase."""
        def summary(values) -> dict:
            if not values:
                return {"n": 0}
            a = np.asarray(values) * 1000.0
            return {"n": int(a.size), "mean_ms": round(float(a.mean()), 2),
                    "p50_ms": round(float(np.percentile(a, 50)), 2),
                    "p95_ms": round(float(np.percentile(a, 95)), 2),
                    "max_ms": round(float(a.max()), 2)}

        out = {"frame": summary(self.frames)}
        if len(self.stamps) > 1:
            span = self.stamps[-1] - self.stamps[0]
            out["frames_per_s"] = round((len(self.stamps) - 1) / max(span, 1e-9), 1)
        for p in PHASES:
            out[f"phase.{p}"] = summary(self.phases[p])
        for name, values in (imaging_times or {}).items():
            out[f"render.{name}"] = summary(values)
        if scene_times is not None:
            out["render.scene3d (worker thread)"] = summary(scene_times)
        return out


def format_report(report: dict) -> str:
    lines = [f"app frame times ({report['frame'].get('n', 0)} frames, "
             f"{report.get('frames_per_s', 0):.1f} frames/s)"]
    lines.append(f"  {'':34s} {'mean':>8s} {'median':>8s} {'p95':>8s} {'max':>8s}  (ms)")
    for key, s in report.items():
        if not isinstance(s, dict) or not s.get("n"):
            continue
        lines.append(f"  {key:34s} {s['mean_ms']:8.2f} {s['p50_ms']:8.2f} {s['p95_ms']:8.2f} "
                     f"{s['max_ms']:8.2f}")
    return "\n".join(lines)
