"""seotasks inside a data pipeline engine: a dlt source for tasks and results.

``seotasks_source(...)`` is an ordinary ``@dlt.source``; `pipeline_name` names the one
pipeline per account that must load it; `load` is what ``seotasks load`` runs; an
`Outbox` keeps the results of consuming reads until their load completed;
`dataset_turn` makes your own pipelines of several accounts take turns in one
PostgreSQL dataset. See docs/dlt.md.
"""

from __future__ import annotations

from .destination_lock import dataset_turn
from .outbox import Outbox, journal_folder
from .pipeline import LoadSummary, load, pipeline_name
from .source import SOURCE_NAME, seotasks_source

__all__ = [
    "SOURCE_NAME",
    "LoadSummary",
    "Outbox",
    "dataset_turn",
    "journal_folder",
    "load",
    "pipeline_name",
    "seotasks_source",
]
