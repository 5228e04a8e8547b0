"""A save whose database connection is lost half-way fails cleanly: an error page, and nothing of it written —
no complaint, no clock, no notice, no number used up — because the service is one transaction."""
import psycopg2
import pytest
from django.db import connection
from django.urls import reverse

from complaints.models import Complaint
from complaints.services import complaints as service
from qms import audit
from qms.deadlines import Deadline
from qms.notifications import Notification

FORM = {"type": "complaint", "channel": "phone", "customer_name": "断线医院", "contact_name": "王护士长",
        "product": "一次性输液器", "batch": "B2611", "quantity": "200", "description": "滴斗开裂",
        "customer_request": "整批换货"}


def _lose_the_connection():
    """End this session's backend from another session, as a database restart or a network cut would."""
    db = connection.settings_dict
    other = psycopg2.connect(dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"],
                             host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [connection.connection.info.backend_pid])
            assert cursor.fetchone()[0]
    finally:
        other.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_complaint_whose_database_connection_is_lost_mid_save_fails_cleanly_and_writes_nothing(
        people, client, monkeypatch):
    open_clocks = service.open_clocks

    def lose_the_connection_then_open_clocks(complaint, *args, **kwargs):
        # The complaint row and its number are written inside the transaction; its clocks are not yet.
        assert Complaint.objects.filter(pk=complaint.pk).exists()
        _lose_the_connection()
        return open_clocks(complaint, *args, **kwargs)

    monkeypatch.setattr(service, "open_clocks", lose_the_connection_then_open_clocks)
    client.force_login(people["service"])
    client.raise_request_exception = False
    assert client.post(reverse("complaints:create"), FORM).status_code == 500

    assert not Complaint.objects.exists()
    assert not Deadline.objects.exists()
    assert not Notification.objects.exists()
    assert not audit.event_model(Complaint).objects.exists()  # the audit trail's insert row went with it

    # The next save, on a new connection, works and gets the number the failed one did not keep.
    monkeypatch.setattr(service, "open_clocks", open_clocks)
    response = client.post(reverse("complaints:create"), FORM)
    complaint = Complaint.objects.get()
    assert response.status_code == 302 and response["Location"] == complaint.get_absolute_url()
    assert complaint.number.endswith("0001")
    assert Deadline.objects.filter(object_id=complaint.pk).exists()
    assert audit.event_model(Complaint).objects.filter(pgh_obj_id=complaint.pk).count() == 1
