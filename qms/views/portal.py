"""The portal's own pages: my work, notifications, language, profile."""
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qms import company, notifications, registry
from qms.middleware import SUPPORTED
from qms.people import roles_needed
from qms.registry import my_work_sections


def home(request):
    """我的待办: the signed-in user's own open tasks from every app, overdue first and highlighted; then, in a
    section of their own, his people's overdue clocks escalated to him."""
    items, escalations, more = my_work_sections(request.user)
    overdue = sum(1 for item in items if item.is_overdue)
    # documents print the company profile's name: whoever may fill it in (in the admin site, so staff) is asked to
    # while it is empty; nobody else pays for the two permission queries
    company_unset = (request.user.is_staff and request.user.has_perm("qms.change_companyprofile")
                     and not company.current(request).is_set)
    return render(request, "qms/home.html", {"items": items, "escalations": escalations, "overdue_count": overdue,
                                             "title": _("我的待办"), "company_unset": company_unset,
                                             "more": more, "per_kind": registry.WORK_ITEMS_PER_PROVIDER})


def notification_list(request):
    queryset = notifications.Notification.objects.filter(recipient=request.user)
    if request.GET.get("unread"):
        queryset = queryset.filter(read_at__isnull=True)
    page = Paginator(queryset, 30).get_page(request.GET.get("page"))
    return render(request, "qms/notifications.html", {"page_obj": page, "title": _("通知"),
                                                      "unread_only": bool(request.GET.get("unread"))})


@require_POST
def notification_read(request):
    ids = request.POST.getlist("id")
    count = notifications.mark_read(request.user, [int(i) for i in ids if i.isdigit()] if ids else None)
    messages.success(request, _("已将 %(count)d 条通知标为已读。") % {"count": count})
    target = request.POST.get("next") or reverse("notifications")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("notifications")
    return HttpResponseRedirect(target)


@login_not_required
@require_POST
def set_language(request):
    """Switch the interface language; remembered on the user and in a cookie."""
    from django.conf import settings

    language = request.POST.get("language")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    if language in SUPPORTED:
        if request.user.is_authenticated:
            request.user.language = language
            request.user.save(update_fields=["language"])
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600,
                            samesite="Lax", secure=settings.SESSION_COOKIE_SECURE)
    return response


def notification_open(request, pk):
    """Follow a notification's link; opening it marks it read (the user's own notifications only)."""
    note = get_object_or_404(notifications.Notification, pk=pk, recipient=request.user)
    if note.read_at is None:
        notifications.mark_read(request.user, [note.pk])
    target = note.link or reverse("notifications")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("notifications")
    return HttpResponseRedirect(target)


# --- the portal's own error pages (handler403 / handler404 in qms.urls) --------------------------------
def _back_link(request) -> str:
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return referer
    return reverse("home")


def permission_denied(request, exception=None):
    """403 in the portal's frame: what was refused and which roles may do it."""
    perm = getattr(request.user, "refused_permission", "")
    message = str(exception) if exception is not None and str(exception) else ""
    return render(request, "403.html", {
        "title": _("没有权限"), "message": message, "roles": roles_needed(perm) if perm else [],
        "back": _back_link(request)}, status=403)


def csrf_failure(request, reason=""):
    """A refused form post (expired page, another site's form) in the portal's frame, saying what to do."""
    return render(request, "403.html", {
        "title": _("没有权限"), "roles": [], "back": _back_link(request),
        "message": _("表单已过期或来源无法验证，未保存任何内容。请返回上一页，刷新后重新提交。")}, status=403)


def page_not_found(request, exception=None):
    """404 in the portal's frame: the record does not exist or is not the user's to see."""
    return render(request, "404.html", {"title": _("未找到"), "back": _back_link(request)}, status=404)
