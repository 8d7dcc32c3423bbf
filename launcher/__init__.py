"""Set-up and process control behind `make run` and `make test` (python -m launcher)."""
