from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs):
    """The current query string with some parameters replaced (pagination, sorting, scopes)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        query[key] = value
    return query.urlencode()


@register.simple_tag
def submission_token():
    """The hidden one-time key of a create form (qms.submissions): sent twice, the form saves once."""
    from qms.submissions import FIELD, new_key

    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_key())
