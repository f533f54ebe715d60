"""Renderer constants and the per-label acoustic tables built from the tissue table.

Every tunable number of the B-mode model lives here, with what it means and where it comes
from (ultrasound.md sections in brackets). Tissue properties themselves come from
``simulator.tissues`` so one number lives in one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from simulator.tissues import TISSUES
from simulator.world import World

C0_MM_US = 1.54                # speed of sound the scanner assumes, mm/us (1540 m/s)
N_LINES = 256                  # scanlines per frame
N_SAMPLES = 512                # samples per scanline
IMAGE_SHAPE = (576, 768)       # scan-converted display (rows, cols), >= 512 x 512
DYNAMIC_RANGE_DB = 60.0        # log compression window [R14: 50-70 dB]
DISPLAY_OFFSET_DB = 10.4       # puts compensated muscle speckle near mid-grey at 0 dB gain

# Elevation: sub-planes at these offsets (in units of the local slice thickness FWHM) slice
# the meshes; scatterers and the needle use the continuous profile. The slice thickness of
# ``simulator.transducer`` is the one-way FWHM, so the pulse-echo profile is its square
# (FWHM / sqrt 2): -12 dB at half a thickness, -48 dB at one thickness [R11].
SUBPLANE_U = (-0.6, -0.3, 0.0, 0.3, 0.6)
SLAB_U_MAX = 0.55              # scatterers beyond this many thicknesses are ignored (<1 % energy)

# Pulse and beam [R3]: axial FWHM = cycles * lambda / 2; lateral ~ lambda * F#.
PULSE_CYCLES = 2.0
TX_F_NUMBER_MIN = 3.0          # transmit aperture grows to keep F# >= 3 at the focus
RX_F_NUMBER = 3.0              # dynamic receive f-number (C5-2 ~1 mm, L12-5 ~0.4 mm)
ACTIVE_APERTURE_FRACTION = 0.5  # part of the array used for one line

# Echo levels, as amplitudes relative to a perfect specular reflector at normal incidence.
SPECKLE_LEVEL = 0.012          # RMS speckle amplitude of muscle (scatter amplitude 1):
#                                soft-tissue interfaces (R -16..-27 dB) then sit 11-22 dB
#                                above the speckle and bone (-5 dB) about 33 dB above, which
#                                leaves >= 20 dB on the anatomy after the specular lobe, the
#                                elevation blur of curved bone and the extra attenuation of
#                                the last few mm above it [R5, R6, measured on the hip].
SPECULAR_SIGMA_RAD = math.radians(30.0)   # Gaussian specular lobe of smooth interfaces (PLUS)
DIFFUSE_FRACTION = 0.1                    # rough-surface part that ignores the angle
# Bone surfaces are rough at the wavelength scale (periosteum, cortical pores): they echo
# brightly over a wide range of angles, so a curved femoral head shows as one bright line,
# not a bright cap with dim flanks; at most 0.3, or the line would not fall >= 10 dB by 60
# deg [R6; design]. Tissue key -> diffuse fraction (replaces DIFFUSE_FRACTION for
# interfaces with that tissue).
ROUGH_SURFACES = {"cortical_bone": 0.25, "cancellous_bone": 0.25, "muscle": 0.25}
# Fascia between two muscles (epimysium, a collagen sheet) echoes as a thin bright line: a
# reflection amplitude about 9 dB over the RMS muscle speckle, so sartorius, rectus femoris
# and iliopsoas show apart (measured on the hip frame; the sheet is rough, so its echo keeps
# part of its level off normal incidence: muscle in ROUGH_SURFACES) [design; issue 12].
FASCIA_REFLECTION = 0.1
SCATTERERS_PER_CELL = 10.0     # scatterers per resolution cell: sets the lattice spacing at
#                                the smallest cell and thins the lattice where cells are big;
#                                fully developed speckle needs about 10 (R1: at 7 the hip's
#                                bellies measured SNR 1.74-1.80, PyMUST's ~2-per-cell range)
# Low-detail frames while the probe moves (``render_ultrasound(detail="moving")``): the
# scatterer lattice is this many 2^(1/4) steps coarser (4: an eighth of the lattice
# points, the same lattice as before the full detail went to 10 per cell, ~1.5 scatterers
# per resolution cell at the focus, unchanged where the cell is large; still speckle by SNR,
# tested); the app renders full detail again as soon as the probe stops [design].
MOVING_LATTICE_STEPS = 4
NOISE_RMS = 3e-7               # receiver noise (envelope units), changes every frame
GAP_MERGE_MM = 1.0             # gaps between structures thinner than this are mesh slivers

# Muscle texture: thin hyperechoic fibro-fatty septa (perimysium) around the fascicles of
# elongated muscle bellies, running along the fibres: long streaks in a long-axis view, a
# fine network of dots and short lines in a short-axis one. They are the level set of a
# smooth noise in the plane across the fibres (a closed network, not blobs), sheets about
# SEPTA_THICKNESS_MM thick, scatter amplitude raised by (1 + strength) at their middle;
# subtle enough that a belly keeps speckle statistics (SNR 1.75-2.05) [R1; design].
SEPTA_TISSUES = {"muscle": 1.4}   # tissue key -> texture strength
SEPTA_MM = 2.0                    # noise cell across the fibres (fascicle bundles ~2 mm)
SEPTA_THICKNESS_MM = 0.15         # perimysium sheet thickness (below the PSF: a thin line)
SEPTA_ELONGATION = 1.8            # length / width (singular values) for a "muscle belly"
# Fat: hypoechoic lobules bounded by thin echogenic fibrous septa (the level set of a 3-D
# noise: closed walls around lobules ~LOBULE_MM across) [design].
LOBULE_TISSUES = {"subcutaneous_fat": 8.0}   # tissue key -> septum strength
LOBULE_INTERIOR = 0.5             # scatter amplitude inside a lobule (the septa carry the
#                                   rest: fat keeps about its mean echo level, -6 dB muscle)
LOBULE_MM = 3.5                   # noise cell of the lobules (lobules ~5-10 mm)
LOBULE_SEPTUM_MM = 0.4            # fibrous septum thickness

# Contact: tissue under the curved face conforms to it (compressed layer) [design].
CONTACT_DEPTH_MM = 30.0        # depth over which the contact compression fades out
MAX_CONTACT_GAP_MM = 15.0      # beyond this the line is out of contact (air, black)
# Under the lifted end of a rocked probe the skin can curve away beyond the rock's own lift
# (``scan.rocked_geometry``); a line whose skin still lies beyond MAX_CONTACT_GAP_MM is
# shifted by the excess too, up to this much (further: that end is off the skin) [design].
MAX_SETTLE_MM = 10.0
# The tissue pressed up under the lifted end moves as one sheet: the settling shift is
# smoothed across this much of the face (a per-line shift drew a saw-tooth rim) [design].
SETTLE_SMOOTH_MM = 3.0

# Default time-gain compensation: the scanner's built-in depth gain, dB per cm per MHz
# (round trip); the eight TGC sliders adjust around it.
BASELINE_TGC_DB_CM_MHZ = 1.6

# Needle [R9, R10]
# The needle's echoes were tuned against muscle speckle of 0.02 (R9, and the tip-visibility
# threshold the scoring's "tip in view" was calibrated on); when the speckle level fell for
# R6 the needle kept its contrast to the tissue, so what a trainee sees of the needle - and
# the score - did not change [design].
NEEDLE_ECHO_SCALE = SPECKLE_LEVEL / 0.02
STEEL_IMPEDANCE_MRAYL = 7.9 * 5.74
NEEDLE_CONVEX_GAIN = 3.0       # echo of a cylinder across a beam of width w: ~ 3 * OD / w
NEEDLE_DIFFUSE = 0.06          # shaft roughness echo left at steep angles (amplitude)
NEEDLE_TIP_ECHO = 0.15         # tip / bevel scatter (amplitude of a point target)
NEEDLE_REVERB_LOSS = 0.55      # extra amplitude loss per lumen round trip (beam spreading)
NEEDLE_REVERBS = 6             # comet-tail echoes drawn
NEEDLE_SHADOW_MAX = 0.85       # most of the beam the shaft can block
NEEDLE_ELEMENT_MM = 0.1        # the shaft is drawn as point elements this far apart
LUMEN_SPEED_M_S = 1500.0       # fluid in the lumen sets the comet-tail spacing


@dataclass(frozen=True, eq=False)
class LabelTable:
    """Acoustic properties per label (index 0 = outside the body: coupling gel/water).

    Attributes (all ``(n_labels,)`` unless noted)
    ----------
    impedance_mrayl, alpha_db_cm_mhz : float64
    scatter_density : float64       mu0, 0..1
    scatter_amplitude : float64     relative to muscle
    anisotropy : float64            exponent n of |cos(beam, fibre normal)|^n
    fibre : (n_labels, 3) float64   unit fibre direction (zeros: isotropic)
    tissue_id : int64               index of the tissue (same id = same tissue)
    fluid : bool
    diffuse : float64               diffuse (angle-independent) share of its interface echoes
    septa : float64                 strength of the fibre-septa texture (elongated muscles)
    septa_axes : (n_labels, 2, 3)   two unit vectors across the muscle's fibres
    lobules : float64               strength of the fat-lobule septa texture
    """

    impedance_mrayl: np.ndarray
    alpha_db_cm_mhz: np.ndarray
    scatter_density: np.ndarray
    scatter_amplitude: np.ndarray
    anisotropy: np.ndarray
    fibre: np.ndarray
    tissue_id: np.ndarray
    fluid: np.ndarray
    diffuse: np.ndarray
    septa: np.ndarray
    septa_axes: np.ndarray
    lobules: np.ndarray


@lru_cache(maxsize=8)
def label_table(world: World) -> LabelTable:
    """The acoustic table of ``world``'s structures (cached per world)."""
    water = TISSUES["injectate"].acoustic
    structures = world.anatomy.structures
    n = len(structures) + 1
    keys = list(TISSUES)
    z = np.empty(n)
    alpha = np.empty(n)
    mu0 = np.zeros(n)
    amp = np.zeros(n)
    aniso = np.zeros(n)
    fibre = np.zeros((n, 3))
    tid = np.full(n, -1, np.int64)
    fluid = np.zeros(n, bool)
    diffuse = np.full(n, DIFFUSE_FRACTION)
    septa = np.zeros(n)
    septa_axes = np.zeros((n, 2, 3))
    lobules = np.zeros(n)
    z[0], alpha[0] = water.impedance_mrayl, water.attenuation_db_cm_mhz
    fluid[0] = True
    for s in structures:
        a = s.tissue.acoustic
        z[s.index] = a.impedance_mrayl
        alpha[s.index] = a.attenuation_db_cm_mhz
        mu0[s.index] = a.scatter_density
        amp[s.index] = a.scatter_amplitude
        tid[s.index] = keys.index(s.tissue.key)
        fluid[s.index] = s.tissue.fluid
        diffuse[s.index] = ROUGH_SURFACES.get(s.tissue.key, DIFFUSE_FRACTION)
        if a.anisotropy_exponent > 0 and s.entry.fibre_direction is not None:
            f = np.asarray(s.entry.fibre_direction, float)
            fibre[s.index] = f / np.linalg.norm(f)
            aniso[s.index] = a.anisotropy_exponent
        if s.tissue.key in SEPTA_TISSUES:
            axes = _elongation(s.vertices)
            if axes is not None:
                septa[s.index] = SEPTA_TISSUES[s.tissue.key]
                septa_axes[s.index] = axes
        lobules[s.index] = LOBULE_TISSUES.get(s.tissue.key, 0.0)
    return LabelTable(z, alpha, mu0, amp, aniso, fibre, tid, fluid, diffuse, septa, septa_axes,
                      lobules)


def _elongation(vertices: np.ndarray) -> np.ndarray | None:
    """For an elongated shape, two unit vectors ``(2, 3)`` across its long axis (the fibre
    direction of a muscle belly); ``None`` for a compact one (a block, a filler)."""
    v = vertices[:: max(1, len(vertices) // 4000)]
    _, sv, vt = np.linalg.svd(v - v.mean(0), full_matrices=False)
    if sv[0] < SEPTA_ELONGATION * sv[1]:
        return None
    return vt[1:3]


def wavelength_mm(frequency_mhz: float) -> float:
    return C0_MM_US / frequency_mhz
