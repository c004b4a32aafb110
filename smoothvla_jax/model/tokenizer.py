"""Word-level instruction tokenizer built locally with the HuggingFace ``tokenizers`` library.

No network access is needed: the vocabulary is built from a list of strings (by default
:data:`DEFAULT_CORPUS`, a generic robot-manipulation vocabulary covering the LIBERO suites).

Pipeline (all inside a ``tokenizers.Tokenizer`` so it serialises to one JSON string):

* normaliser: NFKC + lower-case;
* pre-tokeniser: split on whitespace, then isolate punctuation (``"basket."`` -> ``basket .``);
* model: ``WordLevel`` with ``[UNK]`` for out-of-vocabulary words.

Special tokens have fixed ids: ``[PAD]=0, [UNK]=1, [BOS]=2, [EOS]=3``. Regular words follow in
sorted order, so training on the same set of words always gives the same ids.

:meth:`InstructionTokenizer.encode` returns ``[BOS] w_1 .. w_n [EOS]`` padded with ``[PAD]`` (or
truncated, keeping ``[EOS]``) to ``max_len``, plus a boolean validity mask.
:meth:`InstructionTokenizer.decode` inverts it up to normalisation:
``decode(encode(s)[0][0]) == normalize(s)`` whenever every word of ``s`` is in the vocabulary.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence

import numpy as np
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

PAD_TOKEN = "[PAD]"
UNK_TOKEN = "[UNK]"
BOS_TOKEN = "[BOS]"
EOS_TOKEN = "[EOS]"
SPECIAL_TOKENS: tuple[str, ...] = (PAD_TOKEN, UNK_TOKEN, BOS_TOKEN, EOS_TOKEN)
PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3

# LIBERO-10 (a.k.a. LIBERO-Long) instructions.
LIBERO_10_INSTRUCTIONS: tuple[str, ...] = (
    "put both the alphabet soup and the tomato sauce in the basket",
    "put both the cream cheese box and the butter in the basket",
    "turn on the stove and put the moka pot on it",
    "put the black bowl in the bottom drawer of the cabinet and close it",
    "put the white mug on the left plate and put the yellow and white mug on the right plate",
    "pick up the book and place it in the back compartment of the caddy",
    "put the white mug on the plate and put the chocolate pudding to the right of the plate",
    "put both the alphabet soup and the cream cheese box in the basket",
    "put both moka pots on the stove",
    "put the yellow and white mug in the microwave and close it",
)

_LIBERO_SPATIAL: tuple[str, ...] = (
    "pick up the black bowl between the plate and the ramekin and place it on the plate",
    "pick up the black bowl next to the ramekin and place it on the plate",
    "pick up the black bowl from table center and place it on the plate",
    "pick up the black bowl on the cookie box and place it on the plate",
    "pick up the black bowl in the top drawer of the wooden cabinet and place it on the plate",
    "pick up the black bowl on the ramekin and place it on the plate",
    "pick up the black bowl next to the cookie box and place it on the plate",
    "pick up the black bowl on the stove and place it on the plate",
    "pick up the black bowl next to the plate and place it on the plate",
    "pick up the black bowl on the wooden cabinet and place it on the plate",
)

_LIBERO_OBJECT: tuple[str, ...] = tuple(
    f"pick up the {obj} and place it in the basket"
    for obj in (
        "alphabet soup", "cream cheese", "salad dressing", "bbq sauce", "ketchup",
        "tomato sauce", "butter", "milk", "chocolate pudding", "orange juice",
    )
)

_LIBERO_GOAL: tuple[str, ...] = (
    "open the middle drawer of the cabinet",
    "put the bowl on the stove",
    "put the wine bottle on top of the cabinet",
    "open the top drawer and put the bowl inside",
    "put the bowl on top of the cabinet",
    "push the plate to the front of the stove",
    "put the cream cheese in the bowl",
    "turn on the stove",
    "put the bowl on the plate",
    "put the wine bottle on the rack",
)

_EXTRA_INSTRUCTIONS: tuple[str, ...] = (
    "close the top drawer of the cabinet",
    "close the microwave",
    "open the microwave",
    "turn off the stove",
    "put the frying pan on the stove",
    "pick up the book and place it in the front compartment of the caddy",
    "pick up the book and place it in the left compartment of the caddy",
    "pick up the book and place it in the right compartment of the caddy",
    "put the red mug on the left plate",
    "put the porcelain mug on the plate",
    "stack the black bowl on the middle black bowl",
    "put the ketchup in the top drawer of the cabinet",
    "pick up the cream cheese and put it in the tray",
    "put the chocolate pudding to the left of the plate",
    "put the white bowl on the plate",
    "put the white bowl to the right of the plate",
    "close the bottom drawer of the cabinet and open the top drawer",
    "open the top drawer of the cabinet and put the bowl inside",
    "put the black bowl on top of the cabinet",
    "put the akita black bowl on the plate",
    "put the ketchup in the basket",
    "pick up the orange juice and put it in the basket",
)

_EXTRA_WORDS: tuple[str, ...] = (
    # verbs
    (
        "put pick place open close turn push pull lift grab grasp move drop insert stack rotate "
        "flip pour slide reach hold release set take bring carry press lower raise hang store"
    ),
    # function words / spatial relations
    (
        "on in of the and both top bottom left right front back middle up down into onto inside "
        "outside under over above below near next to between from at with it them its a an off "
        "center centre side behind beside then after before first second third other another "
        "all each one two three four five is are this that there here"
    ),
    # objects
    (
        "alphabet soup tomato sauce cream cheese box butter basket stove moka pot pots black "
        "bowl bowls drawer cabinet white mug mugs yellow plate plates chocolate pudding book caddy "
        "compartment microwave ketchup milk orange juice salad dressing bbq sauce wine bottle rack "
        "ramekin cookie wooden tray frying pan red porcelain akita shelf table desk sink faucet "
        "cup can jar lid handle door knob flat floor kitchen living room study scene object objects "
        "gripper robot arm block cube ball toy green blue purple pink brown gray grey"
    ),
    # punctuation kept as separate tokens
    ". , ; : ' \" - _ ! ?",
)

DEFAULT_CORPUS: tuple[str, ...] = (
    LIBERO_10_INSTRUCTIONS + _LIBERO_SPATIAL + _LIBERO_OBJECT + _LIBERO_GOAL
    + _EXTRA_INSTRUCTIONS + _EXTRA_WORDS
)
"""Generic robot-manipulation corpus (LIBERO-10/Spatial/Object/Goal instructions + word lists)."""


def _make_normalizer() -> normalizers.Normalizer:
    return normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])


def _make_pre_tokenizer() -> pre_tokenizers.PreTokenizer:
    return pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation("isolated")]
    )


class InstructionTokenizer:
    """Word-level tokenizer for language instructions (wraps ``tokenizers.Tokenizer``)."""

    def __init__(self, tokenizer: Tokenizer):
        self._tok = tokenizer
        for i, s in enumerate(SPECIAL_TOKENS):
            if tokenizer.token_to_id(s) != i:
                raise ValueError(f"special token {s!r} must have id {i}")

    # ------------------------------------------------------------------ construction
    @classmethod
    def train(
        cls, texts: Iterable[str], vocab_extra: Iterable[str] = ()
    ) -> InstructionTokenizer:
        """Builds the vocabulary from ``texts`` plus ``vocab_extra`` (strings or words).

        Every distinct normalised word becomes a token; ids are ``4 + rank`` in sorted order.
        """
        normalizer, pre_tok = _make_normalizer(), _make_pre_tokenizer()
        words: set[str] = set()
        for text in list(texts) + list(vocab_extra):
            for w, _ in pre_tok.pre_tokenize_str(normalizer.normalize_str(text)):
                words.add(w)
        words -= set(SPECIAL_TOKENS)
        vocab = {s: i for i, s in enumerate(SPECIAL_TOKENS)}
        for w in sorted(words):
            vocab[w] = len(vocab)
        tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK_TOKEN))
        tok.normalizer = normalizer
        tok.pre_tokenizer = pre_tok
        tok.add_special_tokens(list(SPECIAL_TOKENS))
        return cls(tok)

    # ------------------------------------------------------------------ properties
    @property
    def vocab_size(self) -> int:
        """Number of ids (special tokens included); embedding tables need at least this many."""
        return self._tok.get_vocab_size(with_added_tokens=True)

    @property
    def pad_id(self) -> int:
        return PAD_ID

    @property
    def unk_id(self) -> int:
        return UNK_ID

    @property
    def bos_id(self) -> int:
        return BOS_ID

    @property
    def eos_id(self) -> int:
        return EOS_ID

    def get_vocab(self) -> dict[str, int]:
        """Returns the ``{token: id}`` mapping."""
        return dict(self._tok.get_vocab(with_added_tokens=True))

    # ------------------------------------------------------------------ text <-> ids
    def words(self, text: str) -> list[str]:
        """Normalised words of ``text`` (lower-case, punctuation isolated)."""
        return [w for w, _ in self._tok.pre_tokenizer.pre_tokenize_str(
            self._tok.normalizer.normalize_str(text))]

    def normalize(self, text: str) -> str:
        """Canonical form of ``text``: normalised words joined by single spaces."""
        return " ".join(self.words(text))

    def encode(
        self,
        text: str | Sequence[str],
        max_len: int = 32,
        add_bos: bool = True,
        add_eos: bool = True,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Encodes one string or a list of strings.

        Args:
          text: a string (B = 1) or a sequence of B strings.
          max_len: output length L; longer instructions are truncated (``[EOS]`` is kept).
          add_bos / add_eos: wrap the words in ``[BOS]`` / ``[EOS]``.

        Returns:
          ``(ids, mask)``: ``ids`` int32 [B, L] padded with ``[PAD]`` = 0, ``mask`` bool [B, L]
          (True on real tokens, BOS/EOS included).
        """
        texts = [text] if isinstance(text, str) else list(text)
        n_special = int(add_bos) + int(add_eos)
        if max_len < max(n_special, 1):
            raise ValueError(f"max_len={max_len} too small")
        ids = np.full((len(texts), max_len), PAD_ID, dtype=np.int32)
        mask = np.zeros((len(texts), max_len), dtype=bool)
        encs = self._tok.encode_batch(texts, add_special_tokens=False) if texts else []
        for b, enc in enumerate(encs):
            row = list(enc.ids)[: max_len - n_special]
            if add_bos:
                row = [BOS_ID] + row
            if add_eos:
                row = row + [EOS_ID]
            ids[b, : len(row)] = row
            mask[b, : len(row)] = True
        return ids, mask

    def decode(self, ids: Sequence[int] | np.ndarray, skip_special: bool = True) -> str:
        """Decodes a 1-D id sequence ``[L]`` to a string.

        ``[PAD]``, ``[BOS]``, ``[EOS]`` are dropped when ``skip_special`` (``[UNK]`` is kept so
        unknown words stay visible). Out-of-range ids decode to ``[UNK]``.
        """
        arr = np.asarray(ids).reshape(-1)
        out: list[str] = []
        for i in arr.tolist():
            if skip_special and i in (PAD_ID, BOS_ID, EOS_ID):
                continue
            tok = self._tok.id_to_token(int(i))
            out.append(UNK_TOKEN if tok is None else tok)
        return " ".join(out)

    def decode_batch(self, ids: np.ndarray, skip_special: bool = True) -> list[str]:
        """Decodes ``ids`` [B, L] to a list of B strings."""
        return [self.decode(row, skip_special) for row in np.asarray(ids)]

    # ------------------------------------------------------------------ serialisation
    def to_json(self) -> str:
        """The full tokenizer (vocab, normaliser, pre-tokeniser) as a JSON string."""
        return self._tok.to_str()

    @classmethod
    def from_json(cls, s: str) -> InstructionTokenizer:
        return cls(Tokenizer.from_str(s))

    def save(self, path: str | os.PathLike) -> None:
        """Writes :meth:`to_json` to ``path`` (parent directories are created)."""
        path = os.fspath(path)
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.to_json())

    @classmethod
    def load(cls, path: str | os.PathLike) -> InstructionTokenizer:
        with open(os.fspath(path), encoding="utf-8") as f:
            return cls.from_json(f.read())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, InstructionTokenizer):
            return NotImplemented
        return json.loads(self.to_json()) == json.loads(other.to_json())

    def __repr__(self) -> str:
        return f"InstructionTokenizer(vocab_size={self.vocab_size})"


def default_tokenizer(extra_texts: Iterable[str] = ()) -> InstructionTokenizer:
    """Tokenizer trained on :data:`DEFAULT_CORPUS` plus ``extra_texts`` (e.g. real task names)."""
    return InstructionTokenizer.train(list(DEFAULT_CORPUS) + list(extra_texts))
