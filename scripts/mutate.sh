#!/bin/sh
# Mutation testing for gtrack's suite: see scripts/mutate.py (the tool) or run with --help.
# Python 3's standard library only; the checkout is never modified (mutants go to a copy).
exec python3 "$(dirname "$0")/mutate.py" "$@"
