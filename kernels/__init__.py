"""optivllm kernels: answer extraction, canonical answer keys, vectorized consensus, stopping
rules for sampling in waves, grading, and token-level math (entropy, varentropy, confidence
windows).

Standard library + numpy; torch is imported lazily by the token functions that take tensors,
``math_verify`` lazily by grading. Imports neither ``engine`` nor ``strategies``.

Example:
    >>> import kernels
    >>> keys = [[kernels.answer_key(r) for r in ("\\\\boxed{0.5}", "Answer: 1/2", "7")]]
    >>> enc = kernels.encode_keys(keys)
    >>> kernels.majority_vote(enc.ids, enc.mask).winner.tolist()
    [0]
"""

from kernels.consensus import (
    DEFAULT_WEIGHTS,
    EncodedKeys,
    Vote,
    VoteWeights,
    agreement_matrix,
    consensus_scores,
    encode_keys,
    majority_vote,
    top_k,
    weighted_vote,
)
from kernels.extract import (
    NO_ANSWER,
    AnswerKind,
    AnswerRule,
    Extraction,
    extract_answer,
    extract_boxed,
    strip_thinking,
)
from kernels.grading import MATH_VERIFY_MAX_CHARS, MATH_VERIFY_TIMEOUT_S, grade_response, is_correct
from kernels.latex import simplify_latex, strip_math_delimiters
from kernels.normalize import MAX_KEY_CHARS, answer_key, normalize_answer
from kernels.numeric import MAX_NUMBER_CHARS, canonical_number, format_fraction, parse_number
from kernels.stopping import (
    DEFAULT_STOP_CONFIDENCE,
    Settlement,
    StopRule,
    beta_win_probability,
    cannot_be_overtaken,
    settlement,
    stop_rule,
    top_two_votes,
)
from kernels.tokens import (
    LOGPROB_FLOOR,
    EntropixParams,
    EntropixRegion,
    confidence_threshold,
    entropix_adjust,
    entropix_regions,
    entropy_varentropy,
    lowest_group_confidence,
    pad_top_logprobs,
    span_mask,
    token_confidence,
    top2_margin,
    top_share_mask,
    window_confidence,
)

__all__ = [
    "AnswerKind",
    "AnswerRule",
    "DEFAULT_STOP_CONFIDENCE",
    "DEFAULT_WEIGHTS",
    "EncodedKeys",
    "EntropixParams",
    "EntropixRegion",
    "Extraction",
    "LOGPROB_FLOOR",
    "MATH_VERIFY_MAX_CHARS",
    "MATH_VERIFY_TIMEOUT_S",
    "MAX_KEY_CHARS",
    "MAX_NUMBER_CHARS",
    "NO_ANSWER",
    "Settlement",
    "StopRule",
    "Vote",
    "VoteWeights",
    "agreement_matrix",
    "answer_key",
    "beta_win_probability",
    "cannot_be_overtaken",
    "canonical_number",
    "confidence_threshold",
    "consensus_scores",
    "encode_keys",
    "entropix_adjust",
    "entropix_regions",
    "entropy_varentropy",
    "extract_answer",
    "extract_boxed",
    "format_fraction",
    "grade_response",
    "is_correct",
    "lowest_group_confidence",
    "majority_vote",
    "normalize_answer",
    "pad_top_logprobs",
    "parse_number",
    "settlement",
    "simplify_latex",
    "span_mask",
    "stop_rule",
    "strip_math_delimiters",
    "strip_thinking",
    "token_confidence",
    "top2_margin",
    "top_k",
    "top_share_mask",
    "top_two_votes",
    "weighted_vote",
    "window_confidence",
]
