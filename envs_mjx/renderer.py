"""Batched RGB camera renderer in pure JAX (analytic ray casting of MuJoCo primitive geoms).

``mjx.render`` only runs on CUDA; this renderer is plain ``jax.numpy`` and therefore runs on CPU,
GPU and TPU, and composes with ``jax.jit`` / ``jax.vmap`` (e.g. ``jax.jit(jax.vmap(r.render))``).

Every pixel casts one ray; the nearest positive hit over all drawn geoms wins, is shaded with a
Lambert term for one directional light (plus an optional hard shadow ray) and written as uint8.

Shapes (``C`` = number of configured cameras, ``H``/``W`` = image size, ``P = H*W`` rays per
camera, ``N`` = number of drawn geoms):

* inputs: ``geom_xpos [ngeom, 3]``, ``geom_xmat [ngeom, 9 | 3, 3]``, ``cam_xpos [ncam, 3]``,
  ``cam_xmat [ncam, 9 | 3, 3]`` -- exactly the fields of ``mjx.Data`` / ``mujoco.MjData``;
* output: ``uint8 [C, H, W, 3]``, cameras in the order of ``RenderConfig.cameras``, row 0 on top;
* largest intermediates: ``[P, N]`` float32 arrays (one per local ray component).

Drawn geoms: geoms with ``geom_group`` in {0, 1, 2} and alpha > 0 (colour from ``geom_rgba``,
or ``mat_rgba`` when the geom has a material; textures are ignored). Supported types: PLANE
(finite or infinite, one-sided, with a subtle checker pattern), SPHERE, CAPSULE, ELLIPSOID,
CYLINDER (with caps) and BOX. MESH, HFIELD and SDF geoms are skipped silently (not drawn and
they cast no shadow). Cameras follow MuJoCo's convention: they look along local -z, local +y is
image up, +x image right; ``cam_fovy`` is the vertical field of view in degrees (intrinsics /
sensor sizes are ignored). Rays start at MuJoCo's near plane (``vis.map.znear * stat.extent``).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import mujoco
import numpy as np

_PLANE = int(mujoco.mjtGeom.mjGEOM_PLANE)
_SPHERE = int(mujoco.mjtGeom.mjGEOM_SPHERE)
_CAPSULE = int(mujoco.mjtGeom.mjGEOM_CAPSULE)
_ELLIPSOID = int(mujoco.mjtGeom.mjGEOM_ELLIPSOID)
_CYLINDER = int(mujoco.mjtGeom.mjGEOM_CYLINDER)
_BOX = int(mujoco.mjtGeom.mjGEOM_BOX)
_SUPPORTED = (_PLANE, _SPHERE, _CAPSULE, _ELLIPSOID, _CYLINDER, _BOX)

_INF = float("inf")
_TINY = 1e-12
_SHADOW_EPS = 1e-4  # minimum shadow-ray distance [m]
_SHADOW_OFFSET = 1e-3  # shadow-ray origin offset along the surface normal [m]
_CHECKER_CELL = 0.2  # checker square size on planes [m]
_CHECKER_AMP = 0.06  # +-6% brightness modulation

# x, y, z components of points/directions (structure of arrays), each [P] or a scalar [].
Vec3 = tuple[jax.Array, jax.Array, jax.Array]


@dataclasses.dataclass(frozen=True)
class RenderConfig:
    """Static renderer settings (hashable, so it can be closed over by ``jax.jit``)."""

    width: int = 64
    height: int = 64
    cameras: tuple[str, ...] = ("agentview", "wrist")
    ambient: float = 0.35
    light_dir: tuple[float, float, float] = (-0.3, 0.2, -1.0)  # direction light travels (world)
    background: tuple[float, float, float] = (0.55, 0.62, 0.70)
    shadows: bool = True  # cast one hard shadow ray per pixel toward the light


def _first(cands: list[tuple[jax.Array, jax.Array]], tmin: jax.Array | float) -> jax.Array:
    """Smallest candidate distance ``t > tmin`` that is valid, else +inf. Shapes broadcast, [P]."""
    best = jnp.asarray(_INF, jnp.float32)
    for t, valid in cands:
        best = jnp.minimum(best, jnp.where(valid & (t > tmin), t, _INF))
    return best


def _roots(a: jax.Array, b: jax.Array, c: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Roots of ``a t^2 + 2 b t + c = 0``: (near [P], far [P], real-and-a>0 mask [P])."""
    disc = b * b - a * c
    sq = jnp.sqrt(jnp.maximum(disc, 0.0))
    ok = (disc >= 0.0) & (a > _TINY)
    a_safe = jnp.where(ok, a, 1.0)
    return (-b - sq) / a_safe, (-b + sq) / a_safe, ok


