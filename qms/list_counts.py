"""The version of a model's list counts: it changes whenever a record of the model is saved, deleted or moved, so
that a list's cached total and figures (qms.views.generic.RecordListView.list_counts) are counted again at once."""
from django.core.cache import cache


def _key(model) -> str:
    return f"list-generation:{model._meta.label_lower}"


def generation(model) -> int:
    return cache.get(_key(model), 0)


def bump(model) -> None:
    try:
        cache.incr(_key(model))
    except ValueError:
        cache.set(_key(model), 1, None)


def bump_on_signal(sender, **kwargs) -> None:
    """post_save / post_delete receiver."""
    bump(sender)
