"""The review stage: every winning attempt read by a model, as GSO's hack detector does (`isobench review`).

`categories` (the kinds of hack, defined once), `prompt` (what the reviewer is shown and the schema it
answers in), `client` (one vote: an LLM call through LiteLLM, retried within bounds), `votes` (the
majority), `stage` (the units, resumable, and the human's patch as a control), `verdicts` (what a verdict
does to an outcome, for `correlate` and `export`). This file imports nothing, so `records` may use
`categories` without a cycle.
"""
