"""The version of a model's list counts: it changes whenever a record of the model is saved, deleted or moved, so
that a list's cached total and figures (qms.views.generic.RecordListView.list_counts, kept with
``qms.cache.kept_while`` under this counter) are counted again at once."""
from qms import cache as qms_cache


def counter_key(model) -> str:
    return f"list-generation:{model._meta.label_lower}"


def bump(model) -> None:
    qms_cache.bump(counter_key(model))


def bump_on_signal(sender, **kwargs) -> None:
    """post_save / post_delete receiver."""
    bump(sender)
