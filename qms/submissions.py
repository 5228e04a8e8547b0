"""One-time form tokens: a create form sent twice (a double click, a resent request) saves once.

Every POST form that renders ``{% submission_token %}`` (qms_tags; ``templates/includes/form_token.html``) carries
a fresh key in a hidden field. ``SubmissionTokenMiddleware`` runs the view of such a POST in one transaction
that first inserts the key (unique) into ``SubmissionToken``:

- the first POST inserts it, the view saves the record and redirects; the key keeps where it redirected to;
- a second POST with the same key finds it taken — if the first is still running, PostgreSQL makes the second
  insert wait on the unique index until the first commits — and does not run the view again: it is redirected
  to where the first one went, with the message "此表单已提交";
- a POST whose view answers without a redirect (a form with errors) gives its key back, so the corrected form,
  rendered with a new key, and a resend of the same page both go through.

The key is checked in the database, not in the session, so two workers or two browser tabs cannot both win.
``static/js/submit_once.js`` (from ``base.html``) also disables a form's submit buttons while it is sent.
"""
from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, models, transaction
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

FIELD = "submission_token"
_VALID_KEY = re.compile(r"^[0-9a-f]{32}$")


class SubmissionToken(models.Model):
    """A form submission that went through (its view ran and redirected to ``result_url``)."""

    key = models.CharField(_("表单令牌"), max_length=32, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+", verbose_name=_("用户"))
    path = models.CharField(_("提交地址"), max_length=300)
    result_url = models.CharField(_("结果地址"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)

    class Meta:
        app_label = "qms"
        verbose_name = _("表单提交记录")
        verbose_name_plural = _("表单提交记录")
        indexes = [models.Index(fields=["created_at"], name="submission_token_created")]

    def __str__(self):
        return self.key


def new_key() -> str:
    return uuid.uuid4().hex


class SubmissionTokenMiddleware:
    """Runs a POST that carries a form token once per token (see the module's docstring). Placed last, so that
    the CSRF check, the login and the other middleware have run when it calls the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or FIELD not in request.POST:
            return None
        key = request.POST.get(FIELD, "")
        if not _VALID_KEY.match(key):
            return HttpResponseBadRequest(gettext("表单令牌无效，请刷新页面后重新提交。"))
        user = request.user if request.user.is_authenticated else None
        with transaction.atomic():
            try:
                with transaction.atomic():
                    token = SubmissionToken.objects.create(key=key, user=user, path=request.path[:300])
            except IntegrityError:
                return self._already_submitted(request, key)
            response = view_func(request, *view_args, **view_kwargs)
            if 300 <= response.status_code < 400 and response.get("Location"):
                token.result_url = response["Location"][:500]
                token.save(update_fields=["result_url"])
            else:
                token.delete()
        return response

    @staticmethod
    def _already_submitted(request, key: str):
        messages.warning(request, gettext("此表单已提交，没有重复保存。"))
        token = SubmissionToken.objects.filter(key=key).first()
        target = token.result_url if token and token.user_id == getattr(request.user, "pk", None) else ""
        target = target or request.META.get("HTTP_REFERER", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
            target = "/"
        return HttpResponseRedirect(target or "/")
