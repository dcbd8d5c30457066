"""`EntropyDecodingLogitsProcessor`: entropix-style adaptive sampling inside vLLM's sampler.

It converts one thing: a batch of next-token logits → the same logits with each opted-in
row adapted to its own entropy and varentropy (the math is `kernels.tokens.entropix_adjust`).
A request opts in through `SamplingParams.extra_args["entropy_decoding"]` (a dict of
`kernels.EntropixParams` fields, possibly empty), i.e. `Sampling(extra=(("entropy_decoding",
{...}),))`; rows of other requests are left untouched, and a step with no opted-in request
returns the logits at once, so registering the processor costs plain requests nothing.

`VLLMClient` registers it by name (`LOGITS_PROCESSORS` in `engine.vllm_client`), so the
engine's spawned workers import this module themselves. vLLM has two logits-processor
interfaces, one per model runner: V1 (`vllm.v1.sample.logits_processor`, the runner on CPU)
and V2 (`vllm.v1.worker.gpu.sample.logits_processor`, the GPU default when Triton is
present). The class implements both, so one name works whichever runner the engine picks;
only the V1 path has been run (on CPU).

- V1: the processor declares itself argmax-invariant (every transformation keeps the argmax),
  so vLLM applies it after the request's temperature, before its top-k/top-p, and skips it
  in steps where every request is greedy.
- V2: `apply` runs before temperature, top-k and top-p, on every step.

Either way the adaptation sees the model's own distribution when the request's temperature
is 1.0, top-p 1.0 and top-k 0, which is how `strategies.entropy_decoding` sends it.

This module imports vLLM and torch at the top; only the engine's processes import it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import torch
from vllm.v1.sample.logits_processor import BatchUpdate, LogitsProcessor, MoveDirectionality
from vllm.v1.worker.gpu.sample.logits_processor.interface import (
    LogitsProcessor as LogitsProcessorV2,
)

from kernels.tokens import EntropixParams, entropix_adjust

if TYPE_CHECKING:
    from vllm import SamplingParams
    from vllm.config import VllmConfig
    from vllm.v1.worker.gpu.sample.logits_processor.interface import LogitsContext

logger = logging.getLogger(__name__)

EXTRA_ARG = "entropy_decoding"
"""The `extra_args` key that switches entropy decoding on for a request."""


def request_params(sampling_params: SamplingParams) -> EntropixParams | None:
    """A request's entropy-decoding settings, or None when it did not opt in.

    Raises ValueError (vLLM turns it into a validation error) for a malformed setting.
    """
    extra = sampling_params.extra_args or {}
    if EXTRA_ARG not in extra:
        return None
    value = extra[EXTRA_ARG]
    if value is not None and not isinstance(value, dict):
        raise ValueError(f"extra_args[{EXTRA_ARG!r}] must be a dict of settings, got {value!r}")
    return EntropixParams.from_mapping(value)


class EntropyDecodingLogitsProcessor(LogitsProcessor, LogitsProcessorV2):
    """Per-row entropix adaptation of the logits of requests that opt in (V1 and V2 interfaces)."""

    def __init__(self, vllm_config: VllmConfig, *runner_args: Any) -> None:
        # V1 passes (device, is_pin_memory), V2 passes (request_state); neither is needed
        self.active: dict[int, EntropixParams] = {}
        """Opted-in requests by batch index (V1) or request slot (V2)."""

    @classmethod
    def validate_params(cls, sampling_params: SamplingParams) -> None:
        request_params(sampling_params)

    def is_argmax_invariant(self) -> bool:
        return True

    # -- V1: the persistent batch reports additions, removals and moves ------------------------

    def update_state(self, batch_update: BatchUpdate | None) -> None:
        if batch_update is None:
            return
        # in the order vLLM documents: removed, added, moved
        for index in batch_update.removed:
            self.active.pop(index, None)
        for index, params, _, _ in batch_update.added:
            entry = request_params(params)
            if entry is None:
                self.active.pop(index, None)
            else:
                self.active[index] = entry
        for a, b, direction in batch_update.moved:
            a_entry, b_entry = self.active.pop(a, None), self.active.pop(b, None)
            if a_entry is not None:
                self.active[b] = a_entry
            if b_entry is not None and direction == MoveDirectionality.SWAP:
                self.active[a] = b_entry

    # -- V2: requests take recycled slots; each step maps logits rows to slots ------------------

    def add_request(self, req_idx: int, sampling_params: SamplingParams) -> bool:
        entry = request_params(sampling_params)
        if entry is None:
            self.active.pop(req_idx, None)
            return False
        self.active[req_idx] = entry
        return True

    # -- both ------------------------------------------------------------------------------------

    def apply(self, logits: torch.Tensor, ctx: LogitsContext | None = None) -> torch.Tensor:
        if not self.active:
            return logits
        if ctx is None:  # V1: row i is batch index i
            pairs = [(i, p) for i, p in self.active.items() if i < logits.shape[0]]
        else:  # V2: row i belongs to a request slot; the host copy avoids a device sync
            rows_are_requests = len(ctx.idx_mapping_np) == logits.shape[0]  # no speculative rows
            slots = ctx.idx_mapping_np.tolist() if rows_are_requests else ctx.expanded_idx_mapping.tolist()
            pairs = [(row, self.active[s]) for row, s in enumerate(slots) if s in self.active]
        if not pairs:
            return logits
        pairs.sort()
        rows = torch.tensor([r for r, _ in pairs], dtype=torch.long, device=logits.device)
        adjusted, regions = entropix_adjust(logits[rows], [p for _, p in pairs])
        logits[rows] = adjusted.to(logits.dtype)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("entropy decoding: rows %s regions %s", rows.tolist(), regions.tolist())
        return logits
