"""Where `run` and `score` execute their units.

The local executor (the default) runs them on this machine. `--executor ray` (or `executor: {kind: ray}`
in bench.yaml) sends them to a Ray cluster: the state directory stays on this machine (the driver) and is
written only here; each worker gets what its unit needs (`bundle`), runs it in a throwaway state of its
own with the same code and sandbox as locally (`worker`), and sends back its records, patch and logs.
Nothing of Ray is imported unless it is asked for.
"""
