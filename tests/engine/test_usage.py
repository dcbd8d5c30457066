from engine import Completion, Usage, UsageLedger


def _c(
    request: str,
    index: int,
    *,
    prompt: int = 10,
    cached: int = 0,
    gen: int = 5,
    tag: str | None = None,
    finish: str = "stop",
) -> Completion:
    return Completion(
        text="x",
        token_ids=(1,),
        finish_reason=finish,
        prompt_tokens=prompt,  # type: ignore[arg-type]
        completion_tokens=gen,
        cached_tokens=cached,
        request_id=request,
        sample_index=index,
        tag=tag,
    )


def test_usage_counts_a_prompt_once_for_all_its_samples():
    u = Usage.of([_c("r1", 0, cached=4), _c("r1", 1, cached=4), _c("r1", 2, cached=4), _c("r2", 0)])
    assert (u.requests, u.prompt_tokens, u.cached_tokens, u.completion_tokens) == (2, 20, 4, 20)


def test_usage_adds_and_reports_the_cache_hit_rate():
    u = Usage(requests=1, prompt_tokens=100, cached_tokens=25) + Usage(requests=1, prompt_tokens=100, cached_tokens=75)
    assert u.requests == 2 and u.cache_hit_rate == 0.5
    assert Usage().cache_hit_rate == 0.0


def test_ledger_keeps_usage_per_tag_and_resets():
    ledger = UsageLedger()
    ledger.record([_c("a", 0, tag="explore"), _c("b", 0, tag="verify", finish="abort")], wall_s=1.0)
    snap = ledger.snapshot()
    assert snap["explore"].requests == 1 and snap["verify"].aborted_requests == 1
    assert snap.total.requests == 2 and snap.total.wall_s == 1.0
    assert snap["missing"].requests == 0
    ledger.reset()
    assert ledger.snapshot().total.requests == 0
