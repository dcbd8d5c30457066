"""Turn the committed result files into PNG plots and the tables of `benchmarks/README.md`.

Every number in the README comes from `benchmarks/results/*.json`; nothing is typed by hand.
The README's hand-written parts live in `README.template.md`; the tables and plots replace its
`{{tables}}` marker.

    python benchmarks/report.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _load(results: Path, name: str) -> dict[str, Any] | None:
    path = results / name
    return json.loads(path.read_text()) if path.exists() else None


def _engine_line(payload: dict[str, Any]) -> str:
    e = payload["engine"]
    device = e.get("cpu") or e.get("device", "?")
    setup = f", {e['dtype']}, KV block {e['block_size']}" if "dtype" in e else ""
    return f"model `{e.get('model', '?')}` on {device}{setup}, vLLM {e.get('vllm', '?')}, torch {e.get('torch', '?')}"


def engine_section(payload: dict[str, Any]) -> str:
    """The engine's raw figures per candidate configuration (`bench_engine.py`)."""
    cpu, chosen = payload["cpu"], payload["optivllm_default"]
    first = payload["rows"][0]["engine"] if payload["rows"] else {}
    lines = [
        "### The engine on this machine (`bench_engine.py`)",
        "",
        f"{cpu['model']}, {cpu['arch']}, {cpu['cores']} cores, flags: {' '.join(cpu['flags']) or 'none read'}; "
        f"model `{payload['model']}`, vLLM {first.get('vllm', '?')}, torch {first.get('torch', '?')}; "
        f"seed {payload['seed']}, decode runs forced to {payload['decode_tokens']} tokens, MARS-like run "
        f"{payload['mars_questions']} questions x 12 requests. Command: `{payload['command']}`.",
        "",
        "| dtype | threads | KV block | prefill tok/s | decode tok/s (batch 1) | decode tok/s (batch 16) "
        "| MARS-like wall s | MARS-like prefill computed | cache hit | engine start s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in payload["rows"]:
        mark = " **(default)**" if all(r.get(k) == v for k, v in chosen.items()) else ""
        m = r["mars_like"]
        lines.append(
            f"| {r['dtype']}{mark} | {r['threads']} | {r['block_size']} | {r['prefill']['prompt_tok_s']} "
            f"| {r['decode_b1']['completion_tok_s']} | {r['decode_b16']['completion_tok_s']} | {m['wall_s']} "
            f"| {m['computed_prompt_tokens']} | {m['cache_hit_rate']:.0%} | {r['engine_start_s']} |"
        )
    lines += [
        "",
        "threads: `vllm-default` keeps one core for vLLM's front end (`VLLM_CPU_NUM_OF_RESERVED_CPU` unset), "
        "`all-cores` binds the worker to every core (`=0`), `nobind` leaves OpenMP threads unpinned. "
        f"optivllm's defaults on this machine: {chosen['dtype']}, {chosen['threads']}, KV block {chosen['block_size']}.",
    ]
    return "\n".join(lines)


def throughput_section(payload: dict[str, Any], plots: list[str]) -> str:
    rows = payload["rows"]
    lines = [
        "### Strategy throughput (`bench_throughput.py`)",
        "",
        f"{_engine_line(payload)}; max_tokens {payload['max_tokens']}, seed {payload['seed']}. "
        f"Command: `{payload['command']}`.",
        "",
        "| strategy | Q | batched s | sequential s | limit s | speed-up (seq/batched) | efficiency (limit/batched) "
        "| batched q/s | batched tok/s | requests | cache hit |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        b, lim, seq = r["batched"], r["limit"], r.get("sequential")
        lines.append(
            f"| {r['strategy']} | {r['q']} | {b['wall_s']} | {seq['wall_s'] if seq else '-'} | {lim['wall_s']} | "
            f"{str(r.get('speedup', '-')) + 'x' if seq else '-'} | {r['efficiency']} | {b['questions_per_s']} | "
            f"{b['completion_tokens_per_s']} | {b['engine_requests']} | {b['cache_hit_rate']:.0%} |"
        )
    lines.append("")
    notes = _target_lines(rows) + _scaling_lines(rows)
    lines.extend([*notes, ""] if notes else [])
    lines.extend(f"![{p}]({p})" for p in plots)
    return "\n".join(lines)


def _scaling_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Batched questions/s at each Q relative to the strategy's smallest Q (1.0 = no gain from batching)."""
    out = []
    for s in sorted({r["strategy"] for r in rows}):
        mine = sorted((r for r in rows if r["strategy"] == s), key=lambda r: r["q"])
        if len(mine) < 2:
            continue
        base = mine[0]["batched"]["questions_per_s"] or 1e-9
        steps = ", ".join(f"Q={r['q']} {r['batched']['questions_per_s'] / base:.2f}x" for r in mine[1:])
        out.append(f"- {s} scaling, batched questions/s relative to Q={mine[0]['q']}: {steps}")
    return out


TARGET_Q = 16
TARGET_SPEEDUP = 3.0
TARGET_EFFICIENCY = 0.75


def _target_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Whether the rows at Q=16 meet the targets set for this 2-core CPU and the default model."""
    out = []
    for r in rows:
        if r["q"] != TARGET_Q:
            continue
        if "speedup" in r:
            met = "met" if r["speedup"] >= TARGET_SPEEDUP else "NOT met"
            out.append(
                f"- {r['strategy']} at Q={TARGET_Q}: speed-up {r['speedup']}x (target ≥ {TARGET_SPEEDUP}x): {met}"
            )
        met = "met" if (r["efficiency"] or 0) >= TARGET_EFFICIENCY else "NOT met"
        out.append(
            f"- {r['strategy']} at Q={TARGET_Q}: efficiency {r['efficiency']} (target ≥ {TARGET_EFFICIENCY}): {met}"
        )
    return out


def prefix_section(payload: dict[str, Any]) -> str:
    on, off = payload["on"], payload["off"]
    return "\n".join(
        [
            "### Prefix cache on MARS verification (`bench_prefix_cache.py`)",
            "",
            f"{_engine_line(payload)}; Q={payload['q']}, {payload['agents']} agents, {payload['passes']} passes, "
            f"verify_max_tokens {payload['verify_max_tokens']}, seed {payload['seed']}. Command: `{payload['command']}`.",
            "",
            "| prefix cache | requests | prompt tokens | served from cache | prefill computed | hit rate | wall s |",
            "|---|---|---|---|---|---|---|",
            f"| on | {on['requests']} | {on['prompt_tokens']} | {on['cached_tokens']} | {on['prefill_tokens_computed']} "
            f"| {on['cache_hit_rate']:.1%} | {on['wall_s']} |",
            f"| off | {off['requests']} | {off['prompt_tokens']} | {off['cached_tokens']} | {off['prefill_tokens_computed']} "
            f"| {off['cache_hit_rate']:.1%} | {off['wall_s']} |",
            "",
            f"Prefill saved: {payload['prefill_saved']:.1%}; wall off/on: {payload['wall_ratio_off_over_on']}x "
            f"(target hit rate {payload['target_hit_rate']:.0%}).",
            "",
            "![prefix_cache.png](prefix_cache.png)",
        ]
    )


def _baseline_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Accuracy rows with the plain model (the baseline) first, the strategies after it in order."""
    return sorted(rows, key=lambda r: r["strategy"] != "plain")


def accuracy_section(payload: dict[str, Any]) -> str:
    lines = [
        "### Accuracy (`bench_accuracy.py`)",
        "",
        f"{_engine_line(payload)}; data {payload['data']}, max_tokens {payload['max_tokens']}. "
        f"Command: `{payload['command']}`.",
        "",
        "| strategy | accuracy | 95% CI | completion tokens / question | requests / question | wall s |",
        "|---|---|---|---|---|---|",
    ]
    for r in _baseline_first(payload["rows"]):
        lines.append(
            f"| {r['strategy']} | {r['accuracy']:.1%} ({r['correct']}/{r['n']}) | {r['ci95'][0]:.1%}–{r['ci95'][1]:.1%} | "
            f"{r['completion_tokens_per_question']} | {r['engine_requests_per_question']} | {r['wall_s']} |"
        )
    lines += ["", "![accuracy.png](accuracy.png)"]
    return "\n".join(lines)


def consensus_section(payload: dict[str, Any]) -> str:
    c = payload["consensus"]
    x = payload.get("extraction", {})
    return "\n".join(
        [
            "### Consensus kernels (`bench_consensus.py`)",
            "",
            f"Q={payload['q']} questions x N={payload['n']} candidates, numpy {payload['machine']['numpy']}, "
            f"{payload['machine']['cpu_count']} cores.",
            "",
            "| vectorized ms | plain Python ms | speed-up | extraction responses/s |",
            "|---|---|---|---|",
            f"| {c['vectorized_ms_median']} | {c['reference_ms_median']} | {c['speedup']}x | "
            f"{x.get('responses_per_s', '-')} |",
        ]
    )


def _row_for_modes(rows: list[dict[str, Any]], strategy: str) -> dict[str, Any]:
    """The strategy's row at the largest Q that has all three modes (else its largest Q)."""
    mine = [r for r in rows if r["strategy"] == strategy]
    complete = [r for r in mine if "sequential" in r]
    return max(complete or mine, key=lambda r: r["q"])


def plot_modes(payload: dict[str, Any], path: Path) -> str:
    """Bars: questions/s of each mode per strategy, at the largest Q measured in all modes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = payload["rows"]
    strategies = sorted({r["strategy"] for r in rows})
    picked = [_row_for_modes(rows, s) for s in strategies]
    fig, ax = plt.subplots(figsize=(max(6, len(strategies) * 0.7), 4.5))
    width = 0.27
    for i, mode in enumerate(("sequential", "batched", "limit")):
        values = [r.get(mode, {}).get("questions_per_s", 0.0) for r in picked]
        ax.bar([x + (i - 1) * width for x in range(len(strategies))], values, width, label=mode)
    labels = [f"{r['strategy']}\nQ={r['q']}" if len(strategies) < 6 else r["strategy"] for r in picked]
    ax.set_xticks(range(len(strategies)), labels, rotation=30 if len(strategies) >= 6 else 0, ha="right")
    if len(strategies) >= 6:
        ax.set_yscale("log")
    qs = sorted({r["q"] for r in picked})
    ax.set_ylabel("questions / s")
    ax.set_title(f"Throughput by mode (Q={','.join(map(str, qs))})")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def plot_scaling(payload: dict[str, Any], path: Path) -> str | None:
    """Lines: questions/s against Q, per strategy and mode (modes measured at two or more Qs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = payload["rows"]
    fig, ax = plt.subplots(figsize=(6, 4))
    styles = {"batched": "-", "sequential": "--", "limit": ":"}
    for s in sorted({r["strategy"] for r in rows}):
        for mode, style in styles.items():
            pts = sorted((r["q"], r[mode]["questions_per_s"]) for r in rows if r["strategy"] == s and mode in r)
            if len(pts) > 1:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style, marker="o", label=f"{s} {mode}")
    if not ax.lines:
        plt.close(fig)
        return None
    ax.set_xscale("log", base=2)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("Q (questions in flight)")
    ax.set_ylabel("questions / s")
    ax.set_title("Scaling with Q")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def plot_throughput(payload: dict[str, Any], plots: Path, stem: str = "throughput") -> list[str]:
    """The mode bars and, where Q varies, the scaling lines; returns the PNG names written."""
    names = [plot_modes(payload, plots / f"{stem}.png")]
    scaling = plot_scaling(payload, plots / ("scaling.png" if stem == "throughput" else f"{stem}_scaling.png"))
    return names + ([scaling] if scaling else [])


def plot_prefix(payload: dict[str, Any], plots: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4))
    modes = ["on", "off"]
    computed = [payload[m]["prefill_tokens_computed"] for m in modes]
    cached = [payload[m]["cached_tokens"] for m in modes]
    ax.bar(modes, computed, label="prefill computed")
    ax.bar(modes, cached, bottom=computed, label="served from cache")
    ax.set_ylabel("verification prompt tokens")
    ax.set_title("Prefix cache on MARS verification")
    ax.legend()
    fig.tight_layout()
    fig.savefig(plots / "prefix_cache.png", dpi=110)
    plt.close(fig)


def plot_accuracy(payload: dict[str, Any], plots: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = _baseline_first(payload["rows"])
    fig, ax = plt.subplots(figsize=(max(5, len(rows) * 0.6), 4.5))
    acc = [r["accuracy"] for r in rows]
    err = [
        [a - r["ci95"][0] for a, r in zip(acc, rows, strict=True)],
        [r["ci95"][1] - a for a, r in zip(acc, rows, strict=True)],
    ]
    ax.bar([r["strategy"] for r in rows], acc, yerr=err, capsize=4)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy (95% CI)")
    ax.set_title("Accuracy on generated problems")
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    fig.tight_layout()
    fig.savefig(plots / "accuracy.png", dpi=110)
    plt.close(fig)


def _pair_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of `vs_optillm.json` with both sides measured, plain first, by pair then Q."""
    rows = [r for r in payload["rows"] if "optillm" in r and "optivllm" in r]
    order = {name: i for i, name in enumerate(dict.fromkeys(r["pair"] for r in rows))}
    return sorted(rows, key=lambda r: (r["pair"] != "plain", order[r["pair"]], r["q"]))


def vs_optillm_section(payload: dict[str, Any], plots: list[str]) -> str:
    server = payload.get("server") or {}
    lines = [
        "### optivllm against optillm on the same vLLM (`bench_vs_optillm.py`)",
        "",
        f"{_engine_line(payload)}, dtype {payload['engine'].get('dtype', '?')}; CPU {payload['cpu']['model']}; "
        f"optillm {payload['optillm']} over HTTP to a vLLM server started with optivllm's engine settings, "
        f"optivllm in process; questions: {payload['data']}, max_tokens "
        f"{payload['max_tokens']}, seed {payload['seed']}. Command: `{payload['command']}`.",
        "",
        "| pair | Q | optillm q/s | optivllm q/s | optivllm / optillm | requests / q | completion tok / q "
        "| uncached prompt tok / q | cache hit | accuracy |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in _pair_rows(payload):
        a, b = r["optillm"], r["optivllm"]
        lines.append(
            f"| {r['pair']} | {r['q']} | {a['questions_per_s']} | {b['questions_per_s']} | "
            f"{r['ratio_questions_per_s']}x | {a['requests_per_question']} / {b['requests_per_question']} | "
            f"{a['completion_tokens_per_question']} / {b['completion_tokens_per_question']} | "
            f"{a['uncached_prompt_tokens_per_question']} / {b['uncached_prompt_tokens_per_question']} | "
            f"{a['cache_hit_rate']:.0%} / {b['cache_hit_rate']:.0%} | "
            f"{a['accuracy']:.0%} / {b['accuracy']:.0%} |"
        )
    lines += [
        "",
        "Pairs of figures are optillm / optivllm. Engine start is excluded on both sides"
        + (f" (server {server['start_s']} s, " if "start_s" in server else " (")
        + f"in-process engine {(payload.get('in_process') or {}).get('start_s', '?')} s); the prefix cache is "
        "reset before every measurement. Each side sends its own prompts (optillm's proxy sends the question "
        "with an empty system message).",
    ]
    phased = [r for r in _pair_rows(payload) if len(r["optivllm"].get("usage_by_phase_per_question") or {}) > 1]
    if phased:
        lines += [
            "",
            "Where optivllm's work goes, per phase and question (its own usage):",
            "",
            "| pair | Q | phase | requests | prompt tokens | uncached | completion tokens | cache hit |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in phased:
            for phase, u in r["optivllm"]["usage_by_phase_per_question"].items():
                lines.append(
                    f"| {r['pair']} | {r['q']} | {phase} | {u['requests_per_question']} | "
                    f"{u['prompt_tokens_per_question']} | {u['uncached_prompt_tokens_per_question']} | "
                    f"{u['completion_tokens_per_question']} | {u.get('cache_hit_rate', 0.0):.0%} |"
                )
    notes = {r["pair"]: r["unmatched"] for r in _pair_rows(payload) if r.get("unmatched")}
    lines += [f"- {pair}: {text}" for pair, text in notes.items()]
    lines += ["", *(f"![{p}]({p})" for p in plots)]
    return "\n".join(lines)


def plot_vs_optillm(payload: dict[str, Any], path: Path) -> str:
    """Bars: questions/s of optillm and optivllm per pair, one panel per Q, ratios on top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = _pair_rows(payload)
    qs = sorted({r["q"] for r in rows})
    fig, axes = plt.subplots(1, len(qs), figsize=(max(6, 1.1 * len(rows)), 4.5), sharey=True, squeeze=False)
    width = 0.4
    for ax, q in zip(axes[0], qs, strict=True):
        mine = [r for r in rows if r["q"] == q]
        xs = range(len(mine))
        ax.bar(
            [x - width / 2 for x in xs], [r["optillm"]["questions_per_s"] for r in mine], width, label="optillm (HTTP)"
        )
        ax.bar([x + width / 2 for x in xs], [r["optivllm"]["questions_per_s"] for r in mine], width, label="optivllm")
        for x, r in zip(xs, mine, strict=True):
            ax.annotate(
                f"{r['ratio_questions_per_s']}x",
                (x + width / 2, r["optivllm"]["questions_per_s"]),
                ha="center",
                va="bottom",
                fontsize=8,
            )
        ax.set_xticks(list(xs), [r["pair"] for r in mine], rotation=30, ha="right")
        ax.set_title(f"Q={q}")
    values = [r[side]["questions_per_s"] for r in rows for side in ("optillm", "optivllm")]
    if min(values, default=0) > 0 and max(values) / min(values) > 20:
        axes[0][0].set_yscale("log")
    axes[0][0].set_ylabel("questions / s")
    axes[0][0].legend()
    fig.suptitle("optivllm in process vs optillm over HTTP, same vLLM")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def _saving(fixed: float, adaptive: float) -> str:
    return f"{adaptive / fixed - 1:+.0%}" if fixed else "-"


def adaptive_section(payload: dict[str, Any], plots: list[str]) -> str:
    """Adaptive compute against the fixed budget per strategy (`bench_adaptive.py`)."""
    lines = [
        "### Stop when the answer is settled (`bench_adaptive.py`)",
        "",
        f"{_engine_line(payload)}; data {payload['data']}, budget {payload['samples']} samples (deepconf: traces, "
        f"{payload['warmup_traces']} warm-up), max_tokens {payload['max_tokens']}, waves of {payload['wave_size']}, "
        f"Beta confidence {payload['stop_confidence']}, deepconf consensus {payload['consensus_threshold']}, "
        f"seed {payload['seed']}"
        + (f", temperature {payload['temperature']}" if payload.get("temperature") is not None else "")
        + f". Command: `{payload['command']}`.",
        "",
        "| strategy | budget | accuracy | 95% CI | completion tok / q | prompt tok / q (cached) | requests / q "
        "| wall s | stopped early | same answer as fixed |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in payload["rows"]:
        for side in ("fixed", "adaptive"):
            m = r[side]
            same = f"{r['agreement']:.0%} ({r['agreeing']}/{m['n']})" if side == "adaptive" else "-"
            lines.append(
                f"| {r['strategy']} | {side} | {m['accuracy']:.1%} ({m['correct']}/{m['n']}) | "
                f"{m['ci95'][0]:.1%}–{m['ci95'][1]:.1%} | {m['completion_tokens_per_question']} | "
                f"{m['prompt_tokens_per_question']} ({m['cached_tokens_per_question']}) | "
                f"{m['engine_requests_per_question']} | {m['wall_s']} | {m['stopped_early']:.0%} | {same} |"
            )
    lines.append("")
    for r in payload["rows"]:
        f, a = r["fixed"], r["adaptive"]
        lines.append(
            f"- {r['strategy']}: adaptive vs fixed, completion tokens "
            f"{_saving(f['completion_tokens_per_question'], a['completion_tokens_per_question'])}, requests "
            f"{_saving(f['engine_requests'], a['engine_requests'])}, wall time {_saving(f['wall_s'], a['wall_s'])}; "
            f"same answer on {r['agreement']:.0%} of questions "
            f"(95% CI {r['agreement_ci95'][0]:.0%}–{r['agreement_ci95'][1]:.0%})"
            + (
                f"; the fixed budget under another seed agrees with itself on {r['noise_agreement']:.0%}"
                if "noise_agreement" in r
                else ""
            )
        )
    lines += ["", *(f"![{p}]({p})" for p in plots)]
    return "\n".join(lines)


def plot_adaptive(payload: dict[str, Any], path: Path) -> str:
    """Bars per strategy, fixed vs adaptive: completion tokens per question, and accuracy (95% CI)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = payload["rows"]
    xs = range(len(rows))
    width = 0.38
    fig, (tokens, accuracy) = plt.subplots(1, 2, figsize=(max(8, 2.6 * len(rows)), 4.5))
    for i, side in enumerate(("fixed", "adaptive")):
        offset = [x + (i - 0.5) * width for x in xs]
        tokens.bar(offset, [r[side]["completion_tokens_per_question"] for r in rows], width, label=side)
        acc = [r[side]["accuracy"] for r in rows]
        err = [
            [a - r[side]["ci95"][0] for a, r in zip(acc, rows, strict=True)],
            [r[side]["ci95"][1] - a for a, r in zip(acc, rows, strict=True)],
        ]
        accuracy.bar(offset, acc, width, yerr=err, capsize=4, label=side)
    for x, r in zip(xs, rows, strict=True):  # agreement with the fixed budget's answers
        tokens.annotate(
            f"{r['agreement']:.0%}\nsame",
            (x + width / 2, r["adaptive"]["completion_tokens_per_question"]),
            ha="center",
            va="bottom",
            fontsize=7,
        )
    highest = max(r[s]["completion_tokens_per_question"] for r in rows for s in ("fixed", "adaptive"))
    tokens.set_ylim(0, 1.25 * max(highest, 1.0))
    for ax in (tokens, accuracy):
        ax.set_xticks(list(xs), [r["strategy"] for r in rows], rotation=15, ha="right")
        ax.legend()
    tokens.set_ylabel("completion tokens / question")
    tokens.set_title("Compute")
    accuracy.set_ylim(0, 1)
    accuracy.set_ylabel("accuracy (95% CI)")
    accuracy.set_title("Accuracy")
    fig.suptitle(f"Stop when settled vs fixed budget ({payload['samples']} samples, Q={payload['q']})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


def serve_section(payload: dict[str, Any]) -> str:
    """`optivllm serve` (streamed, the openai client) against `run_batch` in process, per concurrency."""
    interval = payload.get("stream_interval", 1)
    lines = [
        "### Served over HTTP vs in process" + (f" (stream interval {interval})" if interval != 1 else ""),
        "",
        f"{_engine_line(payload)}; {payload['q']} questions per measurement, max_tokens {payload['max_tokens']}, "
        f"stream interval {interval}, seed {payload['seed']}. Command: `{payload['command']}`.",
        "",
        "| strategy | clients | served q/s | in-process q/s | served / in-process | first byte p50 s "
        "| first answer token p50 s | engine requests (served / in process) | completion tokens (served / in process) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in payload["rows"]:
        s, i = r["served"], r["in_process"]
        ratio = s["questions_per_s"] / i["questions_per_s"] if i["questions_per_s"] else 0.0
        tokens = f"{s['completion_tokens']} / {i['completion_tokens']}" if "completion_tokens" in s else "not recorded"
        lines.append(
            f"| {r['strategy']} | {r['concurrency']} | {s['questions_per_s']} | {i['questions_per_s']} | "
            f"{ratio:.2f} | {s['first_byte_s']['p50']} | {s['first_answer_token_s']['p50']} | "
            f"{s['engine_requests']} / {i['engine_requests']} | {tokens} |"
        )
    return "\n".join(lines)


def scale_section(payload: dict[str, Any]) -> str:
    """One batch over 1, 2, ... engine replicas on Ray: questions/s and who answered what."""
    engine = payload["engine"]
    cpu = f", {engine['cpu']}" if "cpu" in engine else ""
    lines = [
        "### Engine replicas on Ray",
        "",
        f"{engine['model']} on {engine['device']}{cpu}, vLLM {engine['vllm']}, {engine['dtype']}; "
        f"{payload['q']} questions per measurement, max_tokens {payload['max_tokens']}, seed {payload['seed']}. "
        f"Command: `{payload['command']}`.",
        "",
        "| strategy | replicas | q/s | vs the first | start s | answered by replica | where | engine requests |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in payload["rows"]:
        where = "; ".join(
            f"GPUs {','.join(p['gpus'])}" if p.get("gpus") else f"cores {','.join(map(str, p['cores']))}"
            for p in r["placement"]
        )
        lines.append(
            f"| {r['strategy']} | {r['replicas']} | {r['questions_per_s']} | {r['scaling']}x | {r['start_s']:.0f} | "
            f"{r['answered_by_replica']} | {where} | {r['engine_requests']} |"
        )
    return "\n".join(lines)


def build(results: Path = RESULTS, plots: Path = HERE) -> str:
    """The tables (and plots, written into `plots`) for every result file present."""
    sections = []
    if (e := _load(results, "engine.json")) is not None and e["rows"]:
        sections.append(engine_section(e))
    if (t := _load(results, "throughput.json")) is not None:
        sections.append(throughput_section(t, plot_throughput(t, plots)))
    if (t := _load(results, "throughput_all.json")) is not None:
        plots_all = plot_throughput(t, plots, stem="throughput_all")
        sections.append(throughput_section(t, plots_all).replace("### Strategy throughput", "### Every strategy", 1))
    if (t := _load(results, "throughput_search.json")) is not None:
        plots_search = plot_throughput(t, plots, stem="throughput_search")
        sections.append(
            throughput_section(t, plots_search).replace("### Strategy throughput", "### Reward-guided search", 1)
        )
    if (p := _load(results, "prefix_cache.json")) is not None:
        plot_prefix(p, plots)
        sections.append(prefix_section(p))
    if (a := _load(results, "accuracy.json")) is not None:
        plot_accuracy(a, plots)
        sections.append(accuracy_section(a))
    if (d := _load(results, "adaptive.json")) is not None and d["rows"]:
        sections.append(adaptive_section(d, [plot_adaptive(d, plots / "adaptive.png")]))
    if (c := _load(results, "consensus.json")) is not None:
        sections.append(consensus_section(c))
    for name in ("serve.json", "serve_interval4.json", "serve_mars.json"):
        if (sv := _load(results, name)) is not None and sv["rows"]:
            sections.append(serve_section(sv))
    if (sc := _load(results, "scale.json")) is not None and sc["rows"]:
        sections.append(scale_section(sc))
    if (v := _load(results, "vs_optillm.json")) is not None and _pair_rows(v):
        sections.append(vs_optillm_section(v, [plot_vs_optillm(v, plots / "vs_optillm.png")]))
    return "\n\n".join(sections)


def main() -> int:
    template = (HERE / "README.template.md").read_text()
    (HERE / "README.md").write_text(template.replace("{{tables}}", build()))
    print(f"wrote {HERE / 'README.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
