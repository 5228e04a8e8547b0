"""Business rules of contracts and orders (PROCEDURES.md §2): integrity, classification, capture, review."""
