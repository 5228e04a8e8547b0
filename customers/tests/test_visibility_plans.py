"""Who sees which customers is answered from indexes (issue 16): the visibility predicates are subqueries of ids,
not ORs over a join of owners and departments, so PostgreSQL can answer the list page from the owner index even
at 100,000 customers. Checked with EXPLAIN with sequential scans disabled: a predicate that needs a full scan
still shows one."""
import pytest
from django.db import connection, transaction

from customers.models import Customer, Visit
from customers.tests.factories import make_customer
from qms.people import visible_to

pytestmark = pytest.mark.django_db


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("who", ["sales", "sales2"])  # the sales manager (his department and the pool), a salesman
def test_the_customer_list_of_a_salesperson_is_read_through_an_index(people, who):
    make_customer(people["sales"])
    page = visible_to(people[who], Customer.objects.filter(deleted_at__isnull=True)).order_by("-created_at")[:50]
    plan = _plan(page)
    assert "Seq Scan on customers_customer" not in plan, plan
    assert "Index" in plan, plan


def test_the_visits_of_a_salesperson_are_read_through_an_index(people):
    plan = _plan(visible_to(people["sales2"], Visit.objects.all()).order_by("-period_start")[:50])
    assert "Seq Scan on customers_visit" not in plan and "Seq Scan on customers_customer" not in plan, plan
