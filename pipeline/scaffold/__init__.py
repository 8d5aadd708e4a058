"""Start a show (``castline init``) and an episode (``castline new``).

``init`` writes a commented config.toml with every key, the folders and
placeholder art; ``new`` the next episode's notes file with every field.
``placeholder_problems`` names what ``init`` left for the host to fill in,
so a show called "My Show" by "Your Name" never reaches listeners.

Names load on first use (``pipeline.tools.faces``).
"""

from pipeline.tools.faces import lazy_face

_WHERE = {
    "make": ("PLACEHOLDER_BASE_URL", "PLACEHOLDERS", "NewEpisode", "init", "is_placeholder_art", "new_episode",
            "next_number", "next_steps", "placeholder_problems", "slugify",),
}
__getattr__, __dir__ = lazy_face(__name__, _WHERE)
__all__ = sorted(name for names in _WHERE.values() for name in names)  # noqa: PLE0605  (resolved by __getattr__)