def _safe(x: jax.Array) -> jax.Array:
    """``x`` with |x| clamped away from zero (keeps the sign), for divisions."""
    return jnp.where(jnp.abs(x) < _TINY, jnp.where(x < 0, -_TINY, _TINY), x)


def _hit_plane(o: Vec3, d: Vec3, s: np.ndarray, tmin: Any) -> jax.Array:
    """Plane z=0 seen from +z; ``s [3]`` half extents (0 = infinite). Returns t [P]."""
    t = -o[2] / _safe(d[2])
    x, y = o[0] + t * d[0], o[1] + t * d[1]
    ok = (o[2] > 0) & (d[2] < 0)
    ok &= ((s[..., 0] <= 0) | (jnp.abs(x) <= s[..., 0])) & ((s[..., 1] <= 0) | (jnp.abs(y) <= s[..., 1]))
    return _first([(t, ok)], tmin)


def _hit_sphere(o: Vec3, d: Vec3, s: np.ndarray, tmin: Any) -> jax.Array:
    """Sphere of radius ``s[..., 0]`` (unit-length rays). Returns t [P]."""
    b = o[0] * d[0] + o[1] * d[1] + o[2] * d[2]
    c = o[0] * o[0] + o[1] * o[1] + o[2] * o[2] - s[..., 0] ** 2
    t0, t1, ok = _roots(jnp.ones_like(b), b, c)
    return _first([(t0, ok), (t1, ok)], tmin)


def _hit_ellipsoid(o: Vec3, d: Vec3, s: np.ndarray, tmin: Any) -> jax.Array:
    """Ellipsoid with semi-axes ``s [3]`` (solved as a unit sphere in scaled space). t [P]."""
    os_ = [o[k] / s[..., k] for k in range(3)]
    ds = [d[k] / s[..., k] for k in range(3)]
    a = ds[0] * ds[0] + ds[1] * ds[1] + ds[2] * ds[2]
    b = os_[0] * ds[0] + os_[1] * ds[1] + os_[2] * ds[2]
    c = os_[0] * os_[0] + os_[1] * os_[1] + os_[2] * os_[2] - 1.0
    t0, t1, ok = _roots(a, b, c)
    return _first([(t0, ok), (t1, ok)], tmin)


def _side(o: Vec3, d: Vec3, r: np.ndarray, h: np.ndarray) -> list[tuple[jax.Array, jax.Array]]:
    """Hits of the infinite z-cylinder of radius ``r [n]`` restricted to |z| <= ``h [n]``."""
    a = d[0] * d[0] + d[1] * d[1]
    b = o[0] * d[0] + o[1] * d[1]
    c = o[0] * o[0] + o[1] * o[1] - r * r
    t0, t1, ok = _roots(a, b, c)
    return [(t, ok & (jnp.abs(o[2] + t * d[2]) <= h)) for t in (t0, t1)]


def _hit_capsule(o: Vec3, d: Vec3, s: np.ndarray, tmin: Any) -> jax.Array:
    """Capsule: radius ``s[..., 0]``, half-length ``s[..., 1]`` along local z. Returns t [P]."""
    r, h = s[..., 0], s[..., 1]
    cands = _side(o, d, r, h)
    bxy = o[0] * d[0] + o[1] * d[1]
    cxy = o[0] * o[0] + o[1] * o[1] - r * r
    for zc in (h, -h):  # end spheres; their interior parts are hidden behind the side anyway
        oz = o[2] - zc
        t0, t1, ok = _roots(jnp.ones_like(bxy), bxy + oz * d[2], cxy + oz * oz)
        cands += [(t0, ok), (t1, ok)]
    return _first(cands, tmin)


def _hit_cylinder(o: Vec3, d: Vec3, s: np.ndarray, tmin: Any) -> jax.Array:
    """Capped cylinder: radius ``s[..., 0]``, half-height ``s[..., 1]``. Returns t [P]."""
    r, h = s[..., 0], s[..., 1]
    cands = _side(o, d, r, h)
    inv_dz = 1.0 / _safe(d[2])
    for zc in (h, -h):
        t = (zc - o[2]) * inv_dz
        x, y = o[0] + t * d[0], o[1] + t * d[1]
        cands.append((t, x * x + y * y <= r * r))
    return _first(cands, tmin)


