"""Plots for the session report: the timeline (tip depth and tissue over time, events
marked) and the needle path through the anatomy in 3D. matplotlib, off-screen (Agg)."""

from __future__ import annotations

import io
import math

import numpy as np

from scoring.report.timeline import MARKED_EVENTS, Timeline
from simulator.anatomy.manifest import Role
from simulator.world import World

# Structures drawn in the 3D view (skin, fat and muscle would hide the path).
SHOWN_ROLES = (Role.bone, Role.joint_cavity, Role.capsule, Role.bursa, Role.cartilage,
               Role.artery, Role.vein, Role.nerve)
HIDDEN_TISSUES = ("cancellous_bone",)  # marrow sits inside its cortex: drawing it adds clutter
MAX_FACES = 3000
EVENT_COLOURS = {"skin_puncture": "#1f4e79", "target_reached": "#2e7d32",
                 "bone_contact": "#8d6e63", "danger_contact": "#c62828", "redirect": "#ef6c00",
                 "withdraw": "#6d6d6d", "aspiration": "#6a1b9a",
                 "injection_started": "#00838f"}


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def png_bytes(fig, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    pyplot().close(fig)
    return buf.getvalue()


def timeline_png(timeline: Timeline, world: World) -> bytes:
    """Needle insertion depth against time, the tissue at the tip as a coloured band under
    it, and the events as labelled vertical lines."""
    plt = pyplot()
    t, depth, labels = timeline.times_s, timeline.depth_mm, timeline.labels
    fig, (ax, band) = plt.subplots(2, 1, figsize=(9.0, 4.2), sharex=True,
                                   gridspec_kw={"height_ratios": [5, 1], "hspace": 0.08})
    end_s = (timeline.final_state.tick if timeline.final_state else 0) * world.dt_s
    inside = t[~np.isnan(depth)]
    start_s = max(0.0, (inside[0] if len(inside) else t[0] if len(t) else 0.0) - 10.0)
    if len(t):
        ax.plot(np.r_[t, end_s], np.r_[depth, depth[-1]], drawstyle="steps-post",
                color="#222222", lw=1.6)
        ax.invert_yaxis()
    ax.set_ylabel("Needle depth (mm)")
    ax.grid(True, color="#dddddd", lw=0.6)
    ax.set_title("Needle depth and tissue at the tip over time", fontsize=11, loc="left")
    seen = set()
    for tick, kind, _ in timeline.events:
        x = tick * world.dt_s
        colour = EVENT_COLOURS.get(kind, "#444444")
        ax.axvline(x, color=colour, lw=1.0, ls="--", alpha=0.8)
        band.axvline(x, color=colour, lw=1.0, ls="--", alpha=0.8)
        if kind not in seen:
            seen.add(kind)
            ax.plot([], [], color=colour, ls="--", label=MARKED_EVENTS[kind])
    if seen:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
                  title="Events", title_fontsize=8)
    # tissue band: one coloured span per run of the same structure
    colours, used = {}, {}
    edges = np.r_[t, end_s] if len(t) else np.array([start_s, end_s])
    for k, label in enumerate(labels):
        if label == 0:
            continue
        s = world.anatomy.structures[label - 1]
        colours[label] = s.entry.color
        band.axvspan(edges[k], edges[k + 1], color=s.entry.color, lw=0)
        used[label] = s.entry.display_name
    band.set_yticks([])
    band.set_ylabel("Tissue", rotation=0, ha="right", va="center")
    band.set_xlabel("Time since the session started (s)")
    band.set_xlim(start_s, max(end_s, start_s + 1.0))
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[k]) for k in used]
    if handles:
        band.legend(handles, list(used.values()), loc="upper left", bbox_to_anchor=(1.01, 1.6),
                    fontsize=8, frameon=False, title="Tissue at the tip", title_fontsize=8)
    return png_bytes(fig)


def _box(points: np.ndarray, margin: float) -> tuple[np.ndarray, np.ndarray]:
    return np.nanmin(points, axis=0) - margin, np.nanmax(points, axis=0) + margin


def _faces_in_box(vertices, faces, lo, hi, rng) -> np.ndarray:
    tri = vertices[faces]  # (m, 3, 3)
    centre = tri.mean(axis=1)
    keep = np.all((centre >= lo) & (centre <= hi), axis=1)
    tri = tri[keep]
    if len(tri) > MAX_FACES:
        tri = tri[np.sort(rng.choice(len(tri), MAX_FACES, replace=False))]
    return np.clip(tri, lo, hi)  # flatten what sticks out onto the box (mplot3d cannot clip)


