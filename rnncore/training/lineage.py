"""Where a run's weights come from: kept with every stored run, so that a class can tell a run this server
trained from one whose weights came from somewhere else.

A run's lineage is its origin and the data every one of its epochs trained on. A run started on the server
begins a line of its own (``FRESH``: weights this server initialised); a run imported from a zip begins an
``IMPORTED`` line, whatever its files say; a run continued from another goes on with that run's line
(``then``: the data it trains on is added). So a run continued from an import is never a run trained here,
and its epochs count with the line's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

HERE, IMPORTED_FROM_FILE, UNKNOWN = "here", "imported", "unknown"
ORIGINS = (HERE, IMPORTED_FROM_FILE, UNKNOWN)


@dataclass(frozen=True)
class Lineage:
    """The origin of a run's line and the data its epochs trained on."""

    origin: str  # HERE: weights initialised and trained by this server; IMPORTED_FROM_FILE: a zip began the
    # line; UNKNOWN: stored before the store kept lineage
    data: tuple[str, ...] = ()  # each data set of the line: a file's SHA-256, or a sample's or generator's name

    def then(self, identity: dict) -> Lineage:
        """This line, trained on (also) the data of ``identity`` (Dataset.identity: name, rows, sha256)."""
        key = identity.get("sha256") or identity.get("name") or ""
        return self if key in self.data else Lineage(self.origin, (*self.data, key))

    def to_json(self) -> str:
        return json.dumps({"origin": self.origin, "data": list(self.data)})

    @classmethod
    def from_json(cls, text: str | None) -> Lineage:
        """The lineage a store keeps; anything it cannot read is UNKNOWN."""
        try:
            doc = json.loads(text or "")
            origin, data = doc["origin"], tuple(str(d) for d in doc["data"])
        except (ValueError, TypeError, KeyError):
            return NOT_KNOWN
        return cls(origin if origin in ORIGINS else UNKNOWN, data)


FRESH = Lineage(HERE)  # a run whose weights this server initialised
IMPORTED = Lineage(IMPORTED_FROM_FILE)  # a run imported from a zip
NOT_KNOWN = Lineage(UNKNOWN)
