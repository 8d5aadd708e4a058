"""Episode -> BuiltEpisode: what each episode publishes, mastered at most once.

First the plan (``plan_publish``): every episode in the folder and in the
published state gets one state (new, changed, published, scheduled, draft,
removed, kept...) and the work it needs (reuse, retag, build). Then each due
episode is built (``build_episode``): its media from the one media cache
(``.castline/cache``, keyed by the recording, every audio setting and
castline's audio version) or mastered and tagged, two at a time
(``Masters``), its art, chapters and transcript moved onto the published
audio's timeline, and the record the published state keeps.

Names load on first use (``pipeline.tools.faces``): a publish with nothing
to do never loads the build.
"""

from pipeline.tools.faces import lazy_face

_WHERE = {
    "episode": ("ART_DIR", "MASTER_WORKERS", "ArtCache", "Built", "BuiltEpisode", "Masters", "Workshop",
                "build_episode", "estimated_media", "master_plan", "shift_chapters", "shift_cues", "tag_info"),
    "media": ("HashCache", "MediaPlan", "master_key_for", "media_record", "record_media"),
    "plan": ("Held", "Plan", "PlannedEpisode", "Prints", "Published", "Work", "plan_publish"),
}
__getattr__, __dir__ = lazy_face(__name__, _WHERE)
__all__ = sorted(name for names in _WHERE.values() for name in names)  # noqa: PLE0605  (resolved by __getattr__)
