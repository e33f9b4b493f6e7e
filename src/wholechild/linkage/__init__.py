"""Record linkage: one person per child across every source system.

The pipeline, in order (each a module):

- ``frame``: the *linkage frame*, one row per source record with standardised comparison
  columns (see :data:`frame.COLUMNS`), built from the store (``frame.from_store``) or from any
  other table (the FEBRL benchmarks use an adapter).
- ``model``: the Splink settings (comparisons, blocking rules), unsupervised training (u by
  random sampling, m by EM with a capped pair count), the saved JSON model and its hash.
- ``engine``: scoring candidate pairs into *scored pairs* (``unique_id_l``, ``unique_id_r``,
  ``match_weight``, ``match_probability``, and per-comparison contributions ``mw_*``).
- ``clusters``: clustering scored pairs at a threshold, honouring reviewer decisions (a "same
  child" decision joins two records; a "not the same child" decision keeps them apart).
- ``persist``: stable person ids across runs, the stored links with their explanations, the
  clerical-review queue.
- ``evaluate``: pairwise and cluster-level precision/recall/F1, blocking recall, by ethnic group
  and by source pair, as Markdown with a chart.
"""
