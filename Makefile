# One entry point for people and CI. Both targets do the whole set-up first
# (Python 3.10 venv, pinned packages, spaCy pipeline, model) and skip what is current.
.PHONY: run test setup train check lint bench clean review-export retrain

run:  ## set up, then start the assistant (Ctrl-C stops it)
	@scripts/bootstrap.sh run

test:  ## set up, then run the whole test suite
	@scripts/bootstrap.sh test

setup:  ## set up only
	@scripts/bootstrap.sh setup

train:  ## retrain even if the model is current
	@scripts/bootstrap.sh train

check:  ## validate the macro library and the entity patterns
	@scripts/bootstrap.sh check

lint:  ## ruff (lint, format check) and mypy (types); the suite runs them too
	@scripts/bootstrap.sh lint

bench:  ## side-by-side benchmark against the stock `rasa init` bot (options: BENCH_ARGS="--help")
	@scripts/bootstrap.sh bench $(BENCH_ARGS)

review-export:  ## write the review inbox's labels to data/nlu/reviewed.yml (docs/review.md)
	@scripts/bootstrap.sh review-export

retrain:  ## export, train a candidate, promote it only if the gate lets it (docs/review.md)
	@scripts/bootstrap.sh retrain

clean:  ## remove what the set-up made (keeps state/: conversations and hand-overs)
	rm -rf .venv build models .rasa results .pytest_cache .mypy_cache
