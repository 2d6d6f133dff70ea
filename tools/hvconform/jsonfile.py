"""A small JSON object kept in a file across runs (the runner's history of
VM deaths, make test's case durations): a hint, never a result. Missing or
malformed reads as empty; an update replaces the file whole, so a reader
never sees half of one (with concurrent writers the last one's stays)."""

import json
import os
import tempfile
import threading

_lock = threading.Lock()        # writers in one process (matrix cells) take turns


def read(path):
    """The file's object, or {}."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def update(path, items):
    """Merge items into the file's object."""
    with _lock:
        data = read(path)
        data.update(items)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=os.path.basename(path) + '.')
        with os.fdopen(fd, 'w') as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
