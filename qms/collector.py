"""Python's cycle collector in the portal's processes: the objects that are there for good left out of its walks.

A worker holds about 500,000 objects once Django, the apps and the URLconf are loaded, and they stay until the
process ends. The collector walks all of them whenever enough newer objects have lived through two collections
(a list page keeps its queryset, table and rows alive across the collections that run while it is built): about
180 ms a walk, once every hundred or so list pages, and more often during an import. And it looks at the youngest
objects every 700 new ones, most of which a request drops again before the next look.

``set_aside_loaded_objects()`` is for a web worker once the portal is loaded (``qms.wsgi``): ``gc.freeze`` moves
what exists into a generation the collector never walks, and the youngest are looked at every
``YOUNG_OBJECTS_PER_COLLECTION`` new objects. ``older_objects_set_aside()`` does the same for the length of an
import pass in any process (a Celery worker, a test, ``manage.py``) and hands everything back afterwards; in a
worker that has set its objects aside for good it changes nothing.
"""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager

YOUNG_OBJECTS_PER_COLLECTION = 20_000  # Python's default: 700

_lock = threading.Lock()
_runs = 0  # passes under way (threads, the validation inside an upload)
_threshold: tuple[int, ...] = ()  # the threshold before the first of them
_for_good = False  # set_aside_loaded_objects() has run in this process


def _raised(threshold: tuple[int, ...]) -> tuple[int, ...]:
    return (max(threshold[0], YOUNG_OBJECTS_PER_COLLECTION), *threshold[1:])


def set_aside_loaded_objects() -> None:
    """For a long-running web worker, once its code is loaded: the objects that exist now (modules, models, the
    URLconf, Django's caches) are never walked again, and the youngest are looked at every
    ``YOUNG_OBJECTS_PER_COLLECTION`` new objects. A cycle among the set-aside objects is never collected, so this
    runs after a full collection, and only where the loaded objects live as long as the process."""
    global _for_good, _threshold
    with _lock:
        gc.collect()
        gc.freeze()
        gc.set_threshold(*_raised(_threshold or gc.get_threshold()))
        _threshold = ()  # a pass under way now ends without handing anything back
        _for_good = True


@contextmanager
def older_objects_set_aside():
    """The collector, for the length of a pass over a file's rows, without the objects that existed before, and
    looking at the new ones less often.

    A pass makes and drops hundreds of thousands of objects (cells, forms, records); with every walk of the process's
    objects a 10,000-row import took 7.8 s, without them 7.4 s. ``gc.freeze`` leaves the objects that exist out of
    the collections until ``gc.unfreeze`` hands them back at the end, so that a cycle among them is collected later,
    as it would have been (one full walk follows the pass); the youngest are looked at every
    ``YOUNG_OBJECTS_PER_COLLECTION`` new objects (a row's form and record are cycles, so they wait a little longer to
    be freed). Of runs at once, the first sets the objects aside and the last hands them back. In a worker that has
    set its loaded objects aside for good (``set_aside_loaded_objects``) the pass leaves things as they are: the
    collector already walks only what the worker made since."""
    global _runs, _threshold
    with _lock:
        _runs += 1
        if _runs == 1 and not _for_good:
            gc.freeze()
            _threshold = gc.get_threshold()
            gc.set_threshold(*_raised(_threshold))
    try:
        yield
    finally:
        with _lock:
            _runs -= 1
            if _runs == 0 and _threshold:
                gc.set_threshold(*_threshold)
                gc.unfreeze()
                _threshold = ()
