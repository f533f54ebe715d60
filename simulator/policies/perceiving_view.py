"""What the perceiving expert reads from ultrasound frames when it looks for the standard
view: the view's grade, the target's pixels and the tendons in the image, and where in a
sweep of probe poses the view is best."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import permutations

import numpy as np

from simulator.anatomy.manifest import Role

SAME_VIEW_SHARE = 0.05      # landmark widths (share of the image) this close look the same


@dataclass(frozen=True)
class Seen:
    """What one frame shows: the view's grade, the target's pixels and the tendons.

    ``target_probe_mm`` (n, 3) are the target pixels' probe-frame points (x along the
    array, z depth; y = 0), empty when the target is not in the image; ``tendons`` the
    labels of the tendons the image shows.
    """

    frame: object
    shown: bool
    met: int
    landmark_share: float            # summed share of the width the landmarks cross
    centre_share: float              # target's mean column as a share of the width
    target_probe_mm: np.ndarray
    tendons: frozenset = frozenset()

    @property
    def rank(self) -> tuple:
        """How good a view this is, better is greater: the target shown, landmarks met,
        landmarks wide, the target near the middle."""
        return (self.shown, self.met, self.landmark_share, -abs(self.centre_share - 0.5))


def tendons_in(world, label: np.ndarray) -> frozenset:
    """The labels of the tendons ``label`` ((n_lines, n_samples) structure labels) shows."""
    return frozenset(int(v) for v in np.unique(label)
                     if v and world.role(int(v)) is Role.tendon)


def middle_of_best_run(visited, best_at: float) -> float:
    """The middle of the run of neighbouring poses (``visited``: ``(offset, Seen)``) that
    show the view as well as the one at ``best_at``: the same grade (target shown,
    landmarks met) and landmarks as wide to the eye (``SAME_VIEW_SHARE``)."""
    visited = sorted(visited, key=lambda v: v[0])
    k = next(i for i, (at, _) in enumerate(visited) if at == best_at)
    best = visited[k][1].rank

    def as_good(seen) -> bool:
        return seen.rank[:2] == best[:2] and seen.rank[2] >= best[2] - SAME_VIEW_SHARE

    lo = hi = k
    while lo > 0 and as_good(visited[lo - 1][1]):
        lo -= 1
    while hi < len(visited) - 1 and as_good(visited[hi + 1][1]):
        hi += 1
    return 0.5 * (visited[lo][0] + visited[hi][0])


def window_between_tendons(visited, best_at: float) -> float | None:
    """Where, sliding across (``visited``: ``(offset mm, Seen)``), the image stops showing
    one tendon and starts showing a neighbouring one (no third tendon alone between them),
    the target in view all the way: the gap between two tendons that an approach such as
    the ankle's (between tibialis anterior and EHL) goes through. The middle between the
    last pose that shows the first tendon without the second and the first pose that shows
    the second without the first (the one nearest ``best_at`` if several gaps), or ``None``
    when the sweep shows no such gap."""
    visited = sorted(visited, key=lambda v: v[0])
    offsets = [at for at, _ in visited]
    tendons = [seen.tendons for _, seen in visited]
    windows = []
    for a, b in permutations(set().union(*tendons), 2):
        has_a = [k for k, ts in enumerate(tendons) if a in ts]
        has_b = [k for k, ts in enumerate(tendons) if b in ts]
        if max(has_a) > min(has_b):
            continue        # not one after the other
        last_a = max(k for k in has_a if b not in tendons[k]) if set(has_a) - set(has_b) \
            else None
        first_b = min(k for k in has_b if a not in tendons[k]) if set(has_b) - set(has_a) \
            else None
        if last_a is None or first_b is None:
            continue
        between = range(last_a + 1, first_b)
        if any(tendons[k] - {a, b} for k in between) or \
                not all(seen.shown for _, seen in visited[last_a:first_b + 1]):
            continue
        windows.append(0.5 * (offsets[last_a] + offsets[first_b]))
    return min(windows, key=lambda at: abs(at - best_at)) if windows else None
