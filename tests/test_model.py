"""Fast tests of the VLA model package (tiny config, 32x32 images, CPU)."""

# ruff: noqa: I001  (smoothvla_jax must be imported before jax)

from __future__ import annotations

import json

import smoothvla_jax  # noqa: F401  (sets XLA CPU flags before JAX initialises)

import chex
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from smoothvla_jax.model import (
    DEFAULT_CORPUS,
    LIBERO_10_INSTRUCTIONS,
    UNK_ID,
    ActionNormalizer,
    ActionTokenizer,
    InstructionTokenizer,
    Observation,
    VLAConfig,
    VLAPolicy,
    abstract_params,
    default_tokenizer,
    entropy,
    greedy_tokens,
    init_params,
    log_probs,
    param_count,
    sample_tokens,
    tokens_to_actions,
)

LIBERO_10 = list(LIBERO_10_INSTRUCTIONS)

IMG = 32
TEXT_LEN = 16


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def tok() -> InstructionTokenizer:
    return default_tokenizer()


@pytest.fixture(scope="module")
def cfg() -> VLAConfig:
    return VLAConfig.tiny(image_size=IMG, patch_size=8)


@pytest.fixture(scope="module")
def params(cfg):
    return init_params(jax.random.key(0), cfg)


@pytest.fixture(scope="module")
def apply_fn(cfg):
    return jax.jit(lambda p, o: VLAPolicy(cfg).apply(p, o, deterministic=True))


def make_obs(tok, texts, seed=0, max_len=TEXT_LEN) -> Observation:
    rng = np.random.default_rng(seed)
    b = len(texts)
    ids, mask = tok.encode(texts, max_len=max_len)
    return Observation(
        agentview=jnp.asarray(rng.integers(0, 256, (b, IMG, IMG, 3)), jnp.uint8),
        wrist=jnp.asarray(rng.integers(0, 256, (b, IMG, IMG, 3)), jnp.uint8),
        proprio=jnp.asarray(rng.normal(size=(b, 8)), jnp.float32),
        tokens=jnp.asarray(ids),
        token_mask=jnp.asarray(mask),
    )


# ----------------------------------------------------------------------------- policy
def test_logits_shape_dtype(tok, cfg, params, apply_fn):
    obs = make_obs(tok, LIBERO_10[:2]).validate()
    logits = apply_fn(params, obs)
    chex.assert_shape(logits, (2, cfg.chunk, cfg.action_dim, cfg.num_bins))
    chex.assert_type(logits, jnp.float32)
    chex.assert_tree_all_finite(logits)
    assert cfg.chunk == 8 and cfg.action_dim == 7 and cfg.num_bins == 256
    bad = obs.replace(agentview=obs.agentview.astype(jnp.float32))
    with pytest.raises(AssertionError):
        bad.validate()


def test_batch_independence(tok, params, apply_fn):
    obs = make_obs(tok, LIBERO_10[:2], seed=1)
    other = make_obs(tok, LIBERO_10[2:4], seed=2)
    mixed = jax.tree_util.tree_map(lambda a, o: a.at[1].set(o[1]), obs, other)
    l0, l1 = apply_fn(params, obs), apply_fn(params, mixed)
    np.testing.assert_allclose(l0[0], l1[0], atol=1e-5, rtol=1e-5)
    assert float(jnp.max(jnp.abs(l0[1] - l1[1]))) > 1e-4  # sample 1 did change


def test_text_padding_invariance(tok, params, apply_fn):
    obs = make_obs(tok, LIBERO_10[3:5], seed=3, max_len=24)
    longer = make_obs(tok, LIBERO_10[3:5], seed=3, max_len=32)
    assert int(longer.token_mask.sum()) == int(obs.token_mask.sum())
    l_short, l_long = apply_fn(params, obs), apply_fn(params, longer)
    np.testing.assert_allclose(l_short, l_long, atol=1e-5, rtol=1e-5)
    # garbage ids under mask=False are ignored too
    garbage = longer.replace(tokens=jnp.where(longer.token_mask, longer.tokens, 7))
    np.testing.assert_allclose(apply_fn(params, garbage), l_long, atol=1e-5, rtol=1e-5)


