"""The list's once-per-page edit check gives the answer of the permission rule for every person and customer."""
from customers.models import Customer
from customers.rules import edit_check
from customers.tests.factories import make_customer


def test_edit_check_agrees_with_the_change_permission(people):
    make_customer(people["sales"], name="甲客户")
    make_customer(people["sales2"], name="乙客户")
    make_customer(None, by=people["sales"], name="池中客户")
    customers = list(Customer.objects.select_related("owner__department"))
    verdicts = set()
    for user in people.values():
        may_edit = edit_check(user)
        for customer in customers:
            expected = user.has_perm("customers.change_customer", customer)
            assert may_edit(customer) is expected, (user.username, customer.name)
            verdicts.add(expected)
    assert verdicts == {True, False}  # both answers were met: the check was not vacuous
