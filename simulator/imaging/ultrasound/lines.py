"""Walking each scanline through its crossings: tissue, attenuation and interface echoes.

For every elevation sub-surface ``k`` and scanline ``i`` the sorted crossings give the
structure at each sample. Walking down the line accumulates

- two-way frequency-dependent attenuation ``2 * alpha * f * z`` (dB), so bone (15-20
  dB/cm/MHz) leaves a shadow with no echo from its far side [R4, R7];
- the transmission loss ``1 - r^2`` of every interface crossed;
- interface echoes ``|r| * lobe(angle)`` with ``r = (Z2 - Z1) / (Z2 + Z1)``, a Gaussian
  specular lobe about the smooth surface normal plus a diffuse part, larger for rough
  surfaces such as bone (``params.ROUGH_SURFACES``) [R5, R6]; a faint fascial echo where two
  structures of the same tissue meet; total reflection where the line leaves the body into
  air;
- the elevation beam integrated across its thickness: each sub-surface stands for a strip
  ``du * W`` of the slab, over which a surface sloping in elevation lies at depths spread by
  ``slope * du * W``; its echo is spread evenly over them (the pulse convolved with a box,
  amplitude area kept), so the K strips join into one continuous echo: an oblique bone
  shows one line, thicker and dimmer the steeper it cuts the slab, instead of K stacked
  copies [R6, R11];
- injected fluid (fraction ``ff`` of each sample) turns tissue anechoic, attenuates like
  water and echoes weakly at its boundary.

Contact: a curved face does not touch flat skin at its ends; the tissue there is taken as
pressed against the face, the gap ``g`` closing over ``params.CONTACT_DEPTH_MM`` (display
depth ``dd`` and world depth ``dw`` along a line: ``dw = dd + g * max(0, 1 - dd / Dc)``).
Under a rocked probe the lines start beyond the face by the contact shift
(``ScanGeometry.line_shift_mm``); the crossings come already shifted (``slicing``), so the
walk and ``g`` (what gap is left) see the shifted line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numba
import numpy as np
from scipy.ndimage import gaussian_filter1d, maximum_filter1d

from simulator.imaging.ultrasound import params as P
from simulator.imaging.ultrasound.scan import ScanGeometry
from simulator.imaging.ultrasound.slicing import ABOVE_FACE_MM, Hits

PARALLEL_LINES = 48   # walks of at least this many lines use both cores


@dataclass(frozen=True, eq=False)
class LineMaps:
    """Per-sample tissue maps of one probe pose (and injectate).

    Attributes
    ----------
    label : (K, n_lines, n_samples) uint8          structure at each sample
    attenuation : (K, n_lines, n_samples) float32  two-way amplitude factor (attenuation and
                                                   interface transmission) down to the sample
    echoes : (n_lines, n_samples) complex64        interface echoes (axial pulse applied)
    gap_mm : (n_lines,) float64                    contact gap (inf: line out of contact)
    """

    label: np.ndarray
    attenuation: np.ndarray
    echoes: np.ndarray
    gap_mm: np.ndarray


def contact_gaps(hits: Hits) -> np.ndarray:
    """Per line, how far below the face the skin starts ``(n_lines,)`` (inf: no contact)."""
    k = hits.count.shape[0] // 2
    n_lines, max_hits = hits.count.shape[1], hits.entering.shape[2]
    # the first entering crossing of each line (among its ``count`` valid ones)
    valid = np.arange(max_hits)[None, :] < hits.count[k][:, None]
    ent = hits.entering[k] & valid
    first = np.argmax(ent, axis=1)
    d = hits.depth_mm[k, np.arange(n_lines), first]
    ok = ent.any(axis=1) & (d <= P.MAX_CONTACT_GAP_MM)
    gap = np.where(ok, np.maximum(d, 0.0), np.inf)
    finite = np.isfinite(gap)
    if finite.sum() > 4:  # smooth the facets of the skin mesh (5-line running mean)
        g = np.where(finite, gap, 0.0)
        w = np.convolve(finite.astype(float), np.ones(5), "same")
        s = np.convolve(g, np.ones(5), "same")
        gap = np.where(finite, s / np.maximum(w, 1.0), np.inf)
    return gap


def settle_on_skin(hits: Hits, geom: ScanGeometry) -> tuple[Hits, ScanGeometry]:
    """A rocked probe's crossings and geometry with the lines whose skin still lies beyond
    ``MAX_CONTACT_GAP_MM`` (the skin curving away under the lifted end) shifted by the
    excess too, up to ``MAX_SETTLE_MM`` (unchanged for a flat probe, or when none is).

    The tissue pressed up against the lifted end moves as one sheet: the extra shift never
    falls toward the lifted end, and it is smoothed across ``SETTLE_SMOOTH_MM`` of the face
    (never below what a line needs to touch the skin), so neighbouring lines show the
    anatomy from nearly the same depth instead of a saw-tooth of per-line jumps. Past the
    first line (going out toward the lifted end) whose skin is beyond reach, every line is
    off the skin: its crossings are dropped (air, black), so the edge of the fan is one
    clean dark wedge, not a comb of lines in and out of contact."""
    if geom.base is None:
        return hits, geom
    k = hits.count.shape[0] // 2
    n_lines, max_hits = hits.count.shape[1], hits.entering.shape[2]
    # slots past ``count`` are unset memory (any bit pattern, NaNs included): never do
    # arithmetic on them
    valid = np.arange(max_hits)[None, None, :] < hits.count[:, :, None]  # (K, n_lines, MAX)
    ent = hits.entering[k] & valid[k]
    first = np.where(ent.any(axis=1),
                     hits.depth_mm[k, np.arange(n_lines), np.argmax(ent, axis=1)], np.inf)
    need = np.maximum(first - P.MAX_CONTACT_GAP_MM, 0.0)     # inf: no skin on the line
    need[need > P.MAX_SETTLE_MM] = np.inf                     # beyond reach: off the skin
    if not need.any():
        return hits, geom
    # lines in order from the pressed end out to the lifted one (the rock's own lift grows
    # toward the lifted end)
    outward = np.arange(n_lines)
    if geom.line_shift_mm[-1] < geom.line_shift_mm[0]:
        outward = outward[::-1]
    mono = need[outward]
    lifted = geom.line_shift_mm[outward] > 0.0                # a run at the lifted end
    mono[lifted] = np.maximum.accumulate(mono[lifted])        # inf from the first off line on
    off = lifted & np.isinf(mono)
    on = np.flatnonzero(np.isfinite(mono))
    excess = np.zeros(n_lines)
    if len(on):
        reach = mono[on]
        mm_per_line = geom.line_step * (geom.radius_mm if geom.curved else 1.0)
        spread = max(1, int(round(P.SETTLE_SMOOTH_MM / mm_per_line)))
        smooth = gaussian_filter1d(maximum_filter1d(reach, 2 * spread + 1, mode="nearest"),
                                   spread / 2.0, mode="nearest")
        excess[outward[on]] = np.minimum(np.maximum(smooth, reach), P.MAX_SETTLE_MM)
    off_lines = outward[off]
    shift = geom.line_shift_mm + excess
    shift.setflags(write=False)
    depth_mm = hits.depth_mm.copy()
    kk, line, slot = np.nonzero(valid)
    depth_mm[kk, line, slot] -= excess[line]
    count = hits.count.copy()
    count[:, off_lines] = 0
    return (replace(hits, depth_mm=depth_mm, count=count),
            replace(geom, line_shift_mm=shift))


def walk_lines(hits: Hits, gap: np.ndarray, depth_mm: np.ndarray, dz_mm: float,
               frequency_mhz: float, weights: np.ndarray, impedance: np.ndarray,
               alpha: np.ndarray, tissue_id: np.ndarray, diffuse: np.ndarray,
               fluid: np.ndarray | None, water_z: float, water_alpha: float,
               pulse_sigma: float, elevation: tuple[float, float, float],
               lines: tuple[int, int] | None = None,
               base: LineMaps | None = None) -> LineMaps:
    """Tissue maps for all sub-surfaces and lines.

    ``diffuse`` ``(n_labels,)`` is each label's rough-surface echo fraction; ``elevation``
    the slice-thickness profile ``(w0, z_focus, z_rayleigh)`` (``ScanGeometry.
    elevation_args``).

    ``fluid`` is ``(K, n_lines, n_samples)`` injectate fraction or ``None``. Echoes are
    written already shaped by the axial pulse (``pulse_sigma`` samples). With ``lines =
    (first, last)`` and ``base`` only those lines are walked; the others are copied from
    ``base`` (injected fluid touches a few lines only).
    """
    k_n, n_lines = hits.count.shape
    n = len(depth_mm)
    if base is None:
        label = np.empty((k_n, n_lines, n), np.uint8)
        att = np.empty((k_n, n_lines, n), np.float32)
        echoes = np.zeros((n_lines, n), np.complex64)
        first, last = 0, n_lines - 1
    else:
        label, att, echoes = base.label.copy(), base.attenuation.copy(), base.echoes.copy()
        first, last = lines
        echoes[first:last + 1] = 0.0
    ff = fluid if fluid is not None else np.zeros((0, 0, 0), np.float32)
    # a few lines (an injection under a still probe): one thread, no barrier to wait at
    walk = _walk if last - first >= PARALLEL_LINES else _walk_serial
    u = np.asarray(P.SUBPLANE_U, float)
    strip = np.asarray((float(u[1] - u[0]), *elevation), float)  # du, w0, zf, zr
    walk(hits.depth_mm, hits.label, hits.entering, hits.cos, hits.slope, hits.count, gap,
          depth_mm, dz_mm, frequency_mhz, weights, impedance, alpha, tissue_id, ff, water_z,
          water_alpha, P.CONTACT_DEPTH_MM, P.GAP_MERGE_MM,
          P.FASCIA_REFLECTION, diffuse, P.SPECULAR_SIGMA_RAD, -ABOVE_FACE_MM,
          pulse_sigma, strip, first, last, label, att, echoes)
    return LineMaps(label, att, echoes, gap)


@numba.njit(cache=True, inline="always")
def disp_from_world(dw, g, dc):
    if dw >= dc or g <= 0.0:
        return dw
    return (dw - g) / (1.0 - g / dc)


@numba.njit(cache=True, inline="always")
def world_from_disp(dd, g, dc):
    if dd >= dc or g <= 0.0:
        return dd
    return dd + g * (1.0 - dd / dc)


@numba.njit(cache=True, inline="always")
def splat_pulse(row, pos, value, sigma):
    """Add an echo of peak ``value`` at fractional sample ``pos``, already shaped by the
    axial pulse (Gaussian of ``sigma`` samples), so its peak does not depend on where it
    falls between samples."""
    n = row.shape[0]
    half = int(3.0 * sigma) + 1
    c = int(math.floor(pos + 0.5))
    inv = 0.5 / (sigma * sigma)
    for j in range(max(c - half, 0), min(c + half + 1, n)):
        d = j - pos
        row[j] += value * math.exp(-d * d * inv)


@numba.njit(cache=True, inline="always")
def splat_slab(row, pos, value, sigma, width):
    """Add the echo of a surface seen over ``width`` samples of depth centred on ``pos``:
    the pulse (peak ``value`` when ``width`` is 0) convolved with a box of that width,
    keeping the amplitude area, so neighbouring strips join without seams."""
    if width < 0.5 * sigma:
        splat_pulse(row, pos, value, sigma)
        return
    n = row.shape[0]
    half = 0.5 * width
    reach = int(half + 3.0 * sigma) + 1
    c = int(math.floor(pos + 0.5))
    inv = 1.0 / (math.sqrt(2.0) * sigma)
    scale = value * sigma * math.sqrt(0.5 * math.pi) / width
    for j in range(max(c - reach, 0), min(c + reach + 1, n)):
        d = j - pos
        row[j] += scale * (math.erf((d + half) * inv) - math.erf((d - half) * inv))


@numba.njit(cache=True, parallel=True, nogil=True)
def _walk(hd, hl, he, hc, hs, count, gap, depth, dz, f_mhz, wk, z, alpha, tid, ff, z_w,
          alpha_w, dc, merge, fascia, diffuse, sigma, d_top, sigma_ax, strip, first, last,
          label, att, echoes):
    for i in numba.prange(first, last + 1):
        _walk_line(i, hd, hl, he, hc, hs, count, gap, depth, dz, f_mhz, wk, z, alpha, tid, ff,
                   z_w, alpha_w, dc, merge, fascia, diffuse, sigma, d_top, sigma_ax, strip,
                   label, att, echoes)


@numba.njit(cache=True, nogil=True)
def _walk_serial(hd, hl, he, hc, hs, count, gap, depth, dz, f_mhz, wk, z, alpha, tid, ff,
                 z_w, alpha_w, dc, merge, fascia, diffuse, sigma, d_top, sigma_ax, strip, first,
                 last, label, att, echoes):
    for i in range(first, last + 1):
        _walk_line(i, hd, hl, he, hc, hs, count, gap, depth, dz, f_mhz, wk, z, alpha, tid, ff,
                   z_w, alpha_w, dc, merge, fascia, diffuse, sigma, d_top, sigma_ax, strip,
                   label, att, echoes)


@numba.njit(cache=True, nogil=True)
def _walk_line(i, hd, hl, he, hc, hs, count, gap, depth, dz, f_mhz, wk, z, alpha, tid, ff,
               z_w, alpha_w, dc, merge, fascia, diffuse, sigma, d_top, sigma_ax, strip, label,
               att, echoes):
    k_n = count.shape[0]
    n = depth.shape[0]
    has_ff = ff.shape[0] > 0
    db_to_neper = math.log(10.0) / 20.0
    step_factor = np.exp(-db_to_neper * 2.0 * alpha * f_mhz * dz / 10.0)
    g = gap[i]
    # in the contact layer a display sample spans less tissue: dz (1 - g / dc)
    contact_factor = np.exp(-db_to_neper * 2.0 * alpha * f_mhz * dz * (1.0 - g / dc) / 10.0)
    for k in range(k_n):
        if not np.isfinite(g):
            for j in range(n):
                label[k, i, j] = 0
                att[k, i, j] = 0.0
            continue
        nh = count[k, i]
        cur = 0
        inside = False
        trans = 1.0
        lin = 1.0
        h = 0
        prev_ff = 0.0
        for j in range(n):
            dd = depth[j]
            while h < nh:
                dh = hd[k, i, h]
                de = disp_from_world(dh, g, dc)
                if de > dd:
                    break
                new = cur
                c_in = 1.0
                s_el = 0.0
                h2 = h
                while h2 < nh and hd[k, i, h2] <= dh + 1e-4:
                    lab = hl[k, i, h2]
                    if he[k, i, h2]:
                        new = lab
                        c_in = hc[k, i, h2]
                        s_el = hs[k, i, h2]
                    elif lab == new:
                        new = 0
                        c_in = hc[k, i, h2]
                        s_el = hs[k, i, h2]
                    h2 += 1
                if (new == 0 and cur != 0 and h2 < nh and he[k, i, h2]
                        and hd[k, i, h2] - dh < merge):
                    new = cur  # a sliver between two structures, not air
                h = h2
                if new == cur:
                    continue
                if new == 0 and inside:
                    r = 1.0  # into air
                else:
                    a_z = z[0] if cur == 0 else z[cur]
                    r = abs((z[new] - a_z) / (z[new] + a_z))
                    if cur != 0 and tid[cur] == tid[new] and r < fascia:
                        r = fascia
                if de >= d_top and de >= 0.0:
                    theta = math.acos(min(max(c_in, 0.0), 1.0))
                    rough = max(diffuse[cur], diffuse[new])
                    lobe = rough + (1.0 - rough) * math.exp(-(theta / sigma) ** 2)
                    amp_e = r * lobe * wk[k] * trans * lin
                    # the strip of the slab this sub-surface stands for sees the surface
                    # over s_el * du * W(depth) of depth
                    w_el = strip[1] * math.sqrt(1.0 + ((dh - strip[2]) / strip[3]) ** 2)
                    splat_slab(echoes[i], de / dz - 0.5, amp_e, sigma_ax,
                               s_el * strip[0] * w_el / dz)
                trans *= 1.0 - r * r
                if new != 0:
                    inside = True
                cur = new
            frac = 0.0
            if has_ff:
                frac = ff[k, i, j]
            if frac == 0.0 and (dd >= dc or g <= 0.0):
                lin *= step_factor[cur]
            elif frac == 0.0:
                lin *= contact_factor[cur]
            else:
                a = alpha[cur] * (1.0 - frac) + alpha_w * frac
                step = dz * (1.0 - g / dc) if dd < dc else dz
                lin *= math.exp(-db_to_neper * 2.0 * a * f_mhz * step / 10.0)
            amp_t = trans * lin
            label[k, i, j] = cur
            att[k, i, j] = amp_t
            if has_ff and cur != 0 and abs(frac - prev_ff) > 0.02:
                r_f = abs((z[cur] - z_w) / (z[cur] + z_w))
                splat_pulse(echoes[i], j - 0.5, wk[k] * amp_t * abs(frac - prev_ff) * r_f,
                            sigma_ax)
            prev_ff = frac