def test_out_of_vocab_ids_are_finite(tok, cfg, params, apply_fn):
    obs = make_obs(tok, LIBERO_10[:2])
    obs = obs.replace(tokens=obs.tokens.at[:, 1].set(cfg.vocab_size + 5))
    chex.assert_tree_all_finite(apply_fn(params, obs))


def test_overfit_reduces_loss(tok, cfg, params):
    obs = make_obs(tok, LIBERO_10[:2], seed=4)
    target = jax.random.randint(jax.random.key(1), (2, cfg.chunk, cfg.action_dim), 0,
                                cfg.num_bins)
    opt = optax.adamw(3e-3, weight_decay=1e-4)
    policy = VLAPolicy(cfg)

    def loss_fn(p):
        return -jnp.mean(log_probs(policy.apply(p, obs), target))

    @jax.jit
    def step(p, s):
        loss, g = jax.value_and_grad(loss_fn)(p)
        upd, s = opt.update(g, s, p)
        return optax.apply_updates(p, upd), s, loss

    p, s = params, opt.init(params)
    losses = []
    for _ in range(15):
        p, s, loss = step(p, s)
        losses.append(float(loss))
    assert np.isfinite(losses).all()
    assert abs(losses[0] - np.log(cfg.num_bins)) < 0.5  # near-uniform init
    print("overfit losses", losses[0], losses[-1])
    assert losses[-1] < 0.7 * losses[0], losses


def test_param_counts(cfg, params):
    assert param_count(params) < 2_000_000  # initialised 32x32 tiny model
    assert param_count(abstract_params(VLAConfig.tiny())) < 2_000_000  # default 64x64 tiny
    base = param_count(abstract_params(VLAConfig.base()))  # eval_shape, nothing allocated
    assert base > 10_000_000


def test_config_dict_roundtrip():
    for c in (VLAConfig.tiny(), VLAConfig.base(), VLAConfig.tiny(query_per_dim=False)):
        d = json.loads(json.dumps(c.to_dict()))
        assert VLAConfig.from_dict(d) == c
    with pytest.raises(ValueError):
        VLAConfig.from_dict({"not_a_field": 1})


def test_per_step_queries_shape(tok):
    c = VLAConfig.tiny(image_size=IMG, patch_size=8, query_per_dim=False, depth=1)
    p = abstract_params(c)  # shapes only: no compilation
    logits = jax.eval_shape(VLAPolicy(c).apply, p, make_obs(tok, LIBERO_10[:2]))
    assert logits.shape == (2, 8, 7, 256) and logits.dtype == jnp.float32


# ----------------------------------------------------------------------------- tokenizer
def test_tokenizer_roundtrip(tok):
    texts = LIBERO_10 + list(DEFAULT_CORPUS)
    max_len = max(len(tok.words(t)) for t in texts) + 2  # BOS + EOS, no truncation
    ids, mask = tok.encode(texts, max_len=max_len)
    chex.assert_shape(ids, (len(texts), max_len))
    assert ids.dtype == np.int32 and mask.dtype == np.bool_
    for text, row, m in zip(texts, ids, mask):
        assert UNK_ID not in row.tolist(), text
        assert row[0] == tok.bos_id and row[m.sum() - 1] == tok.eos_id
        assert (row[~m] == tok.pad_id).all()
        assert tok.decode(row) == tok.normalize(text)
    for text in LIBERO_10:  # already normalised
        assert tok.decode(tok.encode(text)[0][0]) == text
    assert tok.decode(tok.encode("Put the BOWL on the plate.")[0][0]) == \
        "put the bowl on the plate ."


