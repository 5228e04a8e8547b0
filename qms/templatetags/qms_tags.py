from django import template
from django.template.loader import render_to_string
from django.template.defaultfilters import date as date_filter
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import get_language, gettext

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
    # the registered menu is the same for the whole process: its links' URLs name a menu, and the labels (lazy
    # texts, translated on every str()) need not be part of the key
    key = (get_language(), tuple(tuple(link["url"] for link in entry["links"]) for entry in entries))
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


@register.simple_tag
def work_items(items):
    """``{% work_items items %}``: the lines of 我的待办, each a link to its record: priority and overdue marked, the
    due time in local time with its provisional note, the category and detail. Made here for every line at once (an
    include per line went through the template engine sixty times for a full page)."""
    from qms.templatetags.records import provisional_note

    priority = format_html('<span class="badge text-bg-warning me-1">{}</span>', gettext("优先"))
    overdue = format_html('<span class="badge text-bg-danger">{}</span> ', gettext("已逾期"))
    due_word = escape(gettext("期限"))
    lines = []
    for item in items:
        is_overdue = item.is_overdue
        marks = " overdue list-group-item-danger" if is_overdue else " priority" if item.priority else ""
        due = ""
        if item.due:
            due = (f"{overdue if is_overdue else ''}{due_word} {date_filter(template_localtime(item.due), 'Y-m-d H:i')}"
                   f"{provisional_note(item)}")
        detail = f" · {conditional_escape(item.detail)}" if item.detail else ""
        lines.append(
            f'<a href="{conditional_escape(item.url)}" class="list-group-item list-group-item-action work-item{marks}">'
            f'<div class="d-flex w-100 justify-content-between"><div class="h6 mb-1">{priority if item.priority else ""}'
            f'{conditional_escape(item.title)}</div><small>{due}</small></div>'
            f'<small class="text-muted">{conditional_escape(item.category)}{detail}</small></a>')
    return mark_safe("".join(lines))  # noqa: S308  (every value escaped above)
