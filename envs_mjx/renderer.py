"""Batched RGB camera renderer in pure JAX (analytic ray casting of MuJoCo primitive geoms).

``mjx.render`` only runs on CUDA; this renderer is plain ``jax.numpy``, so it runs on CPU, GPU
and TPU and composes with ``jax.jit`` / ``jax.vmap`` (e.g. ``jax.jit(jax.vmap(r.render))``).
Every pixel casts one ray; the nearest hit over all drawn geoms wins and is shaded with a Lambert
term for one directional light (plus, with ``RenderConfig.shadows``, a hard shadow ray).

Shapes (``C`` cameras, ``H``/``W`` image size, ``P = H*W`` rays per camera, ``N`` drawn geoms):

* inputs: ``geom_xpos [ngeom, 3]``, ``geom_xmat [ngeom, 9 | 3, 3]``, ``cam_xpos [ncam, 3]``,
  ``cam_xmat [ncam, 9 | 3, 3]`` -- exactly the fields of ``mjx.Data`` / ``mujoco.MjData``;
* output: ``uint8 [C, H, W, 3]``, cameras in the order of ``RenderConfig.cameras``, row 0 on top;
* largest intermediates: ``[4, P]`` per ``lax.scan`` step (geoms are tested 4 at a time) and
  ``[~N/4, P]`` int32 per-chunk minima; nothing of size ``[P, N, ...]``.

Drawn geoms: ``geom_group`` in {0, 1, 2} and alpha > 0 (colour ``geom_rgba``, or ``mat_rgba``
if the geom has a material; textures are ignored; ``lit`` geoms take another colour while a
joint's qpos is at or above a threshold, e.g. a stove's burner while the stove is on). Types:
PLANE (finite or infinite, one-sided, subtle checker pattern), SPHERE, CAPSULE, ELLIPSOID,
CYLINDER (capped) and BOX. MESH, HFIELD and SDF geoms are skipped silently (not drawn, no
shadows). Cameras follow MuJoCo: they look along
local -z, local +y is image up, +x image right, ``cam_fovy`` is the vertical field of view in
degrees (intrinsics / sensor sizes are ignored). Camera rays start at ``vis.map.znear *
stat.extent``; only front faces are hit, so a camera inside a geom does not see that geom.

Speed (CPU, 64x64, 2 cameras, 60 geoms): ~1.5 ms per state without shadows, ~2x with. XLA:CPU
notes: every hit test is written so XLA fuses it into one vectorised loop (each sqrt/divide has
one user); scan steps emit rows instead of updating a carry in place (such loops are not
vectorised); colours are packed into one uint32 per pixel so shading is not redone per channel.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import mujoco
import numpy as np

_PLANE, _SPHERE, _CAPSULE, _ELLIPSOID, _CYLINDER, _BOX = (
    int(getattr(mujoco.mjtGeom, f"mjGEOM_{n}"))
    for n in ("PLANE", "SPHERE", "CAPSULE", "ELLIPSOID", "CYLINDER", "BOX"))
_SUPPORTED = (_PLANE, _SPHERE, _CAPSULE, _ELLIPSOID, _CYLINDER, _BOX)
_INF = float("inf")
_TINY = 1e-12
_CHUNK = 4  # geoms of one type tested per lax.scan step
_SHADOW_EPS = 1e-4  # minimum shadow-ray distance [m]
_SHADOW_OFFSET = 1e-3  # shadow-ray origin offset along the surface normal [m]
_CHECKER_CELL = 0.2  # checker square size on planes [m]
_CHECKER_AMP = 0.06  # +-6% brightness

# x, y, z components of points/directions (structure of arrays), broadcastable to [..., P].
Vec3 = tuple[jax.Array, jax.Array, jax.Array]


@dataclasses.dataclass(frozen=True)
class RenderConfig:
    """Static renderer settings."""

    width: int = 64
    height: int = 64
    cameras: tuple[str, ...] = ("agentview", "wrist")
    ambient: float = 0.35
    light_dir: tuple[float, float, float] = (-0.3, 0.2, -1.0)  # direction light travels (world)
    background: tuple[float, float, float] = (0.55, 0.62, 0.70)
    shadows: bool = False  # one hard shadow ray per pixel toward the light (~2x the cost)


def _dot(a: Vec3, b: Vec3) -> jax.Array:
    """Component-wise dot product (broadcast shape)."""
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _first(cands: list[tuple[jax.Array, jax.Array]], tmin: float) -> jax.Array:
    """Smallest valid candidate distance ``t > tmin``, else +inf (broadcast shape)."""
    best = jnp.asarray(_INF, jnp.float32)
    for t, valid in cands:
        best = jnp.minimum(best, jnp.where(valid & (t > tmin), t, _INF))
    return best


def _entry(b: jax.Array, a: jax.Array | float, c: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Smaller root of ``a t^2 + 2 b t + c`` and whether it is real."""
    disc = b * b - a * c
    return (-b - jnp.sqrt(jnp.maximum(disc, 0.0))) / a, disc >= 0


