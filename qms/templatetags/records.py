"""Template tags for controlled records: move buttons, signatures, deadlines."""
from django import template
from django.utils.translation import gettext
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils.html import format_html

from qms import deadlines, signatures, workflow
from qms.views.records import move_form

register = template.Library()


@register.inclusion_tag("qms/includes/moves.html", takes_context=True)
def record_moves(context, record):
    user = context["request"].user
    content_type = ContentType.objects.get_for_model(record, for_concrete_model=False)
    moves = []
    for move in workflow.available_moves(record, user):
        move["url"] = reverse("qms:move", args=[content_type.pk, record.pk, move["to"]])
        move["form"] = move_form(move["move"], record, user, initial={"expected_from": move["from"]})
        moves.append(move)
    return {"moves": moves, "blocked": workflow.blocked_moves(record, user), "record": record,
            "csrf_token": context.get("csrf_token"), "request": context["request"]}


@register.simple_tag
def table_rows(table):
    """``{% table_rows table %}``: the rows of a list's page, rendered once per page, not once per cell."""
    from qms.tables import render_rows

    return render_rows(table)


@register.simple_tag(takes_context=True)
def table_head(context, table):
    """``{% table_head table %}``: the list's <thead>, its sort links keeping the page's other parameters."""
    from qms.tables import render_head

    return render_head(table, context.get("request"))


@register.simple_tag(takes_context=True)
def table_pagination(context, table):
    """``{% table_pagination table %}``: the links to the list's other pages."""
    from qms.tables import render_pagination

    return render_pagination(table, context.get("request"))


@register.simple_tag
def status_badge(record, status_field=None):
    """``{% status_badge record %}``: the state as a badge in the colour its workflow declares."""
    from qms.tables import status_badge as badge

    return badge(record, status_field)


@register.inclusion_tag("qms/includes/signatures.html")
def record_signatures(record):
    return {"signatures": signatures.signatures_for(record)}


@register.inclusion_tag("qms/includes/deadlines.html")
def record_deadlines(record):
    return {"deadlines": list(deadlines.deadlines_for(record).order_by("-state", "due_at"))}


@register.filter
def provisional_note(value):
    """After a due time: "（暂定：2027 年节假日未确认）" when it was computed across a year nobody confirmed.
    ``value`` is a deadline, a row holding one (``row.deadline``) or a work item (``due_note``)."""
    if hasattr(value, "due_note"):
        label = value.due_note
    elif isinstance(value, dict):
        label = deadlines.provisional_label(value.get("deadline"))
    else:
        label = deadlines.provisional_label(value)
    if not label:
        return ""
    return format_html('<span class="provisional text-warning-emphasis small">{}</span>', label)


@register.filter
def translated(value):
    """Text the portal stored in its own language (a system note such as 按收费一览表计收), read in the reader's;
    text a user typed is not in the catalogue and shows as typed."""
    return gettext(str(value)) if value else value