def path3d_png(timeline: Timeline, world: World, key_states: dict) -> bytes:
    """The tip's path (coloured by time), the final needle shaft, skin entry points and the
    target, among the bones, joint and danger structures near the path. ``key_states``:
    ``Scorer.key_states``, event kind -> (moment, state just after it)."""
    plt = pyplot()
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    tips = timeline.tip_mm
    tips = tips[~np.isnan(tips[:, 0])]
    target = np.asarray(world.target_point, float)
    shown = _shown_needle(timeline, key_states)
    entries = [np.asarray(e["entry_mm"], float) for _, k, e in timeline.events
               if k == "skin_puncture" and "entry_mm" in e]
    pts = np.vstack([target[None], *(tips[None] if len(tips) else []), *[e[None] for e in entries]])
    lo, hi = _box(pts, 25.0)
    fig = plt.figure(figsize=(7.5, 7.2))
    ax = fig.add_axes((0.0, 0.2, 1.0, 0.78), projection="3d")
    ax.computed_zorder = False  # draw order: anatomy first, the needle and its path on top
    rng = np.random.default_rng(0)
    legend = []
    for s in world.anatomy.structures:
        if s.role not in SHOWN_ROLES or s.tissue.key in HIDDEN_TISSUES:
            continue
        tri = _faces_in_box(s.vertices, s.faces, lo, hi, rng)
        if not len(tri):
            continue
        danger = s.role in (Role.artery, Role.vein, Role.nerve)
        alpha = 0.35 if danger else 0.25
        ax.add_collection3d(Poly3DCollection(tri, facecolor=s.entry.color, edgecolor="none",
                                             alpha=alpha))
        legend.append(plt.Rectangle((0, 0), 1, 1, color=s.entry.color,
                                    label=s.entry.display_name))
    if len(tips):
        times = np.linspace(0.0, 1.0, len(tips))
        ax.scatter(*tips.T, c=times, cmap="viridis", s=4, depthshade=False, zorder=5)
        ax.plot(*tips.T, color="#333333", lw=0.6, alpha=0.6, zorder=5)
    if shown is not None:
        needle, when = shown
        shaft = np.array([needle.entry_mm, needle.tip_mm])
        ax.plot(*shaft.T, color="#111111", lw=1.8, zorder=4)
        legend.append(plt.Line2D([], [], color="#111111", lw=1.8, label=f"needle {when}"))
    for e in entries:
        ax.scatter(*e, marker="o", s=40, color="#1f4e79", depthshade=False, zorder=6)
    if entries:
        legend.append(plt.Line2D([], [], marker="o", color="#1f4e79", ls="",
                                 label="skin puncture"))
    ax.scatter(*target, marker="*", s=220, color="#2e7d32", edgecolor="black",
               depthshade=False, zorder=7)
    legend.append(plt.Line2D([], [], marker="*", color="#2e7d32", ls="", markersize=12,
                             label="target"))
    legend.append(plt.Line2D([], [], marker="o", color="#440154", ls="",
                             label="tip path (dark = early, yellow = late)"))
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_zlim(lo[2], hi[2])
    ax.set_box_aspect(hi - lo)
    ax.set_xlabel("x: left-right (mm)", fontsize=8)
    ax.set_ylabel("y: back-front (mm)", fontsize=8)
    ax.set_zlabel("z: foot-head (mm)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.view_init(*_view(shown[0] if shown else None))
    fig.legend(handles=legend, loc="lower center", ncol=3, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, -0.02))
    ax.set_title("Needle path through the anatomy", fontsize=11, loc="left")
    return png_bytes(fig)


def _shown_needle(timeline: Timeline, key_states: dict):
    """The needle to draw as a shaft: at injection, else at the target, else at the end."""
    for kind, when in (("injection_started", "at injection"),
                       ("target_reached", "at first target contact")):
        _, state = key_states.get(kind, (None, None))
        if state is not None and state.needle.in_skin:
            return state.needle, when
    final = timeline.final_state
    if final is not None and final.needle.in_skin:
        return final.needle, "at the end"
    return None


def _view(needle) -> tuple[float, float]:
    """Elevation and azimuth looking across the needle (its path is seen side-on)."""
    if needle is None or needle.entry_mm is None:
        return 20.0, -60.0
    d = np.asarray(needle.direction, float)
    # look along a horizontal direction perpendicular to the needle
    side = np.cross(d, [0.0, 0.0, 1.0])
    if np.linalg.norm(side) < 1e-6:
        side = np.array([1.0, 0.0, 0.0])
    azim = math.degrees(math.atan2(side[1], side[0]))
    return 20.0, azim