# Hit tests in the geom frame: ``o``/``d`` ray origin / unit direction, ``s`` geom size (s[k]
# broadcastable, [K, 1]). Each returns the entry distance, [K, P] (+inf on a miss).


def _hit_plane(o: Vec3, d: Vec3, s: jax.Array, tmin: float) -> jax.Array:
    """Plane z=0 seen from +z, half extents ``s[0:2]`` (0 = infinite)."""
    t = -o[2] / jnp.minimum(d[2], -_TINY)
    ok = (o[2] > 0) & (d[2] < 0)
    for k in range(2):
        ok &= (s[k] <= 0) | (jnp.abs(o[k] + t * d[k]) <= s[k])
    return _first([(t, ok)], tmin)


def _hit_sphere(o: Vec3, d: Vec3, s: jax.Array, tmin: float) -> jax.Array:
    """Sphere of radius ``s[0]``."""
    return _first([_entry(_dot(o, d), 1.0, _dot(o, o) - s[0] * s[0])], tmin)


def _hit_ellipsoid(o: Vec3, d: Vec3, s: jax.Array, tmin: float) -> jax.Array:
    """Ellipsoid with semi-axes ``s`` (a unit sphere in scaled coordinates)."""
    os_ = tuple(o[k] / s[k] for k in range(3))
    ds = tuple(d[k] / s[k] for k in range(3))
    return _first([_entry(_dot(os_, ds), _dot(ds, ds), _dot(os_, os_) - 1.0)], tmin)


