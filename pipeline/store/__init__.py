"""Where the published tree lives, and what castline knows it published.

The ``Store`` protocol every store keeps (objects with the right
Content-Type and Cache-Control, written whole, incrementally, never
deleted but by the prune), and its two stores: ``LocalStore`` (a folder,
``public/`` by default) and ``S3Store`` (any S3-compatible bucket, through
boto3, which is loaded only when one is made); ``open_store`` opens the one
``[storage] url`` names. Also here:

* the keys of the published tree (the feed, its archive pages, each
  episode's page and chapters) and the rule every key and S3 URL keeps;
* the published state beside the feed (GUIDs for life, first-publish
  dates, the hash of every object written), read and written with a
  conditional write, and the matching of episodes to their records;
* the publish lease, so one publish of a show writes at a time;
* sync: what must be uploaded, in which order, and what may be pruned;
* the preview server behind ``castline serve``.

The store sits below config: it takes ``StorageSettings`` and plain values
and imports no other stage.

Names load on first use (``pipeline.tools.faces``): reading a config loads
the S3 URL rule, not the preview server or the lease.
"""

from pipeline.tools.faces import lazy_face

_WHERE = {
    "keys": ("FEED_KEY", "archive_key", "chapters_key", "page_key", "validate_key",),
    "lease": ("LEASE_KEY", "Lease", "LeaseRecord", "unlock",),
    "local": ("LocalStore",),
    "open": ("open_store",),
    "protocol": ("ObjectInfo", "Stamp", "Store", "Upload", "headers_for", "make_upload", "state_changed_error",),
    "s3": ("S3Store", "parse_s3_url", "s3_url_problem",),
    "serve": ("PreviewServer", "make_server", "preview_root",),
    "state": ("STATE_KEY", "EpisodeRecord", "Match", "MediaFile", "PublishedMedia", "ObjectRecord", "State", "dump_state", "episode_guid",
             "match_episodes", "now_iso", "parse_state",),
    "sync": ("differs", "phase", "prunable", "recorded_objects",),
}
__getattr__, __dir__ = lazy_face(__name__, _WHERE)
__all__ = sorted(name for names in _WHERE.values() for name in names)  # noqa: PLE0605  (resolved by __getattr__)
