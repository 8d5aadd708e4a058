"""The recipe: load, ingest, build, plan, render, store in order, announce, record.

``publish`` is the one function behind ``castline publish`` (publish/recipe.py
reads top to bottom as the recipe), ``status`` the plan it would make,
``check`` every problem it would trip over, found at once without
publishing. The report, the receipt (a no-op publish answers from it), the
announcements (WebSub, podping) and Apple's feed rules as the host reads
them live here too. Only this package, ``config`` and the CLI see the whole
``Settings``; every other stage is handed its own section.

Names load on first use (``pipeline.tools.faces``): ``castline publish``
with nothing to do loads the recipe and the receipt, not the checks.
"""

from pipeline.tools.faces import lazy_face

_WHERE = {
    "checks": ("CheckReport", "check"),
    "recipe": ("publish",),
    "report": ("EpisodeState", "EpisodeStatus", "PublishOptions", "Report", "StatusReport", "from_json", "row_json",
               "to_json"),
    "statuses": ("status",),
}
__getattr__, __dir__ = lazy_face(__name__, _WHERE)
__all__ = sorted(name for names in _WHERE.values() for name in names)  # noqa: PLE0605  (resolved by __getattr__)