def _side(o: Vec3, d: Vec3, r: jax.Array, h: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Entry into the infinite z-cylinder of radius ``r``, valid where |z| <= ``h``."""
    a = jnp.maximum(d[0] * d[0] + d[1] * d[1], _TINY)
    t, ok = _entry(o[0] * d[0] + o[1] * d[1], a, o[0] * o[0] + o[1] * o[1] - r * r)
    return t, ok & (jnp.abs(o[2] + t * d[2]) <= h)


def _hit_capsule(o: Vec3, d: Vec3, s: jax.Array, tmin: float) -> jax.Array:
    """Capsule: radius ``s[0]``, half-length ``s[1]`` along local z."""
    r, h = s[0], s[1]
    cands = [_side(o, d, r, h)]
    for oc in ((o[0], o[1], o[2] - h), (o[0], o[1], o[2] + h)):  # end spheres
        cands.append(_entry(_dot(oc, d), 1.0, _dot(oc, oc) - r * r))
    return _first(cands, tmin)


def _hit_cylinder(o: Vec3, d: Vec3, s: jax.Array, tmin: float) -> jax.Array:
    """Capped cylinder: radius ``s[0]``, half-height ``s[1]``."""
    r, h = s[0], s[1]
    dz = jnp.where(jnp.abs(d[2]) < _TINY, _TINY, d[2])
    t = (jnp.where(dz < 0, h, -h) - o[2]) / dz  # the cap facing the ray
    x, y = o[0] + t * d[0], o[1] + t * d[1]
    return _first([_side(o, d, r, h), (t, x * x + y * y <= r * r)], tmin)


def _hit_box(o: Vec3, d: Vec3, s: jax.Array, tmin: float) -> jax.Array:
    """Box with half sizes ``s`` (slab test)."""
    t_near, t_far = -_INF, _INF
    for k in range(3):
        ad = jnp.maximum(jnp.abs(d[k]), _TINY)
        so = jnp.where(d[k] < 0, -o[k], o[k])  # origin along the ray's direction of travel
        t_near = jnp.maximum(t_near, -(s[k] + so) / ad)
        t_far = jnp.minimum(t_far, (s[k] - so) / ad)
    return _first([(t_near, t_near <= t_far)], tmin)


_HIT_FNS = {_PLANE: _hit_plane, _SPHERE: _hit_sphere, _CAPSULE: _hit_capsule,
            _ELLIPSOID: _hit_ellipsoid, _CYLINDER: _hit_cylinder, _BOX: _hit_box}


def _local_normals(x: Vec3, typ: jax.Array, s: Vec3) -> Vec3:
    """Outward unit normals in the geom frame at hit points ``x``; ``typ``, ``s``, result: [P]."""
    zero, one = jnp.zeros_like(x[0]), jnp.ones_like(x[0])
    r, h = s[0], s[1]
    on_cap = (h - jnp.abs(x[2])) < (r - jnp.sqrt(x[0] * x[0] + x[1] * x[1]))  # cylinder
    e = [s[k] - jnp.abs(x[k]) for k in range(3)]  # box: distance to each face pair
    face = [(e[0] <= e[1]) & (e[0] <= e[2])]
    face += [~face[0] & (e[1] <= e[2]), ~face[0] & (e[1] > e[2])]
    cands = [  # plane, sphere, capsule, ellipsoid, cylinder, box
        (zero, x[0], x[0], x[0] / (s[0] * s[0]), jnp.where(on_cap, zero, x[0])),
        (zero, x[1], x[1], x[1] / (s[1] * s[1]), jnp.where(on_cap, zero, x[1])),
        (one, x[2], x[2] - jnp.clip(x[2], -h, h), x[2] / (s[2] * s[2]),
         jnp.where(on_cap, jnp.sign(x[2]), zero))]
    conds = [typ == t for t in (_PLANE, _SPHERE, _CAPSULE, _ELLIPSOID, _CYLINDER)]
    n = [jnp.select(conds, list(cands[k]), jnp.where(face[k], jnp.sign(x[k]), zero))
         for k in range(3)]
    inv = jax.lax.rsqrt(_dot(n, n) + _TINY)
    return n[0] * inv, n[1] * inv, n[2] * inv


def _rotate(rot: jax.Array, v: Vec3, transpose: bool = False) -> Vec3:
    """``rot @ v`` (or ``rot.T @ v``) for ``rot [..., 3, 3]`` broadcasting against ``v``."""
    m = jnp.swapaxes(rot, -1, -2) if transpose else rot
    return tuple(v[0] * m[..., j, 0] + v[1] * m[..., j, 1] + v[2] * m[..., j, 2]
                 for j in range(3))


class Renderer:
    """Ray-casting RGB renderer for the primitive geoms of one MuJoCo model (see module doc)."""

    def __init__(self, mj_model: mujoco.MjModel, config: RenderConfig = RenderConfig(),
                 lit: tuple[tuple[str, str, float, tuple[float, float, float]], ...] = ()
                 ) -> None:
        """Reads static geom/camera info from ``mj_model`` and precomputes camera-frame rays.

        ``lit``: ``(geom, joint, threshold, rgb)``: the drawn geom named ``geom`` takes colour
        ``rgb`` while the qpos of hinge/slide ``joint`` is >= ``threshold``
        (:meth:`envs_mjx.scene.SceneSpec.lit_geoms`); :meth:`render` then needs ``qpos``.

        Raises:
          ValueError: if a camera of ``config.cameras``, or a geom or joint of ``lit``, does not
            exist in the model, or a ``lit`` geom is not drawn.
        """
        self.config = config
        m = mj_model
        rgba = np.array(m.geom_rgba, np.float32)
        has_mat = m.geom_matid >= 0
        rgba[has_mat] = m.mat_rgba[m.geom_matid[has_mat]]
        types = np.asarray(m.geom_type)
        draw = np.isin(types, _SUPPORTED) & (rgba[:, 3] > 0) & np.isin(m.geom_group, (0, 1, 2))
        ids = np.nonzero(draw)[0]
        self.geom_ids: np.ndarray = ids[np.argsort(types[ids], kind="stable")]  # [N], by type
        self._types = types[self.geom_ids].astype(np.int32)  # [N]
        self._sizes = np.asarray(m.geom_size, np.float32)[self.geom_ids]  # [N, 3]
        self._rgb = rgba[self.geom_ids, :3]  # [N, 3]
        self._id_bits = max(1, int(len(ids) - 1).bit_length())  # low bits of the packed keys
        # lit geoms: drawn-geom index [L], qpos address [L], threshold [L], colour [L, 3]
        lit_idx, lit_qadr = [], []
        for geom, joint, _, _ in lit:
            gid, jid = (mujoco.mj_name2id(m, t, n) for t, n in
                        ((mujoco.mjtObj.mjOBJ_GEOM, geom), (mujoco.mjtObj.mjOBJ_JOINT, joint)))
            if gid < 0 or jid < 0:
                raise ValueError(f"lit geom {geom!r} / joint {joint!r} not found in the model")
            if gid not in self.geom_ids:
                raise ValueError(f"lit geom {geom!r} is not drawn (group 0-2, alpha > 0, "
                                 "primitive type)")
            lit_idx.append(int(np.nonzero(self.geom_ids == gid)[0][0]))
            lit_qadr.append(int(m.jnt_qposadr[jid]))
        self._lit_idx = np.array(lit_idx, np.int32)
        self._lit_qadr = np.array(lit_qadr, np.int32)
        self._lit_threshold = np.array([x[2] for x in lit], np.float32)
        self._lit_rgb = np.array([x[3] for x in lit], np.float32).reshape(-1, 3)
        # Per type: drawn-geom indices [n_chunks, _CHUNK], padded by repeating the last one.
        self._chunks: list[tuple[int, np.ndarray]] = []
        for typ in _SUPPORTED:
            sel = np.nonzero(self._types == typ)[0]
            if len(sel):
                sel = np.concatenate([sel, np.full(-len(sel) % _CHUNK, sel[-1])])
                self._chunks.append((typ, sel.reshape(-1, _CHUNK).astype(np.int32)))

        names = [mujoco.mj_id2name(m, mujoco.mjtObj.mjOBJ_CAMERA, i) for i in range(m.ncam)]
        missing = [c for c in config.cameras if c not in names]
        if missing:
            raise ValueError(f"camera(s) {missing} not found in model; available: {names}")
        self.cam_ids: np.ndarray = np.array([names.index(c) for c in config.cameras])  # [C]

        # Camera-frame unit ray directions [C, 3, P] (row-major pixels, row 0 = top).
        hgt, wid = config.height, config.width
        uu, vv = np.meshgrid(np.arange(wid) + 0.5 - wid / 2.0, hgt / 2.0 - np.arange(hgt) - 0.5)
        dirs = []
        for cid in self.cam_ids:
            f = (hgt / 2.0) / math.tan(math.radians(float(m.cam_fovy[cid])) / 2.0)
            dc = np.stack([uu.ravel(), vv.ravel(), np.full(uu.size, -f)])
            dirs.append(dc / np.linalg.norm(dc, axis=0, keepdims=True))
        self._dirs_cam = np.stack(dirs).astype(np.float32)
        self._znear = float(m.vis.map.znear * m.stat.extent)  # min. distance of camera hits
        light = np.asarray(config.light_dir, np.float64)
        self._to_light = (-light / np.linalg.norm(light)).astype(np.float32)  # [3]

    def _trace(self, pix: Vec3, rot: jax.Array, off: jax.Array | None, const: jax.Array,
               pix_is_origin: bool, tmin: float, with_index: bool) -> jax.Array:
        """Nearest hit of rays against all drawn geoms.

        In geom ``n``'s frame a ray is one per-pixel vector ``rot[n] @ pix (+ off[n])`` and one
        per-geom constant ``const[n]``: camera rays vary in direction (``pix`` = camera-frame
        directions, constant origin), shadow rays in origin (``pix`` = world points).
        Per geom type, a ``lax.scan`` over chunks of ``_CHUNK`` geoms tests all rays against a
        chunk ([_CHUNK, P]) per step and emits the chunk minimum as a row; one reduction ends.
        With ``with_index`` distances become int32 keys: the bits of the positive float distance
        with the low ``self._id_bits`` bits replaced by the geom index, so one ``minimum``
        tracks distance and argmin together.

        Args:
          pix: per-pixel vector, components [P].
          rot: [N, 3, 3]; off: [N, 3] or None; const: [N, 3] (see above).
          pix_is_origin: whether ``pix`` holds origins (else directions).
          tmin: minimum hit distance.
          with_index: return packed keys (decoded in ``_render_camera``), not distances.

        Returns:
          [P] int32 keys if ``with_index`` else [P] float32 distances (+inf on a miss).
        """
        keep = jnp.int32(~((1 << self._id_bits) - 1))
        rows = []
        for typ, chunk in self._chunks:

            def step(carry: None, x: tuple[jax.Array, ...], typ: int = typ
                     ) -> tuple[None, jax.Array]:
                m, b, c, size, gid = (None if a is None else a[..., None] for a in x)  # [K,..,1]
                v = tuple(sum(m[:, i, j] * pix[j] for j in range(3))
                          + (0.0 if b is None else b[:, i]) for i in range(3))  # [K, P]
                cst = (c[:, 0], c[:, 1], c[:, 2])  # [K, 1]
                o, d = (v, cst) if pix_is_origin else (cst, v)
                t = _HIT_FNS[typ](o, d, jnp.moveaxis(size, 1, 0), tmin)  # [K, P]
                if with_index:
                    t = (jax.lax.bitcast_convert_type(t, jnp.int32) & keep) | gid
                return carry, jnp.min(t, axis=0)

            xs = (rot[chunk], None if off is None else off[chunk], const[chunk],
                  jnp.asarray(self._sizes[chunk]), jnp.asarray(chunk))
            rows.append(jax.lax.scan(step, None, xs)[1])  # [n_chunks, P]
        return jnp.min(jnp.concatenate(rows), axis=0)

    def _render_camera(self, pos: jax.Array, mat: jax.Array, rgb: jax.Array, cam_pos: jax.Array,
                       cam_mat: jax.Array, dirs_cam: jax.Array) -> jax.Array:
        """Renders one camera; returns [P] uint32 colours ``r | g << 8 | b << 16``.

        Shapes: ``pos [N, 3]``, ``mat [N, 3, 3]``, ``rgb [N, 3]`` (drawn geoms), ``cam_pos [3]``,
        ``cam_mat [3, 3]``, ``dirs_cam [3, P]`` (unit ray directions in the camera frame).
        """
        cfg = self.config
        o_l = jnp.einsum("nkj,nk->nj", mat, cam_pos - pos)  # camera position in geom frames
        d_rot = jnp.einsum("nkj,ki->nji", mat, cam_mat)  # camera frame -> geom frames
        key = self._trace(tuple(dirs_cam), d_rot, None, o_l, False, self._znear, True)
        mask = (1 << self._id_bits) - 1
        hit = key < 0x7F800000  # bit pattern of +inf
        t = jnp.where(hit, jax.lax.bitcast_convert_type(key & ~mask, jnp.float32), 0.0)
        idx = jnp.where(hit, key & mask, 0)  # [P] drawn-geom index of the hit

        d_w = _rotate(cam_mat, tuple(dirs_cam))
        x_w = tuple(cam_pos[k] + t * d_w[k] for k in range(3))  # hit points [P]
        rot, p, size = mat[idx], pos[idx], jnp.asarray(self._sizes)[idx]
        x_l = _rotate(rot, tuple(x_w[k] - p[:, k] for k in range(3)), transpose=True)
        typ = jnp.asarray(self._types)[idx]
        n_w = _rotate(rot, _local_normals(x_l, typ, (size[:, 0], size[:, 1], size[:, 2])))
        facing = jnp.where(_dot(n_w, d_w) > 0, -1.0, 1.0)  # flip normals towards the viewer
        n_w = tuple(c * facing for c in n_w)
        to_light = jnp.asarray(self._to_light)
        lambert = jnp.maximum(0.0, _dot(n_w, to_light))  # [P]
        if cfg.shadows:
            # the offset also covers the truncation of t in the keys (relative 2^(bits-23))
            eps = _SHADOW_OFFSET + t * 2.0 ** (self._id_bits - 22)
            o_s = tuple(x_w[k] + eps * n_w[k] for k in range(3))
            rot_t = jnp.swapaxes(mat, 1, 2)  # world -> geom frames
            t_sh = self._trace(o_s, rot_t, -jnp.einsum("nkj,nk->nj", mat, pos), rot_t @ to_light,
                               True, _SHADOW_EPS, False)
            lambert = jnp.where(jnp.isfinite(t_sh), 0.0, lambert)
        shade = cfg.ambient + (1.0 - cfg.ambient) * lambert  # [P]
        cell = jnp.floor(x_l[0] / _CHECKER_CELL) + jnp.floor(x_l[1] / _CHECKER_CELL)
        shade *= jnp.where(typ == _PLANE, 1.0 + _CHECKER_AMP * (2.0 * jnp.mod(cell, 2.0) - 1.0), 1)
        rgb = rgb[idx]  # [P, 3]
        packed = jnp.zeros(idx.shape, jnp.uint32)
        for k in range(3):
            c = jnp.where(hit, rgb[:, k] * shade, cfg.background[k])
            packed |= jnp.clip(c * 255.0 + 0.5, 0.0, 255.0).astype(jnp.uint32) << (8 * k)
        return packed

    def render(self, geom_xpos: jax.Array, geom_xmat: jax.Array, cam_xpos: jax.Array,
               cam_xmat: jax.Array, qpos: jax.Array | None = None) -> jax.Array:
        """Renders all configured cameras for one state (``jax.vmap`` it for batches).

        Args:
          geom_xpos: [ngeom, 3] geom world positions.
          geom_xmat: [ngeom, 9] or [ngeom, 3, 3] geom world rotations (row-major).
          cam_xpos: [ncam, 3] camera world positions.
          cam_xmat: [ncam, 9] or [ncam, 3, 3] camera world rotations.
          qpos: [nq] joint positions; needed only with ``lit`` geoms.

        Returns:
          uint8 images [C, H, W, 3] in the order of ``config.cameras``.

        Raises:
          ValueError: ``qpos`` missing while the renderer has ``lit`` geoms.
        """
        cfg = self.config
        rgb = jnp.asarray(self._rgb)
        if len(self._lit_idx):
            if qpos is None:
                raise ValueError("this renderer has lit geoms (e.g. a stove's burner): pass "
                                 "qpos to render(), or use render_data(data)")
            on = jnp.asarray(qpos)[self._lit_qadr] >= self._lit_threshold  # [L]
            rgb = rgb.at[self._lit_idx].set(
                jnp.where(on[:, None], self._lit_rgb, rgb[self._lit_idx]))
        n_cam = len(cfg.cameras)
        cam_pos = jnp.asarray(cam_xpos, jnp.float32)[self.cam_ids]  # [C, 3]
        cam_mat = jnp.asarray(cam_xmat, jnp.float32).reshape(-1, 3, 3)[self.cam_ids]  # [C, 3, 3]
        if len(self.geom_ids) == 0:
            bg = sum(int(255 * c + 0.5) << (8 * k) for k, c in enumerate(cfg.background))
            packed = jnp.full((n_cam, cfg.height * cfg.width), bg, jnp.uint32)
        else:
            pos = jnp.asarray(geom_xpos, jnp.float32)[self.geom_ids]  # [N, 3]
            mat = jnp.asarray(geom_xmat, jnp.float32).reshape(-1, 3, 3)[self.geom_ids]
            packed = jax.vmap(self._render_camera, in_axes=(None, None, None, 0, 0, 0))(
                pos, mat, rgb, cam_pos, cam_mat, jnp.asarray(self._dirs_cam))  # [C, P]
        # Bytes of the little-endian uint32 (all JAX backends): byte k = channel k.
        img = jax.lax.bitcast_convert_type(packed, jnp.uint8)[..., :3]  # [C, P, 3]
        return img.reshape(n_cam, cfg.height, cfg.width, 3)

    def render_data(self, data: Any) -> jax.Array:
        """``render`` on an ``mjx.Data`` / ``mujoco.MjData`` (anything with the five fields).

        Returns uint8 [C, H, W, 3].
        """
        return self.render(data.geom_xpos, data.geom_xmat, data.cam_xpos, data.cam_xmat,
                           data.qpos)