def _hit_box(o: Vec3, d: Vec3, s: np.ndarray, tmin: Any) -> jax.Array:
    """Box with half sizes ``s [3]`` (slab test). Returns t [P]."""
    t_near, t_far = -_INF, _INF
    for k in range(3):
        inv = 1.0 / _safe(d[k])
        t1, t2 = (-s[..., k] - o[k]) * inv, (s[..., k] - o[k]) * inv
        t_near = jnp.maximum(t_near, jnp.minimum(t1, t2))
        t_far = jnp.minimum(t_far, jnp.maximum(t1, t2))
    ok = t_near <= t_far
    return _first([(t_near, ok), (t_far, ok)], tmin)


_HIT_FNS = {_PLANE: _hit_plane, _SPHERE: _hit_sphere, _CAPSULE: _hit_capsule,
            _ELLIPSOID: _hit_ellipsoid, _CYLINDER: _hit_cylinder, _BOX: _hit_box}


def _local_normals(x: Vec3, typ: jax.Array, s: Vec3) -> Vec3:
    """Outward unit normals in geom frame at local hit points ``x`` (components [P]).

    ``typ [P]`` geom types, ``s`` geom sizes (components [P]). Returns components [P].
    """
    zero, one = jnp.zeros_like(x[0]), jnp.ones_like(x[0])
    r, h = s[0], s[1]
    rho = jnp.sqrt(x[0] * x[0] + x[1] * x[1])
    on_cap = (h - jnp.abs(x[2])) < (r - rho)
    e = [s[k] - jnp.abs(x[k]) for k in range(3)]  # distance to each box face pair
    face0 = (e[0] <= e[1]) & (e[0] <= e[2])
    face1 = ~face0 & (e[1] <= e[2])
    face2 = ~face0 & ~face1
    cands = [  # (plane, sphere, capsule, ellipsoid, cylinder), box is the default
        (zero, x[0], x[0], x[0] / (s[0] * s[0]), jnp.where(on_cap, zero, x[0])),
        (zero, x[1], x[1], x[1] / (s[1] * s[1]), jnp.where(on_cap, zero, x[1])),
        (one, x[2], x[2] - jnp.clip(x[2], -h, h), x[2] / (s[2] * s[2]),
         jnp.where(on_cap, jnp.sign(x[2]), zero)),
    ]
    box = [jnp.where(f, jnp.sign(x[k]), zero) for k, f in enumerate((face0, face1, face2))]
    conds = [typ == t for t in (_PLANE, _SPHERE, _CAPSULE, _ELLIPSOID, _CYLINDER)]
    n = [jnp.select(conds, list(cands[k]), box[k]) for k in range(3)]
    inv = jax.lax.rsqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2] + _TINY)
    return n[0] * inv, n[1] * inv, n[2] * inv


def _rotate(rot: jax.Array, v: Vec3, transpose: bool) -> Vec3:
    """``rot @ v`` (or ``rot.T @ v``) for ``rot [..., 3, 3]`` broadcasting against components."""
    if transpose:
        return tuple(v[0] * rot[..., 0, j] + v[1] * rot[..., 1, j] + v[2] * rot[..., 2, j]
                     for j in range(3))
    return tuple(v[0] * rot[..., j, 0] + v[1] * rot[..., j, 1] + v[2] * rot[..., j, 2]
                 for j in range(3))


def _dot(a: Vec3, b: Vec3) -> jax.Array:
    """Component-wise dot product."""
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


