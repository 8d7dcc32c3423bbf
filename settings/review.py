"""Settings of the review inbox: who may label, and which training data the export writes into."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Collection, Mapping, Optional, Tuple

from settings import variables as v
from settings.read import Env

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ReviewSettings:
    # agent names who may label; empty means every agent may
    reviewers: Tuple[str, ...] = ()
    # the training data folder: reviewed.yml is written into its nlu/, deduplicated against all of it
    data_dir: Path = ROOT / "data"
    # the held-out test split: never exported as training data (the retrain gate measures on it)
    test_file: Path = ROOT / "tests" / "nlu" / "test_nlu.yml"

    def may_review(self, agent: str) -> bool:
        return not self.reviewers or agent in self.reviewers

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None, agents: Collection[str] = ()) -> ReviewSettings:
        """``agents``: the configured agents; a reviewer who is none of them is an error."""
        read = Env(env)
        reviewers = tuple(read.words(v.REVIEWERS))
        unknown = [name for name in reviewers if agents and name not in agents]
        if unknown:
            read.problems.append(
                f"{v.REVIEWERS} names {', '.join(repr(n) for n in unknown)}, "
                f"who {'is' if len(unknown) == 1 else 'are'} not in {v.AGENT_TOKENS}"
            )
        data_dir = Path(read.text(v.REVIEW_DATA_DIR) or cls.data_dir)
        if not data_dir.is_absolute():
            data_dir = ROOT / data_dir
        read.check("review settings")
        return cls(reviewers=reviewers, data_dir=data_dir)
