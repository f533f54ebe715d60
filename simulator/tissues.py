"""Tissue property table: acoustic, x-ray and mechanical values per tissue, each with its source.

Every renderer and the needle mechanics read tissue behaviour from here, so one number lives in
one place. Values vary 10-30 % between sources; they are tunable defaults, not constants.

Source keys (full references in ``SOURCES``):

- ``US-A`` Fernandes et al., Bioengineering 2025 12(9):946, App. A (ex vivo density, speed).
- ``US-B`` Sensors 2023 23(13):5942, Table A2 (speed, impedance).
- ``US-C`` Diagnostics 2023 13(5):855, Table 4 (attenuation at 1 MHz).
- ``I4H`` isaac-for-healthcare/i4h-sensor-simulation material.cpp (scatter mu0/mu1/sigma).
- ``BURGER`` Blito/burgercpp examples/ircad11/liver.scene (scatter parameters).
- ``XR`` fluoroscopy.md section 3: NIST/xraydb mixture-rule mu at 60 keV (ICRU compositions).
- ``OLY`` Olympus 45MG manual Table 28 (steel sound speed).
- ``MECH-O`` Okamura, Simone & O'Leary, IEEE TBME 51(10):1707, 2004 (needle insertion forces:
  capsule/skin puncture peaks 1-3 N, cutting forces of a few tenths of a newton).
- ``MECH-A`` Abolhassani, Patel & Moallem, Med Eng Phys 29:413, 2007 (review: skin puncture
  needs the largest force; fat lowest; tenting of membranes before puncture).
- ``PRESS`` Hadzic et al., Reg Anesth Pain Med 29:417, 2004 (opening injection pressure >
  ~100 kPa (15 psi) signals intraneural/intrafascicular or dense-tissue injection; perineural
  and intra-cavity injection opens below ~35 kPa (5 psi)).
- ``DESIGN`` a design value chosen for the simulator and flagged as such [unverified].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

SOURCES = MappingProxyType(
    {
        "US-A": "Fernandes N.A.T.C. et al., Bioengineering 2025 12(9):946, Appendix A.1/A.2",
        "US-B": "Sensors 2023 23(13):5942, Table A2",
        "US-C": "Diagnostics 2023 13(5):855, Table 4",
        "I4H": "isaac-for-healthcare/i4h-sensor-simulation ultrasound-simulator material.cpp",
        "BURGER": "Blito/burgercpp examples/ircad11/liver.scene",
        "XR": "fluoroscopy.md s.3: xraydb/NIST mixture rule, ICRU-44/46 compositions, 60 keV",
        "OLY": "Olympus 45MG manual, Table 28 (sound velocities)",
        "MECH-O": "Okamura, Simone & O'Leary, IEEE TBME 51(10):1707-1716, 2004",
        "MECH-A": "Abolhassani, Patel & Moallem, Med Eng Phys 29(4):413-431, 2007",
        "PRESS": "Hadzic et al., Reg Anesth Pain Med 29(5):417-423, 2004",
        "HOFF": "Hoffmeister et al., JASA 97(2):1307, 1995 (tendon backscatter anisotropy)",
        "DESIGN": "design value for the simulator [unverified]",
    }
)


@dataclass(frozen=True)
class Acoustic:
    """Ultrasound properties.

    Attributes
    ----------
    density_kg_m3, speed_m_s : float
        Give the acoustic impedance ``Z = density * speed``.
    attenuation_db_cm_mhz : float
        One-way amplitude attenuation slope; the round trip doubles it.
    scatter_density : float
        mu0 in the Buerger/i4h parameterisation, 0..1: fraction of resolution cells holding a
        scatterer. 1 gives fully developed (Rayleigh) speckle, 0 an anechoic tissue.
    scatter_amplitude : float
        Mean backscatter amplitude relative to muscle (= 1).
    anisotropy_exponent : float
        Fibrillar tissue echo is scaled by ``|cos(angle to fibre normal)| ** n``; 0 = isotropic.
        Tendon n = 75 dims a 10 deg tilt by 10 dB (R12 of ultrasound.md; the renderer floors
        it at -30 dB: tendon's peak-to-nadir is ~36 dB, Hoffmeister 1995); the trainee rocks
        the probe heel-to-toe to bring a darkened tendon back. Ligament (10) and joint capsule
        (8) stay lower: their fibres interweave in several directions, and at 75 the
        iliofemoral ligament in the hip standard view fell from 90 to 34 grey.
    """

    density_kg_m3: float
    speed_m_s: float
    attenuation_db_cm_mhz: float
    scatter_density: float
    scatter_amplitude: float
    anisotropy_exponent: float
    source: str

    @property
    def impedance_mrayl(self) -> float:
        """Characteristic acoustic impedance in MRayl."""
        return self.density_kg_m3 * self.speed_m_s * 1e-6


@dataclass(frozen=True)
class XRay:
    """X-ray linear attenuation at the simulator's effective energy (60 keV)."""

    mu_per_cm: float
    source: str


@dataclass(frozen=True)
class Mechanical:
    """Needle-tissue mechanics for a 22 G bevelled needle.

    Attributes
    ----------
    penetrable : bool
        False for cortical bone: the needle stops at its surface.
    puncture_mm : float
        How far a membrane at the entry of this tissue tents before the needle pops through
        (0 = no membrane to puncture).
    cutting_force_n : float
        Force to cut through the tissue at the needle tip.
    friction_n_per_mm : float
        Shaft friction per millimetre of needle inside this tissue.
    injection_pressure_kpa : float
        Opening pressure of an injection with the tip in this tissue.
    deflection_scale : float
        Bevel deflection relative to the nominal 1 mm per cm of travel.
    """

    penetrable: bool
    puncture_mm: float
    cutting_force_n: float
    friction_n_per_mm: float
    injection_pressure_kpa: float
    deflection_scale: float
    source: str


@dataclass(frozen=True)
class Tissue:
    """One row of the tissue table."""

    key: str
    label: str
    acoustic: Acoustic
    xray: XRay
    mechanical: Mechanical
    fluid: bool = False
    notes: str = field(default="", compare=False)


def _t(key, label, ac, xr, me, fluid=False, notes=""):
    return Tissue(key, label, Acoustic(*ac), XRay(*xr), Mechanical(*me), fluid, notes)


# Fluid in the body is not black on a clinical scan: side lobes, clutter and reverberation
# from the tissue around it leave a floor about 20-30 dB below muscle (ultrasound.md, issue
# 12). The renderer has no side lobes, so fluids in the body scatter at this amplitude
# (-28 dB) instead; injectate (water) stays anechoic [design].
FLUID_FLOOR = 0.04

# Columns: acoustic (density, speed, alpha, mu0, amplitude, anisotropy, source),
# x-ray (mu at 60 keV per cm, source),
# mechanical (penetrable, puncture_mm, cutting N, friction N/mm, pressure kPa, deflection, source).
_ROWS = (
    _t("air", "Air",
       (1.2, 343.0, 20.0, 0.0, 0.0, 0.0, "US-B; PLUS config (air)"),
       (0.0, "XR (negligible)"),
       (True, 0.0, 0.0, 0.0, 0.0, 0.0, "DESIGN")),
    _t("skin", "Skin",
       (1131.0, 1655.0, 1.0, 1.0, 1.4, 0.0, "US-A density/speed; BURGER alpha 1.0"),
       (0.217, "XR soft tissue (ICRU-44)"),
       (True, 4.0, 0.9, 0.004, 60.0, 1.0, "MECH-A largest puncture force; MECH-O")),
    _t("subcutaneous_fat", "Subcutaneous fat",
       (927.0, 1462.0, 0.63, 0.6, 0.5, 0.0, "US-A; US-C alpha 0.63; I4H fat"),
       (0.188, "XR adipose (ICRU-44)"),
       (True, 0.0, 0.15, 0.001, 20.0, 0.6, "MECH-A fat lowest resistance")),
    _t("muscle", "Skeletal muscle",
       (1058.0, 1580.0, 1.09, 1.0, 1.0, 2.0, "US-A; US-B 1580; I4H muscle alpha 1.09"),
       (0.215, "XR muscle (ICRU-44)"),
       (True, 0.0, 0.35, 0.002, 30.0, 1.0, "MECH-O cutting force order")),
    _t("tendon", "Tendon",
       (1121.0, 1750.0, 1.57, 1.0, 1.8, 75.0, "US-A; US-C connective 1.57; HOFF anisotropy"),
       (0.220, "XR soft tissue, denser collagen [derived]"),
       (True, 1.5, 1.2, 0.006, 250.0, 1.4, "MECH-A; PRESS high pressure in dense tissue")),
    _t("ligament", "Ligament",
       (1110.0, 1664.0, 1.57, 1.0, 1.6, 10.0, "US-A ligament 1664; US-C connective"),
       (0.220, "XR soft tissue, denser collagen [derived]"),
       (True, 1.5, 1.1, 0.006, 220.0, 1.4, "MECH-A; PRESS")),
    _t("joint_capsule", "Joint capsule",
       (1110.0, 1700.0, 1.57, 1.0, 1.6, 8.0, "US-A ligament/tendon range; US-C connective"),
       (0.220, "XR soft tissue, denser collagen [derived]"),
       (True, 2.0, 1.0, 0.005, 180.0, 1.3, "MECH-O capsule puncture peak; PRESS")),
    _t("synovial_fluid", "Synovial fluid",
       (1010.0, 1530.0, 0.15, 1.0, FLUID_FLOOR, 0.0,
        "ultrasound.md 2.1 [unverified]; blood-like alpha; FLUID_FLOOR"),
       (0.208, "XR water scaled to 1.01 g/cm3 [derived]"),
       (True, 0.0, 0.02, 0.0, 8.0, 0.2, "PRESS intra-cavity opening pressure low"),
       fluid=True),
    _t("hyaline_cartilage", "Hyaline cartilage",
       (1033.0, 1626.0, 2.0, 0.25, 0.3, 0.0,
        "US-A density; Patil UMB 2004 speed; alpha [unverified]"),
       (0.229, "XR cartilage (ICRU)"),
       (True, 0.5, 2.5, 0.008, 400.0, 0.5, "DESIGN stiff, resists injection")),
    _t("labrum", "Acetabular labrum (fibrocartilage)",
       (1100.0, 1700.0, 1.6, 1.0, 2.2, 4.0, "US-A ligament range (fibrocartilage) [derived]"),
       (0.229, "XR cartilage (ICRU)"),
       (True, 1.0, 2.0, 0.008, 350.0, 1.0, "DESIGN")),
    _t("cortical_bone", "Cortical bone",
       (1862.0, 3194.0, 15.0, 0.8, 1.0, 0.0, "US-A 3194/1862; US-C 15 dB/cm/MHz"),
       (0.604, "XR cortical bone (ICRU-44)"),
       (False, 0.0, 0.0, 0.0, 1000.0, 0.0, "needle stops at cortex (clinical.md technique)")),
    _t("cancellous_bone", "Cancellous bone",
       (1180.0, 2325.0, 20.0, 1.0, 1.5, 0.0, "US-A trabecular 2325; high scattering loss"),
       (0.281, "XR trabecular bone (ICRU-46)"),
       (False, 0.0, 0.0, 0.0, 1000.0, 0.0, "only reachable through cortex")),
    _t("arterial_blood", "Arterial blood",
       (1060.0, 1570.0, 0.18, 1.0, FLUID_FLOOR, 0.0, "US-C 0.15-0.18; I4H blood; FLUID_FLOOR"),
       (0.218, "XR blood, 1.06 g/cm3 [derived]"),
       (True, 1.0, 0.3, 0.0, 15.0, 0.3, "MECH-A vessel wall puncture; PRESS"),
       fluid=True),
    _t("venous_blood", "Venous blood",
       (1060.0, 1570.0, 0.18, 1.0, FLUID_FLOOR, 0.0, "US-C 0.15-0.18; I4H blood; FLUID_FLOOR"),
       (0.218, "XR blood, 1.06 g/cm3 [derived]"),
       (True, 0.5, 0.3, 0.0, 8.0, 0.3, "MECH-A thin vein wall"),
       fluid=True),
    _t("nerve", "Peripheral nerve",
       (1070.0, 1630.0, 1.2, 1.0, 1.3, 3.0, "US-A soft tissue range [derived]; fascicular"),
       (0.215, "XR soft tissue (ICRU-44)"),
       (True, 1.0, 0.8, 0.004, 140.0, 1.2, "PRESS intraneural injection >100 kPa")),
    _t("bursa", "Bursa (synovial-lined sac)",
       (1010.0, 1530.0, 0.2, 0.05, 0.1, 0.0, "synovial fluid values [derived]"),
       (0.208, "XR water scaled to 1.01 g/cm3 [derived]"),
       (True, 1.0, 0.05, 0.0, 10.0, 0.3, "PRESS intra-cavity opening pressure low"),
       fluid=True),
    _t("injectate", "Injectate (steroid / local anaesthetic)",
       (1000.0, 1500.0, 0.02, 0.0, 0.0, 0.0, "water-like aqueous solution (US-B water)"),
       (0.206, "XR water"),
       (True, 0.0, 0.0, 0.0, 5.0, 0.2, "DESIGN"),
       fluid=True),
    _t("iodinated_contrast", "Iodinated contrast (iohexol 300 mgI/mL)",
       (1349.0, 1550.0, 0.05, 0.0, 0.0, 0.0,
        "Omnipaque label specific gravity; speed [unverified]"),
       (2.48, "XR iohexol 300 mgI/mL"),
       (True, 0.0, 0.0, 0.0, 5.0, 0.2, "DESIGN"),
       fluid=True),
    _t("steel", "Stainless steel (needle)",
       (7900.0, 5740.0, 0.0, 0.0, 0.0, 0.0, "OLY 347 steel 5740 m/s; density vendor note"),
       (10.2, "XR stainless steel 316L"),
       (False, 0.0, 0.0, 0.0, 0.0, 0.0, "rigid")),
)

TISSUES: MappingProxyType[str, Tissue] = MappingProxyType({t.key: t for t in _ROWS})
TISSUE_KEYS: tuple[str, ...] = tuple(TISSUES)


def tissue(key: str) -> Tissue:
    """Return the tissue for ``key``; raise ``KeyError`` naming the valid keys otherwise."""
    try:
        return TISSUES[key]
    except KeyError:
        raise KeyError(f"unknown tissue {key!r}; valid: {', '.join(TISSUE_KEYS)}") from None
