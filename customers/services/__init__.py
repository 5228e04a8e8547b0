"""Business rules of key accounts, one module per concern (records, names, pool, visits, grading …)."""
