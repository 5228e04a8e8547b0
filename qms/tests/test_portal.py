"""The portal shell: login, throttling, CSRF, language, my work, notifications."""
import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import NoReverseMatch, URLResolver, get_resolver, reverse
from django.utils import timezone

from qms import registry
from qms.notifications import Notification, deliver_pending_emails, notify
from qms.registry import WorkItem
from qms.tests.cases import assert_queries_at_most

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url_name", ["home", "notifications", "qms:staff_list", "password_change"])
def test_every_page_requires_login(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def _url_names_without_arguments(resolver=None, namespace=""):
    """Every named URL pattern of the project (all apps and the admin) that reverses without arguments."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names_without_arguments(pattern, inner)
        elif pattern.name:
            try:
                yield namespace + pattern.name, reverse(namespace + pattern.name)
            except NoReverseMatch:
                continue


# The login pages themselves, and views deliberately open before login that only take a POST.
LOGIN_PAGES = {"login", "admin:login"}
OPEN_POST_ONLY = {"set_language"}


def test_every_url_answers_an_anonymous_visitor_with_the_login_page_never_an_error(client):
    """Walks the URL patterns themselves, so a page added later (or the admin's own pages) is covered too:
    the admin login page used to answer 500 to everyone (the admin index asked an anonymous user for its roles)."""
    pages = dict(_url_names_without_arguments())
    assert {"home", "admin:index", "admin:login", "customers:pool", "qms:import_list"} <= pages.keys()
    wrong = {}
    for name, url in sorted(pages.items()):
        response = client.get(url)
        if name in LOGIN_PAGES:
            ok = response.status_code == 200 and b'name="password"' in response.content
        elif name in OPEN_POST_ONLY:
            ok = response.status_code == 405
        else:
            location = response.get("Location", "")
            ok = response.status_code == 302 and location.startswith((reverse("login"), reverse("admin:login")))
        if not ok:
            wrong[name] = (url, response.status_code, response.get("Location"))
    assert not wrong


def test_login_page_is_in_chinese_even_for_an_english_browser(client):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    content = response.content.decode()
    assert "登录" in content and "用户名" in content


def test_demo_user_logs_in_with_the_readme_password(client, people):
    from qms.demo import DEMO_PASSWORD

    response = client.post(reverse("login"), {"username": "quality", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert "我的待办" in client.get(reverse("home")).content.decode()


def test_repeated_wrong_passwords_lock_the_login_with_a_cool_off(client, people, settings):
    from qms.demo import DEMO_PASSWORD

    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(reverse("login"), {"username": "sales", "password": "wrong-password"})
    assert response.status_code == 429
    assert "账号已暂时锁定" in response.content.decode()
    # Even the right password is refused during the cool-off.
    response = client.post(reverse("login"), {"username": "sales", "password": DEMO_PASSWORD})
    assert response.status_code == 429


def test_a_post_without_the_csrf_token_is_refused(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["sales"])
    response = client.post(reverse("notifications_read"), {})
    assert response.status_code == 403
    assert not Notification.objects.filter(read_at__isnull=False).exists()
    # the portal's own page, in Chinese, inside the navigation, saying nothing was saved and what to do
    html = response.content.decode()
    assert "表单已过期或来源无法验证，未保存任何内容" in html and 'id="portal-nav"' in html and "CSRF验证失败" not in html


def test_language_switch_is_remembered_on_the_user(client, people):
    client.force_login(people["sales"])
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("home")})
    assert response.status_code == 302
    people["sales"].refresh_from_db()
    assert people["sales"].language == "en"
    page = client.get(reverse("home")).content.decode()
    assert "My work" in page and "我的待办" not in page
    # A new browser (no cookie) still gets the user's language after login.
    other = Client()
    other.force_login(people["sales"])
    assert "My work" in other.get(reverse("home")).content.decode()


def test_language_switch_refuses_an_off_site_redirect(client, people):
    client.force_login(people["sales"])
    response = client.post(reverse("set_language"), {"language": "en", "next": "https://evil.example.com/"})
    assert response["Location"] == "/"


@pytest.fixture
def work_provider():
    """Register a provider for the test only (apps register theirs in AppConfig.ready)."""
    now = timezone.now()

    def provider(user):
        if user.username != "quality":
            return []
        return [
            WorkItem("计划中的内审", "/a/", "内审", due=now + dt.timedelta(days=3)),
            WorkItem("已逾期的纠正措施", "/b/", "纠正和预防措施", due=now - dt.timedelta(hours=2)),
            WorkItem("大客户投诉", "/c/", "客户投诉", due=now + dt.timedelta(days=5), priority=True),
        ]

    registry.register_work_provider(provider)
    yield provider
    registry.registry.work_providers.remove(provider)


def test_my_work_collects_every_app_and_puts_overdue_first(client, people, work_provider):
    client.force_login(people["quality"])
    response = client.get(reverse("home"))
    titles = [item.title for item in response.context["items"]]
    assert titles == ["已逾期的纠正措施", "大客户投诉", "计划中的内审"]
    content = response.content.decode()
    assert "已逾期 1 项" in content
    assert content.index("已逾期的纠正措施") < content.index("计划中的内审")
    assert "list-group-item-danger" in content  # highlighted


def test_my_work_lists_the_most_urgent_of_a_long_kind_and_says_there_are_more(client, people, work_provider,
                                                                               monkeypatch):
    monkeypatch.setattr(registry, "WORK_ITEMS_PER_PROVIDER", 2)
    client.force_login(people["quality"])
    response = client.get(reverse("home"))
    assert len(response.context["items"]) == 2
    content = response.content.decode()
    assert "显示 2 项" in content and "共 2 项" not in content  # the heading does not pass a part off as the whole
    assert "内审：只列出最紧急的 2 项" in content
    monkeypatch.setattr(registry, "WORK_ITEMS_PER_PROVIDER", 30)
    content = client.get(reverse("home")).content.decode()
    assert "共 3 项" in content and 'id="more-work"' not in content


def test_each_line_of_my_work_shows_its_marks_due_time_and_detail_escaped(client, people, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    due = dt.datetime(2026, 3, 2, 1, 30, tzinfo=dt.timezone.utc)  # 09:30 in Beijing

    def provider(user):
        return [WorkItem('<b>"甲&乙"</b>', "/x/?a=1&b=2", "纠正和预防措施", due=due,
                         due_note="（暂定：2027 年节假日未确认）", detail="责任人：<i>王</i>"),
                WorkItem("优先的投诉", "/y/", "客户投诉", priority=True)]

    registry.register_work_provider(provider)
    try:
        with time_machine.travel(dt.datetime(2026, 3, 3, tzinfo=dt.timezone.utc), tick=False):
            client.force_login(people["quality"])
            content = client.get(reverse("home")).content.decode()
    finally:
        registry.registry.work_providers.remove(provider)
    lines = re.findall(r'<a href="([^"]*)" class="list-group-item list-group-item-action work-item([^"]*)">(.*?)</a>',
                       content, re.S)
    assert [(href, marks) for href, marks, _text in lines] == [
        ("/x/?a=1&amp;b=2", " overdue list-group-item-danger"), ("/y/", " priority")]
    overdue, priority = (text for _href, _marks, text in lines)
    assert "&lt;b&gt;&quot;甲&amp;乙&quot;&lt;/b&gt;" in overdue and "<b>" not in overdue
    assert '<span class="badge text-bg-danger">已逾期</span> 期限 2026-03-02 09:30' in overdue
    assert '<span class="provisional text-warning-emphasis small">（暂定：2027 年节假日未确认）</span>' in overdue
    assert "纠正和预防措施 · 责任人：&lt;i&gt;王&lt;/i&gt;" in overdue
    assert '<span class="badge text-bg-warning me-1">优先</span>优先的投诉' in priority and "期限" not in priority


def test_my_work_shows_only_the_signed_in_users_tasks(client, people, work_provider):
    client.force_login(people["sales"])
    response = client.get(reverse("home"))
    assert response.context["items"] == []
    assert "暂无待办事项" in response.content.decode()


def test_notify_shows_in_the_navigation_and_mails_after_commit(client, people, django_capture_on_commit_callbacks,
                                                               monkeypatch):
    sent = []
    monkeypatch.setattr("qms.taskqueue.send_now", lambda task, *args, **kw: sent.append(args) or True)
    with django_capture_on_commit_callbacks(execute=True):
        note = notify(people["quality"], "纠正措施待验证", "请验证 CAPA-2026-0001 的有效性", link="/qms/")
    assert sent == [(note.pk,)]
    client.force_login(people["quality"])
    page = client.get(reverse("home")).content.decode()
    assert 'id="unread-count">1<' in page
    # The worker's job: exactly one e-mail even if run twice.
    assert deliver_pending_emails() == 1
    assert deliver_pending_emails() == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["quality@example.com"]
    assert "纠正措施待验证" in mail.outbox[0].subject


def test_marking_notifications_read_clears_the_count(client, people):
    notify(people["quality"], "一", email=False)
    notify(people["quality"], "二", email=False)
    notify(people["sales"], "别人的", email=False)
    client.force_login(people["quality"])
    client.post(reverse("notifications_read"), {})
    assert Notification.objects.filter(recipient=people["quality"], read_at__isnull=True).count() == 0
    assert Notification.objects.filter(recipient=people["sales"], read_at__isnull=True).count() == 1
    assert "unread-count" not in client.get(reverse("home")).content.decode()


def test_the_headers_unread_count_is_kept_until_a_notification_is_added_or_read(client, people, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.UNREAD_COUNT_SECONDS = 60  # as in production (the test settings read it on every request)
    client.force_login(people["quality"])
    notify(people["quality"], "一", email=False)
    assert 'id="unread-count">1<' in client.get(reverse("notifications")).content.decode()
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("qms:capa_list"))
    assert not [q for q in queries.captured_queries if "qms_notification" in q["sql"]]
    second = notify(people["quality"], "二", email=False)  # added: the next page counts again
    assert 'id="unread-count">2<' in client.get(reverse("notifications")).content.decode()
    client.get(reverse("notification_open", args=[second.pk]))  # opened: read
    assert 'id="unread-count">1<' in client.get(reverse("notifications")).content.decode()
    Notification.objects.filter(recipient=people["quality"]).delete()
    assert "unread-count" not in client.get(reverse("notifications")).content.decode()


def test_home_page_runs_a_constant_number_of_queries(client, people):
    client.force_login(people["quality"])
    for i in range(3):
        notify(people["quality"], f"通知{i}", email=False)
    # The page's own queries (session, user, menu, unread count, ...) and at most one per work provider that
    # the apps register; then the count must not grow with the rows.
    from qms.registry import registry

    client.get(reverse("home"))  # once-per-process look-ups (content types, the customer policy row) out of the way
    with assert_queries_at_most(9 + len(registry.work_providers)) as few:
        client.get(reverse("home"))
    for i in range(30):
        notify(people["quality"], f"更多通知{i}", email=False)
    with assert_queries_at_most(len(few)):
        client.get(reverse("home"))


def test_staff_list_filters_and_counts_with_constant_queries(client, people):
    client.force_login(people["sales"])
    response = client.get(reverse("qms:staff_list"), {"department": people["sales"].department_id})
    names = [row.record.username for row in response.context["table"].page.object_list]
    assert sorted(names) == ["sales", "sales2"]
    assert "共 2 条" in response.content.decode()
    with assert_queries_at_most(20) as few:
        client.get(reverse("qms:staff_list"))
    from qms.people import User

    for i in range(30):
        User.objects.create(username=f"extra{i}", full_name=f"员工{i}", department=people["sales"].department)
    with assert_queries_at_most(len(few)):
        client.get(reverse("qms:staff_list"))
