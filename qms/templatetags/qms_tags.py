from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.translation import get_language

register = template.Library()

# The navigation's drop-downs as rendered, per language and menu (a menu is what a user's permissions give: a few
# different ones per process). Bounded: emptied when it would hold more.
_RENDERED_MENUS: dict[tuple, str] = {}
RENDERED_MENUS_KEPT = 200


@register.simple_tag(takes_context=True)
def portal_menu(context):
    """The navigation's drop-downs (``includes/menu.html``) of the page's ``portal_menu``: rendered once per process
    for each menu and language, since every page draws it (its loops were a millisecond of each page)."""
    entries = context.get("portal_menu") or []
    key = (get_language(), tuple((str(entry["label"]), entry["icon"],
                                  tuple((str(link["label"]), link["url"]) for link in entry["links"]))
                                 for entry in entries))
    html = _RENDERED_MENUS.get(key)
    if html is None:
        if len(_RENDERED_MENUS) >= RENDERED_MENUS_KEPT:
            _RENDERED_MENUS.clear()
        html = _RENDERED_MENUS[key] = render_to_string("includes/menu.html", {"portal_menu": entries})
    return html


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
