"""Work beyond one machine: the model search and batch scoring on a Ray cluster.

``bizforge train ... --cluster ray://HOST:PORT`` runs each candidate of the search as a
Ray task (:mod:`bizforge.cluster.search`); ``bizforge predict ... --cluster ...`` scores
the file's chunks in parallel with Ray Data (:mod:`bizforge.cluster.scoring`). Both
give what the same command gives without ``--cluster``. Importing this package does
not import Ray; :func:`connect` does.

>>> from bizforge.cluster import connect
>>> with connect("auto") as cluster:                        # doctest: +SKIP
...     run = bizforge.train("churn.csv", target="Churn", cluster=cluster)
"""

from __future__ import annotations

from bizforge.cluster.connect import Cluster, check_address, connect

__all__ = ["Cluster", "check_address", "connect"]
