"""config.toml -> Settings: the show and one section of settings per stage.

Read once, at the edge, and validated: every mistake names the file, the
line, the key and what is allowed. Other stages get only their own section
(``AudioSettings``, ``StorageSettings``, ``NotifySettings``, the ``Show``);
only ``publish``, this package and the CLI see the whole ``Settings``.
Also here: the output formats (what ``[audio] formats`` may name), TOML read
within bounds (config.toml and TOML front matter alike), and the rules the
Podcasting 2.0 keys and fields share.
"""

from .formats import FORMATS, Format
from .podcasting import CHAT_FIX, STREAM_TYPES, VALUE_FIX, chat, remote_item, value_recipient, web_url_problem
from .reader import key_line
from .settings import CONFIG_NAME, load_settings
from .toml import DEPTH_FIX, DIGITS_FIX, MAX_DEPTH, TomlBoundsError, load_toml

__all__ = [
    "CHAT_FIX", "CONFIG_NAME", "DEPTH_FIX", "DIGITS_FIX", "FORMATS", "Format", "MAX_DEPTH", "STREAM_TYPES",
    "TomlBoundsError", "VALUE_FIX", "chat", "key_line", "load_settings", "load_toml", "remote_item",
    "value_recipient", "web_url_problem",
]