def test_tokenizer_truncation_and_single(tok):
    ids, mask = tok.encode(LIBERO_10[4], max_len=8)
    chex.assert_shape(ids, (1, 8))
    assert mask.all() and ids[0, 0] == tok.bos_id and ids[0, -1] == tok.eos_id
    assert tok.decode(ids[0]) == " ".join(LIBERO_10[4].split()[:6])


def test_tokenizer_save_load(tok, tmp_path):
    path = tmp_path / "ckpt" / "tokenizer.json"
    tok.save(path)
    loaded = InstructionTokenizer.load(path)
    again = InstructionTokenizer.from_json(tok.to_json())
    a, _ = tok.encode(LIBERO_10)
    np.testing.assert_array_equal(a, loaded.encode(LIBERO_10)[0])
    np.testing.assert_array_equal(a, again.encode(LIBERO_10)[0])
    assert loaded == tok and loaded.vocab_size == tok.vocab_size
    # training is deterministic
    assert default_tokenizer() == tok


def test_tokenizer_unknown_words(tok):
    ids, mask = tok.encode("put the zorblax in the quuxbin", max_len=16)
    row = ids[0][mask[0]].tolist()
    assert row.count(UNK_ID) == 2
    assert tok.decode(ids[0]) == "put the [UNK] in the [UNK]"
    extended = InstructionTokenizer.train(LIBERO_10, vocab_extra=["zorblax"])
    assert UNK_ID not in extended.encode("put the zorblax")[0][0].tolist()


# ----------------------------------------------------------------------------- actions
def test_action_binning_roundtrip():
    at = ActionTokenizer()
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, size=(64, 8, 7)).astype(np.float32)
    a[0, 0] = [-1.0, 1.0, 0.0, -0.999, 0.999, 1e-7, -1e-7]
    bins = at.encode(a)
    assert bins.dtype == np.int32 and bins.min() >= 0 and bins.max() <= 255
    err = np.abs(at.decode(bins) - a)
    assert err.max() <= at.bin_width / 2 + 1e-6
    # out of range -> clipped to the edge bins; NaN -> middle
    out = at.encode(np.array([5.0, -3.0, 1.0, -1.0, np.nan], np.float32))
    np.testing.assert_array_equal(out, [255, 0, 255, 0, 128])
    # jax path (jit) matches numpy
    jb = jax.jit(at.encode)(jnp.asarray(a))
    np.testing.assert_array_equal(np.asarray(jb), bins)
    np.testing.assert_allclose(np.asarray(tokens_to_actions(jb, at)), at.decode(bins))
    assert ActionTokenizer.from_dict(json.loads(json.dumps(at.to_dict()))) == at


def test_action_normalizer():
    rng = np.random.default_rng(1)
    data = rng.normal(loc=0.3, scale=2.0, size=(500, 7))
    ident = ActionNormalizer()
    np.testing.assert_array_equal(ident.normalize(data), data.astype(np.float32))
    for norm in (ActionNormalizer.from_data(data, "mean_std"),
                 ActionNormalizer.from_data(data, "min_max", quantile=0.01,
                                            mask=[1, 1, 1, 1, 1, 1, 0])):
        n = norm.normalize(data)
        np.testing.assert_allclose(norm.unnormalize(n), data, atol=1e-4)
        back = ActionNormalizer.from_dict(json.loads(json.dumps(norm.to_dict())))
        assert back == norm
    mm = ActionNormalizer.from_data(data, "min_max")
    n = mm.normalize(data)
    assert n.min() >= -1 - 1e-5 and n.max() <= 1 + 1e-5
    masked = ActionNormalizer.from_data(data, "mean_std", mask=[1] * 6 + [0])
    np.testing.assert_allclose(masked.normalize(data)[:, 6], data[:, 6], rtol=1e-6)
    # Hand-computed (eps = 0): mean_std is (x - mean) / std; min_max maps [lo, hi] onto [-1, 1].
    ms = ActionNormalizer(mode="mean_std", mean=(2.0, -1.0), std=(4.0, 0.5), eps=0.0)
    mm = ActionNormalizer(mode="min_max", min=(-1.0, 0.0), max=(3.0, 10.0), eps=0.0)
    for xp in (np, jnp):
        np.testing.assert_allclose(ms.normalize(xp.array([[6.0, 0.0]])), [[1.0, 2.0]])
        np.testing.assert_allclose(ms.unnormalize(xp.array([[1.0, 2.0]])), [[6.0, 0.0]])
        raw = xp.array([[-1.0, 10.0], [1.0, 2.5]])
        np.testing.assert_allclose(mm.normalize(raw), [[-1.0, 1.0], [0.0, -0.5]])
        np.testing.assert_allclose(mm.unnormalize(xp.array([[0.0, -0.5]])), [[1.0, 2.5]])