class Renderer:
    """Ray-casting RGB renderer for the primitive geoms of one MuJoCo model (see module doc)."""

    def __init__(self, mj_model: mujoco.MjModel, config: RenderConfig = RenderConfig()) -> None:
        """Reads static geom/camera info from ``mj_model`` and precomputes camera-frame rays.

        Raises:
          ValueError: if a camera of ``config.cameras`` does not exist in the model.
        """
        self.config = config
        m = mj_model
        rgba = np.array(m.geom_rgba, np.float32)
        has_mat = m.geom_matid >= 0
        rgba[has_mat] = m.mat_rgba[m.geom_matid[has_mat]]
        types = np.asarray(m.geom_type)
        draw = (np.isin(types, _SUPPORTED) & (rgba[:, 3] > 0)
                & (m.geom_group >= 0) & (m.geom_group <= 2))
        ids = np.nonzero(draw)[0]
        self.geom_ids: np.ndarray = ids  # [N] model ids of the drawn geoms
        self._types = types[ids].astype(np.int32)  # [N]
        self._sizes = np.asarray(m.geom_size, np.float32)[ids]  # [N, 3]
        self._rgb = rgba[ids, :3]  # [N, 3]
        self._id_bits = max(1, int(len(ids) - 1).bit_length())  # low bits of the packed keys

        names = [mujoco.mj_id2name(m, mujoco.mjtObj.mjOBJ_CAMERA, i) for i in range(m.ncam)]
        cam_ids = []
        for name in config.cameras:
            if name not in names:
                raise ValueError(f"camera {name!r} not found in model; available cameras: {names}")
            cam_ids.append(names.index(name))
        self.cam_ids: np.ndarray = np.array(cam_ids, np.int32)  # [C]

        # Camera-frame unit ray directions (row-major pixels, row 0 = top).
        hgt, wid = config.height, config.width
        u = np.arange(wid, dtype=np.float64) + 0.5 - wid / 2.0
        v = hgt / 2.0 - (np.arange(hgt, dtype=np.float64) + 0.5)
        uu, vv = np.meshgrid(u, v)  # [H, W]
        dirs, tmins = [], []
        znear = float(m.vis.map.znear * m.stat.extent)
        for cid in cam_ids:
            f = (hgt / 2.0) / math.tan(math.radians(float(m.cam_fovy[cid])) / 2.0)
            dc = np.stack([uu.ravel(), vv.ravel(), np.full(uu.size, -f)])  # [3, P]
            dc /= np.linalg.norm(dc, axis=0, keepdims=True)
            dirs.append(dc)
            tmins.append(znear / -dc[2])  # distance along each ray to the near plane
        self._dirs_cam = np.stack(dirs).astype(np.float32)  # [C, 3, P]
        self._tmin = np.stack(tmins).astype(np.float32)  # [C, P]
        light = np.asarray(config.light_dir, np.float64)
        self._to_light = tuple(float(c) for c in -light / np.linalg.norm(light))

    def _trace(self, o_w: Vec3, d_w: Vec3, pos: jax.Array, mat: jax.Array,
               tmin: jax.Array | float, with_index: bool) -> jax.Array:
        """Nearest hit of rays against all drawn geoms.

        The loop over geoms is unrolled in Python (static types and sizes), so every step is one
        fused elementwise pass over [P] rays; no [P, N] array is materialised. (A ``lax.scan``
        over geoms is ~8x slower on CPU with ``--xla_cpu_use_fusion_emitters=false``: loop
        bodies are not vectorised.) With ``with_index`` the running minimum is an int32 key per
        ray: the bits of the positive float distance with the low ``self._id_bits`` bits
        replaced by the geom index, so one ``minimum`` tracks distance and argmin together.

        Args:
          o_w: ray origins, world frame, components [P] or scalars.
          d_w: unit ray directions, world frame, components [P] or scalars.
          pos: geom positions [N, 3]; mat: geom rotations [N, 3, 3] (local -> world).
          tmin: minimum hit distance, scalar or [P].
          with_index: return packed keys (decode with ``_unpack``) instead of distances.

        Returns:
          [P] int32 keys if ``with_index`` else [P] float32 distances (+inf on a miss).
        """
        shape = jnp.broadcast_shapes(*[jnp.shape(c) for c in (*o_w, *d_w)])
        keep = jnp.int32(~((1 << self._id_bits) - 1))
        init = jnp.iinfo(jnp.int32).max if with_index else _INF
        best = jnp.full(shape, init, jnp.int32 if with_index else jnp.float32)
        for g, typ in enumerate(self._types):
            rot = mat[g]
            o = _rotate(rot, tuple(o_w[k] - pos[g, k] for k in range(3)), transpose=True)
            d = _rotate(rot, d_w, transpose=True)
            t = _HIT_FNS[int(typ)](o, d, self._sizes[g], tmin)
            if with_index:
                t = (jax.lax.bitcast_convert_type(t, jnp.int32) & keep) | g
            best = jnp.minimum(best, t)
        return best

    def _unpack(self, key: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        """Packed keys [P] -> (hit mask [P], distance [P] (0 on a miss), geom index [P])."""
        mask = (1 << self._id_bits) - 1
        hit = key < 0x7F800000  # bit pattern of +inf
        t = jax.lax.bitcast_convert_type(key & jnp.int32(~mask), jnp.float32)
        return hit, jnp.where(hit, t, 0.0), jnp.where(hit, key & mask, 0)

    def _render_camera(self, pos: jax.Array, mat: jax.Array, cam_pos: jax.Array,
                       cam_mat: jax.Array, dirs_cam: jax.Array, tmin: jax.Array) -> jax.Array:
        """One camera: ``cam_pos [3]``, ``cam_mat [3, 3]``, ``dirs_cam [3, P]``, ``tmin [P]``.

        Returns float32 RGB in [0, 1], [3, P].
        """
        cfg = self.config
        d_w = _rotate(cam_mat, (dirs_cam[0], dirs_cam[1], dirs_cam[2]), transpose=False)
        o_w = (cam_pos[0], cam_pos[1], cam_pos[2])
        hit, t, idx = self._unpack(self._trace(o_w, d_w, pos, mat, tmin, with_index=True))
        x_w = tuple(o_w[k] + t * d_w[k] for k in range(3))
        rot = mat[idx]  # [P, 3, 3]
        p = pos[idx]  # [P, 3]
        x_l = _rotate(rot, tuple(x_w[k] - p[:, k] for k in range(3)), transpose=True)
        typ = jnp.asarray(self._types)[idx]
        size = jnp.asarray(self._sizes)[idx]  # [P, 3]
        n_l = _local_normals(x_l, typ, (size[:, 0], size[:, 1], size[:, 2]))
        n_w = _rotate(rot, n_l, transpose=False)
        facing = jnp.where(_dot(n_w, d_w) > 0, -1.0, 1.0)  # flip normals towards the viewer
        n_w = tuple(c * facing for c in n_w)
        lambert = jnp.maximum(0.0, _dot(n_w, self._to_light))  # [P]
        if cfg.shadows:
            # offset also covers the distance truncation of the packed keys (rel. 2^(bits-23))
            off = _SHADOW_OFFSET + t * 2.0 ** (self._id_bits - 22)
            o_s = tuple(x_w[k] + off * n_w[k] for k in range(3))
            t_sh = self._trace(o_s, self._to_light, pos, mat, _SHADOW_EPS, with_index=False)
            lambert = jnp.where(jnp.isfinite(t_sh), 0.0, lambert)
        shade = cfg.ambient + (1.0 - cfg.ambient) * lambert  # [P]
        cell = jnp.floor(x_l[0] / _CHECKER_CELL) + jnp.floor(x_l[1] / _CHECKER_CELL)
        checker = jnp.where(typ == _PLANE,
                            1.0 + _CHECKER_AMP * (2.0 * jnp.mod(cell, 2.0) - 1.0), 1.0)
        rgb = jnp.asarray(self._rgb)[idx]  # [P, 3]
        return jnp.stack([jnp.where(hit, rgb[:, k] * shade * checker, cfg.background[k])
                          for k in range(3)])

    def render(self, geom_xpos: jax.Array, geom_xmat: jax.Array, cam_xpos: jax.Array,
               cam_xmat: jax.Array) -> jax.Array:
        """Renders all configured cameras for one state (vmap for batches).

        Args:
          geom_xpos: [ngeom, 3] geom world positions.
          geom_xmat: [ngeom, 9] or [ngeom, 3, 3] geom world rotations (row-major).
          cam_xpos: [ncam, 3] camera world positions.
          cam_xmat: [ncam, 9] or [ncam, 3, 3] camera world rotations.

        Returns:
          uint8 images [C, H, W, 3] in the order of ``config.cameras``.
        """
        cfg = self.config
        n_cam = len(cfg.cameras)
        cam_pos = jnp.asarray(cam_xpos, jnp.float32)[self.cam_ids]  # [C, 3]
        cam_mat = jnp.asarray(cam_xmat, jnp.float32).reshape(-1, 3, 3)[self.cam_ids]  # [C, 3, 3]
        if len(self.geom_ids) == 0:
            rgb = jnp.broadcast_to(jnp.asarray(cfg.background, jnp.float32)[:, None],
                                   (n_cam, 3, cfg.height * cfg.width))
        else:
            pos = jnp.asarray(geom_xpos, jnp.float32)[self.geom_ids]  # [N, 3]
            mat = jnp.asarray(geom_xmat, jnp.float32).reshape(-1, 3, 3)[self.geom_ids]
            rgb = jax.vmap(self._render_camera, in_axes=(None, None, 0, 0, 0, 0))(
                pos, mat, cam_pos, cam_mat, jnp.asarray(self._dirs_cam), jnp.asarray(self._tmin))
        img = jnp.clip(rgb * 255.0 + 0.5, 0.0, 255.0).astype(jnp.uint8)  # [C, 3, P]
        return jnp.transpose(img, (0, 2, 1)).reshape(n_cam, cfg.height, cfg.width, 3)

    def render_data(self, data: Any) -> jax.Array:
        """``render`` on an ``mjx.Data``/``mujoco.MjData`` (anything with the four fields).

        Returns uint8 [C, H, W, 3].
        """
        return self.render(data.geom_xpos, data.geom_xmat, data.cam_xpos, data.cam_xmat)
