"""Generated shoulder anatomy: closed disjoint surfaces that measure up to the clinical numbers.

Every check measures the built meshes (rays, distances, containment) rather than reading the
generator's internals; the drawn parameters only supply expected values. Clinical numbers from
clinical.md s.3.3 (posterior glenohumeral approach) and s.3.4 (subacromial-subdeltoid bursa).
The checks every generator's mesh set passes are in test_anatomy_mesh_sets.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from anatomy_joints import SHOULDER
from anatomy_probe import Model, assert_tiles_the_body, joint_fixtures
from scipy.spatial import cKDTree

SKIN_MARKS = ("posterior_skin_over_joint", "posterior_entry_skin", "skin_over_bursa",
              "lateral_entry_skin")

models, shoulder = joint_fixtures(SHOULDER)


def _glenoid_axes(m: Model):
    """Glenoid face normal (toward the head) and in-face axes from the cartilage surface."""
    v = m.by_name["glenoid_cartilage"].vertices
    centred = v - v.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    normal = vt[2] * np.sign(vt[2] @ (m.mark["humeral_head_center"] - v.mean(0)))
    up = np.array([0.0, 0.0, 1.0]) - normal[2] * normal
    up /= np.linalg.norm(up)
    return normal, up, np.cross(normal, up)


# -- structure and topology --------------------------------------------------------------------

def test_supraspinatus_tendon_runs_laterally(shoulder):
    fibre = shoulder.model.manifest().structure("supraspinatus_tendon").fibre_direction
    assert np.asarray(fibre) @ np.array([1.0, 0.0, 0.0]) > 0.5  # to the greater tuberosity


@pytest.mark.parametrize("key", ["default", "thin_kl3"])
def test_structures_are_disjoint_and_tile_the_body(models, key):
    """Nobody claims a point twice, no pockets, and round the joint itself every voxel is
    claimed."""
    m = models[key]
    assert_tiles_the_body(m, m.mark["humeral_head_center"], 40.0, 0.5, claimed_margin=40)


# -- bones and joint ---------------------------------------------------------------------------

def test_head_and_glenoid_size_by_sex(models):
    for key, radius_lo, radius_hi, height, width in (("default", 20.5, 24.0, 33.0, 24.0),
                                                      ("male", 23.0, 26.5, 38.0, 28.0)):
        m = models[key]
        centre = m.mark["humeral_head_center"]
        v = m.by_name["humeral_head_cartilage"].vertices
        r = np.linalg.norm(v - centre, axis=1)
        outer = np.percentile(r, 95)  # outer (articular) surface of the cartilage cap
        assert radius_lo < outer - m.params.head_cartilage_mm < radius_hi, key
        normal, up, across = _glenoid_axes(m)
        g = m.by_name["glenoid_cartilage"].vertices
        assert np.ptp(g @ up) == pytest.approx(m.params.glenoid_height_mm, abs=2.0), key
        assert np.ptp(g @ across) == pytest.approx(m.params.glenoid_width_mm, abs=2.0), key
        assert abs(m.params.glenoid_height_mm - height) < 3.0
        assert abs(m.params.glenoid_width_mm - width) < 2.5


def test_glenoid_faces_anterolaterally(models):
    for key in ("default", "left"):
        m = models[key]
        normal, _, _ = _glenoid_axes(m)
        lateral, anterior = normal[0] * m.side, normal[1]
        angle = np.degrees(np.arctan2(anterior, lateral))
        # scapular plane ~30 deg anterior to coronal, glenoid ~6 deg retroverted
        assert 15.0 < angle < 35.0, key
        assert m.contains("scapula", m.mark["glenoid_center"] - 1.0 * normal)


def test_bony_landmarks(shoulder):
    m = shoulder
    head = m.mark["humeral_head_center"]
    for key, bone in (("greater_tuberosity", "humerus"), ("lesser_tuberosity", "humerus"),
                      ("acromion_angle", "scapula"), ("acromion_lateral", "scapula"),
                      ("coracoid_tip", "scapula")):
        assert m.distance(bone, m.mark[key])[0] < 1.5, key
    assert m.mark["greater_tuberosity"][0] - head[0] > 15.0  # lateral
    assert m.mark["lesser_tuberosity"][1] - head[1] > 15.0  # anterior
    assert m.mark["coracoid_tip"][1] - head[1] > 15.0
    # acromiohumeral distance: head bone top to acromion undersurface, normal 7-14 mm
    top = m.hits("humerus", head, [0, 0, 1])[-1]
    acromion = m.hits("scapula", head, [0, 0, 1])[0]
    assert 7.0 < acromion - top < 14.0


def _shaft_axis(m: Model):
    """A point on the humeral shaft axis and its unit distal direction, from the shaft's
    surface 50-100 mm below the head centre (above the model's cut end)."""
    v = m.by_name["humerus"].vertices
    z0 = m.mark["humeral_head_center"][2]
    band = v[(v[:, 2] < z0 - 50.0) & (v[:, 2] > max(z0 - 100.0, v[:, 2].min() + 8.0))]
    centre = band.mean(0)
    axis = np.linalg.svd(band - centre, full_matrices=False)[2][0]
    return centre, axis if axis[2] < 0 else -axis


def test_head_sits_retroverted_on_a_135_degree_neck(models):
    """Neck-shaft angle 130-140 deg; the head faces the glenoid about 20-30 deg behind the
    coronal plane (humeral retroversion with the arm in neutral)."""
    for key in ("default", "male", "left"):
        m = models[key]
        head = m.mark["humeral_head_center"]
        cap = m.by_name["humeral_head_cartilage"].vertices
        pole = cap.mean(0) - head
        pole /= np.linalg.norm(pole)
        _, distal = _shaft_axis(m)
        assert 130.0 < np.degrees(np.arccos(pole @ distal)) < 140.0, key
        medial, posterior = -pole[0] * m.side, -pole[1]
        assert 18.0 < np.degrees(np.arctan2(posterior, medial)) < 32.0, key


def test_tuberosities_stand_either_side_of_the_bicipital_groove(models):
    """The greater tuberosity is the lateral-most point of the proximal humerus, beyond the
    head's articular sphere; round the humerus 15 mm below the head centre the bicipital
    groove, facing forward, is at least 3 mm deep on both sides and holds the long head of
    biceps."""
    for key in ("default", "male", "left"):
        m = models[key]
        head = m.mark["humeral_head_center"]
        v = m.by_name["humerus"].vertices
        upper = v[v[:, 2] > head[2] - 30.0]
        assert ((upper[:, 0] - head[0]) * m.side).max() > m.params.head_radius_mm + 1.0, key
        centre, distal = _shaft_axis(m)
        level = centre + distal * ((head[2] - 15.0 - centre[2]) / distal[2])
        theta = np.radians(np.arange(-180.0, 180.0, 3.0))
        rays = np.stack([np.cos(theta) * m.side, np.sin(theta), np.zeros_like(theta)], 1)
        rays -= (rays @ distal)[:, None] * distal
        radius = np.array([m.hits("humerus", level, d)[-1] for d in rays])
        groove = m.mark["bicipital_groove"] - level
        g = np.degrees(np.arctan2(groove[1], groove[0] * m.side))
        assert 60.0 < g < 120.0, (key, g)                      # faces forward
        deg = np.degrees(theta)
        at = radius[np.argmin(np.abs(deg - g))]
        behind = radius[(deg > g - 45.0) & (deg < g - 8.0)].max()
        front = radius[(deg > g + 8.0) & (deg < g + 45.0)].max()
        assert min(behind, front) - at > 3.0, (key, behind, at, front)
        out = groove / np.linalg.norm(groove)
        assert m.contains("biceps_long_head_tendon", m.mark["bicipital_groove"] + 2.0 * out)


def test_acromion_is_a_plate_over_the_head(models):
    """The acromion is a flat plate 7-10 mm thick, 35 mm or more from front to back, over the
    head (not a pillar)."""
    for key in ("default", "male"):
        m = models[key]
        head = m.mark["humeral_head_center"]
        lateral = m.mark["acromion_lateral"]
        thick, spans = [], []
        for dx in (-8.0, -4.0):
            for dy in np.arange(-30.0, 30.0, 2.0):
                start = np.array([lateral[0] + dx * m.side, head[1] + dy, lateral[2] + 40.0])
                # the bone's own surface: the cortex's crossings not shared with the core
                core = m.hits("scapula_marrow", start, [0.0, 0.0, -1.0])
                t = [x for x in m.hits("scapula", start, [0.0, 0.0, -1.0])
                     if not len(core) or np.abs(core - x).min() > 1e-3]
                if len(t) >= 2 and t[0] < 50.0:
                    thick.append(t[1] - t[0])
                    spans.append(dy)
        assert 7.0 < np.median(thick) < 10.0, (key, thick)
        assert max(thick) < 12.0, key
        assert max(spans) - min(spans) > 35.0, key


def test_cartilage_thins_with_oa(models):
    def film_to_bone(m):
        head = m.mark["humeral_head_center"]
        towards = m.mark["glenoid_center"] - head
        bone = m.hits("humerus", head, towards)
        glenoid = m.hits("scapula", head, towards)
        return glenoid[0] - bone[-1]  # radiographic joint space at the glenoid centre
    normal, thin = film_to_bone(models["default"]), film_to_bone(models["thin_kl3"])
    assert 3.0 < normal < 4.2
    assert thin < normal - 1.0


# -- posterior approach to the glenohumeral joint ----------------------------------------------

def _skin_to_capsule(m: Model) -> float:
    """Skin to posterior capsule on the straight posterior-anterior line through the target
    (how the arthroscopic series measured it)."""
    target = m.mark["target_posterior_recess"]
    start = target + np.array([0.0, -150.0, 0.0])
    skin = m.hits("skin", start, [0, 1, 0])[0]
    capsule = m.hits("joint_capsule", start, [0, 1, 0])[0]
    return capsule - skin


def test_posterior_skin_to_capsule_depth_in_range_and_grows_with_bmi(models):
    depth = {k: _skin_to_capsule(models[k]) for k in ("thin_kl3", "default", "bmi40_effusion",
                                                       "male")}
    for key, d in depth.items():
        assert 24.0 <= d <= 58.0, (key, d)  # clinical.md s.3.3: 43.5 (24-58) mm
    assert 33.0 < depth["default"] < 50.0
    assert depth["thin_kl3"] < depth["default"] < depth["bmi40_effusion"]
    assert depth["bmi40_effusion"] - depth["thin_kl3"] > 8.0


def test_posterior_approach_crosses_deltoid_then_infraspinatus(models):
    for key in ("default", "male", "left"):
        m = models[key]
        target = m.mark["target_posterior_recess"]
        entry = m.mark["posterior_entry_skin"]
        names = ["skin", "subcutaneous_fat", "deltoid", "infraspinatus", "infraspinatus_tendon",
                 "joint_capsule", "posterior_recess", "scapula", "humerus", "glenoid_labrum",
                 "suprascapular_nerve", "axillary_nerve", "posterior_circumflex_humeral_artery",
                 "cephalic_vein"]
        order = [n for _, n in m.along(entry - 2.0 * (target - entry) / np.linalg.norm(
            target - entry), target, names)]
        assert order[:3] == ["skin", "subcutaneous_fat", "deltoid"], (key, order)
        assert "infraspinatus" in order and order.index("infraspinatus") > 2
        assert order[-2:] == ["joint_capsule", "posterior_recess"], (key, order)
        assert not {"scapula", "humerus", "glenoid_labrum", "suprascapular_nerve",
                    "axillary_nerve", "posterior_circumflex_humeral_artery"} & set(order)
        # lateral to medial: the entry lies lateral and posterior of the target
        offset = entry - target
        assert offset[0] * m.side > 15.0 and offset[1] < -15.0


def test_target_between_posterior_labrum_and_head_cartilage(models):
    for key in ("default", "male", "left", "bmi40_effusion"):
        m = models[key]
        target = m.mark["target_posterior_recess"]
        assert m.contains("posterior_recess", target), key
        assert m.distance("glenoid_labrum", target)[0] < 6.0, key
        gap = m.params.recess_mm
        assert m.distance("humeral_head_cartilage", target)[0] < 0.5 * gap + 0.6, key
        # the labrum lies medial to the target: the tip need not cross it
        labrum = m.by_name["glenoid_labrum"].vertices
        nearest = labrum[np.argmin(np.linalg.norm(labrum - target, axis=1))]
        assert (nearest[0] - target[0]) * m.side < 0.0, key
        assert target[1] < m.mark["glenoid_center"][1], key  # posterior half of the joint


def test_posterior_recess_deepens_with_effusion(models):
    def depth(m):
        head = m.mark["humeral_head_center"]
        out = m.mark["target_posterior_recess"] - head
        t = m.hits("posterior_recess", head, out)
        return t[1] - t[0]
    normal, wet = depth(models["default"]), depth(models["bmi40_effusion"])
    assert normal == pytest.approx(models["default"].params.recess_mm, abs=0.5)
    assert wet - normal == pytest.approx(4.0, abs=0.8)


# -- subacromial-subdeltoid bursa --------------------------------------------------------------

@pytest.mark.parametrize("key", ["default", "male", "left"])
def test_bursa_between_deltoid_and_supraspinatus(models, key):
    m = models[key]
    target = m.mark["target_subacromial_bursa"]
    assert m.contains("subacromial_bursa", target)
    head = m.mark["humeral_head_center"]
    out = (target - head) / np.linalg.norm(target - head)
    tendon = m.hits("supraspinatus_tendon", head, out)
    bursa = m.hits("subacromial_bursa", head, out)[:2]
    deltoid = m.hits("deltoid", head, out)
    assert tendon[-1] == pytest.approx(bursa[0], abs=0.3)   # tendon right under the bursa
    # deltoid right over it: its first surface past the sac's middle (where the deltoid's
    # surface meets the sac's inner wall, the two crossings coincide to rounding)
    first_deltoid = deltoid[deltoid > 0.5 * (bursa[0] + bursa[1])][0]
    assert first_deltoid == pytest.approx(bursa[1], abs=0.3)
    assert bursa[1] - bursa[0] == pytest.approx(m.params.bursa_mm, abs=0.4)


def _skin_depth_around(m: Model, point, view, cone_deg: float = 40.0) -> float:
    """Shortest distance from ``point`` to the outer skin along rays within ``cone_deg`` of
    ``view``: the depth a probe held flat on the skin there shows."""
    view = np.asarray(view, float) / np.linalg.norm(view)
    a = np.cross(view, [0.0, 0.0, 1.0])
    a /= np.linalg.norm(a)
    b = np.cross(view, a)
    best = np.inf
    for polar in np.radians(np.arange(0.0, cone_deg + 1.0, 5.0)):
        for azimuth in np.radians(np.arange(0.0, 360.0, 20.0)):
            d = np.cos(polar) * view + np.sin(polar) * (np.cos(azimuth) * a
                                                        + np.sin(azimuth) * b)
            t = m.hits("skin", point, d)
            if len(t):
                best = min(best, float(t[-1]))
    return best


def test_sasd_bursa_depth_in_the_clinical_range_and_grows_with_bmi(models):
    """Skin to the SASD bursa 0.8-2 cm at BMI 20-27 for both sexes (clinical.md s.3.4, a
    scenario range), deeper with BMI, under a thin lateral deltoid (not 2-3 cm of muscle)."""
    depth = {}
    for key in ("thin_kl3", "default", "male", "bmi40_effusion"):
        m = models[key]
        target = m.mark["target_subacromial_bursa"]
        skin = m.mark["skin_over_bursa"]
        depth[key] = _skin_depth_around(m, target, skin - target)
        crossed = m.along(skin + 2.0 * (skin - target) / np.linalg.norm(skin - target),
                          target, ["deltoid", "subacromial_bursa"])
        deltoid = [t for t, name in crossed if name == "deltoid"]
        bursa = [t for t, name in crossed if name == "subacromial_bursa"]
        assert 4.0 < bursa[0] - deltoid[0] < 11.0, (key, crossed)
    for key in ("thin_kl3", "default", "male"):
        assert 8.0 <= depth[key] <= 20.0, (key, depth)
    assert depth["thin_kl3"] < depth["default"] < depth["bmi40_effusion"], depth


def test_bursa_runs_under_the_acromion_and_thickens_with_effusion(models):
    for key in ("default", "bmi40_effusion"):
        m = models[key]
        head = m.mark["humeral_head_center"]
        up = [0.0, 0.0, 1.0]
        bursa = m.hits("subacromial_bursa", head, up)[:2]
        acromion = m.hits("scapula", head, up)[0]
        tendon = m.hits("supraspinatus_tendon", head, up)
        assert tendon[-1] < bursa[0] < bursa[1] < acromion < bursa[1] + 3.0, key
        assert bursa[1] - bursa[0] == pytest.approx(m.params.bursa_mm, abs=0.4), key
    assert models["bmi40_effusion"].params.bursa_mm == pytest.approx(
        models["default"].params.bursa_mm + 2.0)


# -- nerves and vessels ------------------------------------------------------------------------

def _posterior_rim(m: Model) -> np.ndarray:
    """Most posterior point of the glenoid cartilage near mid-height."""
    normal, up, across = _glenoid_axes(m)
    g = m.by_name["glenoid_cartilage"].vertices
    mid = g[np.abs((g - g.mean(0)) @ up) < 4.0]
    posterior = -across * np.sign(across[1])  # across points anterior or posterior
    return mid[np.argmax(mid @ posterior)]


@pytest.mark.parametrize("key", ["default", "male", "left"])
def test_suprascapular_nerve_at_the_spinoglenoid_notch(models, key):
    m = models[key]
    notch = m.mark["suprascapular_nerve_at_notch"]
    assert m.contains("suprascapular_nerve", notch)
    rim = _posterior_rim(m)
    assert 12.0 < np.linalg.norm(notch - rim) < 26.0  # ~18 mm medial to the posterior rim
    normal, _, _ = _glenoid_axes(m)
    assert (rim - notch) @ normal > 10.0  # medial, behind the glenoid face
    assert notch[1] < m.mark["glenoid_center"][1]  # on the back of the neck
    assert m.distance("scapula", notch)[0] < 3.0  # lies on the bone
    target = m.mark["target_posterior_recess"]
    nerve = m.by_name["suprascapular_nerve"].vertices
    assert np.linalg.norm(nerve - target, axis=1).min() > 10.0  # out of the path


@pytest.mark.parametrize("key", ["default", "male", "left"])
def test_axillary_nerve_and_circumflex_artery_in_the_quadrilateral_space(models, key):
    m = models[key]
    back = m.mark["axillary_nerve_posterior"]
    assert m.contains("axillary_nerve", back)
    # 5-6 cm below the lateral acromion, below the glenoid, behind the surgical neck
    drop = m.mark["acromion_lateral"][2] - back[2]
    assert 45.0 < drop < 75.0
    assert back[2] < m.by_name["glenoid_cartilage"].vertices[:, 2].min()
    assert m.distance("humerus", back)[0] < 6.0
    in_front = m.hits("humerus", back, [0.0, 1.0, 0.0])
    assert len(in_front) and in_front[0] < 8.0  # the surgical neck lies right in front
    nerve = m.by_name["axillary_nerve"].vertices
    artery = m.by_name["posterior_circumflex_humeral_artery"].vertices
    assert cKDTree(artery).query(nerve)[0].min() < 4.0  # they run together
    # both wrap round the neck from medial to lateral
    for name in ("axillary_nerve", "posterior_circumflex_humeral_artery"):
        x = (m.by_name[name].vertices[:, 0] - m.mark["humeral_head_center"][0]) * m.side
        assert x.min() < -10.0 and x.max() > 10.0, name
    target = m.mark["target_posterior_recess"]
    for name in ("axillary_nerve", "posterior_circumflex_humeral_artery"):
        assert np.linalg.norm(m.by_name[name].vertices - target, axis=1).min() > 15.0


def test_cephalic_vein_in_the_deltopectoral_groove(shoulder):
    m = shoulder
    head = m.mark["humeral_head_center"]
    v = m.by_name["cephalic_vein"].vertices
    upper = v[v[:, 2] > head[2] - 80.0]
    assert len(upper) and (upper[:, 1] > head[1] + 20.0).all()  # in front of the shoulder
    gap = m.distance("subcutaneous_fat", upper[::20])
    assert gap.min() < 1.0 and gap.max() < 2 * m.params.vein_radius_mm + 1.5  # under the fat


# the only test of the "extreme" patient, a build of its own (about 30 s of CPU): the default
# run keeps the SIJ's extreme patient and every other shoulder test
@pytest.mark.slow
def test_extreme_patient_still_builds_a_usable_joint(models):
    """A large glenoid with worn cartilage, obesity and a big effusion: the capsule still
    inserts beyond the labrum and every target and landmark is where it belongs."""
    m = models["extreme"]
    assert m.contains("posterior_recess", m.mark["target_posterior_recess"])
    assert m.contains("subacromial_bursa", m.mark["target_subacromial_bursa"])
    assert 24.0 <= _skin_to_capsule(m) <= 58.0
    for name in SKIN_MARKS:
        assert m.distance("skin", m.mark[name])[0] < 0.3, name
    assert m.mark["humeral_head_center"][0] < 0  # left side


# -- skin landmarks, determinism and sides ------------------------------------------------------

def test_skin_landmarks_lie_on_the_skin(models):
    for key in ("default", "bmi40_effusion", "left"):
        m = models[key]
        for name in SKIN_MARKS:
            assert m.distance("skin", m.mark[name])[0] < 0.3, (key, name)
