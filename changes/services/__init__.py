"""Change control services (PROCEDURES.md §7): ``requests`` (the request, its evidence and class, the risk
assessment, the evaluation team), ``implementation`` (coordinator, tasks, slips), ``release`` (customer
notifications, the product hold, notices, the specification change, CAPA) and ``pipeline`` (the workflow)."""
