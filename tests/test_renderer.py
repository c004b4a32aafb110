"""Ray-casting renderer (envs_mjx.renderer) on tiny inline MJCF scenes.

The camera ``cam`` sits at (-1, 0, 0.25) and looks along world +x; image right is world -y and
image up is world +z. Objects are centred at (0, 0, 0.25), i.e. 1 m in front of the camera.
"""

import math  # noqa: I001  (envs_mjx must be imported before jax)

import envs_mjx  # noqa: F401  (sets XLA flags before JAX starts)
import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest

from envs_mjx.renderer import Renderer, RenderConfig

H = W = 64
FOVY = 45.0
CAM = f'<camera name="cam" pos="-1 0 0.25" xyaxes="0 -1 0 0 0 1" fovy="{FOVY}"/>'
FLOOR = '<geom name="floor" type="plane" size="0 0 0.1" rgba="0.8 0.8 0.8 1"/>'
CFG = RenderConfig(width=W, height=H, cameras=("cam",))
FOCAL = (H / 2) / math.tan(math.radians(FOVY) / 2)  # pixels


def _model(body_xml: str, floor: bool = True) -> mujoco.MjModel:
    xml = f"""<mujoco><asset><material name="mat" rgba="0 0 1 1"/></asset>
      <worldbody>{FLOOR if floor else ''}{CAM}{body_xml}</worldbody></mujoco>"""
    return mujoco.MjModel.from_xml_string(xml)


def _forward(m: mujoco.MjModel) -> mujoco.MjData:
    d = mujoco.MjData(m)
    mujoco.mj_forward(m, d)
    return d


def _render(m: mujoco.MjModel, cfg: RenderConfig = CFG) -> np.ndarray:
    """Single image [H, W, 3] of the first configured camera."""
    d = _forward(m)
    r = Renderer(m, cfg)
    args = [jnp.asarray(x) for x in (d.geom_xpos, d.geom_xmat, d.cam_xpos, d.cam_xmat)]
    return np.asarray(jax.jit(r.render)(*args))[0]


def _mask(img: np.ndarray, ch: int) -> np.ndarray:
    """Pixels dominated by colour channel ``ch`` (0 red, 1 green, 2 blue), [H, W] bool."""
    img = img.astype(np.int32)
    others = [img[..., k] for k in range(3) if k != ch]
    return (img[..., ch] > 40) & (img[..., ch] > 2 * np.maximum(*others) + 10)


def _centroid(mask: np.ndarray) -> tuple[float, float]:
    rows, cols = np.nonzero(mask)
    return rows.mean(), cols.mean()


