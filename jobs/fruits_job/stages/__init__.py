"""The job's stages, one module each; pipeline.STAGES lists them in order and runs them.

A stage is a function taking the RunContext (context.py) and returning its summary section
(a dict merged into summary.json, see summary.RunRecord.merge) or None. It reads what earlier
stages left in the context and leaves its own products there. Each module's docstring says what
its stages do; STAGES is the one list of them (in the order they run, with the function of each),
and docs/job.md's stage table is generated from it (npm run gen:docs).

A step is untimed: no entry in timings_s or progress.json; it belongs to the stage before it.
"""