# ----------------------------------------------------------------------------- distributions
def test_log_probs_normalised_and_temperature():
    logits = jax.random.normal(jax.random.key(0), (2, 8, 7, 256)) * 3.0
    shape = logits.shape[:-1]
    for t in (1.0, 0.5):
        all_lp = jax.vmap(lambda b, t=t: log_probs(logits, jnp.full(shape, b), t))(jnp.arange(256))
        np.testing.assert_allclose(jnp.exp(all_lp).sum(0), 1.0, atol=1e-4)
        bins = greedy_tokens(logits)
        expected = jnp.take_along_axis(jax.nn.log_softmax(logits / t), bins[..., None], -1)[..., 0]
        np.testing.assert_allclose(log_probs(logits, bins, t), expected, atol=1e-5)
    chex.assert_tree_all_finite(log_probs(logits, greedy_tokens(logits), 0.0))


def test_sample_zero_temperature_is_argmax():
    logits = jax.random.normal(jax.random.key(1), (2, 8, 7, 256))
    am = greedy_tokens(logits)
    assert am.dtype == jnp.int32
    for t in (0.0, 1e-8, jnp.zeros((2,))):
        np.testing.assert_array_equal(sample_tokens(jax.random.key(2), logits, t), am)
    jitted = jax.jit(sample_tokens)
    np.testing.assert_array_equal(jitted(jax.random.key(3), logits, jnp.float32(0.0)), am)
    # per-sample temperature: row 0 greedy, row 1 sampled
    mixed = sample_tokens(jax.random.key(4), logits, jnp.array([0.0, 1.0]))
    np.testing.assert_array_equal(mixed[0], am[0])
    assert not np.array_equal(mixed[1], am[1])


def test_sample_frequencies_match_softmax():
    base = jnp.array([1.0, 0.5, 0.0, -0.5, 2.0])
    n = 20000
    logits = jnp.broadcast_to(base, (n, 1, 1, 5))
    crit = 18.47  # chi-square, 4 dof, p = 0.001
    for t, seed in ((1.0, 5), (2.0, 6)):
        s = np.asarray(sample_tokens(jax.random.key(seed), logits, t)).reshape(-1)
        counts = np.bincount(s, minlength=5)
        expected = n * np.asarray(jax.nn.softmax(base / t))
        chi2 = float(((counts - expected) ** 2 / expected).sum())
        assert chi2 < crit, (t, counts, expected)


def test_entropy():
    uniform = jnp.zeros((2, 8, 7, 256))
    ent = entropy(uniform)
    chex.assert_shape(ent, (2, 8, 7))
    np.testing.assert_allclose(ent, np.log(256), rtol=1e-5)
    peaked = jnp.full((1, 1, 1, 256), -jnp.inf).at[..., 3].set(0.0)
    np.testing.assert_allclose(entropy(peaked), 0.0, atol=1e-6)
    logits = jax.random.normal(jax.random.key(0), (2, 8, 7, 256))
    p = jax.nn.softmax(logits / 0.7)
    np.testing.assert_allclose(entropy(logits, 0.7), -(p * jnp.log(p)).sum(-1), rtol=1e-4)