def test_red_box_centre_and_background_corners():
    img = _render(_model('<geom type="box" pos="0 0 0.25" size="0.1 0.1 0.1" rgba="1 0 0 1"/>'))
    assert img.shape == (H, W, 3) and img.dtype == np.uint8
    c = img[H // 2, W // 2].astype(int)
    assert c[0] > 60 and c[1] < 5 and c[2] < 5, c
    bg = np.round(np.array(CFG.background) * 255).astype(int)
    for r, col in [(0, 0), (0, W - 1)]:  # row 0 is the top: sky
        np.testing.assert_allclose(img[r, col], bg, atol=1)
    for r, col in [(H - 1, 0), (H - 1, W - 1)]:  # bottom corners: grey floor
        px = img[r, col].astype(int)
        assert px.max() - px.min() < 8 and px[0] > 60, px
    floor_shades = np.unique(img[H - 8:, :, 0])
    assert len(floor_shades) >= 2  # checker pattern makes the floor visible


def test_box_moves_right_in_image():
    cols = []
    for y in (0.2, 0.0, -0.2):  # world -y is the camera's +x (image right)
        box = f'<geom type="box" pos="0 {y} 0.25" size="0.08 0.08 0.08" rgba="1 0 0 1"/>'
        cols.append(_centroid(_mask(_render(_model(box)), 0))[1])
    assert cols[0] < W / 2 - 5 and abs(cols[1] - (W / 2 - 0.5)) < 1 and cols[2] > W / 2 + 5


@pytest.mark.parametrize("geom,shape", [
    ('type="sphere" size="0.15"', "round"),
    ('type="capsule" size="0.07 0.15"', "tall"),
    ('type="cylinder" size="0.08 0.2"', "tall"),
    ('type="box" size="0.1 0.1 0.1"', "round"),
    ('type="ellipsoid" size="0.1 0.3 0.12"', "wide"),
])
def test_primitive_hit_at_centre(geom, shape):
    img = _render(_model(f'<geom {geom} pos="0 0 0.25" rgba="0 1 0 1"/>'))
    mask = _mask(img, 1)
    assert mask[H // 2, W // 2] and mask[H // 2 - 1, W // 2 - 1]
    rows, cols = np.nonzero(mask)
    height, width = np.ptp(rows) + 1, np.ptp(cols) + 1
    assert {"round": abs(height - width) <= 1, "tall": height > 1.3 * width,
            "wide": width > 1.8 * height}[shape], (height, width)


def test_silhouette_areas_match_projection():
    r, dist = 0.2, 1.0  # sphere: a circle of angular radius asin(r / dist)
    img = _render(_model(f'<geom type="sphere" size="{r}" pos="0 0 0.25" rgba="1 0 0 1"/>'))
    expected = math.pi * (FOCAL * math.tan(math.asin(r / dist))) ** 2
    assert abs(_mask(img, 0).sum() / expected - 1) < 0.15, (_mask(img, 0).sum(), expected)
    a = 0.1  # cube seen face-on: a square of side 2a at distance dist - a
    img = _render(_model(f'<geom type="box" size="{a} {a} {a}" pos="0 0 0.25" rgba="1 0 0 1"/>'))
    expected = (2 * FOCAL * a / (dist - a)) ** 2
    assert abs(_mask(img, 0).sum() / expected - 1) < 0.15, (_mask(img, 0).sum(), expected)


@pytest.mark.parametrize("green_first", [True, False])
def test_depth_ordering(green_first):
    near = '<geom type="box" pos="-0.4 0 0.25" size="0.05 0.05 0.05" rgba="0 1 0 1"/>'
    far = '<geom type="box" pos="0.3 0 0.25" size="0.2 0.2 0.2" rgba="1 0 0 1"/>'
    img = _render(_model(near + far if green_first else far + near))
    assert _mask(img, 1)[H // 2, W // 2]
    assert _mask(img, 0)[H // 2, W // 2 + 10] and _mask(img, 0).sum() > _mask(img, 1).sum()


def test_hidden_groups_and_transparent_geoms_are_skipped():
    hidden = ('<geom type="box" pos="-0.5 0 0.25" size="0.1 0.1 0.1" group="3" rgba="0 1 0 1"/>'
              '<geom type="box" pos="-0.4 0 0.25" size="0.1 0.1 0.1" rgba="0 1 0 0"/>'
              '<geom type="sphere" pos="0 0 0.25" size="0.1" rgba="1 0 0 1"/>')
    img = _render(_model(hidden))
    assert _mask(img, 0)[H // 2, W // 2] and not _mask(img, 1).any()


def test_jit_vmap_batch_of_box_positions():
    m = _model('<geom name="box" type="box" pos="0 0 0.25" size="0.08 0.08 0.08" rgba="1 0 0 1"/>')
    d = _forward(m)
    r = Renderer(m, RenderConfig(width=W, height=H, cameras=("cam", "cam")))
    box = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, "box")
    gpos = np.repeat(d.geom_xpos[None], 3, 0)
    gpos[:, box, 1] = [0.25, 0.0, -0.25]
    batch = [jnp.asarray(gpos)] + [jnp.asarray(np.repeat(x[None], 3, 0))
                                   for x in (d.geom_xmat, d.cam_xpos, d.cam_xmat)]
    imgs = np.asarray(jax.jit(jax.vmap(r.render))(*batch))
    assert imgs.shape == (3, 2, H, W, 3) and imgs.dtype == np.uint8
    np.testing.assert_array_equal(imgs[:, 0], imgs[:, 1])  # same camera twice
    cols = [_centroid(_mask(im, 0))[1] for im in imgs[:, 0]]
    assert cols[0] < cols[1] < cols[2]
    single = np.asarray(jax.jit(r.render)(*[x[2] for x in batch]))
    np.testing.assert_array_equal(single, imgs[2])


def test_shadow_darkens_floor_under_box():
    m = _model('<geom type="box" pos="0 0 0.25" size="0.1 0.1 0.1" rgba="1 0 0 1"/>')
    lit, shadowed = (_render(m, RenderConfig(W, H, ("cam",), light_dir=(0, 0, -1.0), shadows=s))
                     for s in (False, True))
    # floor point (-0.05, 0, 0) lies under the box and projects to row ~52, column ~32
    assert lit[52, 32, 0] > 150 and shadowed[52, 32, 0] < 90
    np.testing.assert_array_equal(lit[:20], shadowed[:20])  # sky and box top unchanged


def test_unknown_camera_raises():
    m = _model("")
    with pytest.raises(ValueError, match="no_such_cam") as err:
        Renderer(m, RenderConfig(cameras=("cam", "no_such_cam")))
    assert "available" in str(err.value) and "'cam'" in str(err.value)


def test_matches_mj_forward_reference_pose():
    """A posed sphere (material colour) seen by a tracking camera; geometry from mj_forward."""
    m = _model("""<body name="ball" pos="0.3 -0.2 0.4" euler="20 30 40"><freejoint/>
        <geom type="sphere" size="0.12" material="mat"/></body>
        <camera name="track" pos="-0.8 0.6 0.9" mode="targetbody" target="ball" fovy="50"/>""")
    d = _forward(m)
    r = Renderer(m, RenderConfig(width=W, height=H, cameras=("track", "cam")))
    img = np.asarray(r.render_data(d))[0]
    # Pinhole projection of the sphere centre with MuJoCo's camera pose.
    cam = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_CAMERA, "track")
    p_cam = d.cam_xmat[cam].reshape(3, 3).T @ (d.xpos[1] - d.cam_xpos[cam])
    f = (H / 2) / math.tan(math.radians(50) / 2)
    col = W / 2 + f * p_cam[0] / -p_cam[2] - 0.5
    row = H / 2 - f * p_cam[1] / -p_cam[2] - 0.5
    mask = _mask(img, 2)  # material rgba is blue
    assert mask[round(row), round(col)]
    cr, cc = _centroid(mask)
    assert abs(cr - row) < 1.0 and abs(cc - col) < 1.0, (cr, cc, row, col)
    expected = math.pi * (f * math.tan(math.asin(0.12 / np.linalg.norm(p_cam)))) ** 2
    assert abs(mask.sum() / expected - 1) < 0.15
    # Same result from an mjx.Data (jnp arrays) under jit.
    from mujoco import mjx

    dx = mjx.put_data(m, d)
    np.testing.assert_array_equal(np.asarray(jax.jit(r.render_data)(dx))[0], img)


def test_lit_geom_takes_its_colour_while_the_joint_is_on():
    """A ``lit`` geom (a stove's burner) is drawn in its lit colour exactly while the joint's
    qpos >= the threshold; other geoms keep theirs; render() without qpos is refused."""
    m = _model('<body name="knob" pos="0 0.3 0.25"><joint name="k" type="hinge" axis="0 0 1"/>'
               '<geom type="sphere" size="0.01" rgba="0 0 1 1"/></body>'
               '<geom name="burner" type="box" pos="0 0 0.25" size="0.1 0.1 0.1" '
               'rgba="0.1 0.1 0.1 1"/>'
               '<geom name="pot" type="box" pos="0 -0.3 0.25" size="0.05 0.05 0.05" '
               'rgba="0 1 0 1"/>')
    r = Renderer(m, CFG, lit=(("burner", "k", 0.5, (1.0, 0.0, 0.0)),))
    d = _forward(m)
    args = [jnp.asarray(x) for x in (d.geom_xpos, d.geom_xmat, d.cam_xpos, d.cam_xmat)]
    render = jax.jit(r.render)
    imgs = {q: np.asarray(render(*args, jnp.array([q])))[0] for q in (0.0, 0.49, 0.5, 2.0)}
    for q, img in imgs.items():
        c = img[H // 2, W // 2].astype(int)
        if q >= 0.5:
            assert c[0] > 60 and c[1] < 5 and c[2] < 5, (q, c)
        else:
            assert c.max() < 40 and c.max() - c.min() < 3, (q, c)
        assert _mask(img, 1).sum() > 0  # the green pot keeps its colour
    np.testing.assert_array_equal(imgs[0.5], imgs[2.0])
    with pytest.raises(ValueError, match="pass qpos"):
        r.render(*args)
    with pytest.raises(ValueError, match="not found"):
        Renderer(m, CFG, lit=(("burner", "nope", 0.5, (1.0, 0.0, 0.0)),))
