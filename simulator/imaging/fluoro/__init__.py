"""Synthetic fluoroscopy: C-arm projection of the anatomy, the steel needle and contrast.

Modules, one idea each:

- ``projection``: pinhole geometry of the C-arm (``pixel_from_world``, pixel pitch).
- ``scene``: the anatomy's triangles, materials and how surfaces nest or overlap.
- ``raster``: per-material path lengths by rasterising projected triangles (numba).
- ``needle``: the analytic hollow steel cannula (and stylet).
- ``contrast``: iodine line integrals through the injectate field.
- ``detector``: exposure, quantum noise, blur, log transform, window, collimation.
- ``render``: :func:`render_fluoro` puts them together, memoising the anatomy per pose.
- ``snapshot``: PNG / raw output for ``jointsim snapshot``.
"""

from simulator.imaging.fluoro.render import FluoroFrame, render_fluoro

__all__ = ["FluoroFrame", "render_fluoro"]
