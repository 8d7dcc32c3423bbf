"""The retrain gate: a candidate model against the current one, on the held-out test split.

Both models parse ``tests/nlu/test_nlu.yml`` and its noisy copy (the keyboard
noise of ``spacy_pipeline/noise.py`` with the suite's seed). A candidate is
refused when it breaks a quality floor (the suite's own), or sends the right
script to fewer concern and what-if messages than the current model, clean or
noisy; ``Verdict.reasons`` says which, with the figures.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

from spacy_pipeline.noise import add_slips
from toolkit import names

NOISE_SEED, SLIPS = 20261203, 3  # as tests/test_nlu_typos.py
SCRIPT_INTENTS = (names.INTENT_CONCERN, names.INTENT_WHAT_IF)
NO_SCRIPT_INTENTS = (names.INTENT_CONCERN, names.INTENT_WHAT_IF, names.INTENT_HOW_TO_PAUSE)
# the suite's floors (tests/test_nlu_quality.py, tests/test_nlu_typos.py)
FLOORS = {
    "macro_f1": 0.90,
    "right_script_rate": 0.97,
    "right_script_rate_noisy": 0.94,
    "out_of_scope_rate": 0.95,
    "out_of_scope_rate_noisy": 0.95,
    "person_request_rate": 1.0,
}
# figures a candidate may not lower
NO_WORSE = ("right_script_rate", "right_script_rate_noisy")


@dataclass
class Report:
    """What one model does on the test split."""

    model: str
    figures: Dict[str, float]
    per_intent: Dict[str, Dict[str, float]]  # intent -> f1 (clean), recall clean and noisy
    wrong_scripts: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return {"model": self.model, "figures": self.figures, "per_intent": self.per_intent}


@dataclass
class Verdict:
    current: Report
    candidate: Report
    reasons: List[str]  # why it is refused; empty when it may be promoted

    @property
    def promote(self) -> bool:
        return not self.reasons

    def table(self) -> str:
        """Before/after, per intent and overall, for people."""
        lines = [f"{'intent':<28}{'F1 before':>10}{'F1 after':>10}{'noisy before':>14}{'noisy after':>13}"]
        for intent in sorted(set(self.current.per_intent) | set(self.candidate.per_intent)):
            a, b = self.current.per_intent.get(intent, {}), self.candidate.per_intent.get(intent, {})
            lines.append(
                f"{intent:<28}{a.get('f1', 0):>10.3f}{b.get('f1', 0):>10.3f}"
                f"{a.get('recall_noisy', 0):>14.3f}{b.get('recall_noisy', 0):>13.3f}"
            )
        lines.append("")
        lines.append(f"{'figure':<28}{'before':>10}{'after':>10}{'floor':>10}")
        for name in self.current.figures:
            floor = FLOORS.get(name)
            lines.append(
                f"{name:<28}{self.current.figures[name]:>10.3f}{self.candidate.figures.get(name, 0):>10.3f}"
                + (f"{floor:>10.2f}" if floor is not None else "")
            )
        return "\n".join(lines)

    def to_dict(self) -> Dict[str, Any]:
        return {
            "promote": self.promote,
            "reasons": self.reasons,
            "current": self.current.to_dict(),
            "candidate": self.candidate.to_dict(),
        }


def test_examples(test_file: Path) -> List[Tuple[str, str]]:
    from rasa.shared.nlu.training_data.loading import load_data

    return [(e.get("text"), e.get("intent")) for e in load_data(str(test_file)).intent_examples]


def report(model: Path, examples: Sequence[Tuple[str, str]]) -> Report:
    """Parse the examples, clean and noisy, with ``model`` (in this process, no server)."""
    import logging

    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # not a debug line with each test message
    agent = Agent.load(str(model))

    async def parse_all(texts: Sequence[str]) -> List[str]:
        return [(await agent.parse_message(t))["intent"]["name"] for t in texts]

    clean = _run(parse_all([t for t, _ in examples]))
    noisy = _run(parse_all([add_slips(t, NOISE_SEED, SLIPS) for t, _ in examples]))
    return score(str(model.name), examples, clean, noisy)


def _run(work: Any) -> Any:
    """``asyncio.run`` of ``work``, in a thread of its own when this one already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(work)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result()


def score(model: str, examples: Sequence[Tuple[str, str]], clean: Sequence[str], noisy: Sequence[str]) -> Report:
    gold = [g for _, g in examples]

    def rate(predicted: Sequence[str], kinds: Sequence[str], good) -> float:
        pairs = [(g, p) for g, p in zip(gold, predicted, strict=True) if g in kinds]
        return round(sum(good(g, p) for g, p in pairs) / len(pairs), 4) if pairs else 1.0

    per_intent: Dict[str, Dict[str, float]] = {}
    for intent in sorted(set(gold)):
        tp = sum(g == p == intent for g, p in zip(gold, clean, strict=True))
        fp = sum(p == intent != g for g, p in zip(gold, clean, strict=True))
        fn = sum(g == intent != p for g, p in zip(gold, clean, strict=True))
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        mine = [i for i, g in enumerate(gold) if g == intent]
        per_intent[intent] = {
            "f1": round(f1, 4),
            "recall": round(sum(clean[i] == intent for i in mine) / len(mine), 4),
            "recall_noisy": round(sum(noisy[i] == intent for i in mine) / len(mine), 4),
        }
    same = lambda g, p: g == p  # noqa: E731
    no_script = lambda g, p: p not in NO_SCRIPT_INTENTS  # noqa: E731
    figures = {
        "macro_f1": round(sum(v["f1"] for v in per_intent.values()) / len(per_intent), 4),
        "right_script_rate": rate(clean, SCRIPT_INTENTS, same),
        "right_script_rate_noisy": rate(noisy, SCRIPT_INTENTS, same),
        "out_of_scope_rate": rate(clean, (names.INTENT_OUT_OF_SCOPE,), no_script),
        "out_of_scope_rate_noisy": rate(noisy, (names.INTENT_OUT_OF_SCOPE,), no_script),
        "person_request_rate": rate(clean, (names.INTENT_REQUEST_HUMAN,), same),
    }
    wrong = [f"{g} -> {p}: {t}" for (t, g), p in zip(examples, clean, strict=True) if g in SCRIPT_INTENTS and g != p]
    return Report(model, figures, per_intent, wrong)


def judge(current: Report, candidate: Report) -> Verdict:
    """Refuse a candidate under a floor or with a lower right-script rate; say why."""
    reasons = []
    for name, floor in FLOORS.items():
        value = candidate.figures.get(name, 0.0)
        if value < floor:
            reasons.append(f"{name} is {value:.3f}, under the floor of {floor:.2f}")
    for name in NO_WORSE:
        before, after = current.figures.get(name, 0.0), candidate.figures.get(name, 0.0)
        if after < before:
            reasons.append(f"{name} would fall from {before:.3f} to {after:.3f}")
    return Verdict(current, candidate, reasons)
